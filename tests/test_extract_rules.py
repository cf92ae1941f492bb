"""The deterministic extractor: what a coder relies on it to read correctly."""

import pytest

from reviewer.extract.rules import RulesExtractor
from reviewer.findings import Assertion, Findings, Layer, LayerAction, Region, SiteRole, TechniqueKind
from reviewer.note import Note


def extract(text: str) -> Findings:
    return RulesExtractor().extract(Note(text)).findings


def nsti_status(text: str) -> list[Assertion]:
    return [m.assertion for m in extract(text).nsti]


def test_every_evidence_quote_indexes_the_original_text() -> None:
    text = (
        "Postop dx: Fournier’s gangrene — scrotum.\nPROCEDURE: Sharp débridement of necrotic Colles’ fascia."
    )
    f = extract(text)
    assert f.evidence()
    for e in f.evidence():
        assert text[e.start : e.end] == e.quote


def test_negated_nsti() -> None:
    assert nsti_status("FINDINGS: No evidence of necrotizing fasciitis.") == [Assertion.absent]


def test_negation_does_not_cross_a_sentence_or_a_header() -> None:
    text = "Post-op dx: abscess, no scrotal extension\nProc: excisional debridement for Fournier's gangrene"
    assert nsti_status(text) == [Assertion.present]


def test_suspected_nsti() -> None:
    assert nsti_status("PREOPERATIVE DIAGNOSIS: Cellulitis, rule out necrotizing fasciitis.") == [
        Assertion.possible
    ]


def test_risks_section_is_hypothetical_and_history_is_historical() -> None:
    text = "RISKS DISCUSSED: bleeding, infection, Fournier's gangrene.\nPAST MEDICAL HISTORY: Fournier's gangrene 2019.\n"
    assert nsti_status(text) == [Assertion.hypothetical, Assertion.historical]


def test_may_progress_to_is_hypothetical() -> None:
    assert nsti_status("Scrotal cellulitis that may progress to Fournier's gangrene.") == [
        Assertion.hypothetical
    ]


def test_family_history() -> None:
    assert nsti_status("His brother had necrotizing fasciitis.") == [Assertion.other_person]


def test_down_to_healthy_fascia_is_exposed_not_removed() -> None:
    f = extract("DESCRIPTION: Necrotic skin and subcutaneous tissue were excised down to healthy fascia.")
    actions = {layer.layer.value: layer.action for layer in f.layers}
    assert actions == {
        "skin": LayerAction.removed,
        "subcutaneous": LayerAction.removed,
        "fascia": LayerAction.exposed,
    }


def test_down_to_and_including_fascia_is_removed() -> None:
    f = extract("DESCRIPTION: The scrotum was debrided down to and including the dartos fascia.")
    assert [layer.action for layer in f.layers] == [LayerAction.removed]


def test_unchecked_boxes_are_not_removed_layers() -> None:
    f = extract("Tissue removed (deepest): [ ] skin  [ ] subcutaneous  [X] fascia")
    removed = {layer.layer.value for layer in f.layers if layer.assertion is Assertion.present}
    assert removed == {"fascia"}


def test_excision_without_necrosis_is_not_a_debridement() -> None:
    f = extract("PROCEDURE: Excision of right hydrocele sac.")
    assert not [t for t in f.techniques if t.kind is TechniqueKind.excisional]


def test_excision_of_necrotic_tissue_is_excisional() -> None:
    f = extract("DESCRIPTION: All necrotic tissue of the scrotum was excised with scissors.")
    exc = [t for t in f.techniques if t.kind is TechniqueKind.excisional]
    assert exc and exc[0].all_necrotic_tissue


def test_selective_removal_of_slough_with_scissors_is_not_excisional() -> None:
    f = extract("Procedure: Loose slough was removed with forceps and scissors (selective debridement).")
    kinds = {t.kind for t in f.techniques}
    assert TechniqueKind.excisional not in kinds
    assert TechniqueKind.selective in kinds


@pytest.mark.parametrize(
    "text",
    [
        "Procedure: Yellow slough on the perineal wound base was selectively removed with forceps.",
        "Procedure: Fibrin over the granulating scrotal wound was gently lifted with forceps.",
        "Procedure: The wound bed was selectively debrided with scissors down to granulation.",
    ],
)
def test_surface_tissue_removed_selectively_is_selective(text: str) -> None:
    kinds = {t.kind for t in extract(text).techniques}
    assert TechniqueKind.selective in kinds and TechniqueKind.excisional not in kinds


