"""The schema the LLM fills: every claim carries a verbatim quote. It maps onto `Findings`
with unknown offsets; the guardrails then find each quote in the note (or mark it unaligned)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

from reviewer.findings import (
    Area,
    Assertion,
    Comorbidity,
    Evidence,
    Findings,
    Laterality,
    Layer,
    LayerAction,
    LayerFinding,
    NstiIndicator,
    NstiMention,
    NstiType,
    Organism,
    OtherProcedure,
    ProcedureKind,
    Region,
    RepeatDebridement,
    RepeatKind,
    Sepsis,
    Sex,
    SexStatement,
    Site,
    SiteRole,
    Technique,
    TechniqueKind,
)

Status = Literal["present", "absent", "possible", "hypothetical", "historical", "other_person"]


class _Compact(GenerateJsonSchema):
    """A small tool schema: no per-field titles or defaults (the prompt defines the fields);
    a tiny local model pays for every schema token."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: Any) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def model_schema(self, schema: Any) -> JsonSchemaValue:
        out = super().model_schema(schema)
        out.pop("title", None)
        out.pop("description", None)
        return out


class LlmInfection(BaseModel):
    quote: str
    type: Literal["fournier", "necrotizing_fasciitis", "nsti", "gas_gangrene", "synergistic_gangrene"]
    status: Status


class LlmConfirmingFinding(BaseModel):
    quote: str
    kind: Literal["dishwater_fluid", "nonbleeding_fascia", "finger_test", "crepitus_gas", "foul_necrosis"]


class LlmSite(BaseModel):
    quote: str
    region: Literal[
        "penis",
        "scrotum",
        "labia",
        "vulva",
        "clitoris",
        "mons_pubis",
        "perineum",
        "bartholin_gland",
        "perianal",
        "groin",
        "abdominal_wall",
        "thigh",
        "buttock",
        "other",
    ]
    side: Literal["left", "right", "bilateral", "none"] = "none"
    debrided: bool
    separate_wound: bool = False


class LlmTechnique(BaseModel):
    quote: str
    kind: Literal[
        "excisional",
        "debridement_unspecified",
        "incision_drainage",
        "exploration",
        "blunt",
        "irrigation",
        "packing_dressing",
        "selective",
        "nonselective",
    ]


class LlmLayer(BaseModel):
    quote: str
    layer: Literal["skin", "subcutaneous", "fascia", "muscle", "bone"]
    removed: bool


class LlmArea(BaseModel):
    quote: str
    sq_cm: float


class LlmProcedure(BaseModel):
    quote: str
    kind: Literal[
        "orchiectomy",
        "colostomy",
        "ileostomy",
        "npwt",
        "skin_graft",
        "flap",
        "cystostomy",
        "mesh_removal",
        "testicular_pouch",
    ]


class LlmRepeat(BaseModel):
    quote: str
    kind: Literal["today", "planned"]


class LlmExtraction(BaseModel):
    """Facts from one operative note. Use [] when the note says nothing about an item."""

    infections: list[LlmInfection] = []
    confirming_findings: list[LlmConfirmingFinding] = []
    sites: list[LlmSite] = []
    techniques: list[LlmTechnique] = []
    layers: list[LlmLayer] = []
    areas: list[LlmArea] = []
    other_procedures: list[LlmProcedure] = []
    repeat_debridement: list[LlmRepeat] = []
    sex: Literal["M", "F", "unknown"] = "unknown"
    sex_quote: str = ""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("schema_generator", _Compact)
        schema = super().model_json_schema(*args, **kwargs)
        schema["title"] = cls.__name__  # the tool's name
        return schema


def _ev(quote: str) -> Evidence:
    # Offsets are unknown until the guardrails align the quote with the note.
    return Evidence(quote=quote, start=-1, end=-1, section="unknown")


def to_findings(x: LlmExtraction) -> Findings:
    return Findings(
        nsti=[
            NstiMention(evidence=_ev(i.quote), assertion=Assertion(i.status), type=NstiType(i.type))
            for i in x.infections
        ],
        nsti_indicators=[NstiIndicator(evidence=_ev(c.quote), kind=c.kind) for c in x.confirming_findings],
        sites=[
            Site(
                evidence=_ev(s.quote),
                region=Region(s.region),
                laterality=None if s.side == "none" else Laterality(s.side),
                role=SiteRole.debrided if s.debrided else SiteRole.mentioned,
                separate=s.separate_wound,
            )
            for s in x.sites
        ],
        techniques=[Technique(evidence=_ev(t.quote), kind=TechniqueKind(t.kind)) for t in x.techniques],
        layers=[
            LayerFinding(
                evidence=_ev(lay.quote),
                layer=Layer(lay.layer),
                action=LayerAction.removed if lay.removed else LayerAction.exposed,
            )
            for lay in x.layers
        ],
        areas=[Area(evidence=_ev(a.quote), sq_cm=a.sq_cm) for a in x.areas if a.sq_cm > 0],
        procedures=[
            OtherProcedure(evidence=_ev(p.quote), kind=ProcedureKind(p.kind)) for p in x.other_procedures
        ],
        repeat=[
            RepeatDebridement(evidence=_ev(r.quote), kind=RepeatKind(r.kind)) for r in x.repeat_debridement
        ],
        organisms=list[Organism](),
        sepsis=list[Sepsis](),
        comorbidities=list[Comorbidity](),
        sex=[SexStatement(evidence=_ev(x.sex_quote), sex=Sex(x.sex))]
        if x.sex != "unknown" and x.sex_quote
        else [],
    )
