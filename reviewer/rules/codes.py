"""Recommended codes: what the documentation supports instead of or in addition to 11004."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.decision import Criterion, CriterionId, RecommendedCode, Role, Status
from reviewer.findings import (
    Alignment,
    Area,
    Assertion,
    Layer,
    LayerFinding,
    ProcedureKind,
    Region,
    RepeatKind,
    Sex,
    Site,
    TechniqueKind,
)
from reviewer.language.sections import EARLIER
from reviewer.rules.facts import Facts, deepest
from reviewer.rules.ruleset import CodeEntry, Ruleset


def _addon_units(sq_cm: float, step: int) -> int:
    """Units of a per-20-sq-cm add-on beyond the first 20 sq cm."""
    return max(0, math.ceil((sq_cm - step) / step - 1e-9))


@dataclass(frozen=True)
class _Statuses:
    c1: Status
    c2: Status
    c3: Status
    c4: Status

    @classmethod
    def of(cls, criteria: dict[CriterionId, Criterion]) -> _Statuses:
        return cls(
            criteria[CriterionId.necrotizing_infection].status,
            criteria[CriterionId.site].status,
            criteria[CriterionId.excisional].status,
            criteria[CriterionId.depth].status,
        )


def recommend(
    facts: Facts, criteria: dict[CriterionId, Criterion], rs: Ruleset, *, sex: Sex | None = None
) -> list[RecommendedCode]:
    st = _Statuses.of(criteria)
    family = facts.field.family or ("genital_perineal" if st.c2 is Status.unclear else None)
    codes: list[RecommendedCode] = []
    if family is not None and st.c1 is not Status.not_met and st.c3 is not Status.not_met:
        codes.extend(_nsti_codes(facts, criteria, st, rs, family))
    elif st.c3 is Status.met:
        # Excisional, but not an NSTI of the 11004-11006 field: 11042-11044 by depth and area.
        codes.extend(
            _excisional_codes(rs, facts.removed, facts.areas, Role.primary, [], "outside the NSTI codes")
        )
        codes.extend(_mesh(facts, rs, Role.consider))
    elif st.c3 is Status.not_met:
        codes.extend(_drainage_or_wound_care(facts, rs, sex))
    codes.extend(_other_procedures(facts, rs))
    return _dedupe(codes)


def _nsti_codes(
    facts: Facts, criteria: dict[CriterionId, Criterion], st: _Statuses, rs: Ruleset, family: str
) -> list[RecommendedCode]:
    """The family code (primary when its criteria are met, else to consider pending the query),
    +11008, separate regions, and the depth codes a query answer could lead to."""
    entry = rs.families[family]
    all_met = (
        st.c1 is Status.met and st.c3 is Status.met and st.c4 is Status.met and st.c2 is not Status.unclear
    )
    modifier, why = _global_modifier(facts, rs)
    unclear = [cid.value.replace("_", " ") for cid, c in criteria.items() if c.status is Status.unclear]
    if all_met:
        because = entry.reason
    elif unclear:
        because = f"If the physician query confirms what is unclear ({', '.join(unclear)})."
    else:
        because = "Pending review."
    codes = [
        RecommendedCode(
            code=entry.code,
            units=1,
            modifiers=[modifier] if modifier else [],
            role=Role.primary if all_met else Role.consider,
            description=entry.description,
            reason=because + why,
        ),
        *_mesh(facts, rs, Role.add_on),
        *_separate_regions(facts, rs),
    ]
    if st.c1 is Status.unclear and st.c3 is Status.met:
        # The answer to the diagnosis query may be "not necrotizing": then the excision is
        # coded by its depth (ruleset decision suspected-nsti-offers-depth-code).
        why_not = "if the physician does not confirm a necrotizing infection"
        codes.extend(_excisional_codes(rs, facts.removed, facts.areas, Role.consider, [], why_not))
    if (
        st.c3 is Status.met
        and st.c4 is Status.unclear
        and deepest(facts.removed) in (Layer.skin, Layer.subcutaneous)
    ):
        why_subq = "if the physician confirms subcutaneous tissue was the deepest layer removed"
        codes.extend(
            _excisional_codes(
                rs, facts.removed, facts.areas, Role.consider, [], why_subq, floor=Layer.subcutaneous
            )
        )
    return codes


def _excisional_codes(
    rs: Ruleset,
    layers: Sequence[LayerFinding],
    areas: Sequence[Area],
    role: Role,
    modifiers: list[str],
    where: str,
    floor: Layer | None = None,
) -> list[RecommendedCode]:
    """11042-11044 by the deepest layer removed (or `floor`), with its area add-on."""
    layer = floor or deepest(layers)
    entry = rs.excisional_by_depth[(layer or Layer.subcutaneous).value]
    depth_note = (
        f"deepest layer removed: {layer.value}" if layer else "depth not documented: confirm before billing"
    )
    main = RecommendedCode(
        code=entry.code,
        units=1,
        modifiers=modifiers,
        role=role if layer else Role.consider,
        description=entry.description,
        reason=f"Excisional debridement {where}; {depth_note}.",
        evidence=[lay.evidence for lay in layers],
    )
    # The same wound is usually measured more than once: take the largest measurement.
    largest = max(areas, key=lambda a: a.sq_cm) if areas else None
    addon = _addon(entry, rs, largest, f"Documented area {largest.sq_cm:g} sq cm" if largest else "")
    if addon is None:
        return [main]
    role_addon = Role.consider if main.role is Role.consider else Role.add_on
    return [main, addon.model_copy(update={"modifiers": modifiers, "role": role_addon})]


def _addon(entry: CodeEntry, rs: Ruleset, area: Area | None, what: str) -> RecommendedCode | None:
    """The per-area add-on of `entry` for `area`, when the area goes beyond the first step."""
    step = rs.area_step_sq_cm
    units = _addon_units(area.sq_cm, step) if area else 0
    if area is None or not units or entry.addon is None:
        return None
    return RecommendedCode(
        code=entry.addon,
        units=units,
        role=Role.consider,
        description=f"Add-on to {entry.code}: each further {step} sq cm",
        reason=f"{what}: {units} unit(s) beyond the first {step} sq cm.",
        evidence=[area.evidence],
    )


def _global_modifier(facts: Facts, rs: Ruleset) -> tuple[str | None, str]:
    """58/78 when today's repeat debridement follows a procedure with a 90-day global
    (ruleset decision global-modifier)."""
    f = facts.findings
    today = [r for r in f.repeat if r.kind is RepeatKind.today and r.assertion is Assertion.present]
    prior = [
        p
        for p in f.procedures
        if p.kind.value in rs.global_procedures
        and (p.assertion is Assertion.historical or p.evidence.section in EARLIER)
        and p.evidence.alignment not in (Alignment.unaligned, Alignment.mismatch)
    ]
    if not today or not prior:
        return None, ""
    # 58 when today's return is itself told as staged or planned ("planned second look"); a plan
    # for a later debridement says nothing about whether today's was planned.
    planned = any(r.staged for r in today)
    modifier = rs.staged_modifier if planned else rs.unplanned_modifier
    kind = prior[0].kind.value.replace("_", " ")
    return modifier, (
        f" Modifier {modifier}: repeat debridement after a prior {kind} (90-day global); it applies only if the"
        " same surgeon did that within 90 days, otherwise bill without a modifier."
    )


def _mesh(facts: Facts, rs: Ruleset, role: Role) -> list[RecommendedCode]:
    mesh = [p for p in facts.procedures if p.kind is ProcedureKind.mesh_removal]
    if not mesh:
        return []
    return [
        RecommendedCode(
            code=rs.mesh_removal.code,
            role=role,
            description=rs.mesh_removal.description,
            reason="Removal of infected mesh from the abdominal wall documented with the primary debridement.",
            evidence=[m.evidence for m in mesh],
        )
    ]


def _separate_regions(facts: Facts, rs: Ruleset) -> list[RecommendedCode]:
    codes: list[RecommendedCode] = []
    for region in facts.field.separate:
        codes.extend(
            _excisional_codes(
                rs,
                facts.removed_at(region),
                facts.areas_of({region}),
                Role.additional,
                [rs.separate_region_modifier],
                f"of a separate region ({region.value.replace('_', ' ')})",
            )
        )
    return codes


def _drainage_or_wound_care(facts: Facts, rs: Ruleset, sex: Sex | None) -> list[RecommendedCode]:
    kinds = {t.kind for t in facts.procedural_techniques}
    codes: list[RecommendedCode] = []
    if TechniqueKind.incision_drainage in kinds:
        codes.extend(_drainage(facts, rs, sex))
    if TechniqueKind.selective in kinds:
        codes.extend(_selective(facts, rs))
    if TechniqueKind.nonselective in kinds:
        entry = rs.wound_care["nonselective"]
        codes.append(
            RecommendedCode(
                code=entry.code,
                role=Role.consider,
                description=entry.description,
                reason="Non-selective wound care only.",
            )
        )
    return codes


def _selective(facts: Facts, rs: Ruleset) -> list[RecommendedCode]:
    """97597, and +97598 by the area debrided when the note gives it with the debridement,
    else by the wound's (ruleset decision documented-nonexcisional)."""
    entry = rs.wound_care["selective"]
    selective = [t for t in facts.procedural_techniques if t.kind is TechniqueKind.selective]
    main = RecommendedCode(
        code=entry.code,
        role=Role.consider,
        description=entry.description,
        reason="Selective removal of devitalised surface tissue only (first 20 sq cm).",
        evidence=[t.evidence for t in selective],
    )
    areas = facts.areas
    measured = max([a for a in areas if a.debrided] or areas, key=lambda a: a.sq_cm, default=None)
    addon = _addon(entry, rs, measured, f"Area debrided {measured.sq_cm:g} sq cm" if measured else "")
    return [main] if addon is None else [main, addon]


