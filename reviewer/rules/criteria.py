"""The four criteria of ruleset v1 (C1 NSTI, C2 site, C3 excisional, C4 depth), each a pure
function of checked findings. Evidence that is unaligned, not asserted present, or from a
section that does not describe today's operation never satisfies a criterion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reviewer.decision import Criterion, CriterionId, Status
from reviewer.findings import (
    GENITAL_PERINEAL,
    LAYER_DEPTH,
    TREATING,
    Alignment,
    Assertion,
    Evidence,
    Finding,
    Findings,
    Layer,
    LayerAction,
    LayerFinding,
    NstiMention,
    NstiType,
    Region,
    Site,
    SiteRole,
    TechniqueKind,
)
from reviewer.note import NOT_TODAY, OPERATIVE

# Where an NSTI mention is the surgeon's conclusion about today's operation.
CONFIRMING_SECTIONS = OPERATIVE | {"postoperative_diagnosis", "assessment"}
PROCEDURAL_SECTIONS = OPERATIVE
# The narrative of the operation: what was done and found, as opposed to its title.
NARRATIVE = OPERATIVE - {"procedure"}
# Progress notes report the day's procedure under S: ("second look, wound debrided").
TECHNIQUE_SECTIONS = OPERATIVE | {"hpi"}
SEPARATE_REGIONS = frozenset({Region.thigh, Region.buttock, Region.other})
# Perianal skin and the ischiorectal/perirectal spaces (policy: C2 unclear when alone).
ANORECTAL = frozenset({Region.perianal, Region.ischiorectal})


def usable(finding: Finding) -> bool:
    """Evidence found in the note and outside the sections that describe other times."""
    e = finding.evidence
    return e.alignment not in (Alignment.unaligned, Alignment.mismatch) and e.section not in NOT_TODAY


F = TypeVar("F", bound=Finding)


def present(findings: Iterable[F]) -> list[F]:
    return [f for f in findings if usable(f) and f.assertion is Assertion.present]


def _quotes(items: Iterable[Finding], limit: int = 3) -> str:
    seen: list[str] = []
    for f in items:
        q = f.evidence.quote.strip()
        if q.lower() not in (s.lower() for s in seen):
            seen.append(q)
    return ", ".join(f'"{q}"' for q in seen[:limit])


def _evidence(items: Iterable[Finding]) -> list[Evidence]:
    out: dict[tuple[str, int, int], Evidence] = {}
    for f in items:
        out.setdefault((f.evidence.quote, f.evidence.start, f.evidence.end), f.evidence)
    return list(out.values())


def necrotizing_infection(f: Findings) -> Criterion:
    cid = CriterionId.necrotizing_infection
    mentions = [m for m in f.nsti if usable(m)]

    # "Scrotal gangrene" or "necrotic scrotum" without an NSTI term never concludes anything
    # (ruleset decision genital-necrosis-unnamed).

    def concluded(m: NstiMention) -> bool:
        return m.evidence.section in CONFIRMING_SECTIONS and m.type is not NstiType.genital_gangrene

    confirmed = [m for m in mentions if m.assertion is Assertion.present and concluded(m)]
    working = [m for m in mentions if m.assertion is Assertion.present and not concluded(m)]
    suspected = [m for m in mentions if m.assertion is Assertion.possible]
    indicators = [i for i in present(f.nsti_indicators) if i.evidence.section in PROCEDURAL_SECTIONS]
    if confirmed:
        return Criterion(
            id=cid,
            status=Status.met,
            reason=f"NSTI documented for this operation: {_quotes(confirmed)}.",
            evidence=_evidence([*confirmed, *indicators]),
        )
    # The surgeon's own conclusion is still uncertain ("early Fournier's not excluded"): no
    # intraoperative sign overrides that (ruleset decision postop-uncertain-stays-unclear).
    # Nor does a suspicion written in the operative narrative, after the tissue was seen.
    doubted = [m for m in suspected if m.evidence.section in CONFIRMING_SECTIONS]
    if doubted:
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason=f"The surgeon's own account of the operation leaves the NSTI uncertain: {_quotes(doubted)}.",
            evidence=_evidence(doubted),
        )
    preop = [m for m in working if m.evidence.section == "preoperative_diagnosis"]
    same = f.postop_same_as_preop
    if preop and same is not None and same.alignment is not Alignment.unaligned:
        return Criterion(
            id=cid,
            status=Status.met,
            reason=f'Preoperative diagnosis {_quotes(preop)} carried into the postoperative diagnosis ("{same.quote}").',
            evidence=[*_evidence(preop), same],
        )
    negated_after = [
        m for m in mentions if m.assertion is Assertion.absent and m.evidence.section in CONFIRMING_SECTIONS
    ]
    if negated_after:
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason=f"NSTI negated or ruled out at operation: {_quotes(negated_after)}.",
            evidence=_evidence(negated_after),
        )
    unnamed = [m for m in working if m.type is NstiType.genital_gangrene]
    if unnamed and len(unnamed) == len(working) and not suspected:
        # Necrotic genital or perineal tissue with no infection named: the diagnosis is the
        # surgeon's to make, whatever the signs (ruleset decision genital-necrosis-unnamed).
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason=(
                f"Necrosis of the genitalia/perineum is described ({_quotes(unnamed)}) but no necrotizing "
                "infection is named; the diagnosis needs the surgeon's answer."
            ),
            evidence=_evidence([*unnamed, *indicators]),
        )
    if (working or suspected) and indicators:
        return Criterion(
            id=cid,
            status=Status.met,
            reason=(
                f"Working diagnosis {_quotes(working + suspected)} confirmed by intraoperative findings: "
                f"{_quotes(indicators)}."
            ),
            evidence=_evidence([*working, *suspected, *indicators]),
        )
    if working or suspected:
        if working and all(m.type is NstiType.genital_gangrene for m in working):
            kind = "gangrene named without a necrotizing-infection term"
        else:
            kind = "working (preoperative) diagnosis" if working else "suspected diagnosis"
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason=f"NSTI is only a {kind} ({_quotes(working + suspected)}); no intraoperative finding confirms it.",
            evidence=_evidence([*working, *suspected]),
        )
    return Criterion(id=cid, status=Status.not_met, reason=_why_no_nsti(f), evidence=[])


def _why_no_nsti(f: Findings) -> str:
    statuses = {m.assertion for m in f.nsti}
    sections = {m.evidence.section for m in f.nsti}
    if Assertion.absent in statuses:
        return (
            f"NSTI is negated in the note: {_quotes(m for m in f.nsti if m.assertion is Assertion.absent)}."
        )
    if Assertion.hypothetical in statuses or "risks" in sections:
        return "NSTI is named only as a risk or a hypothetical, not as today's diagnosis."
    if Assertion.historical in statuses or "history" in sections:
        return "NSTI is named only in the patient's history, not as today's diagnosis."
    if Assertion.other_person in statuses or "family_history" in sections:
        return "NSTI is named only about someone other than the patient."
    if f.nsti:
        return "NSTI is not documented as a diagnosis of this operation."
    return "No necrotizing soft tissue infection is documented."


@dataclass(frozen=True)
class Field:
    """The debrided field: regions and the family code it points to."""

    sites: tuple[Site, ...]
    genital_perineal: bool
    abdominal_wall: bool
    perianal: bool
    groin: bool
    separate: tuple[Region, ...]  # regions documented as separate wounds (thigh, buttock, other)
    contiguous: tuple[Region, ...]  # such regions debrided without being called separate

    @property
    def regions(self) -> set[Region]:
        return {s.region for s in self.sites}


def debrided_field(f: Findings) -> Field:
    live = present(f.sites)
    sites = [s for s in live if s.role is SiteRole.debrided] or [
        s for s in live if s.role is SiteRole.involved
    ]
    if not sites:
        # A narrative that names one genital/perineal field only ("the scrotum was prepped and
        # draped") operated there (ruleset decision single-field-narrative).
        named = [s for s in live if s.evidence.section in OPERATIVE and s.role is not SiteRole.examined]
        if named and all(s.region in GENITAL_PERINEAL for s in named):
            sites = named
    # A region the procedure title names, but which the narrative only inspected, washed out
    # or dressed, is not part of the field (ruleset decision field-needs-removal).
    looked_at = {
        s.region
        for s in f.sites
        if usable(s) and s.evidence.section in NARRATIVE and s.role is SiteRole.examined
    }
    treated = {
        s.region
        for s in live
        if s.evidence.section in NARRATIVE and s.role in (SiteRole.debrided, SiteRole.involved)
    }
    sites = [s for s in sites if s.region not in looked_at - treated]
    regions = {s.region for s in sites}
    # Outside the genital/perineal field, only a wound documented as separate gets its own code;
    # an undocumented extension rides inside the field (and is flagged).
    intraop = [s for s in live if s.role in (SiteRole.debrided, SiteRole.involved)]
    marked = {s.region for s in intraop if s.separate} & regions & SEPARATE_REGIONS
    separate = tuple(sorted(marked, key=lambda r: r.value))
    contiguous = tuple(sorted((regions & SEPARATE_REGIONS) - set(separate), key=lambda r: r.value))
    return Field(
        sites=tuple(sites),
        genital_perineal=bool(regions & GENITAL_PERINEAL),
        abdominal_wall=Region.abdominal_wall in regions,
        perianal=bool(regions & ANORECTAL),
        groin=Region.groin in regions,
        separate=separate,
        contiguous=contiguous,
    )


def _names(sites: Sequence[Site]) -> str:
    ordered: list[str] = []
    for s in sites:
        name = s.region.value.replace("_", " ")
        if name not in ordered:
            ordered.append(name)
    return ", ".join(ordered)


def site(f: Findings, field: Field, technique: Criterion) -> Criterion:
    cid = CriterionId.site
    treated = any(
        t.kind in TREATING for t in present(f.techniques) if t.evidence.section in TECHNIQUE_SECTIONS
    )
    if not field.sites and technique.status is Status.not_met and not treated:
        return Criterion(
            id=cid, status=Status.not_met, reason="No site was debrided or drained.", evidence=[]
        )
    ev = _evidence(field.sites)
    if field.genital_perineal and field.abdominal_wall:
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason=f"Debrided field ({_names(field.sites)}) extends onto the abdominal wall: the combined-field code applies, not 11004.",
            evidence=ev,
        )
    if field.genital_perineal:
        extra = " Groin contiguous with the field rides inside it." if field.groin else ""
        gp = [s for s in field.sites if s.region in GENITAL_PERINEAL or s.region in ANORECTAL]
        return Criterion(
            id=cid,
            status=Status.met,
            reason=f"Debrided field includes external genitalia/perineum: {_names(gp)}.{extra}",
            evidence=_evidence(gp),
        )
    if field.abdominal_wall:
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason="Debrided field is the abdominal wall without genitalia or perineum: the abdominal-wall code applies, not 11004.",
            evidence=ev,
        )
    if field.perianal:
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason="Only a perianal/ischiorectal field is documented; whether the perineum was involved is not stated.",
            evidence=ev,
        )
    if field.sites:
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason=f"Debrided field is outside the external genitalia and perineum: {_names(field.sites)}.",
            evidence=ev,
        )
    named = [s for s in present(f.sites) if s.region in GENITAL_PERINEAL]
    where = f" (the note names {_names(named)} elsewhere)" if named else ""
    return Criterion(
        id=cid,
        status=Status.unclear,
        reason=f"The site of the debrided tissue is not documented with the procedure{where}.",
        evidence=_evidence(named),
    )


_NON_EXCISIONAL = {
    TechniqueKind.incision_drainage: "incision and drainage",
    TechniqueKind.exploration: "exploration",
    TechniqueKind.blunt: "blunt/finger dissection",
    TechniqueKind.irrigation: "irrigation",
    TechniqueKind.packing_dressing: "packing/dressing",
    TechniqueKind.selective: "selective removal of surface tissue",
    TechniqueKind.nonselective: "non-selective wound care",
}


def procedural(items: Iterable[F]) -> list[F]:
    return [i for i in present(items) if i.evidence.section in PROCEDURAL_SECTIONS]


def excisional(f: Findings) -> Criterion:
    cid = CriterionId.excisional
    techniques = [t for t in present(f.techniques) if t.evidence.section in TECHNIQUE_SECTIONS]
    kinds = {t.kind for t in techniques}
    exc = [t for t in techniques if t.kind is TechniqueKind.excisional]
    if exc:
        return Criterion(
            id=cid,
            status=Status.met,
            reason=f"Excisional technique documented: {_quotes(exc)}.",
            evidence=_evidence(exc),
        )
    unspecified = [t for t in techniques if t.kind is TechniqueKind.debridement_unspecified]
    selective = [t for t in techniques if t.kind is TechniqueKind.selective]
    if selective and not _deep_removal(f):
        # The note names its debridement non-excisional in its own words; an unspecified
        # "debridement" elsewhere is that one (ruleset decision documented-nonexcisional).
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason=f"Non-excisional debridement documented: {_quotes(selective)} (removal of surface tissue only).",
            evidence=_evidence(selective),
        )
    if unspecified:
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason=f"Debridement is documented ({_quotes(unspecified)}) with no word on how the tissue was removed.",
            evidence=_evidence(unspecified),
        )
    other = [_NON_EXCISIONAL[k] for k in _NON_EXCISIONAL if k in kinds]
    if other:
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason=f"Only non-excisional care is documented: {', '.join(other)}.",
            evidence=_evidence(techniques),
        )
    return Criterion(id=cid, status=Status.not_met, reason="No debridement is documented.", evidence=[])


def _deep_removal(f: Findings) -> bool:
    """Subcutaneous tissue, fascia or muscle documented as removed today."""
    return any(LAYER_DEPTH[layer.layer] >= LAYER_DEPTH[Layer.subcutaneous] for layer in removed_layers(f))


def removed_layers(f: Findings, exclude: frozenset[Region] = frozenset()) -> list[LayerFinding]:
    return [
        layer
        for layer in procedural(f.layers)
        if layer.action is LayerAction.removed and layer.region not in exclude
    ]


def deepest(layers: Sequence[LayerFinding]) -> Layer | None:
    return max((layer.layer for layer in layers), key=LAYER_DEPTH.__getitem__, default=None)


def _layer_name(layer: Layer | None) -> str:
    return layer.value if layer else "not stated"


def depth(f: Findings, technique: Criterion, field: Field) -> Criterion:
    cid = CriterionId.depth
    if technique.status is Status.not_met:
        return Criterion(
            id=cid,
            status=Status.not_met,
            reason="No tissue was excised, so no layer was removed.",
            evidence=[],
        )
    # A separate region's depth does not decide the NSTI field's depth.
    in_field = field.genital_perineal or field.abdominal_wall or field.perianal
    separate = SEPARATE_REGIONS if in_field else frozenset()
    removed = removed_layers(f, exclude=separate)
    low = deepest(removed)
    deep = [layer for layer in removed if LAYER_DEPTH[layer.layer] >= LAYER_DEPTH[Layer.fascia]]
    if deep:
        return Criterion(
            id=cid,
            status=Status.met,
            reason=f"Deepest layer removed: {_layer_name(deepest(deep))} ({_quotes(deep)}).",
            evidence=_evidence(deep),
        )
    necrotic_deep = [
        layer
        for layer in procedural(f.layers)
        if layer.action is LayerAction.necrotic
        and LAYER_DEPTH[layer.layer] >= LAYER_DEPTH[Layer.fascia]
        and layer.region not in separate
    ]
    sweep = [
        t for t in procedural(f.techniques) if t.kind is TechniqueKind.excisional and t.all_necrotic_tissue
    ]
    if necrotic_deep and sweep:
        return Criterion(
            id=cid,
            status=Status.met,
            reason=(
                f"Necrotic {necrotic_deep[0].layer.value} described ({_quotes(necrotic_deep)}) and all necrotic "
                f"tissue excised ({_quotes(sweep)})."
            ),
            evidence=_evidence([*necrotic_deep, *sweep]),
        )
    if low is not None:
        exposed = [layer for layer in procedural(f.layers) if layer.action is LayerAction.exposed]
        reached = f"; {_layer_name(deepest(exposed))} reached but not removed" if exposed else ""
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason=f"Deepest layer removed is {low.value}{reached}; removal of fascia or muscle is not documented.",
            evidence=_evidence([*removed, *exposed]),
        )
    return Criterion(
        id=cid,
        status=Status.unclear,
        reason="The depth of tissue removed is not documented.",
        evidence=[],
    )
