"""The ruleset's decisions (reviewer/data/ruleset_v1.yaml, `decisions:`) that no other unit test
exercised: each test states the behaviour its decision names, on constructed findings or a short
synthetic note, and fails if that behaviour were removed. The ruleset names these tests
(tests/test_ruleset_decisions.py checks that every decision has one)."""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.decision import CriterionId, Decision, Role, Status, Verdict
from reviewer.extract.rules import RulesExtractor
from reviewer.findings import (
    Area,
    Assertion,
    Comorbidity,
    Findings,
    Layer,
    LayerAction,
    LayerFinding,
    NstiIndicator,
    NstiMention,
    NstiType,
    OtherProcedure,
    ProcedureKind,
    Region,
    RepeatDebridement,
    RepeatKind,
    Sepsis,
    Sex,
    SexBasis,
    SexStatement,
    Site,
    SiteRole,
    Technique,
    TechniqueKind,
)
from reviewer.inputs.claim import parse_claimed
from reviewer.note import Note
from reviewer.pipeline import review
from reviewer.rules.cms import load_tables
from reviewer.rules.edits import claim_edits
from reviewer.rules.engine import decide
from reviewer.rules.sex import note_sex
from tests.helpers import NoteBuilder


def extract(text: str) -> Findings:
    return RulesExtractor().extract(Note(text)).findings


def statuses(d: Decision) -> dict[CriterionId, Status]:
    return {c.id: c.status for c in d.criteria}


def c1(d: Decision) -> Status:
    return statuses(d)[CriterionId.necrotizing_infection]


def codes(d: Decision) -> list[tuple[str, Role]]:
    return [(c.code, c.role) for c in d.recommended_codes]


def treated(
    n: NoteBuilder, *, region: Region = Region.scrotum, layer: Layer = Layer.fascia
) -> dict[str, Any]:
    """A site, an excisional technique and a layer removed, all in the narrative: C2-C4 met."""
    return {
        "sites": [Site(evidence=n.ev(region.value), region=region, role=SiteRole.debrided)],
        "techniques": [Technique(evidence=n.ev("sharply excised"), kind=TechniqueKind.excisional)],
        "layers": [LayerFinding(evidence=n.ev(layer.value), layer=layer, action=LayerAction.removed)],
    }


def fournier(n: NoteBuilder, section: str, assertion: Assertion = Assertion.present) -> NstiMention:
    return NstiMention(
        evidence=n.ev("Fournier's gangrene", section), type=NstiType.fournier, assertion=assertion
    )


def crepitus(n: NoteBuilder) -> NstiIndicator:
    return NstiIndicator(evidence=n.ev("crepitus", "findings"), kind="crepitus_gas")


# --- C1 --------------------------------------------------------------------------------------


def test_postop_same_carries_a_preoperative_nsti_into_c1() -> None:
    """postop-same-confirms"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, "preoperative_diagnosis")]
    assert c1(decide(Findings(**kw))) is Status.unclear
    same = n.ev("Same", "postoperative_diagnosis")
    d = decide(Findings(**kw, postop_same_as_preop=same))
    assert c1(d) is Status.met
    assert same in d.criteria[0].evidence


@pytest.mark.parametrize("section", ["preoperative_diagnosis", "indications", "hpi", "exam"])
def test_a_working_diagnosis_needs_intraoperative_confirmation(section: str) -> None:
    """working-diagnosis-sections"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, section)]
    assert c1(decide(Findings(**kw))) is Status.unclear
    kw["nsti_indicators"] = [crepitus(n)]
    assert c1(decide(Findings(**kw))) is Status.met


@pytest.mark.parametrize("section", ["postoperative_diagnosis", "findings", "description", "procedure"])
def test_an_nsti_named_in_the_account_of_the_operation_meets_c1(section: str) -> None:
    """working-diagnosis-sections: the other side, no intraoperative sign needed."""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, section)]
    assert c1(decide(Findings(**kw))) is Status.met


