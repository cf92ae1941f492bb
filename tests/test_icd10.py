"""ICD-10-CM suggestions: NSTI by sex and site, sepsis, organisms, comorbidities, validation."""

from __future__ import annotations

import copy
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import simple_icd_10_cm as icd
import yaml

from reviewer.findings import (
    Alignment,
    Assertion,
    Comorbidity,
    Evidence,
    Findings,
    NstiIndicator,
    NstiMention,
    NstiType,
    Organism,
    Region,
    Sepsis,
    Sex,
    Site,
    SiteRole,
)
from reviewer.rules.icd10 import (
    is_billable,
    load_icd10_map,
    parse_icd10_map,
    sex_of_code,
    suggest_icd10,
)

ROOT = Path(__file__).resolve().parents[1]
_offset = 0


def ev(quote: str, section: str = "postoperative_diagnosis") -> Evidence:
    global _offset
    start = _offset
    _offset += len(quote) + 1
    return Evidence(quote=quote, start=start, end=start + len(quote), section=section)


FOURNIER = NstiMention(evidence=ev("Fournier's gangrene"), type=NstiType.fournier)
NEC_FASC = NstiMention(evidence=ev("necrotizing fasciitis"), type=NstiType.necrotizing_fasciitis)
GAS = NstiMention(evidence=ev("gas gangrene"), type=NstiType.gas_gangrene)
LABIA = Site(evidence=ev("left labia majora"), region=Region.labia, role=SiteRole.debrided)
PERINEUM = Site(evidence=ev("perineum"), region=Region.perineum, role=SiteRole.debrided)


def codes(findings: Findings, sex: Sex | None, confirmed: bool = True) -> list[str]:
    return [s.code for s in suggest_icd10(findings, sex, confirmed)]


def raw_map() -> dict[str, Any]:
    text = resources.files("reviewer.data").joinpath("icd10_map.yaml").read_text("utf-8")
    return copy.deepcopy(yaml.safe_load(text))


# --- NSTI ------------------------------------------------------------------------------------


def test_male_fournier_is_n49_3_valid_billable_with_title_from_the_package() -> None:
    [suggestion] = suggest_icd10(Findings(nsti=[FOURNIER]), Sex.male, True)
    assert suggestion.code == "N49.3"
    assert suggestion.billable is True
    assert icd.is_valid_item("N49.3") and icd.is_leaf("N49.3")
    assert suggestion.title == icd.get_description("N49.3")
    assert suggestion.evidence == [FOURNIER.evidence]
    assert "Fournier" in suggestion.reason


def test_female_fournier_of_the_vulva_is_n76_82_with_site_evidence() -> None:
    [suggestion] = suggest_icd10(Findings(nsti=[FOURNIER], sites=[LABIA]), Sex.female, True)
    assert suggestion.code == "N76.82"
    assert suggestion.title == icd.get_description("N76.82")
    assert suggestion.evidence == [FOURNIER.evidence, LABIA.evidence]


def test_female_fournier_of_the_perineum_only_is_m72_6() -> None:
    assert codes(Findings(nsti=[FOURNIER], sites=[PERINEUM]), Sex.female) == ["M72.6"]


def test_female_fournier_with_a_negated_vulvar_site_is_m72_6() -> None:
    negated = LABIA.model_copy(update={"assertion": Assertion.absent})
    assert codes(Findings(nsti=[FOURNIER], sites=[negated]), Sex.female) == ["M72.6"]


def test_sex_unknown_fournier_falls_back_to_m72_6() -> None:
    [suggestion] = suggest_icd10(Findings(nsti=[FOURNIER], sites=[LABIA]), None, True)
    assert suggestion.code == "M72.6"
    assert "sex" in suggestion.reason


def test_necrotizing_fasciitis_in_a_male_is_m72_6_not_n49_3() -> None:
    assert codes(Findings(nsti=[NEC_FASC], sites=[PERINEUM]), Sex.male) == ["M72.6"]


def test_fournier_and_necrotizing_fasciitis_give_one_nsti_code() -> None:
    assert codes(Findings(nsti=[NEC_FASC, FOURNIER]), Sex.male) == ["N49.3"]


