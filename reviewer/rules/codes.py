"""Recommended codes: what the documentation supports instead of or in addition to 11004."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from reviewer.decision import Criterion, CriterionId, RecommendedCode, Role, Status
from reviewer.findings import (
    GENITAL_PERINEAL,
    Alignment,
    Area,
    Assertion,
    Findings,
    Layer,
    LayerFinding,
    ProcedureKind,
    Region,
    RepeatKind,
    Sex,
    Site,
    TechniqueKind,
)
from reviewer.rules.criteria import Field, deepest, procedural, removed_layers


def _addon_units(sq_cm: float, step: int) -> int:
    """Units of a per-20-sq-cm add-on beyond the first 20 sq cm."""
    return max(0, math.ceil((sq_cm - step) / step - 1e-9))


def _area(f: Findings, regions: set[Region] | None) -> list[Area]:
    areas = procedural(f.areas)
    if regions is None:
        return areas
    return [a for a in areas if a.region in regions]


def _excisional_codes(
    rs: dict[str, Any],
    layer: Layer | None,
    areas: Sequence[Area],
    layers: Sequence[LayerFinding],
    role: Role,
    modifiers: list[str],
    where: str,
) -> list[RecommendedCode]:
    entry = rs["excisional_by_depth"][(layer or Layer.subcutaneous).value]
    depth_note = (
        f"deepest layer removed: {layer.value}" if layer else "depth not documented: confirm before billing"
    )
    codes = [
        RecommendedCode(
            code=entry["code"],
            units=1,
            modifiers=modifiers,
            role=role if layer else Role.consider,
            description=entry["description"],
            reason=f"Excisional debridement {where}; {depth_note}.",
            evidence=[lay.evidence for lay in layers],
        )
    ]
    # The same wound is usually measured more than once: take the largest measurement.
    largest = max(areas, key=lambda a: a.sq_cm) if areas else None
    total = largest.sq_cm if largest else 0.0
    units = _addon_units(total, rs["area_step_sq_cm"]) if largest else 0
    if units:
        codes.append(
            RecommendedCode(
                code=entry["addon"],
                units=units,
                modifiers=modifiers,
                role=Role.consider if codes[0].role is Role.consider else Role.add_on,
                description=f"Add-on to {entry['code']}: each further {rs['area_step_sq_cm']} sq cm",
                reason=f"Documented area {total:g} sq cm: {units} unit(s) beyond the first {rs['area_step_sq_cm']} sq cm.",
                evidence=[largest.evidence] if largest else [],
            )
        )
    return codes


def family_key(field: Field) -> str | None:
    if field.genital_perineal and field.abdominal_wall:
        return "genital_perineal_and_abdominal_wall"
    if field.genital_perineal:
        return "genital_perineal"
    if field.abdominal_wall:
        return "abdominal_wall"
    if field.perianal:
        return "genital_perineal"  # pending the site query
    return None


def recommend(
    f: Findings,
    criteria: dict[CriterionId, Criterion],
    field: Field,
    rs: dict[str, Any],
    *,
    sex: Sex | None = None,
) -> list[RecommendedCode]:
    st = {cid: c.status for cid, c in criteria.items()}
    c1, c2, c3, c4 = (
        st[CriterionId.necrotizing_infection],
        st[CriterionId.site],
        st[CriterionId.excisional],
        st[CriterionId.depth],
    )
    codes: list[RecommendedCode] = []
    family = family_key(field) or ("genital_perineal" if c2 is Status.unclear else None)
    nsti_path = c1 is not Status.not_met and c3 is not Status.not_met and family is not None
    if nsti_path and family is not None:
        entry = rs["families"][family]
        all_met = c1 is Status.met and c3 is Status.met and c4 is Status.met and c2 is not Status.unclear
        modifier, why = _global_modifier(f, rs)
        unclear = [cid.value.replace("_", " ") for cid, status in st.items() if status is Status.unclear]
        because = (
            entry["reason"]
            if all_met
            else f"If the physician query confirms what is unclear ({', '.join(unclear)})."
            if unclear
            else "Pending review."
        )
        codes.append(
            RecommendedCode(
                code=entry["code"],
                units=1,
                modifiers=[modifier] if modifier else [],
                role=Role.primary if all_met else Role.consider,
                description=entry["description"],
                reason=because + why,
            )
        )
        codes.extend(_mesh(f, rs, Role.add_on))
        if field.separate:
            codes.extend(_separate_regions(f, field, rs))
        if c1 is Status.unclear and c3 is Status.met:
            # The answer to the diagnosis query may be "not necrotizing": then the excision is
            # coded by its depth (11042-11044).
            layers = removed_layers(f)
            codes.extend(
                _excisional_codes(
                    rs,
                    deepest(layers),
                    _area(f, None),
                    layers,
                    Role.consider,
                    [],
                    "if the physician does not confirm a necrotizing infection",
                )
            )
        if (
            c3 is Status.met
            and c4 is Status.unclear
            and deepest(removed_layers(f)) in (Layer.skin, Layer.subcutaneous)
        ):
            codes.extend(
                _excisional_codes(
                    rs,
                    Layer.subcutaneous,
                    _area(f, None),
                    removed_layers(f),
                    Role.consider,
                    [],
                    "if the physician confirms subcutaneous tissue was the deepest layer removed",
                )
            )
    elif c3 is Status.met:
        # Excisional, but not an NSTI of the 11004-11006 field: 11042-11044 by depth and area.
        layers = removed_layers(f)
        codes.extend(
            _excisional_codes(
                rs,
                deepest(layers),
                _area(f, None),
                layers,
                Role.primary,
                [],
                "outside the NSTI codes",
            )
        )
        codes.extend(_mesh(f, rs, Role.consider))
    elif c3 is Status.not_met:
        codes.extend(_drainage_or_wound_care(f, field, rs, sex))
    codes.extend(_other_procedures(f, rs))
    return _dedupe(codes)


def _global_modifier(f: Findings, rs: dict[str, Any]) -> tuple[str | None, str]:
    """58/78 when today's repeat debridement follows a procedure with a 90-day global."""
    today = [r for r in f.repeat if r.kind is RepeatKind.today and r.assertion is Assertion.present]
    earlier = ("history", "preoperative_diagnosis", "indications", "hpi")
    prior = [
        p
        for p in f.procedures
        if p.kind.value in rs["global_procedures"]
        and (p.assertion is Assertion.historical or p.evidence.section in earlier)
        and p.evidence.alignment not in (Alignment.unaligned, Alignment.mismatch)
    ]
    if not today or not prior:
        return None, ""
    planned = any(r.staged for r in today) or any(r.kind is RepeatKind.planned for r in f.repeat)
    modifier = rs["staged_modifier"] if planned else rs["unplanned_modifier"]
    kind = prior[0].kind.value.replace("_", " ")
    return modifier, (
        f" Modifier {modifier}: repeat debridement after a prior {kind} (90-day global); it applies only if the"
        " same surgeon did that within 90 days, otherwise bill without a modifier."
    )