def test_a_negation_at_operation_outweighs_a_preoperative_suspicion() -> None:
    """postop-negation-wins"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, "preoperative_diagnosis", Assertion.possible)]
    kw["nsti_indicators"] = [crepitus(n)]
    assert c1(decide(Findings(**kw))) is Status.met
    kw["nsti"].append(fournier(n, "postoperative_diagnosis", Assertion.absent))
    d = decide(Findings(**kw))
    assert c1(d) is Status.not_met
    assert d.verdict is Verdict.not_supported


def test_an_uncertain_conclusion_stays_unclear_whatever_the_signs() -> None:
    """postop-uncertain-stays-unclear"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti_indicators"] = [crepitus(n)]
    kw["nsti"] = [fournier(n, "indications", Assertion.possible)]
    assert c1(decide(Findings(**kw))) is Status.met  # a suspicion before the operation: confirmed
    for section in ("postoperative_diagnosis", "findings", "description", "assessment"):
        kw["nsti"] = [fournier(n, section, Assertion.possible)]
        d = decide(Findings(**kw))
        assert c1(d) is Status.unclear, section
        assert d.verdict is Verdict.query


def test_unnamed_genital_necrosis_is_read_as_such_and_queried_with_its_indicators() -> None:
    """genital-necrosis-unnamed"""
    f = extract("FINDINGS: Necrotic scrotum with crepitus.\n")
    assert [m.type for m in f.nsti] == [NstiType.genital_gangrene]
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [
        NstiMention(
            evidence=n.ev("scrotal gangrene", "postoperative_diagnosis"), type=NstiType.genital_gangrene
        )
    ]
    kw["nsti_indicators"] = [crepitus(n)]
    kw["sepsis"] = [Sepsis(evidence=n.ev("sepsis", "indications"), severity="sepsis")]
    kw["comorbidities"] = [Comorbidity(evidence=n.ev("diabetes", "indications"), name="diabetes")]
    d = decide(Findings(**kw), sex=Sex.male)
    assert c1(d) is Status.unclear
    [query] = d.queries
    assert query.topic == "necrotizing_infection"
    assert {"scrotal gangrene", "crepitus", "sepsis", "diabetes"} <= {e.quote for e in query.indicators}


# --- C2: the debrided field ------------------------------------------------------------------


def test_a_site_described_as_necrotic_in_the_operation_is_the_debrided_field() -> None:
    """site-from-necrotic-field: the extractor's roles, then the field they give."""
    f = extract(
        "PREOPERATIVE DIAGNOSIS: Fournier's gangrene of the perineum.\n"
        "FINDINGS: The scrotum was necrotic and foul smelling.\n"
    )
    assert {(s.region, s.role) for s in f.sites} == {
        (Region.perineum, SiteRole.mentioned),
        (Region.scrotum, SiteRole.involved),
    }
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    kw["sites"] = [
        Site(evidence=n.ev("scrotum", "findings"), region=Region.scrotum, role=SiteRole.involved),
        Site(evidence=n.ev("lower abdomen"), region=Region.abdominal_wall, role=SiteRole.mentioned),
    ]
    d = decide(Findings(**kw))
    assert statuses(d)[CriterionId.site] is Status.met
    assert [e.quote for e in d.criteria[1].evidence] == ["scrotum"]
    kw["sites"] = [
        Site(
            evidence=n.ev("scrotum", "preoperative_diagnosis"), region=Region.scrotum, role=SiteRole.mentioned
        )
    ]
    d = decide(Findings(**kw))
    assert statuses(d)[CriterionId.site] is Status.unclear
    assert [q.topic for q in d.queries] == ["site"]


def test_a_narrative_naming_only_genital_sites_is_the_field() -> None:
    """single-field-narrative"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    kw["sites"] = [Site(evidence=n.ev("scrotum"), region=Region.scrotum, role=SiteRole.mentioned)]
    d = decide(Findings(**kw))
    assert statuses(d)[CriterionId.site] is Status.met
    assert d.verdict is Verdict.supported
    kw["sites"].append(
        Site(evidence=n.ev("lower abdomen"), region=Region.abdominal_wall, role=SiteRole.mentioned)
    )
    d = decide(Findings(**kw))
    assert statuses(d)[CriterionId.site] is Status.unclear
    assert [q.topic for q in d.queries] == ["site"]


def test_a_region_only_inspected_or_washed_out_is_examined() -> None:
    """field-needs-removal: the extractor's side."""
    f = extract("DESCRIPTION: The scrotal wound was inspected, found clean and washed out.\n")
    assert [(s.region, s.role) for s in f.sites] == [(Region.scrotum, SiteRole.examined)]


