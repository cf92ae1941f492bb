"""What the rule layer reads, derived once from checked findings: the facts stated as today's
(aligned, asserted present, from sections that tell today's operation), the debrided field, and
the layers removed. Criteria, codes, queries and flags all read this one object."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from reviewer.findings import (
    GENITAL_PERINEAL,
    LAYER_DEPTH,
    Alignment,
    Area,
    Assertion,
    Evidence,
    Finding,
    Findings,
    Layer,
    LayerAction,
    LayerFinding,
    NstiIndicator,
    OtherProcedure,
    Region,
    Site,
    SiteRole,
    Technique,
    TechniqueKind,
)
from reviewer.language.sections import NARRATIVE, NOT_TODAY, OPERATIVE, TECHNIQUE

# Regions outside the NSTI field that get their own code when documented as separate wounds.
SEPARATE_REGIONS = frozenset({Region.thigh, Region.buttock, Region.other})
# Perianal skin and the ischiorectal/perirectal spaces (policy: C2 unclear when alone).
ANORECTAL = frozenset({Region.perianal, Region.ischiorectal})

F = TypeVar("F", bound=Finding)


def usable(finding: Finding) -> bool:
    """Evidence found in the note and outside the sections that describe other times."""
    e = finding.evidence
    return e.alignment not in (Alignment.unaligned, Alignment.mismatch) and e.section not in NOT_TODAY


def present(findings: Iterable[F]) -> list[F]:
    return [f for f in findings if usable(f) and f.assertion is Assertion.present]


def procedural(items: Iterable[F]) -> list[F]:
    """Present, and told in the operative narrative or title."""
    return [i for i in present(items) if i.evidence.section in OPERATIVE]


def deepest(layers: Iterable[LayerFinding]) -> Layer | None:
    return max((layer.layer for layer in layers), key=LAYER_DEPTH.__getitem__, default=None)


def quotes(items: Iterable[Finding], limit: int = 3) -> str:
    """The distinct quotes of the items, for a reason: '"a", "b"'."""
    seen: list[str] = []
    for f in items:
        q = f.evidence.quote.strip()
        if q.lower() not in (s.lower() for s in seen):
            seen.append(q)
    return ", ".join(f'"{q}"' for q in seen[:limit])


def evidence_of(items: Iterable[Finding]) -> list[Evidence]:
    """The distinct evidence of the items, in order."""
    out: dict[tuple[str, int, int], Evidence] = {}
    for f in items:
        out.setdefault((f.evidence.quote, f.evidence.start, f.evidence.end), f.evidence)
    return list(out.values())


def region_names(sites: Sequence[Site]) -> str:
    ordered: list[str] = []
    for s in sites:
        name = s.region.value.replace("_", " ")
        if name not in ordered:
            ordered.append(name)
    return ", ".join(ordered)


@dataclass(frozen=True)
class Field:
    """The debrided field: its sites and the regions that decide the family code."""

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

    @property
    def family(self) -> str | None:
        """The NSTI family the field points to (a ruleset `families` key)."""
        if self.genital_perineal and self.abdominal_wall:
            return "genital_perineal_and_abdominal_wall"
        if self.genital_perineal:
            return "genital_perineal"
        if self.abdominal_wall:
            return "abdominal_wall"
        if self.perianal:
            return "genital_perineal"  # pending the site query
        return None


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


@dataclass(frozen=True)
class Facts:
    """The checked findings as the rule layer reads them, each derivation made once."""

    findings: Findings

    @cached_property
    def field(self) -> Field:
        return debrided_field(self.findings)

    @cached_property
    def sites(self) -> list[Site]:
        return present(self.findings.sites)

    @cached_property
    def techniques(self) -> list[Technique]:
        """Present techniques told as today's (the narrative, or a progress note's S:)."""
        return [t for t in present(self.findings.techniques) if t.evidence.section in TECHNIQUE]

    @cached_property
    def doubted_techniques(self) -> list[Technique]:
        """Debridements the note names as today's but without saying clearly they were done
        ("possibly debrided", "debridement?", run-on text with no punctuation to tie a "not" to
        its verb): a query, never "no debridement" (ruleset decision doubted-debridement)."""
        return [
            t
            for t in self.findings.techniques
            if usable(t)
            and t.assertion is Assertion.possible
            and t.evidence.section in TECHNIQUE
            and t.kind in (TechniqueKind.excisional, TechniqueKind.debridement_unspecified)
        ]

    @cached_property
    def procedural_techniques(self) -> list[Technique]:
        return procedural(self.findings.techniques)

    @cached_property
    def layers(self) -> list[LayerFinding]:
        return procedural(self.findings.layers)

    @cached_property
    def removed(self) -> list[LayerFinding]:
        """The layers removed today, wherever they were."""
        return [layer for layer in self.layers if layer.action is LayerAction.removed]

    @cached_property
    def separate_regions(self) -> frozenset[Region]:
        """Regions whose layers do not decide the NSTI field's depth (when there is a field)."""
        field = self.field
        in_field = field.genital_perineal or field.abdominal_wall or field.perianal
        return SEPARATE_REGIONS if in_field else frozenset()

    @cached_property
    def removed_in_field(self) -> list[LayerFinding]:
        return [layer for layer in self.removed if layer.region not in self.separate_regions]

    @cached_property
    def deep_removal(self) -> bool:
        """Subcutaneous tissue, fascia or muscle documented as removed today."""
        return any(LAYER_DEPTH[layer.layer] >= LAYER_DEPTH[Layer.subcutaneous] for layer in self.removed)

    @cached_property
    def indicators(self) -> list[NstiIndicator]:
        return procedural(self.findings.nsti_indicators)

    @cached_property
    def areas(self) -> list[Area]:
        return procedural(self.findings.areas)

    @cached_property
    def procedures(self) -> list[OtherProcedure]:
        return procedural(self.findings.procedures)

    def areas_of(self, regions: set[Region]) -> list[Area]:
        return [a for a in self.areas if a.region in regions]

    def removed_at(self, region: Region) -> list[LayerFinding]:
        """The layers removed in sentences naming `region`; if none names it, those outside the
        genital/perineal field (ruleset decision separate-region-depth)."""
        return [layer for layer in self.removed if layer.region is region] or [
            layer for layer in self.removed if layer.region not in GENITAL_PERINEAL
        ]
