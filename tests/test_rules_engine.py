"""The rule layer on constructed findings: each branch of ruleset v1."""

from __future__ import annotations

import pytest

from reviewer.decision import CriterionId, Role, Status, Verdict
from reviewer.findings import (
    Alignment,
    Area,
    Assertion,
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
    Sex,
    Site,
    SiteRole,
    Technique,
    TechniqueKind,
)
from reviewer.inputs.claim import parse_claimed
from reviewer.note.sentences import MAX_SENTENCE_CHARS
from reviewer.pipeline import review
from reviewer.rules.engine import decide
from tests.helpers import NoteBuilder


def supported_findings(
    n: NoteBuilder, *, region: Region = Region.scrotum, layer: Layer = Layer.fascia
) -> dict:
    return {
        "nsti": [
            NstiMention(
                evidence=n.ev("Fournier's gangrene", "postoperative_diagnosis"), type=NstiType.fournier
            )
        ],
        "sites": [Site(evidence=n.ev(region.value), region=region, role=SiteRole.debrided)],
        "techniques": [Technique(evidence=n.ev("sharply excised"), kind=TechniqueKind.excisional)],
        "layers": [LayerFinding(evidence=n.ev(layer.value), layer=layer, action=LayerAction.removed)],
    }


def statuses(decision) -> dict[CriterionId, Status]:
    return {c.id: c.status for c in decision.criteria}


def primary(decision) -> list[str]:
    return [c.code for c in decision.recommended_codes if c.role is Role.primary]


def test_all_four_met_is_supported_with_11004() -> None:
    n = NoteBuilder()
    d = decide(Findings(**supported_findings(n)), sex=Sex.male)
    assert d.verdict is Verdict.supported
    assert primary(d) == ["11004"]
    assert [i.code for i in d.icd10] == ["N49.3"]
    assert d.ruleset_version
    for c in d.criteria:
        for e in c.evidence:
            assert n.text[e.start : e.end] == e.quote


def test_unaligned_evidence_never_supports() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    bad = kw["nsti"][0].evidence.model_copy(update={"start": -1, "end": -1, "alignment": Alignment.unaligned})
    kw["nsti"] = [kw["nsti"][0].model_copy(update={"evidence": bad})]
    d = decide(Findings(**kw))
    assert d.verdict is not Verdict.supported
    assert statuses(d)[CriterionId.necrotizing_infection] is not Status.met


def test_evidence_from_risks_section_never_supports() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["nsti"] = [NstiMention(evidence=n.ev("Fournier's gangrene", "risks"), type=NstiType.fournier)]
    assert decide(Findings(**kw)).verdict is Verdict.not_supported


def test_genital_plus_abdominal_wall_is_11006() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["sites"] += [
        Site(evidence=n.ev("abdominal wall"), region=Region.abdominal_wall, role=SiteRole.debrided)
    ]
    d = decide(Findings(**kw))
    assert d.verdict is Verdict.not_supported
    assert primary(d) == ["11006"]


def test_abdominal_wall_only_is_11005_with_mesh_addon() -> None:
    n = NoteBuilder()
    kw = supported_findings(n, region=Region.abdominal_wall)
    kw["procedures"] = [
        OtherProcedure(evidence=n.ev("infected mesh was removed"), kind=ProcedureKind.mesh_removal)
    ]
    d = decide(Findings(**kw))
    assert primary(d) == ["11005"]
    assert [(c.code, c.role) for c in d.recommended_codes if c.code == "11008"] == [("11008", Role.add_on)]


def test_perianal_only_is_a_site_query() -> None:
    n = NoteBuilder()
    d = decide(Findings(**supported_findings(n, region=Region.perianal)))
    assert d.verdict is Verdict.query
    assert [q.topic for q in d.queries] == ["site"]