def test_site_roles_and_laterality() -> None:
    text = (
        "POSTOPERATIVE DIAGNOSIS: Cellulitis of the thigh.\n"
        "DESCRIPTION: The left hemiscrotum was sharply debrided.\n"
    )
    sites = {(s.region, s.role, s.laterality.value if s.laterality else None) for s in extract(text).sites}
    assert (Region.scrotum, SiteRole.debrided, "left") in sites
    assert (Region.thigh, SiteRole.mentioned, None) in sites


def test_suprapubic_catheter_is_not_an_abdominal_wall_site() -> None:
    f = extract("PROCEDURE: Placement of suprapubic catheter. Debridement of perineum.")
    assert Region.abdominal_wall not in {s.region for s in f.sites}


def test_area_written_twice_is_one_measurement() -> None:
    f = extract("DESCRIPTION: Thigh wound debrided, 12 x 5 cm (60 sq cm).")
    assert [a.sq_cm for a in f.areas] == [60.0]


def test_postop_same_and_planned_repeat() -> None:
    f = extract("POSTOPERATIVE DIAGNOSIS: Same.\nPLAN: Return to OR in 24 hours for second look.")
    assert f.postop_same_as_preop is not None and f.postop_same_as_preop.quote == "Same"
    assert f.repeat and all(r.kind.value == "planned" for r in f.repeat)


def test_stated_sex_and_comorbidities() -> None:
    f = extract("HPI: 61-year-old female with type 2 diabetes and morbid obesity.")
    assert [s.sex.value for s in f.sex] == ["F"]
    assert {c.name for c in f.comorbidities} == {"diabetes_type2", "morbid_obesity"}


def test_flat_export_negation_stays_in_its_own_field() -> None:
    text = (
        "INDICATIONS:,No gas. No skin necrosis.,FINDINGS:,4 cm abscess of the dorsal penile shaft,PLAN:,home"
    )
    sites = [s for s in extract(text).sites if s.evidence.quote == "penile"]
    assert [s.assertion for s in sites] == [Assertion.present]


def test_unlisted_header_sends_the_narrative_to_its_section() -> None:
    text = (
        "INDICATIONS FOR OPERATION: crepitus of the scrotum.\n"
        "DESCRIPTION OF OPERATIVE PROCEDURE: All necrotic skin and dartos fascia were sharply excised.\n"
    )
    layers = {layer.layer.value: (layer.evidence.section, layer.action) for layer in extract(text).layers}
    assert layers["fascia"] == ("description", LayerAction.removed)


_ABSCESS = (
    "Procedure: Incision and drainage of scrotal wall abscess.\n"
    "Description: The left hemiscrotal abscess was incised and 10 mL of pus drained. {S} "
    "The cavity was irrigated and packed.\n"
)


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The abscess cavity was debrided with a curette.", TechniqueKind.incision_drainage),
        ("The infected abscess lining was excised with scissors.", TechniqueKind.incision_drainage),
        ("The necrotic pseudocapsule was excised sharply.", TechniqueKind.incision_drainage),
        ("The cavity was sharply debrided of necrotic debris.", TechniqueKind.incision_drainage),
        ("Devitalized subcutaneous fat at the cavity base was excised sharply.", TechniqueKind.excisional),
        (
            "The abscess cavity and the surrounding necrotic tissue were debrided.",
            TechniqueKind.debridement_unspecified,
        ),
    ],
)
def test_removing_the_abscess_cavity_lining_is_part_of_the_drainage(
    sentence: str, kind: TechniqueKind
) -> None:
    """Ruleset decision abscess-cavity-is-drainage: the drained abscess's own cavity, lining or
    pseudocapsule removed is the I&D; a tissue layer or tissue beyond the cavity is not."""
    note = Note(_ABSCESS.replace("{S}", sentence))
    found = RulesExtractor().extract(note).findings
    said = [t for t in found.techniques if t.evidence.start >= note.text.index(sentence[:12])]
    assert said and said[0].kind is kind


def test_to_healthy_tissue_after_a_removed_list_ends_the_excision() -> None:
    f = extract("DESCRIPTION: Excised necrotic scrotal skin, dartos fascia with scissors to healthy tissue.")
    assert [(x.layer, x.action) for x in f.layers if x.layer is Layer.fascia] == [
        (Layer.fascia, LayerAction.removed)
    ]
    kept = extract("DESCRIPTION: Necrotic skin was excised down to healthy dartos fascia.")
    assert [x.action for x in kept.layers if x.layer is Layer.fascia] == [LayerAction.exposed]