def test_gas_gangrene_is_a48_0_and_adds_to_the_nsti_code() -> None:
    assert codes(Findings(nsti=[GAS]), Sex.male) == ["A48.0"]
    assert codes(Findings(nsti=[NEC_FASC, GAS]), None) == ["M72.6", "A48.0"]


def test_no_nsti_code_unless_confirmed() -> None:
    diabetes = Comorbidity(evidence=ev("type 2 diabetes", "history"), name="diabetes_type2")
    findings = Findings(nsti=[FOURNIER], comorbidities=[diabetes])
    assert codes(findings, Sex.male, confirmed=False) == ["E11.9"]


def test_working_diagnosis_confirmed_by_findings_is_m72_6() -> None:
    suspected = NstiMention(
        evidence=ev("possible Fournier's gangrene", "preoperative_diagnosis"),
        type=NstiType.fournier,
        assertion=Assertion.possible,
    )
    fluid = NstiIndicator(evidence=ev("dishwater fluid", "findings"), kind="dishwater_fluid")
    [suggestion] = suggest_icd10(Findings(nsti=[suspected], nsti_indicators=[fluid]), Sex.male, True)
    assert suggestion.code == "M72.6"
    assert suggestion.evidence == [suspected.evidence, fluid.evidence]


# --- sepsis, organisms, comorbidities --------------------------------------------------------


def test_septic_shock_with_e_coli_uses_the_specific_sepsis_code_in_stable_order() -> None:
    shock = Sepsis(evidence=ev("septic shock", "indications"), severity="septic_shock")
    e_coli = Organism(evidence=ev("E. coli", "findings"), name="e_coli")
    diabetes = Comorbidity(evidence=ev("diabetes", "history"), name="diabetes")
    findings = Findings(nsti=[FOURNIER], sepsis=[shock], organisms=[e_coli], comorbidities=[diabetes])
    suggestions = suggest_icd10(findings, Sex.male, True)
    assert [s.code for s in suggestions] == ["N49.3", "A41.51", "R65.21", "B96.20", "E11.9"]
    by_code = {s.code: s for s in suggestions}
    assert by_code["A41.51"].evidence == [shock.evidence, e_coli.evidence]
    assert by_code["B96.20"].evidence == [e_coli.evidence]
    for s in suggestions:
        assert s.billable and s.title == icd.get_description(s.code)
        assert s.reason.endswith(".") and "\n" not in s.reason


def test_sepsis_levels() -> None:
    def sepsis(severity: str) -> Findings:
        return Findings(sepsis=[Sepsis(evidence=ev(severity), severity=severity)])

    assert codes(sepsis("sepsis"), None) == ["A41.9"]
    assert codes(sepsis("severe_sepsis"), None) == ["A41.9", "R65.20"]
    assert codes(sepsis("septic_shock"), None) == ["A41.9", "R65.21"]


@pytest.mark.parametrize(
    ("organism", "sepsis_code", "organism_code"),
    [
        ("mrsa", "A41.02", "B95.62"),
        ("mssa", "A41.01", "B95.61"),
        ("group_a_strep", "A40.0", "B95.0"),
        ("klebsiella", "A41.59", "B96.1"),
        ("enterococcus", "A41.81", "B95.2"),
    ],
)
def test_named_organism_gives_specific_sepsis_and_organism_codes(
    organism: str, sepsis_code: str, organism_code: str
) -> None:
    findings = Findings(
        sepsis=[Sepsis(evidence=ev("sepsis"), severity="sepsis")],
        organisms=[Organism(evidence=ev(organism), name=organism)],
    )
    assert codes(findings, None) == [sepsis_code, organism_code]


def test_several_organisms_leave_sepsis_unspecified() -> None:
    findings = Findings(
        sepsis=[Sepsis(evidence=ev("sepsis"), severity="sepsis")],
        organisms=[
            Organism(evidence=ev("E. coli"), name="e_coli"),
            Organism(evidence=ev("Bacteroides fragilis"), name="bacteroides_fragilis"),
        ],
    )
    assert codes(findings, None) == ["A41.9", "B96.20", "B96.6"]