def test_subcutaneous_only_queries_depth_and_offers_11042() -> None:
    n = NoteBuilder()
    d = decide(Findings(**supported_findings(n, layer=Layer.subcutaneous)))
    assert d.verdict is Verdict.query
    assert statuses(d)[CriterionId.depth] is Status.unclear
    assert {c.code: c.role for c in d.recommended_codes}["11042"] is Role.consider
    q = next(q for q in d.queries if q.topic == "depth")
    assert "Unable to determine" in q.options and not any("11004" in o for o in q.options)


def test_suspected_nsti_confirmed_by_intraoperative_finding() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["nsti"] = [
        NstiMention(
            evidence=n.ev("rule out Fournier's gangrene", "preoperative_diagnosis"),
            assertion=Assertion.possible,
            type=NstiType.fournier,
        )
    ]
    unconfirmed = decide(Findings(**kw))
    assert unconfirmed.verdict is Verdict.query
    kw["nsti_indicators"] = [
        NstiIndicator(evidence=n.ev("dishwater fluid", "findings"), kind="dishwater_fluid")
    ]
    assert decide(Findings(**kw)).verdict is Verdict.supported


def test_separate_thigh_region_adds_11043_xs_and_area_addon() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["sites"] += [
        Site(
            evidence=n.ev("separate thigh wound"), region=Region.thigh, role=SiteRole.debrided, separate=True
        )
    ]
    kw["layers"] += [
        LayerFinding(
            evidence=n.ev("fascia lata"), layer=Layer.fascia, action=LayerAction.removed, region=Region.thigh
        )
    ]
    kw["areas"] = [Area(evidence=n.ev("12 x 5 cm"), sq_cm=60, region=Region.thigh)]
    d = decide(Findings(**kw))
    codes = {(c.code, c.role, tuple(c.modifiers), c.units) for c in d.recommended_codes}
    assert ("11004", Role.primary, (), 1) in codes
    assert ("11043", Role.additional, ("XS",), 1) in codes
    assert ("11046", Role.add_on, ("XS",), 2) in codes


def test_incision_and_drainage_only_suggests_drainage_code() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["techniques"] = [
        Technique(evidence=n.ev("incision and drainage"), kind=TechniqueKind.incision_drainage)
    ]
    kw["layers"] = []
    d = decide(Findings(**kw))
    assert d.verdict is Verdict.not_supported
    assert [(c.code, c.role) for c in d.recommended_codes] == [("55100", Role.consider)]


def test_not_nsti_but_excisional_is_11042_to_11044_by_depth() -> None:
    n = NoteBuilder()
    kw = supported_findings(n, layer=Layer.bone)
    kw["nsti"] = []
    d = decide(Findings(**kw))
    assert d.verdict is Verdict.not_supported
    assert primary(d) == ["11044"]


def test_overcoding_edit_when_11004_claimed_but_not_supported() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["nsti"] = []
    d = decide(Findings(**kw), claimed=parse_claimed(["11004"]))
    assert "overcoding" in {e.kind for e in d.edits}


def test_repeat_and_planned_are_two_flags() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["repeat"] = [RepeatDebridement(evidence=n.ev("second look", "plan"), kind=RepeatKind.planned)]
    assert [f.kind for f in decide(Findings(**kw)).flags] == ["planned_debridement"]
    kw["repeat"].append(
        RepeatDebridement(
            evidence=n.ev("s/p debridement x2", "preoperative_diagnosis"), kind=RepeatKind.today
        )
    )
    assert [f.kind for f in decide(Findings(**kw)).flags] == ["repeat_debridement", "planned_debridement"]
    # a return only under a condition is neither
    kw["repeat"] = [
        RepeatDebridement(
            evidence=n.ev("return to OR if worse", "plan"),
            kind=RepeatKind.planned,
            assertion=Assertion.possible,
        )
    ]
    assert decide(Findings(**kw)).flags == []


def test_a_dressing_change_after_debridements_repeats_nothing() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["techniques"] = [Technique(evidence=n.ev("dressing changed"), kind=TechniqueKind.packing_dressing)]
    kw["layers"] = []
    kw["repeat"] = [
        RepeatDebridement(evidence=n.ev("s/p debridement 6/2", "assessment"), kind=RepeatKind.today)
    ]
    assert decide(Findings(**kw)).flags == []


