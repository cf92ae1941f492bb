"""Every number a run is scored by (`Metrics`, stored in baselines and eval.json) and
`compute_metrics`, which computes them from the case results. The gateable scalars among them,
with their meanings, are the metric table in `metrics.py`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

from reviewer.decision import CriterionId, Status, Verdict
from reviewer.evaluate.assess import CaseResult, Check
from reviewer.evaluate.evidence import EvidenceStats, evidence_scores
from reviewer.findings import Alignment

__all__ = ["CriterionStats", "EvidenceStats", "Metrics", "PrecisionRecall", "compute_metrics"]


class PrecisionRecall(BaseModel):
    """Precision = correct / predicted; recall = correct / support. None when a denominator is 0."""

    precision: float | None = None
    recall: float | None = None
    support: int = 0  # how many items carry this label in the gold set
    predicted: int = 0  # how many items the tool gave this label
    correct: int = 0


class CriterionStats(BaseModel):
    """Status agreement for one criterion (or all criteria) over the cases that annotate it."""

    n: int = 0
    accuracy: float | None = None
    by_status: dict[str, PrecisionRecall] = {}


class Metrics(BaseModel):
    """Every number `reviewer eval` reports. See `METRICS` for the gateable scalar names."""

    cases: int = Field(0, description="Gold cases evaluated.")
    cases_passed: int = Field(0, description="Cases passing every check.")
    cases_failed: int = Field(0, description="Cases failing any check.")
    case_pass_rate: float | None = Field(None, description="cases_passed / cases.")
    failed_cases: list[str] = Field([], description="Ids of the cases failing any check.")
    errors: int = Field(0, description="Cases whose review raised or whose extractor reported an error.")
    error_cases: list[str] = []
    verdict_accuracy: float | None = Field(
        None, description="Share of cases whose verdict is one of the case's acceptable verdicts."
    )
    verdict_exact: float | None = Field(
        None, description="Share of cases whose verdict equals the expected (preferred) verdict."
    )
    confusion: dict[str, dict[str, int]] = Field(
        {}, description="Expected verdict (rows) x actual verdict (columns, 'error' when no review)."
    )
    verdicts: dict[str, PrecisionRecall] = Field(
        {},
        description="Per verdict V: precision = share of cases judged V where V was acceptable; "
        "recall = share of cases expected V that were judged acceptably.",
    )
    unsafe: int = Field(
        0, description="Cases judged supported where supported is not acceptable (the costly error)."
    )
    unsafe_cases: list[str] = []
    primary_code_exact: float | None = Field(
        None, description="Share of cases whose set of primary codes equals the expected set exactly."
    )
    code_agreement: float | None = Field(
        None, description="Share of cases recommending every expected code (role, modifiers, units)."
    )
    criterion_accuracy: float | None = Field(
        None, description="Share of annotated (case, criterion) pairs whose status matches."
    )
    criteria: dict[str, CriterionStats] = Field(
        {}, description="Per criterion id and 'all': status accuracy and per-status precision/recall."
    )
    evidence: EvidenceStats = Field(EvidenceStats(), description="Evidence span overlap, all criteria.")
    evidence_by_criterion: dict[str, EvidenceStats] = {}
    query_rate: float | None = Field(None, description="Share of cases answered with a physician query.")
    expected_query_rate: float | None = Field(
        None, description="Share of cases whose expected verdict is query."
    )
    icd10_agreement: float | None = Field(
        None, description="Share of cases suggesting every expected ICD-10-CM code."
    )
    icd10_recall: float | None = Field(
        None, description="Expected ICD-10-CM codes suggested / expected codes, over all cases."
    )
    edit_agreement: float | None = Field(None, description="Share of cases raising every expected edit kind.")
    edit_recall: float | None = Field(
        None, description="Expected edit kinds raised / expected edit kinds, over all cases."
    )
    unexpected_edits: int = Field(
        0, description="Edit kinds raised that the case does not expect (summed over cases)."
    )
    flag_agreement: float | None = Field(None, description="Share of cases raising every expected flag.")
    guardrail_unaligned: int = Field(
        0, description="Evidence quotes not found in their note (kept, never counted)."
    )
    guardrail_mismatch: int = Field(0, description="Evidence quotes that do not say what their label claims.")
    latency_mean_s: float | None = Field(None, description="Mean seconds per case (pipeline wall time).")
    latency_p95_s: float | None = Field(None, description="95th percentile seconds per case (nearest rank).")
    latency_total_s: float = 0.0
    tokens_total: int = Field(0, description="Prompt + completion tokens over all cases.")
    tokens_mean: float | None = Field(None, description="Prompt + completion tokens per case.")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    attempts: int = 0


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _p95(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def _criterion_stats(pairs: Sequence[tuple[Status, Status | None]]) -> CriterionStats:
    by_status: dict[str, PrecisionRecall] = {}
    for status in Status:
        support = sum(1 for e, _ in pairs if e is status)
        predicted = sum(1 for _, a in pairs if a is status)
        correct = sum(1 for e, a in pairs if e is status and a is status)
        by_status[status.value] = PrecisionRecall(
            precision=_ratio(correct, predicted),
            recall=_ratio(correct, support),
            support=support,
            predicted=predicted,
            correct=correct,
        )
    right = sum(1 for e, a in pairs if e is a)
    return CriterionStats(n=len(pairs), accuracy=_ratio(right, len(pairs)), by_status=by_status)


def compute_metrics(results: Sequence[CaseResult]) -> Metrics:
    """All metrics over `results` (see the field descriptions of `Metrics`)."""
    m = Metrics(cases=len(results))
    _score_cases(m, results)
    _score_verdicts(m, results)
    _score_codes_and_claim(m, results)
    _score_criteria(m, results)
    m.evidence_by_criterion, m.evidence = evidence_scores(results)
    _count_guardrails(m, results)
    _count_cost(m, results)
    return m


def _passing(results: Sequence[CaseResult], check: Check) -> float | None:
    return _ratio(sum(1 for r in results if r.checks.get(check.value)), len(results))


def _score_cases(m: Metrics, results: Sequence[CaseResult]) -> None:
    m.cases_passed = sum(1 for r in results if r.passed)
    m.case_pass_rate = _ratio(m.cases_passed, len(results))
    m.failed_cases = [r.id for r in results if not r.passed]
    m.cases_failed = len(m.failed_cases)
    m.error_cases = [r.id for r in results if r.error is not None]
    m.errors = len(m.error_cases)


def _score_verdicts(m: Metrics, results: Sequence[CaseResult]) -> None:
    n = len(results)
    columns = [v.value for v in Verdict] + ["error"]
    confusion = {v.value: dict.fromkeys(columns, 0) for v in Verdict}
    acceptable = 0
    exact = 0
    for r in results:
        got = r.verdict
        confusion[r.expected.verdict.value][got.value if got is not None else "error"] += 1
        acceptable += got in r.expected.acceptable_verdicts
        exact += got is r.expected.verdict
    m.confusion = confusion
    m.verdict_accuracy = _ratio(acceptable, n)
    m.verdict_exact = _ratio(exact, n)
    for v in Verdict:
        judged = [r for r in results if r.verdict is v]
        expected_v = [r for r in results if r.expected.verdict is v]
        good_judged = sum(1 for r in judged if v in r.expected.acceptable_verdicts)
        good_expected = sum(1 for r in expected_v if r.verdict in r.expected.acceptable_verdicts)
        m.verdicts[v.value] = PrecisionRecall(
            precision=_ratio(good_judged, len(judged)),
            recall=_ratio(good_expected, len(expected_v)),
            support=len(expected_v),
            predicted=len(judged),
            correct=good_judged,
        )
    m.unsafe_cases = [
        r.id
        for r in results
        if r.verdict is Verdict.supported and Verdict.supported not in r.expected.acceptable_verdicts
    ]
    m.unsafe = len(m.unsafe_cases)
    m.query_rate = _ratio(sum(1 for r in results if r.verdict is Verdict.query), n)
    m.expected_query_rate = _ratio(sum(1 for r in results if r.expected.verdict is Verdict.query), n)


def _score_codes_and_claim(m: Metrics, results: Sequence[CaseResult]) -> None:
    m.primary_code_exact = _passing(results, Check.primary_codes)
    m.code_agreement = _passing(results, Check.codes)
    icd_expected = icd_found = edit_expected = edit_found = unexpected = 0
    for r in results:
        d = r.review.decision if r.review else None
        icd = {i.code for i in d.icd10} if d else set()
        kinds = {e.kind for e in d.edits} if d else set()
        icd_expected += len(set(r.expected.icd10))
        icd_found += len(set(r.expected.icd10) & icd)
        edit_expected += len(set(r.expected.edits))
        edit_found += len(set(r.expected.edits) & kinds)
        unexpected += len(kinds - set(r.expected.edits))
    m.icd10_agreement = _passing(results, Check.icd10)
    m.icd10_recall = _ratio(icd_found, icd_expected)
    m.edit_agreement = _passing(results, Check.edits)
    m.edit_recall = _ratio(edit_found, edit_expected)
    m.unexpected_edits = unexpected
    m.flag_agreement = _passing(results, Check.flags)


def _score_criteria(m: Metrics, results: Sequence[CaseResult]) -> None:
    pairs_by: dict[str, list[tuple[Status, Status | None]]] = {c.value: [] for c in CriterionId}
    for r in results:
        got_status = {c.id: c.status for c in r.review.decision.criteria} if r.review else {}
        for cid, status in r.expected.criteria.items():
            pairs_by[cid.value].append((status, got_status.get(cid)))
    all_pairs = [p for ps in pairs_by.values() for p in ps]
    m.criteria = {cid: _criterion_stats(ps) for cid, ps in pairs_by.items()}
    m.criteria["all"] = _criterion_stats(all_pairs)
    m.criterion_accuracy = m.criteria["all"].accuracy


def _count_guardrails(m: Metrics, results: Sequence[CaseResult]) -> None:
    """What the guardrails caught in the extractor's output."""
    evidence = [e for r in results if r.review for e in r.review.findings.evidence()]
    m.guardrail_unaligned = sum(1 for e in evidence if e.alignment is Alignment.unaligned)
    m.guardrail_mismatch = sum(1 for e in evidence if e.alignment is Alignment.mismatch)


def _count_cost(m: Metrics, results: Sequence[CaseResult]) -> None:
    n = len(results)
    latencies = [r.latency_s for r in results]
    m.latency_total_s = sum(latencies)
    m.latency_mean_s = m.latency_total_s / n if n else None
    m.latency_p95_s = _p95(latencies)
    m.prompt_tokens = sum(r.tokens.prompt for r in results)
    m.completion_tokens = sum(r.tokens.completion for r in results)
    m.cached_tokens = sum(r.tokens.cached for r in results)
    m.attempts = sum(r.tokens.attempts for r in results)
    m.tokens_total = m.prompt_tokens + m.completion_tokens
    m.tokens_mean = m.tokens_total / n if n else None