def test_excludes1_conflict_with_gas_gangrene_falls_back_to_a41_9() -> None:
    # A41.4 (sepsis due to anaerobes) carries Excludes1 gas gangrene (A48.0)
    findings = Findings(
        nsti=[GAS],
        sepsis=[Sepsis(evidence=ev("sepsis"), severity="sepsis")],
        organisms=[Organism(evidence=ev("C. perfringens"), name="clostridium_perfringens")],
    )
    assert codes(findings, Sex.male) == ["A48.0", "A41.9", "B96.7"]


def test_comorbidities() -> None:
    findings = Findings(
        comorbidities=[
            Comorbidity(evidence=ev("diabetic"), name="diabetes"),
            Comorbidity(evidence=ev("BMI 38"), name="obesity"),
            Comorbidity(evidence=ev("prednisone daily"), name="long_term_steroids"),
            Comorbidity(evidence=ev("HIV"), name="hiv"),
            Comorbidity(evidence=ev("not a real condition"), name="unknown_key"),
        ]
    )
    assert codes(findings, None, confirmed=False) == ["E11.9", "E66.9", "B20", "Z79.52"]


def test_a_specific_comorbidity_replaces_the_generic_one() -> None:
    findings = Findings(
        comorbidities=[
            Comorbidity(evidence=ev("type 1 diabetes"), name="diabetes_type1"),
            Comorbidity(evidence=ev("diabetes"), name="diabetes"),
            Comorbidity(evidence=ev("morbidly obese"), name="morbid_obesity"),
            Comorbidity(evidence=ev("obese"), name="obesity"),
        ]
    )
    suggestions = suggest_icd10(findings, None, False)
    assert [s.code for s in suggestions] == ["E10.9", "E66.01"]
    assert [e.quote for e in suggestions[0].evidence] == ["type 1 diabetes"]


def test_one_suggestion_per_code_with_all_its_evidence() -> None:
    findings = Findings(
        organisms=[
            Organism(evidence=ev("MSSA"), name="mssa"),
            Organism(evidence=ev("Staphylococcus aureus"), name="staph_aureus"),
        ]
    )
    [suggestion] = suggest_icd10(findings, None, False)
    assert suggestion.code == "B95.61"
    assert [e.quote for e in suggestion.evidence] == ["MSSA", "Staphylococcus aureus"]


def test_hiv_wins_over_drug_immunodeficiency_per_excludes1() -> None:
    findings = Findings(
        comorbidities=[
            Comorbidity(evidence=ev("on tacrolimus"), name="immunosuppression_drug"),
            Comorbidity(evidence=ev("HIV"), name="hiv"),
        ]
    )
    assert codes(findings, None, confirmed=False) == ["B20"]


def test_only_present_assertions_count() -> None:
    findings = Findings(
        nsti=[FOURNIER.model_copy(update={"assertion": Assertion.absent})],
        sepsis=[Sepsis(evidence=ev("sepsis"), severity="sepsis", assertion=Assertion.possible)],
        organisms=[Organism(evidence=ev("MRSA"), name="mrsa", assertion=Assertion.historical)],
        comorbidities=[
            Comorbidity(evidence=ev("HIV"), name="hiv", assertion=Assertion.other_person),
            Comorbidity(evidence=ev("obese"), name="obesity", assertion=Assertion.hypothetical),
        ],
    )
    assert codes(findings, Sex.male, confirmed=False) == []


# --- validation and sex ----------------------------------------------------------------------


def test_every_packaged_code_is_billable_in_the_installed_release() -> None:
    table = load_icd10_map()
    mapped = {table.nsti_fallback, table.sepsis_unspecified}
    mapped |= {rule.code for group in table.nsti_groups for rule in group.rules}
    mapped |= {o.code for o in table.organisms.values()}
    mapped |= {o.sepsis_code for o in table.organisms.values() if o.sepsis_code}
    mapped |= {level.code for level in table.sepsis_levels if level.code}
    mapped |= {c.code for c in table.comorbidities}
    assert sorted(code for code in mapped if not is_billable(code)) == []