def _mesh(f: Findings, rs: dict[str, Any], role: Role) -> list[RecommendedCode]:
    mesh = [p for p in procedural(f.procedures) if p.kind is ProcedureKind.mesh_removal]
    if not mesh:
        return []
    entry = rs["mesh_removal"]
    return [
        RecommendedCode(
            code=entry["code"],
            role=role,
            description=entry["description"],
            reason="Removal of infected mesh from the abdominal wall documented with the primary debridement.",
            evidence=[m.evidence for m in mesh],
        )
    ]


def _separate_regions(f: Findings, field: Field, rs: dict[str, Any]) -> list[RecommendedCode]:
    codes: list[RecommendedCode] = []
    for region in field.separate:
        layers = [lay for lay in removed_layers(f) if lay.region is region] or [
            lay for lay in removed_layers(f) if lay.region not in GENITAL_PERINEAL
        ]
        codes.extend(
            _excisional_codes(
                rs,
                deepest(layers),
                _area(f, {region}),
                layers,
                Role.additional,
                [rs["separate_region_modifier"]],
                f"of a separate region ({region.value.replace('_', ' ')})",
            )
        )
    return codes


def _drainage_or_wound_care(
    f: Findings, field: Field, rs: dict[str, Any], sex: Sex | None
) -> list[RecommendedCode]:
    kinds = {t.kind for t in procedural(f.techniques)}
    codes: list[RecommendedCode] = []
    if TechniqueKind.incision_drainage in kinds:
        codes.extend(_drainage(f, field, rs, sex))
    if TechniqueKind.selective in kinds:
        entry = rs["wound_care"]["selective"]
        selective = [t for t in procedural(f.techniques) if t.kind is TechniqueKind.selective]
        codes.append(
            RecommendedCode(
                code=entry["code"],
                role=Role.consider,
                description=entry["description"],
                reason="Selective removal of devitalised surface tissue only (first 20 sq cm).",
                evidence=[t.evidence for t in selective],
            )
        )
        # The area debrided, when the note gives it with the debridement; else the wound's.
        areas = _area(f, None)
        measured = max([a for a in areas if a.debrided] or areas, key=lambda a: a.sq_cm, default=None)
        units = _addon_units(measured.sq_cm, rs["area_step_sq_cm"]) if measured else 0
        if measured and units:
            codes.append(
                RecommendedCode(
                    code=entry["addon"],
                    units=units,
                    role=Role.consider,
                    description=f"Add-on to {entry['code']}: each further {rs['area_step_sq_cm']} sq cm",
                    reason=f"Area debrided {measured.sq_cm:g} sq cm: {units} unit(s) beyond the first {rs['area_step_sq_cm']} sq cm.",
                    evidence=[measured.evidence],
                )
            )
    if TechniqueKind.nonselective in kinds:
        entry = rs["wound_care"]["nonselective"]
        codes.append(
            RecommendedCode(
                code=entry["code"],
                role=Role.consider,
                description=entry["description"],
                reason="Non-selective wound care only.",
            )
        )
    return codes