def test_a_region_the_title_names_but_the_narrative_only_inspected_is_not_in_the_field() -> None:
    n = NoteBuilder()
    kw = supported_findings(n, region=Region.abdominal_wall)
    kw["sites"] += [
        Site(evidence=n.ev("scrotum", "procedure"), region=Region.scrotum, role=SiteRole.debrided),
        Site(evidence=n.ev("scrotal wound", "description"), region=Region.scrotum, role=SiteRole.examined),
    ]
    d = decide(Findings(**kw), sex=Sex.male)
    assert primary(d) == ["11005"]


def test_documented_selective_debridement_is_not_supported_with_97597_by_debrided_area() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["techniques"] = [
        Technique(evidence=n.ev("selective debridement"), kind=TechniqueKind.selective),
        Technique(evidence=n.ev("debrided"), kind=TechniqueKind.debridement_unspecified),
    ]
    kw["layers"] = []
    kw["areas"] = [
        Area(evidence=n.ev("9 x 7 cm"), sq_cm=63),
        Area(evidence=n.ev("30 sq cm"), sq_cm=30, debrided=True),
    ]
    d = decide(Findings(**kw))
    assert d.verdict is Verdict.not_supported
    assert statuses(d)[CriterionId.excisional] is Status.not_met
    assert [(c.code, c.units) for c in d.recommended_codes] == [("97597", 1), ("97598", 1)]


def test_drainage_codes_by_space_procedure_and_count() -> None:
    n = NoteBuilder()
    kw = supported_findings(n, region=Region.ischiorectal)
    kw["techniques"] = [Technique(evidence=n.ev("incised and drained"), kind=TechniqueKind.incision_drainage)]
    kw["layers"] = []
    assert [c.code for c in decide(Findings(**kw)).recommended_codes] == ["46040"]
    kw["procedures"] = [OtherProcedure(evidence=n.ev("fistulotomy"), kind=ProcedureKind.fistulotomy)]
    assert [c.code for c in decide(Findings(**kw)).recommended_codes] == ["46060"]
    kw = supported_findings(n, region=Region.perineum)
    kw["techniques"] = [Technique(evidence=n.ev("incised and drained"), kind=TechniqueKind.incision_drainage)]
    kw["layers"] = []
    kw["procedures"] = [
        OtherProcedure(evidence=n.ev("two abscesses"), kind=ProcedureKind.incision_drainage_complex)
    ]
    assert [c.code for c in decide(Findings(**kw), sex=Sex.male).recommended_codes] == ["10061"]


def test_an_ischiorectal_abscess_opened_through_a_perianal_incision_is_46040_alone() -> None:
    from reviewer.pipeline import review

    text = (
        "PROCEDURE: Incision and drainage of left ischiorectal abscess. A large ischiorectal "
        "collection was drained through a perianal incision and packed."
    )
    codes = [c.code for c in review(text, sex="F").decision.recommended_codes]
    assert "46040" in codes and "46050" not in codes


def test_genital_necrosis_without_a_named_infection_is_queried_whatever_the_signs() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["nsti"] = [
        NstiMention(
            evidence=n.ev("necrotic scrotum", "preoperative_diagnosis"), type=NstiType.genital_gangrene
        )
    ]
    kw["nsti_indicators"] = [
        NstiIndicator(evidence=n.ev("dishwater fluid", "findings"), kind="dishwater_fluid")
    ]
    d = decide(Findings(**kw), sex=Sex.male)
    assert statuses(d)[CriterionId.necrotizing_infection] is Status.unclear
    assert d.verdict is Verdict.query
    assert [q.topic for q in d.queries] == ["necrotizing_infection"]