def _drainage(facts: Facts, rs: Ruleset, sex: Sex | None) -> list[RecommendedCode]:
    """The drainage code of each region drained (ruleset decision drainage-by-site)."""
    f = facts.findings
    drained: list[Site | None] = [*facts.field.sites] or [
        s for s in f.sites if s.assertion is Assertion.present
    ]
    # The deeper space names the abscess: an ischiorectal abscess opened through a perianal
    # incision is 46040, not 46040 and 46050.
    if any(s and s.region is Region.ischiorectal for s in drained):
        drained = [s for s in drained if not (s and s.region is Region.perianal)]
    done = {p.kind for p in facts.procedures}
    table = rs.drainage_by_region
    codes: list[RecommendedCode] = []
    seen: set[str] = set()
    for site in drained or [None]:
        region = site.region.value if site else "default"
        entry = table.get(region, table["default"])
        if sex is Sex.male and entry.male is not None:
            entry = entry.male
        for kind, variant in entry.along.items():
            if ProcedureKind(kind) in done:
                entry = variant
        if entry.complex is not None and ProcedureKind.incision_drainage_complex in done:
            entry = entry.complex
        if entry.code in seen:
            continue
        seen.add(entry.code)
        where = f" of the {region.replace('_', ' ')}" if site else ""
        codes.append(
            RecommendedCode(
                code=entry.code,
                role=Role.consider,
                description=entry.description,
                reason=f"Incision and drainage only{where}.",
                evidence=[site.evidence] if site else [],
            )
        )
    return codes


def _other_procedures(facts: Facts, rs: Ruleset) -> list[RecommendedCode]:
    total_area = max((a.sq_cm for a in facts.areas), default=0.0)
    codes: list[RecommendedCode] = []
    for p in facts.procedures:
        entry = rs.other_procedures.get(p.kind.value)
        if entry is None:
            continue
        code = entry.code
        if entry.large_code and entry.large_above_sq_cm is not None and total_area > entry.large_above_sq_cm:
            code = entry.large_code
        codes.append(
            RecommendedCode(
                code=code,
                role=Role.additional,
                description=entry.description,
                reason="Also documented; check separately.",
                evidence=[p.evidence],
            )
        )
    return codes


def _dedupe(codes: list[RecommendedCode]) -> list[RecommendedCode]:
    out: dict[tuple[str, str], RecommendedCode] = {}
    for c in codes:
        key = (c.code, c.role.value)
        if key in out:
            prev = out[key]
            merged = {(e.quote, e.start, e.end): e for e in [*prev.evidence, *c.evidence]}
            out[key] = prev.model_copy(update={"evidence": list(merged.values())})
        else:
            out[key] = c
    return list(out.values())