def _drainage(f: Findings, field: Field, rs: dict[str, Any], sex: Sex | None) -> list[RecommendedCode]:
    """The drainage code of each region drained (ruleset decision drainage-by-site)."""
    drained: list[Site | None] = [*field.sites] or [s for s in f.sites if s.assertion is Assertion.present]
    done = {p.kind for p in procedural(f.procedures)}
    table = rs["drainage_by_region"]
    codes: list[RecommendedCode] = []
    seen: set[str] = set()
    for site in drained or [None]:
        region = site.region.value if site else "default"
        entry = table.get(region, table["default"])
        if sex is Sex.male and "male" in entry:
            entry = entry["male"]
        for kind, variant in entry.get("with", {}).items():
            if ProcedureKind(kind) in done:
                entry = variant
        if "complex" in entry and ProcedureKind.incision_drainage_complex in done:
            entry = entry["complex"]
        if entry["code"] in seen:
            continue
        seen.add(entry["code"])
        where = f" of the {region.replace('_', ' ')}" if site else ""
        codes.append(
            RecommendedCode(
                code=entry["code"],
                role=Role.consider,
                description=entry["description"],
                reason=f"Incision and drainage only{where}.",
                evidence=[site.evidence] if site else [],
            )
        )
    return codes


def _other_procedures(f: Findings, rs: dict[str, Any]) -> list[RecommendedCode]:
    table = rs["other_procedures"]
    total_area = max((a.sq_cm for a in _area(f, None)), default=0.0)
    codes: list[RecommendedCode] = []
    for p in procedural(f.procedures):
        if p.kind.value not in table:
            continue
        entry = table[p.kind.value]
        code = entry["code"]
        if "large_code" in entry and total_area > entry["large_above_sq_cm"]:
            code = entry["large_code"]
        codes.append(
            RecommendedCode(
                code=code,
                role=Role.additional,
                description=entry["description"],
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
            out[key] = prev.model_copy(
                update={
                    "evidence": list(
                        {(e.quote, e.start, e.end): e for e in [*prev.evidence, *c.evidence]}.values()
                    )
                }
            )
        else:
            out[key] = c
    return list(out.values())