def test_a_suspicion_elsewhere_does_not_overrule_a_conclusion_of_unnamed_necrosis() -> None:
    """The postoperative diagnosis names necrosis and no infection; a suspected Fournier's in the
    preoperative part, with confirming signs, still leaves C1 unclear (never supported)."""
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["nsti"] = [
        NstiMention(
            evidence=n.ev("necrosis of the scrotal skin", "postoperative_diagnosis"),
            type=NstiType.genital_gangrene,
        ),
        NstiMention(
            evidence=n.ev("Fournier's gangrene", "preoperative_diagnosis"),
            type=NstiType.fournier,
            assertion=Assertion.possible,
        ),
    ]
    kw["nsti_indicators"] = [
        NstiIndicator(evidence=n.ev("dishwater fluid", "findings"), kind="dishwater_fluid")
    ]
    d = decide(Findings(**kw), sex=Sex.male)
    assert statuses(d)[CriterionId.necrotizing_infection] is Status.unclear
    assert d.verdict is Verdict.query
    assert d.icd10 == [] or all(i.code not in ("N49.3", "M72.6") for i in d.icd10)


def test_thigh_extension_not_called_separate_rides_inside_the_field() -> None:
    n = NoteBuilder()
    kw = supported_findings(n)
    kw["sites"] += [Site(evidence=n.ev("thigh"), region=Region.thigh, role=SiteRole.debrided)]
    d = decide(Findings(**kw))
    assert [c.code for c in d.recommended_codes] == ["11004"]
    assert "contiguous_extension" in [f.kind for f in d.flags]


def test_male_perineal_drainage_is_a_skin_abscess_code() -> None:
    n = NoteBuilder()
    kw = supported_findings(n, region=Region.perineum)
    kw["techniques"] = [
        Technique(evidence=n.ev("incision and drainage"), kind=TechniqueKind.incision_drainage)
    ]
    kw["layers"] = []
    assert [c.code for c in decide(Findings(**kw), sex=Sex.male).recommended_codes] == ["10060"]
    assert [c.code for c in decide(Findings(**kw), sex=Sex.female).recommended_codes] == ["56405"]


DOUBTED = [
    "DESCRIPTION: The necrotic scrotal skin and dartos fascia were possibly debrided.",
    "DESCRIPTION: Necrotic scrotal skin and dartos fascia debrided?",
    "DESCRIPTION: Incision and drainage of the scrotum. Debridement of the necrotic dartos fascia may "
    "have been done by the resident, unclear.",
    "DESCRIPTION: scrotum prepped and draped necrotic skin and dartos fascia were excised sharply with "
    "scissors and cautery the testes were inspected and viable irrigated with saline packed with dakins "
    "gauze to the recovery room stable estimated blood loss fifty milliliters specimens to pathology "
    "cultures sent patient tolerated well the wound will be rechecked in the morning by the team on call "
    "dressing changes twice daily and antibiotics per infectious disease recommendations continue the "
    "family was updated at the bedside by the attending surgeon and all questions were answered the "
    "nursing staff will keep the foley catheter in place until the next operation",
]


@pytest.mark.parametrize("description", DOUBTED, ids=["possibly", "question-mark", "may-have-been", "run-on"])
def test_a_debridement_named_but_not_clearly_done_is_queried_never_called_absent(description: str) -> None:
    """Ruleset decision doubted-debridement: "possibly debrided", "debrided?", run-on text.
    The excisional criterion is unclear (a query), neither met nor "no debridement"."""
    r = review("POSTOPERATIVE DIAGNOSIS: Fournier's gangrene of the scrotum.\n" + description + "\n")
    c3 = next(c for c in r.decision.criteria if c.id.value == "excisional")
    assert c3.status.value == "unclear", c3.reason
    assert "not say clearly" in c3.reason
    assert r.decision.verdict.value == "query"


def test_unpunctuated_text_is_named_in_the_warnings() -> None:
    assert len(DOUBTED[3]) > MAX_SENTENCE_CHARS  # the run-on example is longer than any sentence
    r = review("POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\nDESCRIPTION: " + DOUBTED[3] + "\n")
    assert any("no sentence punctuation" in w for w in r.warnings)
    clean = review("POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\nDESCRIPTION: Scrotal skin excised.\n")
    assert not any("punctuation" in w for w in clean.warnings)
