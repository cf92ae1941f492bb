"""The never-unsafe property (issue: never a wrong "supported"), a short run for CI; the
committed script eval/never_unsafe.py runs it at scale (20,000+ examples).

Sentences that mention a decisive fact without stating it as done today (negated, deferred,
planned, conditional, consented, historical, other person, injected, Unicode-disguised) are
inserted at random places in the gold notes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.decision import Verdict
from reviewer.evaluate.cases import GoldCase, load_cases
from reviewer.extract import Extractor, get_extractor
from reviewer.pipeline import review_with
from tests.adversarial import Insertion, insert, insertions

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold"
CASES = load_cases(GOLD)
NOT_SUPPORTED = [c for c in CASES if c.expected.verdict is not Verdict.supported]
SUPPORTED = [c for c in CASES if c.expected.verdict is Verdict.supported]
SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@cache
def rules() -> Extractor:
    return get_extractor("rules")


@cache
def statuses(case_id: str) -> dict[str, str]:
    case = next(c for c in CASES if c.id == case_id)
    r = review_with(rules(), case.note, sex=case.context.sex)
    return {c.id.value: c.status.value for c in r.decision.criteria}


@SETTINGS
@given(case=st.sampled_from(NOT_SUPPORTED), ins=insertions(), where=st.integers(0, 10_000))
def test_no_insertion_makes_an_unsupported_note_supported(case: GoldCase, ins: Insertion, where: int) -> None:
    r = review_with(rules(), insert(case.note, ins.sentence, where), sex=case.context.sex)
    assert r.decision.verdict is not Verdict.supported, (case.id, ins.kind, ins.sentence)


@SETTINGS
@given(case=st.sampled_from(SUPPORTED), ins=insertions(), where=st.integers(0, 10_000))
def test_no_insertion_flips_a_criterion_it_is_not_about(case: GoldCase, ins: Insertion, where: int) -> None:
    r = review_with(rules(), insert(case.note, ins.sentence, where), sex=case.context.sex)
    after = {c.id.value: c.status.value for c in r.decision.criteria}
    before = statuses(case.id)
    flipped = {k: (before[k], after[k]) for k in before if k != ins.aim and before[k] != after[k]}
    assert not flipped, (case.id, ins.kind, ins.sentence, flipped)
