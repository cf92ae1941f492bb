"""Evidence scoring: how much of the evidence a review cited lies in the gold case's expected
evidence quotes, character by character (see `EvidenceStats` for the definition)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from reviewer.decision import CriterionId
from reviewer.evaluate.assess import CaseResult
from reviewer.findings import Alignment

__all__ = ["EvidenceStats", "evidence_scores", "expected_spans"]


class EvidenceStats(BaseModel):
    """Character-level overlap of cited evidence with the expected evidence quotes.

    For one (case, criterion) pair with expected quotes: A = characters covered by the actual
    criterion's evidence spans (aligned offsets only); E_any = characters of every occurrence
    of every expected quote in the note; E = for each expected quote, its occurrence best
    covered by A (a quote counts once, wherever the tool found it). Precision = |A ∩ E_any| /
    |A|, recall = |A ∩ E| / |E|, micro-averaged: the character counts are summed over all pairs
    before dividing. F1 is their harmonic mean."""

    pairs: int = 0
    cited_chars: int = 0
    cited_in_expected_chars: int = 0
    expected_chars: int = 0
    expected_covered_chars: int = 0
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _chars(spans: Iterable[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    for a, b in spans:
        out.update(range(a, b))
    return out


def expected_spans(note: str, quote: str) -> list[tuple[int, int]]:
    """Every (possibly overlapping) occurrence of `quote` in `note`, as [start, end) offsets."""
    spans: list[tuple[int, int]] = []
    if not quote:
        return spans
    at = note.find(quote)
    while at != -1:
        spans.append((at, at + len(quote)))
        at = note.find(quote, at + 1)
    return spans


def _actual_spans(result: CaseResult, cid: CriterionId) -> list[tuple[int, int]]:
    if result.review is None:
        return []
    n = len(result.note)
    return [
        (ev.start, ev.end)
        for c in result.review.decision.criteria
        if c.id is cid
        for ev in c.evidence
        if ev.alignment is not Alignment.unaligned and 0 <= ev.start < ev.end <= n
    ]


def _evidence_pair(result: CaseResult, cid: CriterionId, quotes: Sequence[str]) -> EvidenceStats:
    actual = _chars(_actual_spans(result, cid))
    any_expected: set[int] = set()
    best: set[int] = set()
    for quote in quotes:
        occurrences = expected_spans(result.note, quote)
        if not occurrences:
            continue
        chosen = max(occurrences, key=lambda s: len(actual.intersection(range(*s))))
        best.update(range(*chosen))
        for s in occurrences:
            any_expected.update(range(*s))
    return EvidenceStats(
        pairs=1,
        cited_chars=len(actual),
        cited_in_expected_chars=len(actual & any_expected),
        expected_chars=len(best),
        expected_covered_chars=len(actual & best),
    )


def _sum_evidence(items: Iterable[EvidenceStats]) -> EvidenceStats:
    total = EvidenceStats()
    for e in items:
        total.pairs += e.pairs
        total.cited_chars += e.cited_chars
        total.cited_in_expected_chars += e.cited_in_expected_chars
        total.expected_chars += e.expected_chars
        total.expected_covered_chars += e.expected_covered_chars
    p = _ratio(total.cited_in_expected_chars, total.cited_chars)
    r = _ratio(total.expected_covered_chars, total.expected_chars)
    total.precision = p
    total.recall = r
    if p is not None and r is not None:
        total.f1 = 2 * p * r / (p + r) if p + r else 0.0
    elif r is not None:
        total.f1 = 0.0  # nothing cited at all: no precision, and F1 is 0
    return total


def evidence_scores(results: Sequence[CaseResult]) -> tuple[dict[str, EvidenceStats], EvidenceStats]:
    """Per criterion and over all criteria, micro-averaged over the (case, criterion) pairs
    that have expected evidence quotes."""
    per_criterion: dict[str, list[EvidenceStats]] = {c.value: [] for c in CriterionId}
    for r in results:
        for cid, quotes in r.expected.evidence.items():
            if quotes:
                per_criterion[cid.value].append(_evidence_pair(r, cid, quotes))
    by_criterion = {cid: _sum_evidence(items) for cid, items in per_criterion.items()}
    return by_criterion, _sum_evidence(e for items in per_criterion.values() for e in items)
