"""What an extractor reads out of a note. Every fact carries verbatim evidence and an
assertion status; the rule layer reads only these records, never raw text."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

FINDINGS_SCHEMA_VERSION = "1.0.0"


class Assertion(StrEnum):
    present = "present"
    absent = "absent"  # negated or ruled out
    possible = "possible"  # suspected, rule out, concern for
    hypothetical = "hypothetical"  # risks discussed, "may progress to"
    historical = "historical"  # past history, prior episode
    other_person = "other_person"  # family history, someone else


class Alignment(StrEnum):
    exact = "exact"  # note_text[start:end] == quote
    normalised = "normalised"  # equal after case/whitespace/dash/quote folding
    fuzzy = "fuzzy"  # near match above threshold
    unaligned = "unaligned"  # not found in the note: can never satisfy a criterion
    mismatch = "mismatch"  # found, but the quote does not say what the label claims: never counts


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote: str = Field(description="Verbatim text from the note.")
    start: int = Field(ge=-1, description="Start offset in the original note text (-1 if unaligned).")
    end: int = Field(ge=-1, description="End offset (exclusive) in the original note text.")
    section: str = Field(default="body", description="Canonical section the quote sits in.")
    alignment: Alignment = Alignment.exact


class Finding(BaseModel):
    """Base of every extracted fact."""

    model_config = ConfigDict(frozen=True)

    evidence: Evidence
    assertion: Assertion = Assertion.present


class NstiType(StrEnum):
    fournier = "fournier"
    necrotizing_fasciitis = "necrotizing_fasciitis"
    nsti = "nsti"  # necrotizing soft tissue infection / necrotizing infection or cellulitis
    gas_gangrene = "gas_gangrene"
    synergistic_gangrene = "synergistic_gangrene"
    genital_gangrene = "genital_gangrene"  # "scrotal gangrene": suspected only, needs confirming findings


class NstiMention(Finding):
    type: NstiType


class NstiIndicator(Finding):
    """An intraoperative finding that confirms a necrotizing infection."""

    kind: str  # dishwater_fluid, nonbleeding_fascia, finger_test, crepitus_gas, foul_necrosis


class Region(StrEnum):
    penis = "penis"
    scrotum = "scrotum"
    labia = "labia"
    vulva = "vulva"
    clitoris = "clitoris"
    mons_pubis = "mons_pubis"
    perineum = "perineum"
    bartholin_gland = "bartholin_gland"
    perianal = "perianal"  # perianal skin, anal verge
    ischiorectal = "ischiorectal"  # ischiorectal/ischioanal fossa, perirectal, supralevator
    groin = "groin"
    abdominal_wall = "abdominal_wall"
    thigh = "thigh"
    buttock = "buttock"
    other = "other"


GENITAL_PERINEAL = frozenset(
    {
        Region.penis,
        Region.scrotum,
        Region.labia,
        Region.vulva,
        Region.clitoris,
        Region.mons_pubis,
        Region.perineum,
        Region.bartholin_gland,
    }
)


class Laterality(StrEnum):
    left = "left"
    right = "right"
    bilateral = "bilateral"


class SiteRole(StrEnum):
    debrided = "debrided"  # named with a debridement or drainage action, or as a procedure's site
    examined = "examined"  # named in the narrative only as inspected, washed out, dressed or clean
    involved = "involved"  # named intraoperatively as necrotic/infected tissue
    mentioned = "mentioned"  # named elsewhere (diagnosis, indications, exam)


class Site(Finding):
    region: Region
    laterality: Laterality | None = None
    role: SiteRole = SiteRole.mentioned
    separate: bool = False  # documented as a separate, non-contiguous wound


class TechniqueKind(StrEnum):
    excisional = "excisional"  # cut away: excised, sharply debrided, resected
    debridement_unspecified = "debridement_unspecified"  # "debridement" with no word on how
    incision_drainage = "incision_drainage"
    exploration = "exploration"
    blunt = "blunt"  # finger or blunt dissection
    irrigation = "irrigation"
    packing_dressing = "packing_dressing"
    selective = "selective"  # surface slough/fibrin removal
    nonselective = "nonselective"  # wet-to-dry, enzymatic, autolytic


# Techniques that treat a site (debride or drain it); irrigation and dressings do not.
TREATING = frozenset(
    {
        TechniqueKind.excisional,
        TechniqueKind.debridement_unspecified,
        TechniqueKind.incision_drainage,
        TechniqueKind.exploration,
        TechniqueKind.blunt,
        TechniqueKind.selective,
        TechniqueKind.nonselective,
    }
)


class Technique(Finding):
    kind: TechniqueKind
    all_necrotic_tissue: bool = False  # "all necrotic tissue was excised": covers every necrotic layer


class Layer(StrEnum):
    skin = "skin"
    subcutaneous = "subcutaneous"
    fascia = "fascia"
    muscle = "muscle"
    bone = "bone"


LAYER_DEPTH = {
    Layer.skin: 1,
    Layer.subcutaneous: 2,
    Layer.fascia: 3,
    Layer.muscle: 4,
    Layer.bone: 5,
}


class LayerAction(StrEnum):
    removed = "removed"  # excised or debrided
    exposed = "exposed"  # reached, seen, left healthy: not removed
    necrotic = "necrotic"  # described as necrotic, removal not stated in the same sentence


class LayerFinding(Finding):
    layer: Layer
    action: LayerAction
    region: Region | None = None  # site named in the same sentence, when one is


class Area(Finding):
    sq_cm: float
    region: Region | None = None
    debrided: bool = False  # measured with the debridement ("debrided area 6 x 5 cm"), not the whole wound


class ProcedureKind(StrEnum):
    orchiectomy = "orchiectomy"
    orchiectomy_partial = "orchiectomy_partial"
    orchiectomy_radical = "orchiectomy_radical"
    colostomy = "colostomy"
    ileostomy = "ileostomy"
    npwt = "npwt"
    incision_drainage = "incision_drainage"
    skin_graft = "skin_graft"
    flap = "flap"
    cystostomy = "cystostomy"
    mesh_removal = "mesh_removal"  # infected prosthetic material or mesh, abdominal wall
    testicular_pouch = "testicular_pouch"
    fistulotomy = "fistulotomy"  # fistula-in-ano laid open (with an abscess drainage: 46060)
    incision_drainage_complex = "incision_drainage_complex"  # complicated, or several abscesses


class OtherProcedure(Finding):
    kind: ProcedureKind


class RepeatKind(StrEnum):
    today = "today"  # this operation is a repeat / second look
    planned = "planned"  # a further debridement is planned


class RepeatDebridement(Finding):
    kind: RepeatKind
    staged: bool = (
        False  # named as planned or staged ("second look", "staged debridement"): modifier 58, not 78
    )


class Organism(Finding):
    name: str  # canonical organism key, e.g. "e_coli", "mrsa"


class Sepsis(Finding):
    severity: str  # sepsis, severe_sepsis, septic_shock


class Comorbidity(Finding):
    name: str  # diabetes_type1, diabetes_type2, diabetes, obesity, morbid_obesity, ...


class Sex(StrEnum):
    male = "M"
    female = "F"


class SexBasis(StrEnum):
    stated = "stated"  # "58-year-old man", "Sex: F", "Mrs."
    anatomy = "anatomy"  # scrotum, testes, penis / vulva, labia, vagina
    pronoun = "pronoun"  # he, his / she, her


class SexStatement(Finding):
    sex: Sex
    basis: SexBasis = SexBasis.stated


class Findings(BaseModel):
    """Everything the policy needs to know about one note."""

    model_config = ConfigDict(frozen=True)

    schema_version: str = FINDINGS_SCHEMA_VERSION
    nsti: list[NstiMention] = []
    nsti_indicators: list[NstiIndicator] = []
    postop_same_as_preop: Evidence | None = None  # "Postoperative diagnosis: Same"
    sites: list[Site] = []
    techniques: list[Technique] = []
    layers: list[LayerFinding] = []
    areas: list[Area] = []
    procedures: list[OtherProcedure] = []
    repeat: list[RepeatDebridement] = []
    organisms: list[Organism] = []
    sepsis: list[Sepsis] = []
    comorbidities: list[Comorbidity] = []
    sex: list[SexStatement] = []

    def evidence(self) -> list[Evidence]:
        """All evidence items, for alignment checks."""
        items: list[Evidence] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, list):
                items.extend(f.evidence for f in value if isinstance(f, Finding))
        if self.postop_same_as_preop is not None:
            items.append(self.postop_same_as_preop)
        return items


def merged(a: Findings, b: Findings) -> Findings:
    """Union of two findings records; identical evidence with the same label is kept once."""
    update: dict[str, object] = {}
    for name in type(a).model_fields:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, list):
            seen = {_identity(item) for item in left}
            update[name] = left + [item for item in right if _identity(item) not in seen]
    update["postop_same_as_preop"] = a.postop_same_as_preop or b.postop_same_as_preop
    return a.model_copy(update=update)


def _identity(item: object) -> object:
    if isinstance(item, Finding):
        return item.model_dump_json(exclude={"evidence": {"section", "alignment"}})
    return item