def test_invalid_or_non_billable_mapped_codes_are_dropped() -> None:
    data = raw_map()
    data["organisms"]["e_coli"]["code"] = "B96.2"  # a heading, not a billable leaf
    data["organisms"]["mrsa"]["code"] = "B99.99"  # does not exist
    data["comorbidities"]["diabetes"]["code"] = "E11"  # category
    data["nsti"]["groups"][0]["rules"][0]["code"] = "N49.99"  # does not exist
    bad = parse_icd10_map(data)
    findings = Findings(
        nsti=[FOURNIER],
        organisms=[
            Organism(evidence=ev("E. coli"), name="e_coli"),
            Organism(evidence=ev("MRSA"), name="mrsa"),
        ],
        comorbidities=[Comorbidity(evidence=ev("diabetes"), name="diabetes")],
    )
    suggestions = suggest_icd10(findings, Sex.male, True, mapping=bad)
    assert [s.code for s in suggestions] == ["M72.6"]  # the NSTI slot falls back; others drop
    assert all(icd.is_valid_item(s.code) and icd.is_leaf(s.code) for s in suggestions)


def test_sex_inconsistent_code_is_never_returned() -> None:
    data = raw_map()
    data["nsti"]["groups"][0]["rules"][0]["code"] = "N76.82"  # female code on the male rule
    data["comorbidities"]["obesity"]["code"] = "N49.3"  # male code for any patient
    bad = parse_icd10_map(data)
    findings = Findings(
        nsti=[FOURNIER],
        sites=[LABIA],
        comorbidities=[Comorbidity(evidence=ev("obese"), name="obesity")],
    )
    for sex in (Sex.male, Sex.female, None):
        for suggestion in suggest_icd10(findings, sex, True, mapping=bad):
            assert sex_of_code(suggestion.code) in (None, sex)

    def coded(sex: Sex | None) -> list[str]:
        return [s.code for s in suggest_icd10(findings, sex, True, mapping=bad)]

    assert coded(Sex.male) == ["M72.6", "N49.3"]  # N76.82 refused; N49.3 fits a male
    assert coded(Sex.female) == ["N76.82"]  # N49.3 refused
    assert coded(None) == ["M72.6"]  # neither sex-specific code without a sex


def test_sex_of_code() -> None:
    assert sex_of_code("N49.3") is Sex.male
    assert sex_of_code("n48.21") is Sex.male
    assert sex_of_code("N76.82") is Sex.female
    assert sex_of_code("M72.6") is None
    assert sex_of_code("N39.0") is None


def test_malformed_mapping_is_reported() -> None:
    data = raw_map()
    del data["nsti"]
    with pytest.raises(ValueError, match="malformed"):
        parse_icd10_map(data)


def test_unaligned_evidence_never_yields_a_code() -> None:
    hallucinated = Evidence(quote="MRSA", start=-1, end=-1, alignment=Alignment.unaligned)
    findings = Findings(organisms=[Organism(evidence=hallucinated, name="mrsa")])
    assert codes(findings, None, confirmed=False) == []


def test_importing_the_rules_loads_no_icd10_release() -> None:
    script = (
        "import sys, reviewer.rules.icd10, reviewer.rules.edits\n"
        "assert 'simple_icd_10_cm' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)


@pytest.mark.parametrize(
    "wording",
    ["poorly controlled diabetes", "uncontrolled type 2 diabetes", "diabetes mellitus, poorly controlled"],
)
def test_poorly_controlled_diabetes_is_diabetes_with_hyperglycemia(wording: str) -> None:
    """The ICD-10-CM index: diabetes "poorly controlled" or "uncontrolled" (hyperglycemia) is E11.65."""
    from reviewer.pipeline import review

    r = review(
        f"HISTORY: 60-year-old man with {wording}.\nPROCEDURE: Incision and drainage of thigh abscess.\n"
    )
    codes = [s.code for s in r.decision.icd10]
    assert "E11.65" in codes and "E11.9" not in codes
