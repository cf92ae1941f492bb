"""ICD-10-CM suggestions from checked findings.

The mapping (finding -> candidate codes, reasons, sex-specific ranges) is data in
`reviewer/data/icd10_map.yaml`; validity, billability, titles and Excludes1 notes come from the
ICD-10-CM release inside the installed `simple-icd-10-cm` package. A code that is not a billable
leaf of that release is never returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from reviewer.datafile import load_yaml
from reviewer.decision import Icd10Suggestion
from reviewer.findings import (
    Alignment,
    Assertion,
    Evidence,
    Finding,
    Findings,
    NstiMention,
    NstiType,
    Region,
    Sex,
)

if TYPE_CHECKING:
    from reviewer.rules.icd10_release import Release

__all__ = [
    "Icd10Map",
    "exists",
    "icd10_release",
    "is_billable",
    "load_icd10_map",
    "parse_icd10_map",
    "sex_of_code",
    "suggest_icd10",
]

logger = logging.getLogger(__name__)

MAP_FILE = "icd10_map.yaml"


# --- the mapping, as typed data ------------------------------------------------------------


@dataclass(frozen=True)
class NstiRule:
    code: str
    types: frozenset[NstiType]
    reason: str
    sex: Sex | None = None
    regions: frozenset[Region] = frozenset()


@dataclass(frozen=True)
class NstiGroup:
    name: str
    rules: tuple[NstiRule, ...]


@dataclass(frozen=True)
class OrganismCode:
    key: str
    label: str
    code: str
    sepsis_code: str | None = None


@dataclass(frozen=True)
class SepsisLevel:
    severity: str
    label: str
    code: str | None = None  # R65.2- for severe sepsis / septic shock
    reason: str = ""


@dataclass(frozen=True)
class ComorbidityCode:
    name: str
    code: str
    reason: str
    unless: frozenset[str] = frozenset()  # more specific findings that replace this one


@dataclass(frozen=True, eq=False)
class Icd10Map:
    version: str
    sex_ranges: Mapping[Sex, tuple[tuple[str, str], ...]]
    nsti_fallback: str
    nsti_fallback_reasons: Mapping[str, str]
    nsti_terms: Mapping[NstiType, str]
    nsti_groups: tuple[NstiGroup, ...]
    organisms: Mapping[str, OrganismCode]
    sepsis_unspecified: str
    sepsis_levels: tuple[SepsisLevel, ...]  # least to most severe
    comorbidities: tuple[ComorbidityCode, ...]

    def sex_of(self, code: str) -> Sex | None:
        category = _normalise(code)[:3]
        for sex, ranges in self.sex_ranges.items():
            if any(low <= category <= high for low, high in ranges):
                return sex
        return None


def load_icd10_map(path: Path | None = None) -> Icd10Map:
    """The packaged mapping (read once), or the YAML file at `path`."""
    if path is None:
        return _packaged_map()
    return parse_icd10_map(load_yaml(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _packaged_map() -> Icd10Map:
    text = resources.files("reviewer.data").joinpath(MAP_FILE).read_text(encoding="utf-8")
    return parse_icd10_map(load_yaml(text))


def parse_icd10_map(data: Mapping[str, Any]) -> Icd10Map:
    """Build an `Icd10Map` from the parsed YAML; a malformed file raises ValueError."""
    try:
        nsti = data["nsti"]
        sepsis = data["sepsis"]
        return Icd10Map(
            version=str(data["version"]),
            sex_ranges=MappingProxyType(
                {
                    Sex(sex): tuple((str(lo).upper(), str(hi).upper()) for lo, hi in ranges)
                    for sex, ranges in data["sex_specific_ranges"].items()
                }
            ),
            nsti_fallback=_normalise(nsti["fallback"]),
            nsti_fallback_reasons=MappingProxyType(dict(nsti["fallback_reasons"])),
            nsti_terms=MappingProxyType({NstiType(k): str(v) for k, v in nsti["terms"].items()}),
            nsti_groups=tuple(_nsti_group(group) for group in nsti["groups"]),
            organisms=MappingProxyType(
                {str(key): _organism(key, entry) for key, entry in data["organisms"].items()}
            ),
            sepsis_unspecified=_normalise(sepsis["unspecified_code"]),
            sepsis_levels=tuple(
                _sepsis_level(severity, entry) for severity, entry in sepsis["severities"].items()
            ),
            comorbidities=tuple(_comorbidity(name, entry) for name, entry in data["comorbidities"].items()),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"{MAP_FILE}: malformed mapping ({type(exc).__name__}: {exc})") from None


def _nsti_group(group: Mapping[str, Any]) -> NstiGroup:
    return NstiGroup(
        name=str(group["name"]),
        rules=tuple(
            NstiRule(
                code=_normalise(rule["code"]),
                types=frozenset(NstiType(t) for t in rule["types"]),
                reason=str(rule["reason"]),
                sex=Sex(rule["sex"]) if rule.get("sex") else None,
                regions=frozenset(Region(r) for r in rule.get("regions", ())),
            )
            for rule in group["rules"]
        ),
    )


def _organism(key: object, entry: Mapping[str, Any]) -> OrganismCode:
    return OrganismCode(
        key=str(key),
        label=str(entry["label"]),
        code=_normalise(entry["code"]),
        sepsis_code=_normalise(entry["sepsis_code"]) if entry.get("sepsis_code") else None,
    )


def _sepsis_level(severity: object, entry: Mapping[str, Any]) -> SepsisLevel:
    return SepsisLevel(
        severity=str(severity),
        label=str(entry["label"]),
        code=_normalise(entry["code"]) if entry.get("code") else None,
        reason=str(entry.get("reason", "")),
    )


def _comorbidity(name: object, entry: Mapping[str, Any]) -> ComorbidityCode:
    return ComorbidityCode(
        name=str(name),
        code=_normalise(entry["code"]),
        reason=str(entry["reason"]),
        unless=frozenset(str(u) for u in entry.get("unless", ())),
    )


# --- ICD-10-CM release (simple-icd-10-cm's answers, cached in SQLite: see icd10_release.py) ---


def _icd() -> Release:
    from reviewer.rules.icd10_release import release

    return release()


@lru_cache(maxsize=4096)
def exists(code: str) -> bool:
    """True when `code` is a code or category of the installed ICD-10-CM release."""
    return bool(_icd().is_valid_item(_normalise(code)))


@lru_cache(maxsize=4096)
def is_billable(code: str) -> bool:
    """True when `code` exists in the installed ICD-10-CM release and is a leaf (billable)."""
    icd = _icd()
    code = _normalise(code)
    return bool(icd.is_valid_item(code)) and bool(icd.is_leaf(code))


@lru_cache(maxsize=4096)
def _title(code: str) -> str:
    return str(_icd().get_description(code))


def icd10_release() -> str:
    """The ICD-10-CM release checked against: "ICD-10-CM April-1-2026 (simple-icd-10-cm 1.5.0)"."""
    from importlib import metadata

    version = metadata.version("simple-icd-10-cm")
    tabular = [
        f.name for f in metadata.files("simple-icd-10-cm") or () if f.name.startswith("icd10c-tabular-")
    ]
    release = tabular[0].removeprefix("icd10c-tabular-").removesuffix(".xml") if tabular else "?"
    return f"ICD-10-CM {release} (simple-icd-10-cm {version})"


def sex_of_code(code: str, mapping: Icd10Map | None = None) -> Sex | None:
    """The only sex a diagnosis code may be reported for, or None when it is not sex-specific."""
    return (mapping or load_icd10_map()).sex_of(code)


_CODE = r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"
_PAREN = re.compile(r"\(([^()]*)\)")
_SINGLE = re.compile(rf"({_CODE})\.?-?")
_RANGE = re.compile(rf"({_CODE})-({_CODE})")


@lru_cache(maxsize=4096)
def _excludes1(code: str) -> tuple[tuple[str, str], ...]:
    """Code ranges (low, high) named in Excludes1 notes of `code` and of its ancestors."""
    icd = _icd()
    spans: list[tuple[str, str]] = []
    for item in (code, *icd.get_ancestors(code)):
        for note in icd.get_excludes1(item):
            for group in _PAREN.findall(note):
                if " with " in f" {group} ":  # "E08-E13 with .52": a qualified range, not parsed
                    continue
                for token in (t.strip() for t in group.split(",")):
                    if m := _RANGE.fullmatch(token):
                        spans.append((m[1], m[2]))
                    elif m := _SINGLE.fullmatch(token):
                        spans.append((m[1], m[1]))
    return tuple(spans)


def _covers(span: tuple[str, str], code: str) -> bool:
    low, high = span
    return code[: len(low)] >= low and code[: len(high)] <= high


def _excluded_together(a: str, b: str) -> bool:
    return any(_covers(s, b) for s in _excludes1(a)) or any(_covers(s, a) for s in _excludes1(b))


# --- suggestions ---------------------------------------------------------------------------


@dataclass
class _Slot:
    """One diagnosis to suggest: candidate (code, reason) pairs tried in order."""

    candidates: list[tuple[str, str]]
    evidence: list[Evidence] = field(default_factory=list)


def suggest_icd10(
    findings: Findings,
    sex: Sex | None,
    nsti_confirmed: bool,
    *,
    mapping: Icd10Map | None = None,
) -> list[Icd10Suggestion]:
    """ICD-10-CM codes the documentation supports: NSTI, sepsis, organisms, comorbidities.

    Only present, aligned findings count. NSTI codes only when `nsti_confirmed` (C1 met).
    """
    table = mapping or load_icd10_map()
    slots = [
        *(_nsti_slots(findings, sex, table) if nsti_confirmed else []),
        *_sepsis_slots(findings, table),
        *_organism_slots(findings, table),
        *_comorbidity_slots(findings, table),
    ]
    return _choose(slots, sex, table)


def _counts(finding: Finding) -> bool:
    return finding.assertion is Assertion.present and finding.evidence.alignment is not Alignment.unaligned


def _nsti_slots(findings: Findings, sex: Sex | None, table: Icd10Map) -> list[_Slot]:
    mentions = [m for m in findings.nsti if _counts(m)]
    slots: list[_Slot] = []
    for group in table.nsti_groups:
        for rule in group.rules:
            slot = _nsti_rule_slot(rule, mentions, findings, sex, table)
            if slot is not None:
                slots.append(slot)
                break
    if not slots:
        # C1 met on a working diagnosis confirmed by intraoperative findings.
        evidence = [m.evidence for m in findings.nsti if m.assertion is Assertion.possible]
        evidence += [i.evidence for i in findings.nsti_indicators if _counts(i)]
        if evidence:  # never a code without evidence
            reason = table.nsti_fallback_reasons["confirmed_by_findings"]
            slots.append(_Slot([(table.nsti_fallback, reason)], evidence))
    return slots


def _nsti_rule_slot(
    rule: NstiRule,
    mentions: Sequence[NstiMention],
    findings: Findings,
    sex: Sex | None,
    table: Icd10Map,
) -> _Slot | None:
    matched = [m for m in mentions if m.type in rule.types]
    if not matched or (rule.sex is not None and sex is not None and rule.sex is not sex):
        return None
    evidence = [m.evidence for m in matched]
    if rule.regions:
        sites = [s for s in findings.sites if _counts(s) and s.region in rule.regions]
        if not sites:
            return None
        evidence += [s.evidence for s in sites]
    term = table.nsti_terms.get(matched[0].type, matched[0].type.value)
    fallback_key = "sex_unknown" if sex is None and rule.sex is not None else "other"
    candidates = [
        (rule.code, rule.reason.format(term=term)),
        (table.nsti_fallback, table.nsti_fallback_reasons[fallback_key].format(term=term)),
    ]
    return _Slot(candidates, evidence)


def _sepsis_slots(findings: Findings, table: Icd10Map) -> list[_Slot]:
    rank = {level.severity: i for i, level in enumerate(table.sepsis_levels)}
    present = [s for s in findings.sepsis if _counts(s) and s.severity in rank]
    if not present:
        return []
    level = table.sepsis_levels[max(rank[s.severity] for s in present)]
    evidence = [s.evidence for s in present]

    organisms = _present_organisms(findings, table)
    specific = {o.sepsis_code for o, _ in organisms if o.sepsis_code}
    unspecified = table.sepsis_unspecified
    candidates: list[tuple[str, str]] = []
    if len(specific) == 1:
        code = specific.pop()
        named = [(o, ev) for o, ev in organisms if o.sepsis_code == code]
        labels = " and ".join(dict.fromkeys(o.label for o, _ in named))
        evidence += [e for _, ev in named for e in ev]
        candidates.append((code, f"{level.label} is documented and the note names {labels}."))
        candidates.append(
            (
                unspecified,
                f"{level.label} is documented; the organism's sepsis code cannot be "
                "reported with the other codes suggested.",
            )
        )
    elif specific:
        reason = (
            f"{level.label} is documented and the note names several organisms without "
            "saying which one caused it."
        )
        candidates.append((unspecified, reason))
    else:
        candidates.append((unspecified, f"{level.label} is documented without a named organism."))
    slots = [_Slot(candidates, evidence)]
    if level.code:
        slots.append(_Slot([(level.code, level.reason)], [s.evidence for s in present]))
    return slots


def _present_organisms(findings: Findings, table: Icd10Map) -> list[tuple[OrganismCode, list[Evidence]]]:
    """Known organisms named in the note, in note order, each with all its evidence."""
    found: dict[str, tuple[OrganismCode, list[Evidence]]] = {}
    for finding in findings.organisms:
        entry = table.organisms.get(finding.name)
        if entry is None or not _counts(finding):
            continue
        found.setdefault(entry.key, (entry, []))[1].append(finding.evidence)
    return list(found.values())


def _organism_slots(findings: Findings, table: Icd10Map) -> list[_Slot]:
    return [
        _Slot([(o.code, f"The note names {o.label} as the causative organism.")], evidence)
        for o, evidence in _present_organisms(findings, table)
    ]


def _comorbidity_slots(findings: Findings, table: Icd10Map) -> list[_Slot]:
    present = [c for c in findings.comorbidities if _counts(c)]
    names = {c.name for c in present}
    slots: list[_Slot] = []
    for entry in table.comorbidities:
        evidence = [c.evidence for c in present if c.name == entry.name]
        if evidence and not entry.unless & names:
            slots.append(_Slot([(entry.code, entry.reason)], evidence))
    return slots


def _choose(slots: Iterable[_Slot], sex: Sex | None, table: Icd10Map) -> list[Icd10Suggestion]:
    chosen: dict[str, Icd10Suggestion] = {}
    for slot in slots:
        for code, reason in slot.candidates:
            if code in chosen:  # same code from another finding: one suggestion, all evidence
                previous = chosen[code]
                merged = list(dict.fromkeys([*previous.evidence, *slot.evidence]))
                chosen[code] = previous.model_copy(update={"evidence": merged})
                break
            if not _usable(code, sex, chosen, table):
                continue
            chosen[code] = Icd10Suggestion(
                code=code,
                title=_title(code),
                reason=reason,
                billable=True,
                evidence=list(dict.fromkeys(slot.evidence)),
            )
            break
    return list(chosen.values())


def _usable(code: str, sex: Sex | None, chosen: Mapping[str, object], table: Icd10Map) -> bool:
    if not is_billable(code):
        logger.warning("%s: %s is not a billable ICD-10-CM code; skipped", table.version, code)
        return False
    code_sex = table.sex_of(code)
    if code_sex is not None and code_sex is not sex:
        return False
    return not any(_excluded_together(code, other) for other in chosen)


def _normalise(code: object) -> str:
    return str(code).strip().upper()
