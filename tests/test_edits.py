"""Claim edits on the real CMS tables: each kind fires on a minimal claim, none on a clean one."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from reviewer.decision import Edit, RecommendedCode, Role, Severity, Verdict
from reviewer.findings import Sex
from reviewer.inputs.claim import ClaimedCode, parse_claimed
from reviewer.rules.cms import CmsTables, load_tables
from reviewer.rules.edits import claim_edits


@pytest.fixture(scope="module")
def tables() -> CmsTables:
    return load_tables()


def primary(*codes: str) -> list[RecommendedCode]:
    return [RecommendedCode(code=c, role=Role.primary) for c in codes]


def run(
    tables: CmsTables,
    claim: Sequence[str],
    *,
    verdict: Verdict = Verdict.supported,
    recommended: list[RecommendedCode] | None = None,
    sex: Sex | None = Sex.male,
    separate_site: bool = False,
) -> list[Edit]:
    return claim_edits(
        parse_claimed(claim),
        verdict=verdict,
        recommended=primary("11004") if recommended is None else recommended,
        sex=sex,
        separate_site=separate_site,
        tables=tables,
    )


def kinds(edits: Sequence[Edit]) -> list[str]:
    return [e.kind for e in edits]


# --- parsing ---------------------------------------------------------------------------------


def test_parse_claimed_forms() -> None:
    assert parse_claimed(["11004", "11043-XS", "11042:59", "N49.3", " 11045 x 2 "]) == [
        ClaimedCode("11004"),
        ClaimedCode("11043", modifiers=("XS",)),
        ClaimedCode("11042", modifiers=("59",)),
        ClaimedCode("N49.3", is_icd10=True),
        ClaimedCode("11045", units=2),
    ]


def test_parse_claimed_units_add_up_for_identical_items() -> None:
    assert parse_claimed(["11004x2", "11004*2", "11004"]) == [ClaimedCode("11004", units=5)]
    # different modifiers stay separate lines; a repeated diagnosis stays one
    assert parse_claimed(["11043", "11043-xs", "n493", "N49.3"]) == [
        ClaimedCode("11043"),
        ClaimedCode("11043", modifiers=("XS",)),
        ClaimedCode("N49.3", is_icd10=True),
    ]


def test_parse_claimed_other_code_shapes() -> None:
    assert parse_claimed(["0213T", "G0471", "B20", "11043-XS-RT"]) == [
        ClaimedCode("0213T"),
        ClaimedCode("G0471"),
        ClaimedCode("B20", is_icd10=True),
        ClaimedCode("11043", modifiers=("XS", "RT")),
    ]


@pytest.mark.parametrize("bad", ["", "debridement", "11004x0", "fascia/11004!"])
def test_parse_claimed_rejects_what_is_not_a_code_naming_the_item(bad: str) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace("*", r"\*")) as info:
        parse_claimed(["11004", bad])
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("typo", ["1100", "110044", "N49.3-XS"])
def test_a_code_shaped_typo_is_kept_as_malformed_and_warned(typo: str) -> None:
    lines = parse_claimed(["11004", typo])
    assert lines[1] == ClaimedCode(typo, malformed=True)
    edits = claim_edits(lines, verdict=Verdict.supported, recommended=[], sex=None, tables=load_tables())
    unknown = [e for e in edits if e.kind == "unknown_code"]
    assert [e.codes for e in unknown] == [[typo]]
    assert unknown[0].severity is Severity.warning


# --- clean claims ----------------------------------------------------------------------------


def test_clean_claim_has_no_edits(tables: CmsTables) -> None:
    assert run(tables, ["11004"]) == []
    assert run(tables, ["11004", "N49.3", "M72.6", "E11.9"]) == []
    assert run(tables, ["11004", "11008"], recommended=[*primary("11004"), addon("11008")]) == []
    assert run(tables, ["11004", "54520"]) == []  # no NCCI pair (coding-rules §2.4)


def addon(code: str) -> RecommendedCode:
    return RecommendedCode(code=code, role=Role.add_on)


def test_no_claimed_procedures_means_no_coding_edits(tables: CmsTables) -> None:
    assert run(tables, ["N49.3"], verdict=Verdict.query, recommended=[]) == []


# --- NCCI pairs ------------------------------------------------------------------------------


def test_family_pair_is_never_allowed(tables: CmsTables) -> None:
    edits = run(tables, ["11004-XS", "11006"], recommended=primary("11006"))
    [ptp] = [e for e in edits if e.kind.startswith("ptp")]
    assert ptp.kind == "ptp_no_modifier_allowed"
    assert ptp.severity is Severity.error
    assert ptp.codes == ["11006", "11004"]
    assert "column 1 11006" in ptp.message and "column 2 11004" in ptp.message
    assert "HCPCS/CPT procedure code definition" in ptp.message
    assert ptp.source == "NCCI PTP practitioner, effective 2024-07-01"


def test_bundled_pair_without_modifier_is_a_warning(tables: CmsTables) -> None:
    [edit] = run(tables, ["11004", "11043"])
    assert (edit.kind, edit.severity) == ("ptp_modifier_required", Severity.warning)
    assert edit.codes == ["11004", "11043"]
    assert "More extensive procedure" in edit.message
    assert edit.source == tables.source("ptp")


@pytest.mark.parametrize("claim", [["11004", "11043-XS"], ["11004-59", "11043"]])
def test_bundled_pair_with_bypass_modifier_is_info(tables: CmsTables, claim: list[str]) -> None:
    recommended = [*primary("11004"), RecommendedCode(code="11043", role=Role.additional)]
    [edit] = run(tables, claim, recommended=recommended, separate_site=True)
    assert (edit.kind, edit.severity) == ("ptp_modifier_required", Severity.info)
    assert "separate site" in edit.message


@pytest.mark.parametrize("claim", [["11004", "11043-XS"], ["11004-59", "11043"]])
def test_bypass_modifier_without_a_documented_separate_site_is_an_error(
    tables: CmsTables, claim: list[str]
) -> None:
    [edit] = run(tables, claim)
    assert (edit.kind, edit.severity) == ("separate_site_not_documented", Severity.error)
    assert "no separate site is documented" in edit.message


def test_graft_bed_preparation_is_column_1_over_11004(tables: CmsTables) -> None:
    [edit] = run(tables, ["15002", "11004"])
    assert edit.kind == "ptp_modifier_required"
    assert edit.codes == ["15002", "11004"]


# --- MUE, add-ons, diagnoses -----------------------------------------------------------------


def test_mue_exceeded(tables: CmsTables) -> None:
    [edit] = run(tables, ["11004x2"])
    assert (edit.kind, edit.severity, edit.codes) == ("mue_exceeded", Severity.error, ["11004"])
    assert "2 units" in edit.message and "at most 1" in edit.message
    assert edit.source == "NCCI MUE practitioner, effective 2024-07-01"


def test_mue_sums_lines_and_respects_the_limit(tables: CmsTables) -> None:
    recommended = [*primary("11042"), addon("11045")]
    assert run(tables, ["11042", "11045x12"], recommended=recommended) == []
    edits = run(tables, ["11042", "11045x6", "11045-XS x 7"], recommended=recommended)
    assert kinds(edits) == ["mue_exceeded"]
    assert "13 units" in edits[0].message


def test_addon_without_primary_from_the_cms_table(tables: CmsTables) -> None:
    edits = run(tables, ["11008"], verdict=Verdict.not_supported, recommended=[])
    [edit] = [e for e in edits if e.kind == "addon_without_primary"]
    assert edit.severity is Severity.error and edit.codes == ["11008"]
    assert "10180, 11004, 11005 or 11006" in edit.message
    assert edit.source == "NCCI add-on code edits, effective 2024-06-03"


@pytest.mark.parametrize(("addon_code", "primary_code"), [("11046", "11043"), ("97598", "97597")])
def test_addon_without_primary_from_the_ruleset(
    tables: CmsTables, addon_code: str, primary_code: str
) -> None:
    recommended = [*primary(primary_code), addon(addon_code)]
    [edit] = [
        e
        for e in run(tables, [addon_code], verdict=Verdict.not_supported, recommended=recommended)
        if e.kind == "addon_without_primary"
    ]
    assert primary_code in edit.message and edit.source == "ruleset"
    assert run(tables, [primary_code, addon_code], recommended=recommended) == []


@pytest.mark.parametrize(("code", "sex"), [("N49.3", Sex.female), ("N76.82", Sex.male)])
def test_sex_conflict(tables: CmsTables, code: str, sex: Sex) -> None:
    [edit] = run(tables, ["11004", code], sex=sex)
    assert (edit.kind, edit.severity, edit.codes) == ("sex_conflict", Severity.error, [code])
    assert "only" in edit.message


def test_no_sex_conflict_when_sex_matches_or_is_unknown(tables: CmsTables) -> None:
    assert run(tables, ["11004", "N49.3"], sex=Sex.male) == []
    assert run(tables, ["11004", "N49.3"], sex=None) == []


def test_non_billable_diagnosis(tables: CmsTables) -> None:
    [edit] = run(tables, ["11004", "N49"])
    assert (edit.kind, edit.severity, edit.codes) == ("icd10_not_billable", Severity.error, ["N49"])
    assert edit.source.startswith("ICD-10-CM ")


# --- over- and undercoding -------------------------------------------------------------------


@pytest.mark.parametrize("verdict", [Verdict.query, Verdict.not_supported])
def test_overcoding_when_11004_is_not_supported(tables: CmsTables, verdict: Verdict) -> None:
    [edit] = run(tables, ["11004"], verdict=verdict, recommended=[])
    assert (edit.kind, edit.severity, edit.codes) == ("overcoding", Severity.error, ["11004"])
    assert edit.source == "ruleset"


def test_wrong_code_when_another_family_code_is_recommended(tables: CmsTables) -> None:
    edits = run(tables, ["11004"], verdict=Verdict.not_supported, recommended=primary("11006"))
    assert kinds(edits) == ["wrong_code"]  # no separate undercoding edit for 11006
    assert edits[0].codes == ["11004", "11006"]
    assert edits[0].message.startswith("Wrong code: 11006 (larger field")


def test_undercoding_lower_code_claimed_when_11004_is_supported(tables: CmsTables) -> None:
    [edit] = run(tables, ["11043"])
    assert (edit.kind, edit.severity, edit.codes) == (
        "undercoding",
        Severity.warning,
        ["11043", "11004"],
    )
    assert "main service" in edit.message


def test_undercoding_recommended_primary_not_claimed(tables: CmsTables) -> None:
    [edit] = run(tables, ["44320"])
    assert (edit.kind, edit.codes) == ("undercoding", ["11004"])


def test_no_undercoding_toward_11004_unless_supported(tables: CmsTables) -> None:
    recommended = [RecommendedCode(code="11004", role=Role.consider)]
    assert run(tables, ["11042"], verdict=Verdict.query, recommended=recommended) == []


def test_separate_site_lower_code_is_not_undercoding(tables: CmsTables) -> None:
    recommended = [
        *primary("11004"),
        RecommendedCode(code="11043", modifiers=["XS"], role=Role.additional),
    ]
    edits = run(tables, ["11004", "11043-XS"], recommended=recommended, separate_site=True)
    assert [(e.kind, e.severity) for e in edits] == [("ptp_modifier_required", Severity.info)]


def test_messages_are_one_sentence_without_payment_amounts(tables: CmsTables) -> None:
    edits = [
        *run(tables, ["11004x2", "11006", "11008", "11046", "N76.82"], verdict=Verdict.query),
        *run(tables, ["11043", "97602"]),
    ]
    assert len(set(kinds(edits))) >= 6
    for edit in edits:
        assert edit.message.endswith(".") and "\n" not in edit.message
        assert "$" not in edit.message and "payment" not in edit.message.lower()
        assert edit.source
