"""The four criteria of ruleset v1 (C1 NSTI, C2 site, C3 excisional, C4 depth), each a small
pure function of the facts (facts.py). Evidence that is unaligned, not asserted present, or from
a section that does not describe today's operation never satisfies a criterion."""

from __future__ import annotations

from reviewer.decision import Criterion, CriterionId, Status
from reviewer.findings import (
    GENITAL_PERINEAL,
    LAYER_DEPTH,
    TREATING,
    Alignment,
    Assertion,
    Findings,
    Layer,
    LayerAction,
    NstiMention,
    NstiType,
    TechniqueKind,
)
from reviewer.language.sections import CONFIRMING
from reviewer.rules.facts import ANORECTAL, Facts, deepest, evidence_of, quotes, region_names, usable


def criteria(facts: Facts) -> list[Criterion]:
    """C1-C4, in order."""
    technique = excisional(facts)
    return [necrotizing_infection(facts), site(facts, technique), technique, depth(facts, technique)]


# --- C1 ------------------------------------------------------------------------------------


def necrotizing_infection(facts: Facts) -> Criterion:
    f = facts.findings
    mentions = [m for m in f.nsti if usable(m)]
    # "Scrotal gangrene" or "necrotic scrotum" without an NSTI term never concludes anything
    # (ruleset decision genital-necrosis-unnamed).
    concluded = [
        m for m in mentions if m.evidence.section in CONFIRMING and m.type is not NstiType.genital_gangrene
    ]
    confirmed = [m for m in concluded if m.assertion is Assertion.present]
    working = [m for m in mentions if m.assertion is Assertion.present and m not in concluded]
    suspected = [m for m in mentions if m.assertion is Assertion.possible]
    indicators = facts.indicators
    cid = CriterionId.necrotizing_infection
    if confirmed:
        reason = f"NSTI documented for this operation: {quotes(confirmed)}."
        return Criterion(
            id=cid, status=Status.met, reason=reason, evidence=evidence_of([*confirmed, *indicators])
        )
    # The surgeon's own conclusion is still uncertain ("early Fournier's not excluded"), or a
    # suspicion is written in the narrative after the tissue was seen: no intraoperative sign
    # overrides that (ruleset decision postop-uncertain-stays-unclear).
    doubted = [m for m in suspected if m.evidence.section in CONFIRMING]
    if doubted:
        reason = f"The surgeon's own account of the operation leaves the NSTI uncertain: {quotes(doubted)}."
        return Criterion(id=cid, status=Status.unclear, reason=reason, evidence=evidence_of(doubted))
    carried = _carried_into_postop(f, working)
    if carried is not None:
        return carried
    negated = [m for m in mentions if m.assertion is Assertion.absent and m.evidence.section in CONFIRMING]
    if negated:
        reason = f"NSTI negated or ruled out at operation: {quotes(negated)}."
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=evidence_of(negated))
    # The surgeon's own conclusion names necrosis and no infection: a suspicion or a working
    # diagnosis written elsewhere does not overrule it, whatever the signs (genital-necrosis-unnamed).
    concluded_unnamed = [
        m
        for m in mentions
        if m.type is NstiType.genital_gangrene
        and m.assertion is Assertion.present
        and m.evidence.section in CONFIRMING
    ]
    if concluded_unnamed:
        reason = (
            f"The surgeon's conclusion describes necrosis of the genitalia/perineum ({quotes(concluded_unnamed)}) "
            "but names no necrotizing infection; the diagnosis needs the surgeon's answer."
        )
        return Criterion(
            id=cid,
            status=Status.unclear,
            reason=reason,
            evidence=evidence_of([*concluded_unnamed, *indicators]),
        )
    return _working_diagnosis(f, working, suspected, facts)


def _carried_into_postop(f: Findings, working: list[NstiMention]) -> Criterion | None:
    """'Postoperative diagnosis: Same' confirms the preoperative one (postop-same-confirms)."""
    preop = [m for m in working if m.evidence.section == "preoperative_diagnosis"]
    same = f.postop_same_as_preop
    if not preop or same is None or same.alignment is Alignment.unaligned:
        return None
    return Criterion(
        id=CriterionId.necrotizing_infection,
        status=Status.met,
        reason=f'Preoperative diagnosis {quotes(preop)} carried into the postoperative diagnosis ("{same.quote}").',
        evidence=[*evidence_of(preop), same],
    )


