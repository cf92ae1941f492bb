"""The verdict on CPT 11004 from the criteria, with the safety rule, and its one-line summary."""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.decision import Criterion, Status, Verdict


def verdict(criteria: Sequence[Criterion]) -> Verdict:
    statuses = {k.status for k in criteria}
    if Status.not_met in statuses:
        return Verdict.not_supported
    if Status.unclear in statuses:
        return Verdict.query
    # Safety rule: `supported` rests only on aligned evidence, re-checked here.
    if any(not k.evidence or any(e.start < 0 for e in k.evidence) for k in criteria):
        return Verdict.query
    return Verdict.supported


def summary(verdict: Verdict, criteria: Sequence[Criterion]) -> str:
    if verdict is Verdict.supported:
        return "CPT 11004 is supported: all four criteria are met."
    failing = [k for k in criteria if k.status is Status.not_met]
    unclear = [k for k in criteria if k.status is Status.unclear]
    if verdict is Verdict.not_supported:
        return "CPT 11004 is not supported. " + " ".join(k.reason for k in failing)
    return "CPT 11004 needs a physician query. " + " ".join(k.reason for k in unclear)


def disputed_summary(disputed: Sequence[Criterion]) -> str:
    """Hybrid: the criteria on which the extractors disagree."""
    return "Needs human review: the extractors disagree on " + ", ".join(
        f"{k.id.value} ({', '.join(f'{n}: {s.value}' for n, s in k.by_extractor.items())})" for k in disputed
    )
