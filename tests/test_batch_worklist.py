"""The worklist: each note's findings against its intended claim, and the dollars at stake."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer import review
from reviewer.batch.cache import from_bytes, to_bytes
from reviewer.batch.fees import load_fees
from reviewer.batch.work import WorkerSetup, prepare, review_task
from reviewer.batch.worklist import (
    FINDINGS,
    FindingKind,
    Found,
    Risk,
    classify,
    item_from_json,
    item_to_json,
    make_item,
    query_text,
)
from reviewer.decision import Edit, RecommendedCode, Role, Severity
from reviewer.extract.rules import RulesExtractor
from reviewer.note import Note
from reviewer.pipeline import decide_checked, extract_checked
from reviewer.rules.cms import load_tables

SEED = Path("eval/samples/seed-fournier.txt").read_text(encoding="utf-8")
DRAINAGE = (
    "OPERATIVE NOTE\nPREOPERATIVE DIAGNOSIS: Scrotal abscess.\nPOSTOPERATIVE DIAGNOSIS: Same.\n"
    "PROCEDURE: Incision and drainage of scrotal abscess.\nDESCRIPTION: A 3 cm fluctuant abscess of the left "
    "hemiscrotum was incised and 10 mL of pus was drained. The cavity was irrigated and packed. No necrotic "
    "tissue. No debridement was performed.\n"
)
FEES = load_fees()
VALUE_11004 = round(16.91 * 32.3465, 2)  # facility total RVU (PFS 2025) x CY2025 conversion factor


def kinds(text: str, claimed: list[str] | None, sex: str = "M") -> list[FindingKind]:
    r = review(text, sex=sex, claimed_codes=claimed or [])
    return [f.kind for f in classify(r, claimed, FEES, mue_limit=load_tables().mue)]


def test_fee_schedule_is_cms_data_with_its_source() -> None:
    assert FEES.conversion_factor == 32.3465 and FEES.year == "CY2025"
    assert FEES.dollars("11004") == VALUE_11004
    assert FEES.dollars("99999") is None
    assert "32.3465" in FEES.describe() and "CY2025" in FEES.describe()


@pytest.mark.parametrize(
    ("text", "claimed", "sex", "expected"),
    [
        (SEED, ["11004"], "M", [FindingKind.no_action]),
        (SEED, [], "M", [FindingKind.missed_revenue]),
        (SEED, ["11043"], "M", [FindingKind.missed_revenue]),
        (DRAINAGE, ["11004"], "M", [FindingKind.overcoding]),
        (SEED, ["11004", "11043"], "M", [FindingKind.bundled]),
        (SEED, ["11008"], "M", [FindingKind.addon_without_primary, FindingKind.missed_revenue]),
        (SEED, ["11004x2"], "M", [FindingKind.units_over_mue]),
        (SEED, ["11004", "N76.82"], "M", [FindingKind.sex_conflict]),
        (SEED, ["11004", "N49"], "M", [FindingKind.invalid_code]),
    ],
    ids=["clean", "nothing-claimed", "lower-code", "overcoding", "bundled", "addon", "mue", "sex", "invalid"],
)
def test_findings_against_the_claim(
    text: str, claimed: list[str], sex: str, expected: list[FindingKind]
) -> None:
    assert kinds(text, claimed, sex) == expected


def test_no_claim_given_means_nothing_to_compare() -> None:
    assert kinds(SEED, None) == [FindingKind.no_claim]
    assert kinds(DRAINAGE, None) == [FindingKind.no_claim]


def test_dollars_at_stake_and_risk() -> None:
    over = classify(review(DRAINAGE, claimed_codes=["11004"]), ["11004"], FEES)
    assert over[0].dollars == VALUE_11004 and over[0].risk is Risk.high
    missed = classify(review(SEED, claimed_codes=["11043"]), ["11043"], FEES)
    assert missed[0].dollars == round(VALUE_11004 - FEES.dollars("11043", 1), 2)  # type: ignore[operator]
    assert missed[0].risk is Risk.low
    mue = classify(review(SEED, claimed_codes=["11004x3"]), ["11004x3"], FEES, mue_limit=load_tables().mue)
    assert mue[0].dollars == round(2 * 16.91 * 32.3465, 2)  # two units over the MUE of 1


def test_edit_kinds_the_rule_layer_adds_are_classified() -> None:
    base = review(SEED, claimed_codes=["11004"])

    def with_edit(kind: str, codes: list[str]) -> FindingKind:
        edit = Edit(kind=kind, severity=Severity.error, codes=codes, message="m")
        decision = base.decision.model_copy(update={"edits": [edit]})
        return classify(base.model_copy(update={"decision": decision}), ["11004"], FEES)[0].kind

    assert with_edit("wrong_code", ["11004", "11005"]) is FindingKind.wrong_code
    assert with_edit("overcoding", ["11004", "11006"]) is FindingKind.wrong_code
    assert with_edit("unknown_code", ["1100X"]) is FindingKind.invalid_code
    assert with_edit("separate_site_not_documented", ["11004", "11043"]) is FindingKind.bundled
    assert with_edit("sex_contradicts_note", []) is FindingKind.sex_conflict
    assert with_edit("something_new", ["11004"]) is FindingKind.other_edit


def test_what_each_claim_edit_puts_at_stake() -> None:
    base = review(SEED, sex="M", claimed_codes=["11004"])

    def found(edit: Edit, claimed: list[str], recommended: list[RecommendedCode] | None = None) -> Found:
        update: dict[str, object] = {"edits": [edit]}
        if recommended is not None:
            update["recommended_codes"] = recommended
        decision = base.decision.model_copy(update=update)
        return classify(base.model_copy(update={"decision": decision}), claimed, FEES)[0]

    def edit(kind: str, codes: list[str], severity: Severity = Severity.error) -> Edit:
        return Edit(kind=kind, severity=severity, codes=codes, message="m")

    # An invalid or sex-conflicting diagnosis rejects the whole claim; an invalid procedure, its line.
    assert found(edit("icd10_not_billable", ["N49"]), ["11004", "N49"]).dollars == VALUE_11004
    assert found(edit("sex_conflict", ["N76.82"]), ["11004", "N76.82"]).dollars == VALUE_11004
    assert found(edit("unknown_code", ["11004"]), ["11004"]).dollars == VALUE_11004
    # An edit the worklist does not know: low risk when it is only information.
    assert found(edit("something_new", [], Severity.info), ["11004"]).risk is Risk.low
    assert found(edit("something_new", []), ["11004"]).risk is FINDINGS[FindingKind.other_edit].risk
    # A pair edit whose bypass modifier is claimed and whose separate site the review documents:
    # nothing to act on; without that documentation, the bundled code is at stake.
    pair = edit("ptp_modifier_required", ["11004", "11043"], Severity.info)
    separate = [
        RecommendedCode(code="11004", role=Role.primary),
        RecommendedCode(code="11043", modifiers=["XS"], role=Role.additional),
    ]
    assert found(pair, ["11004", "11043-XS"], separate).kind is FindingKind.no_action
    bundled = found(pair, ["11004", "11043-XS"], [RecommendedCode(code="11004", role=Role.primary)])
    assert bundled.kind is FindingKind.bundled and bundled.dollars == FEES.dollars("11043")
    assert bundled.reason.endswith("The review found no separate site documented for it.")


def test_a_query_verdict_asks_the_physician_with_a_copyable_query() -> None:
    text = (
        "POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\n"
        "PROCEDURE: Debridement of the scrotum and perineum.\n"
        "DESCRIPTION: Necrotic tissue of the scrotum and perineum was debrided.\n"
    )
    r = review(text, sex="M", claimed_codes=["11004"])
    assert r.decision.verdict.value == "query" and r.decision.queries
    found = classify(r, ["11004"], FEES)
    assert found[0].kind is FindingKind.needs_query and found[0].dollars == VALUE_11004
    query = query_text(r, "N-9", "2025-03-01")
    assert query.startswith("Physician query about the operative note N-9, date of service 2025-03-01.")
    assert "[ ] " in query and r.decision.queries[0].question in query


def test_a_cached_extraction_decides_like_a_fresh_one() -> None:
    """The batch cache stores the pipeline's checked extraction: deciding from it gives the
    same review as `review()` (the audit's clock aside)."""
    note = Note(SEED, id="s1")
    cached = from_bytes(to_bytes(extract_checked(RulesExtractor(), note)))
    batch = decide_checked(cached, note, sex="M", claimed_codes=["11004"])
    fresh = review(SEED, sex="M", claimed_codes=["11004"], note_id="s1")
    skip = {"audit": {"created_at"}}
    assert batch.model_dump(exclude=skip) == fresh.model_dump(exclude=skip)


def test_worklist_item_survives_json() -> None:
    r = review(SEED, sex="M", claimed_codes=["11043"])
    item = make_item("x", {"row": 3, "claimed_codes": ["11043"], "columns": {"payer": "P"}}, r, None)
    again = item_from_json(item_to_json(item))
    assert (
        again == item and again.primary.kind is FindingKind.missed_revenue and again.columns == {"payer": "P"}
    )


def test_review_task_never_raises_and_reports_error_rows() -> None:
    from reviewer.batch.rows import NoteRow
    from reviewer.batch.work import Task

    prepare(WorkerSetup())
    bad = review_task(Task(NoteRow(id="b", row=1, error="row 1: the note is empty")))
    assert bad.failed and '"status":"error"' in bad.line and "the note is empty" in bad.line
    good = review_task(Task(NoteRow(id="g", row=2, text=SEED, sex="M", claimed_codes=["11004"])))
    assert not good.failed and good.verdict == "supported" and good.payload and good.detail