def _working_diagnosis(
    f: Findings, working: list[NstiMention], suspected: list[NstiMention], facts: Facts
) -> Criterion:
    """A working or suspected diagnosis: met when intraoperative findings confirm it
    (working-diagnosis-sections), never when only unnamed genital necrosis is described."""
    cid = CriterionId.necrotizing_infection
    indicators = facts.indicators
    unnamed = [m for m in working if m.type is NstiType.genital_gangrene]
    if unnamed and len(unnamed) == len(working) and not suspected:
        # Necrotic genital or perineal tissue with no infection named: the diagnosis is the
        # surgeon's to make, whatever the signs (ruleset decision genital-necrosis-unnamed).
        reason = (
            f"Necrosis of the genitalia/perineum is described ({quotes(unnamed)}) but no necrotizing "
            "infection is named; the diagnosis needs the surgeon's answer."
        )
        return Criterion(
            id=cid, status=Status.unclear, reason=reason, evidence=evidence_of([*unnamed, *indicators])
        )
    if (working or suspected) and indicators:
        reason = (
            f"Working diagnosis {quotes(working + suspected)} confirmed by intraoperative findings: "
            f"{quotes(indicators)}."
        )
        return Criterion(
            id=cid,
            status=Status.met,
            reason=reason,
            evidence=evidence_of([*working, *suspected, *indicators]),
        )
    if working or suspected:
        if working and all(m.type is NstiType.genital_gangrene for m in working):
            kind = "gangrene named without a necrotizing-infection term"
        else:
            kind = "working (preoperative) diagnosis" if working else "suspected diagnosis"
        reason = (
            f"NSTI is only a {kind} ({quotes(working + suspected)}); no intraoperative finding confirms it."
        )
        return Criterion(
            id=cid, status=Status.unclear, reason=reason, evidence=evidence_of([*working, *suspected])
        )
    return Criterion(id=cid, status=Status.not_met, reason=_why_no_nsti(f), evidence=[])


def _why_no_nsti(f: Findings) -> str:
    statuses = {m.assertion for m in f.nsti}
    sections = {m.evidence.section for m in f.nsti}
    if Assertion.absent in statuses:
        return f"NSTI is negated in the note: {quotes(m for m in f.nsti if m.assertion is Assertion.absent)}."
    if Assertion.hypothetical in statuses or "risks" in sections:
        return "NSTI is named only as a risk or a hypothetical, not as today's diagnosis."
    if Assertion.historical in statuses or "history" in sections:
        return "NSTI is named only in the patient's history, not as today's diagnosis."
    if Assertion.other_person in statuses or "family_history" in sections:
        return "NSTI is named only about someone other than the patient."
    if f.nsti:
        return "NSTI is not documented as a diagnosis of this operation."
    return "No necrotizing soft tissue infection is documented."


# --- C2 ------------------------------------------------------------------------------------


def site(facts: Facts, technique: Criterion) -> Criterion:
    cid = CriterionId.site
    field = facts.field
    treated = any(t.kind in TREATING for t in facts.techniques)
    if not field.sites and technique.status is Status.not_met and not treated:
        return Criterion(
            id=cid, status=Status.not_met, reason="No site was debrided or drained.", evidence=[]
        )
    ev = evidence_of(field.sites)
    if field.genital_perineal and field.abdominal_wall:
        reason = (
            f"Debrided field ({region_names(field.sites)}) extends onto the abdominal wall: the combined-field "
            "code applies, not 11004."
        )
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=ev)
    if field.genital_perineal:
        extra = " Groin contiguous with the field rides inside it." if field.groin else ""
        gp = [s for s in field.sites if s.region in GENITAL_PERINEAL or s.region in ANORECTAL]
        reason = f"Debrided field includes external genitalia/perineum: {region_names(gp)}.{extra}"
        return Criterion(id=cid, status=Status.met, reason=reason, evidence=evidence_of(gp))
    if field.abdominal_wall:
        reason = (
            "Debrided field is the abdominal wall without genitalia or perineum: the abdominal-wall code "
            "applies, not 11004."
        )
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=ev)
    if field.perianal:
        reason = "Only a perianal/ischiorectal field is documented; whether the perineum was involved is not stated."
        return Criterion(id=cid, status=Status.unclear, reason=reason, evidence=ev)
    if field.sites:
        reason = (
            f"Debrided field is outside the external genitalia and perineum: {region_names(field.sites)}."
        )
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=ev)
    named = [s for s in facts.sites if s.region in GENITAL_PERINEAL]
    where = f" (the note names {region_names(named)} elsewhere)" if named else ""
    reason = f"The site of the debrided tissue is not documented with the procedure{where}."
    return Criterion(id=cid, status=Status.unclear, reason=reason, evidence=evidence_of(named))


# --- C3 ------------------------------------------------------------------------------------