def test_nothing_treated_leaves_no_site_and_no_layer() -> None:
    """nothing-treated"""
    n = NoteBuilder()
    nsti = [fournier(n, "postoperative_diagnosis")]
    packing = [Technique(evidence=n.ev("wound packed"), kind=TechniqueKind.packing_dressing)]
    d = decide(Findings(nsti=nsti, techniques=packing))
    assert statuses(d) == {
        CriterionId.necrotizing_infection: Status.met,
        CriterionId.site: Status.not_met,
        CriterionId.excisional: Status.not_met,
        CriterionId.depth: Status.not_met,
    }
    drained = [Technique(evidence=n.ev("incised and drained"), kind=TechniqueKind.incision_drainage)]
    d = decide(Findings(nsti=nsti, techniques=drained))
    assert statuses(d)[CriterionId.site] is Status.unclear
    assert statuses(d)[CriterionId.depth] is Status.not_met


# --- C3/C4: technique and depth --------------------------------------------------------------


def test_a_layer_cut_for_a_biopsy_is_not_removed() -> None:
    """biopsy-is-not-debridement"""
    sampled = extract("DESCRIPTION: A biopsy of the fascia was excised and sent for frozen section.\n")
    assert [(x.layer, x.action) for x in sampled.layers] == [(Layer.fascia, LayerAction.exposed)]
    excised = extract("DESCRIPTION: The fascia was excised.\n")
    assert [(x.layer, x.action) for x in excised.layers] == [(Layer.fascia, LayerAction.removed)]
    for sample in (
        "DESCRIPTION: A 1 x 1 cm sample of fascia was excised for culture.\n",
        "DESCRIPTION: Fascial specimen excised and sent to pathology.\n",
        "DESCRIPTION: A piece of fascia was excised for Gram stain.\n",
    ):
        assert [x.action for x in extract(sample).layers] == [LayerAction.exposed], sample
    debrided = extract(
        "DESCRIPTION: Necrotic fascia was excised and sent for culture; specimens to pathology.\n"
    )
    assert [x.action for x in debrided.layers] == [LayerAction.removed]


def test_necrotic_fascia_and_all_necrotic_tissue_excised_is_fascia_removed() -> None:
    """all-necrotic-tissue-depth"""
    n = NoteBuilder()
    kw = treated(n, layer=Layer.subcutaneous)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    necrotic = LayerFinding(
        evidence=n.ev("necrotic fascia", "findings"), layer=Layer.fascia, action=LayerAction.necrotic
    )
    kw["layers"].append(necrotic)
    assert statuses(decide(Findings(**kw)))[CriterionId.depth] is Status.unclear
    sweep = Technique(
        evidence=n.ev("all necrotic tissue was excised"),
        kind=TechniqueKind.excisional,
        all_necrotic_tissue=True,
    )
    kw["techniques"] = [sweep]
    d = decide(Findings(**kw))
    depth = d.criteria[3]
    assert depth.status is Status.met
    assert {necrotic.evidence, sweep.evidence} <= set(depth.evidence)
    assert d.verdict is Verdict.supported


@pytest.mark.parametrize(
    "named",
    [
        "external oblique aponeurosis",
        "rectus sheath",
        "Buck's fascia",
        "Colles' fascia",
        "Scarpa's fascia",
        "dartos fascia",
        "Gallaudet's fascia",
        "fascia lata",
    ],
)
def test_aponeuroses_and_named_fasciae_are_fascia(named: str) -> None:
    """depth-words"""
    f = extract(f"DESCRIPTION: The necrotic {named} was excised.\n")
    assert [(x.layer, x.action) for x in f.layers] == [(Layer.fascia, LayerAction.removed)]


def test_debrided_muscle_is_muscle_and_down_to_fascia_is_not_removal() -> None:
    """depth-words"""
    muscle = extract("DESCRIPTION: Necrotic muscle was debrided.\n")
    assert [(x.layer, x.action) for x in muscle.layers] == [(Layer.muscle, LayerAction.removed)]
    down_to = extract("DESCRIPTION: The scrotum was debrided down to healthy fascia.\n")
    assert [(x.layer, x.action) for x in down_to.layers] == [(Layer.fascia, LayerAction.exposed)]


def test_a_layer_is_removed_only_through_a_removal_verb_stated_as_done() -> None:
    """affirmed-today: the layer is present, its excision was deferred."""
    deferred = extract("DESCRIPTION: Necrotic fascia of the scrotum was noted; its excision was deferred.\n")
    assert [(x.layer, x.assertion, x.action) for x in deferred.layers] == [
        (Layer.fascia, Assertion.present, LayerAction.necrotic)
    ]
    done = extract("DESCRIPTION: Necrotic fascia of the scrotum was noted and excised.\n")
    assert [(x.layer, x.action) for x in done.layers] == [(Layer.fascia, LayerAction.removed)]