_NON_EXCISIONAL = {
    TechniqueKind.incision_drainage: "incision and drainage",
    TechniqueKind.exploration: "exploration",
    TechniqueKind.blunt: "blunt/finger dissection",
    TechniqueKind.irrigation: "irrigation",
    TechniqueKind.packing_dressing: "packing/dressing",
    TechniqueKind.selective: "selective removal of surface tissue",
    TechniqueKind.nonselective: "non-selective wound care",
}


def excisional(facts: Facts) -> Criterion:
    cid = CriterionId.excisional
    techniques = facts.techniques
    kinds = {t.kind for t in techniques}
    exc = [t for t in techniques if t.kind is TechniqueKind.excisional]
    if exc:
        reason = f"Excisional technique documented: {quotes(exc)}."
        return Criterion(id=cid, status=Status.met, reason=reason, evidence=evidence_of(exc))
    unspecified = [t for t in techniques if t.kind is TechniqueKind.debridement_unspecified]
    selective = [t for t in techniques if t.kind is TechniqueKind.selective]
    if selective and not facts.deep_removal:
        # The note names its debridement non-excisional in its own words; an unspecified
        # "debridement" elsewhere is that one (ruleset decision documented-nonexcisional).
        reason = (
            f"Non-excisional debridement documented: {quotes(selective)} (removal of surface tissue only)."
        )
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=evidence_of(selective))
    if unspecified:
        reason = (
            f"Debridement is documented ({quotes(unspecified)}) with no word on how the tissue was removed."
        )
        return Criterion(id=cid, status=Status.unclear, reason=reason, evidence=evidence_of(unspecified))
    doubted = facts.doubted_techniques
    if doubted:
        reason = (
            f"Debridement is named ({quotes(doubted)}) but the note does not say clearly that it was "
            "done at this operation."
        )
        return Criterion(id=cid, status=Status.unclear, reason=reason, evidence=evidence_of(doubted))
    other = [_NON_EXCISIONAL[k] for k in _NON_EXCISIONAL if k in kinds]
    if other:
        reason = f"Only non-excisional care is documented: {', '.join(other)}."
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=evidence_of(techniques))
    return Criterion(id=cid, status=Status.not_met, reason="No debridement is documented.", evidence=[])


# --- C4 ------------------------------------------------------------------------------------


def _layer_name(layer: Layer | None) -> str:
    return layer.value if layer else "not stated"


def depth(facts: Facts, technique: Criterion) -> Criterion:
    cid = CriterionId.depth
    if technique.status is Status.not_met:
        reason = "No tissue was excised, so no layer was removed."
        return Criterion(id=cid, status=Status.not_met, reason=reason, evidence=[])
    # A separate region's depth does not decide the NSTI field's depth.
    removed = facts.removed_in_field
    deep = [layer for layer in removed if LAYER_DEPTH[layer.layer] >= LAYER_DEPTH[Layer.fascia]]
    if deep:
        reason = f"Deepest layer removed: {_layer_name(deepest(deep))} ({quotes(deep)})."
        return Criterion(id=cid, status=Status.met, reason=reason, evidence=evidence_of(deep))
    swept = _all_necrotic_swept(facts)
    if swept is not None:
        return swept
    low = deepest(removed)
    if low is not None:
        exposed = [layer for layer in facts.layers if layer.action is LayerAction.exposed]
        reached = f"; {_layer_name(deepest(exposed))} reached but not removed" if exposed else ""
        reason = (
            f"Deepest layer removed is {low.value}{reached}; removal of fascia or muscle is not documented."
        )
        return Criterion(
            id=cid, status=Status.unclear, reason=reason, evidence=evidence_of([*removed, *exposed])
        )
    return Criterion(
        id=cid, status=Status.unclear, reason="The depth of tissue removed is not documented.", evidence=[]
    )


def _all_necrotic_swept(facts: Facts) -> Criterion | None:
    """Necrotic fascia/muscle described and 'all necrotic tissue' excised: removed
    (ruleset decision all-necrotic-tissue-depth)."""
    necrotic_deep = [
        layer
        for layer in facts.layers
        if layer.action is LayerAction.necrotic
        and LAYER_DEPTH[layer.layer] >= LAYER_DEPTH[Layer.fascia]
        and layer.region not in facts.separate_regions
    ]
    sweep = [
        t for t in facts.procedural_techniques if t.kind is TechniqueKind.excisional and t.all_necrotic_tissue
    ]
    if not (necrotic_deep and sweep):
        return None
    reason = (
        f"Necrotic {necrotic_deep[0].layer.value} described ({quotes(necrotic_deep)}) and all necrotic "
        f"tissue excised ({quotes(sweep)})."
    )
    return Criterion(
        id=CriterionId.depth, status=Status.met, reason=reason, evidence=evidence_of([*necrotic_deep, *sweep])
    )