# --- codes -----------------------------------------------------------------------------------


def test_an_unplanned_return_after_a_prior_colostomy_is_78_a_staged_one_58() -> None:
    """global-modifier"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    today = RepeatDebridement(
        evidence=n.ev("return to the operating room", "procedure"), kind=RepeatKind.today
    )
    colostomy = OtherProcedure(
        evidence=n.ev("colostomy", "indications"),
        kind=ProcedureKind.colostomy,
        assertion=Assertion.historical,
    )

    def modifiers(**more: Any) -> list[str]:
        d = decide(Findings(**kw, **more))
        return next(c.modifiers for c in d.recommended_codes if c.code == "11004")

    assert modifiers(repeat=[today], procedures=[colostomy]) == ["78"]
    staged = today.model_copy(update={"staged": True})
    assert modifiers(repeat=[staged], procedures=[colostomy]) == ["58"]
    assert modifiers(repeat=[today]) == []  # no procedure with a 90-day global before today
    assert modifiers(procedures=[colostomy]) == []  # not a repeat debridement
    # A later debridement planned (or ruled out, or conditional) says nothing about whether
    # today's return was planned: still 78.
    for assertion in (Assertion.present, Assertion.absent, Assertion.hypothetical):
        later = RepeatDebridement(
            evidence=n.ev("second look in 48 hours", "plan"), kind=RepeatKind.planned, assertion=assertion
        )
        assert modifiers(repeat=[today, later], procedures=[colostomy]) == ["78"]


def test_queries_are_not_drafted_when_no_answer_could_make_an_nsti_code_billable() -> None:
    """queries-that-matter"""
    n = NoteBuilder()
    kw = treated(n, layer=Layer.subcutaneous)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    kw["areas"] = [Area(evidence=n.ev("6 x 5 cm"), sq_cm=30)]  # no area query for 11042
    assert [q.topic for q in decide(Findings(**kw)).queries] == ["depth"]
    kw["nsti"] = [fournier(n, "postoperative_diagnosis", Assertion.absent)]
    assert decide(Findings(**kw)).queries == []
    drained = [Technique(evidence=n.ev("incised and drained"), kind=TechniqueKind.incision_drainage)]
    d = decide(Findings(nsti=[fournier(n, "postoperative_diagnosis")], techniques=drained))
    assert statuses(d)[CriterionId.site] is Status.unclear
    assert d.queries == []


@pytest.mark.parametrize(
    ("region", "sex", "code"),
    [
        (Region.penis, Sex.male, "54015"),
        (Region.scrotum, Sex.male, "55100"),
        (Region.vulva, Sex.female, "56405"),
        (Region.labia, Sex.female, "56405"),
        (Region.perineum, Sex.female, "56405"),
        (Region.bartholin_gland, Sex.female, "56420"),
        (Region.perianal, Sex.male, "46050"),
        (Region.ischiorectal, Sex.female, "46040"),
        (Region.thigh, Sex.male, "10060"),
    ],
)
def test_drainage_only_offers_the_drainage_code_of_the_region(region: Region, sex: Sex, code: str) -> None:
    """drainage-by-site"""
    n = NoteBuilder()
    kw = {
        "sites": [Site(evidence=n.ev(region.value), region=region, role=SiteRole.debrided)],
        "techniques": [Technique(evidence=n.ev("incised and drained"), kind=TechniqueKind.incision_drainage)],
    }
    d = decide(Findings(**kw), sex=sex)
    assert d.verdict is Verdict.not_supported
    assert codes(d) == [(code, Role.consider)]


def test_an_incision_that_releases_pus_is_a_drainage() -> None:
    """drainage-by-site"""
    f = extract("DESCRIPTION: An incision over the scrotum released 10 mL of pus.\n")
    assert [t.kind for t in f.techniques] == [TechniqueKind.incision_drainage]


def test_an_unclear_criterion_offers_the_family_code_to_consider() -> None:
    """family-code-needs-all"""
    n = NoteBuilder()
    kw = treated(n, region=Region.abdominal_wall)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    assert ("11005", Role.primary) in codes(decide(Findings(**kw)))
    kw["layers"] = [
        LayerFinding(evidence=n.ev("subcutaneous fat"), layer=Layer.subcutaneous, action=LayerAction.removed)
    ]
    d = decide(Findings(**kw))
    assert statuses(d)[CriterionId.depth] is Status.unclear
    assert ("11005", Role.consider) in codes(d)
    assert ("11005", Role.primary) not in codes(d)


def test_an_nsti_debrided_outside_the_field_is_billed_by_depth() -> None:
    """non-family-site-nsti"""
    n = NoteBuilder()
    kw = treated(n, region=Region.thigh, layer=Layer.muscle)
    kw["nsti"] = [
        NstiMention(
            evidence=n.ev("necrotizing fasciitis", "postoperative_diagnosis"),
            type=NstiType.necrotizing_fasciitis,
        )
    ]
    d = decide(Findings(**kw))
    assert c1(d) is Status.met
    assert statuses(d)[CriterionId.site] is Status.not_met
    assert codes(d) == [("11043", Role.primary)]


def test_a_separate_region_is_coded_by_the_layers_removed_there() -> None:
    """separate-region-depth"""
    n = NoteBuilder()
    kw = treated(n)  # fascia removed in the scrotum
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    kw["sites"].append(
        Site(
            evidence=n.ev("separate thigh wound"), region=Region.thigh, role=SiteRole.debrided, separate=True
        )
    )
    thigh_fat = LayerFinding(
        evidence=n.ev("thigh fat"), layer=Layer.subcutaneous, action=LayerAction.removed, region=Region.thigh
    )
    kw["layers"].append(thigh_fat)
    d = decide(Findings(**kw))
    assert [(c.code, c.modifiers) for c in d.recommended_codes if c.role is Role.additional] == [
        ("11042", ["XS"])
    ]
    # no sentence names the thigh: the deepest layer removed outside the genital field
    kw["layers"][-1] = LayerFinding(evidence=n.ev("muscle"), layer=Layer.muscle, action=LayerAction.removed)
    d = decide(Findings(**kw))
    assert [(c.code, c.modifiers) for c in d.recommended_codes if c.role is Role.additional] == [
        ("11043", ["XS"])
    ]


def test_a_suspected_nsti_with_an_excision_offers_the_depth_code_beside_11004() -> None:
    """suspected-nsti-offers-depth-code"""
    n = NoteBuilder()
    kw = treated(n)
    kw["nsti"] = [fournier(n, "preoperative_diagnosis", Assertion.possible)]
    d = decide(Findings(**kw))
    assert c1(d) is Status.unclear
    assert codes(d) == [("11004", Role.consider), ("11043", Role.consider)]


# --- history, repeats, sex, claims -----------------------------------------------------------


@pytest.mark.parametrize("section", ["history", "indications"])
def test_a_procedure_told_in_the_history_or_indications_is_not_todays(section: str) -> None:
    """history-is-not-today: on findings stated as present (as a model might return them)."""
    n = NoteBuilder()
    kw = {
        "nsti": [fournier(n, "postoperative_diagnosis")],
        "sites": [Site(evidence=n.ev("perianal"), region=Region.perianal, role=SiteRole.debrided)],
        "techniques": [
            Technique(evidence=n.ev("incised and drained"), kind=TechniqueKind.incision_drainage),
            Technique(evidence=n.ev("excisional debridement", section), kind=TechniqueKind.excisional),
        ],
        "layers": [
            LayerFinding(evidence=n.ev("fascia", section), layer=Layer.fascia, action=LayerAction.removed)
        ],
    }
    d = decide(Findings(**kw))
    assert statuses(d)[CriterionId.excisional] is Status.not_met
    assert codes(d) == [("46050", Role.consider)]


def test_a_site_told_in_the_history_is_not_in_the_field() -> None:
    """history-is-not-today: on a finding stated as present (as a model might return it)."""
    n = NoteBuilder()
    kw = treated(n, region=Region.perianal)
    kw["nsti"] = [fournier(n, "postoperative_diagnosis")]
    assert statuses(decide(Findings(**kw)))[CriterionId.site] is Status.unclear
    kw["sites"].append(
        Site(evidence=n.ev("scrotum", "history"), region=Region.scrotum, role=SiteRole.debrided)
    )
    assert statuses(decide(Findings(**kw)))[CriterionId.site] is Status.unclear


def test_history_never_gives_todays_procedure() -> None:
    """history-is-not-today: history headers, unlisted history-like headers, a dated HPI."""
    today = "PROCEDURE: Incision and drainage of perianal abscess.\nDESCRIPTION: The perianal abscess was incised and drained.\n"
    for history in (
        "PAST SURGICAL HISTORY: Excisional debridement of necrotic scrotal skin and fascia for Fournier's gangrene.\n",
        "PRIOR SURGERIES: Excisional debridement of necrotic scrotal skin and fascia for Fournier's gangrene.\n",
        "HPI: Excisional debridement of necrotic scrotal skin and fascia for Fournier's gangrene in 2015.\n",
    ):
        d = review(history + today, sex="M").decision
        assert statuses(d)[CriterionId.excisional] is Status.not_met, history
        assert d.verdict is Verdict.not_supported
        assert codes(d) == [("46050", Role.consider)]


def test_a_repeat_is_told_apart_from_the_index_operation_and_another_episode() -> None:
    """repeat-vs-index: the extractor's side."""
    narrative = "DESCRIPTION: Necrotic scrotal skin was excised.\n"
    after = extract(narrative + "IMPRESSION: Fournier's gangrene s/p debridement.\n")
    assert [(r.kind, r.assertion) for r in after.repeat] == [(RepeatKind.today, Assertion.possible)]
    before = extract("INDICATIONS: Fournier's gangrene s/p debridement x2.\n" + narrative)
    assert {(r.kind, r.assertion) for r in before.repeat} == {(RepeatKind.today, Assertion.present)}
    years = extract("INDICATIONS: He had a prior debridement of a perianal abscess years ago.\n" + narrative)
    assert [(r.kind, r.assertion) for r in years.repeat] == [(RepeatKind.today, Assertion.historical)]
    conditional = extract(narrative + "PLAN: Return to OR if worsening.\n")
    assert [(r.kind, r.assertion) for r in conditional.repeat] == [(RepeatKind.planned, Assertion.possible)]


def _clue(n: NoteBuilder, word: str, sex: Sex, basis: SexBasis) -> SexStatement:
    return SexStatement(evidence=n.ev(word, "indications"), sex=sex, basis=basis)


def test_the_note_tells_the_sex_by_stated_words_then_anatomy_then_pronouns() -> None:
    """sex-from-note"""
    n = NoteBuilder()
    stated = _clue(n, "Mrs.", Sex.female, SexBasis.stated)
    anatomy = _clue(n, "scrotum", Sex.male, SexBasis.anatomy)
    pronoun = _clue(n, "she", Sex.female, SexBasis.pronoun)
    assert note_sex(Findings(sex=[anatomy, stated, pronoun]))[0] is Sex.female
    assert note_sex(Findings(sex=[pronoun, anatomy]))[0] is Sex.male
    assert note_sex(Findings(sex=[pronoun]))[0] is Sex.female
    labia = _clue(n, "labia", Sex.female, SexBasis.anatomy)
    assert note_sex(Findings(sex=[anatomy, labia]))[0] is None  # anatomy pointing both ways
    # pronouns count only when one sex clearly outnumbers the other
    told = extract("HPI: He reports pain. His wound drains and he has fever.\n")
    assert {(s.sex, s.basis) for s in told.sex} == {(Sex.male, SexBasis.pronoun)}
    assert extract("HPI: He reports pain; she called.\n").sex == []


def test_a_well_formed_code_the_tables_do_not_know_is_an_unknown_code_warning() -> None:
    """claim-edit-wording"""
    edits = claim_edits(
        parse_claimed(["11004", "99999"]),
        verdict=Verdict.supported,
        recommended=[],
        sex=Sex.male,
        tables=load_tables(),
    )
    unknown = [e for e in edits if e.kind == "unknown_code"]
    assert [(e.codes, e.severity.value) for e in unknown] == [(["99999"], "warning")]
    assert "99999" in unknown[0].message


@pytest.mark.parametrize(
    "wiped",
    [
        "The fascia was debrided with a moist gauze.",
        "The fascia was debrided by scrubbing.",
        "Fascia debrided with a brush and irrigated.",
    ],
)
def test_a_layer_wiped_scrubbed_or_washed_is_not_removed(wiped: str) -> None:
    """documented-nonexcisional"""
    assert [x.action for x in extract(f"DESCRIPTION: {wiped}\n").layers] != [LayerAction.removed]
    cut = extract("DESCRIPTION: The fascia was excised with scissors and wiped with a moist gauze.\n")
    assert [x.action for x in cut.layers] == [LayerAction.removed]
