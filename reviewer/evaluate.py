"""Evaluation against the gold cases (eval/gold/*.yaml): run, score, compare with a baseline, gate.

Everything here is a pure function of its arguments except `run_cases` (which runs the
pipeline) and the two loaders (`load_gates`, `load_snapshot`), which read one file each.

The flow the `reviewer eval` command follows:

1. `run_cases(cases, extractor)` reviews every gold note -> one `CaseResult` per case, with
   named pass/fail checks and human-readable failure reasons.
2. `compute_metrics(results)` -> `Metrics` (every metric documented in `METRICS`).
3. `snapshot(...)` -> the `Snapshot` of this run: metrics, per-case outcomes, tool versions and
   the gold-set fingerprint. A baseline (eval/baselines/<extractor>.json) is a snapshot that was
   accepted with `--update-baseline`.
4. `compare(current, baseline)` -> `Delta`: per metric, and per case (which cases flipped).
5. `evaluate_gates(gates, current, baseline)` -> one `GateResult` per gate of eval/gates.yaml;
   a failing gate names itself and the cases that newly fail the check it measures.

Gate syntax (eval/gates.yaml), one section per extractor:

    rules:
      - {metric: unsafe, max: 0}
      - {metric: verdict_accuracy, min: baseline, tolerance: 0.0}

Each gate has `metric` (a name listed in `METRICS`) and exactly one bound: `min` (value >= bound),
`max` (value <= bound) or `equals` (|value - bound| <= tolerance). A bound is a number or the
word `baseline` (the metric's value in the baseline snapshot). `tolerance` (>= 0, default 0)
relaxes the bound: `min: B` passes when value >= B - tolerance, `max: B` when value <= B +
tolerance. An optional `name` labels the gate in reports. A gate whose metric (or baseline value)
has no value, because its denominator is empty, is `n/a` and does not fail; a gate that needs a
baseline when there is none fails. `HARD_GATES` (`unsafe <= 0`) are checked for every extractor
whatever the gates file and the baseline say.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reviewer.datafile import load_yaml
from reviewer.decision import CriterionId, Role, Status, Verdict
from reviewer.extract import Extractor, get_extractor
from reviewer.findings import Alignment
from reviewer.gold import Expected, GoldCase
from reviewer.pipeline import Review, review_with

__all__ = [
    "CHECKS",
    "HARD_GATES",
    "METRICS",
    "CaseFlip",
    "CaseOutcome",
    "CaseResult",
    "Delta",
    "EvalError",
    "EvalFiles",
    "EvalReport",
    "Gate",
    "GateResult",
    "MetricDelta",
    "MetricInfo",
    "Metrics",
    "Snapshot",
    "TokenUsage",
    "assess",
    "bundled_eval_files",
    "case_digest",
    "compare",
    "compute_metrics",
    "evaluate_gates",
    "expected_spans",
    "gold_fingerprint",
    "load_gates",
    "load_snapshot",
    "run_cases",
    "snapshot",
    "tool_versions",
]

SNAPSHOT_FORMAT = 1
_EPS = 1e-9
_TIMING_NOISE = 0.25  # latency changes under 25% of the baseline are reported as "same"


class EvalError(ValueError):
    """Bad evaluation input (gates file, baseline file): the message names the file and field."""


# --------------------------------------------------------------------------------------------
# Per-case results


class Check(StrEnum):
    """The named checks a case must pass. A case passes when every check passes."""

    verdict = "verdict"  # actual verdict in expected.acceptable_verdicts
    primary_codes = "primary_codes"  # set of role=primary codes equals expected.primary_codes
    codes = "codes"  # every expected code (code, role, modifiers subset, units) recommended
    criteria = "criteria"  # every expected criterion status equal
    evidence = "evidence"  # every criterion with expected evidence cites some evidence
    icd10 = "icd10"  # expected ICD-10-CM codes are a subset of the suggestions
    edits = "edits"  # expected edit kinds are a subset of the edits raised
    flags = "flags"  # expected flag kinds are a subset of the flags raised
    error = "error"  # the review ran, and the extractor reported no error


CHECKS: tuple[str, ...] = tuple(c.value for c in Check)


class TokenUsage(BaseModel):
    prompt: int = 0
    completion: int = 0
    cached: int = 0
    attempts: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


class CaseResult(BaseModel):
    """One gold case run through the pipeline and checked against its annotation."""

    id: str
    title: str = ""
    style: str = ""
    branches: list[str] = []
    note: str
    expected: Expected
    review: Review | None = None  # None when the pipeline raised
    error: str | None = None  # the exception, or the extractor's own error
    latency_s: float = 0.0
    tokens: TokenUsage = TokenUsage()
    digest: str = ""  # sha256 of the case file (or of the case), to spot edited cases
    checks: dict[str, bool] = {}
    failures: list[str] = []

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    @property
    def verdict(self) -> Verdict | None:
        return self.review.decision.verdict if self.review is not None else None

    def failed_checks(self) -> list[str]:
        return [name for name in CHECKS if not self.checks.get(name, True)]


def _codes_text(codes: Iterable[str]) -> str:
    items = sorted(codes)
    return ", ".join(items) if items else "none"


def assess(
    case_id: str,
    note: str,
    expected: Expected,
    result: Review | None,
    *,
    error: str | None = None,
    latency_s: float = 0.0,
    title: str = "",
    style: str = "",
    branches: Sequence[str] = (),
    digest: str = "",
) -> CaseResult:
    """Check one review against its gold annotation: named checks and failure reasons."""
    checks: dict[str, bool] = {}
    reasons: list[str] = []

    def check(name: Check, ok: bool, *why: str) -> None:
        checks[name.value] = ok
        if not ok:
            reasons.extend(f"{name.value}: {w}" for w in why)

    tokens = TokenUsage()

    def finished(review: Review | None, err: str | None) -> CaseResult:
        return CaseResult(
            id=case_id,
            title=title,
            style=style,
            branches=list(branches),
            note=note,
            expected=expected,
            review=review,
            error=err,
            latency_s=latency_s,
            tokens=tokens,
            digest=digest,
            checks=checks,
            failures=reasons,
        )

    if result is None:
        msg = error or "no review"
        for name in Check:
            checks[name.value] = False
        reasons.append(f"{Check.error.value}: {msg}")
        return finished(None, msg)

    d = result.decision
    u = result.usage
    tokens = TokenUsage(
        prompt=u.prompt_tokens, completion=u.completion_tokens, cached=u.cached_tokens, attempts=u.attempts
    )
    others = [v.value for v in expected.acceptable_verdicts if v is not expected.verdict]
    also = f" (or {', '.join(others)})" if others else ""
    check(
        Check.verdict,
        d.verdict in expected.acceptable_verdicts,
        f"expected {expected.verdict.value}{also}, got {d.verdict.value}",
    )
    primary = {c.code for c in d.recommended_codes if c.role is Role.primary}
    check(
        Check.primary_codes,
        primary == set(expected.primary_codes),
        f"expected {_codes_text(expected.primary_codes)}, got {_codes_text(primary)}",
    )
    missing_codes = []
    for want in expected.codes:
        if not any(
            c.code == want.code
            and c.role is want.role
            and set(want.modifiers) <= set(c.modifiers)
            and (want.units is None or want.units == c.units)
            for c in d.recommended_codes
        ):
            mods = f"-{'-'.join(want.modifiers)}" if want.modifiers else ""
            units = f" x{want.units}" if want.units is not None else ""
            missing_codes.append(f"missing {want.code}{mods}{units} ({want.role.value})")
    check(Check.codes, not missing_codes, *missing_codes)
    got = {c.id: c.status for c in d.criteria}
    wrong = [
        f"{cid.value} expected {status.value}, got {got[cid].value if cid in got else 'nothing'}"
        for cid, status in expected.criteria.items()
        if got.get(cid) is not status
    ]
    check(Check.criteria, not wrong, *wrong)
    cited = {c.id for c in d.criteria if c.evidence}
    uncited = [f"{cid.value}: no evidence cited" for cid in expected.evidence if cid not in cited]
    check(Check.evidence, not uncited, *uncited)
    icd = {i.code for i in d.icd10}
    missing_icd = sorted(set(expected.icd10) - icd)
    check(Check.icd10, not missing_icd, f"missing {_codes_text(missing_icd)} (got {_codes_text(icd)})")
    edit_kinds = {e.kind for e in d.edits}
    missing_edits = sorted(set(expected.edits) - edit_kinds)
    check(
        Check.edits,
        not missing_edits,
        f"missing {_codes_text(missing_edits)} (got {_codes_text(edit_kinds)})",
    )
    flag_kinds = {f.kind for f in d.flags}
    missing_flags = sorted(set(expected.flags) - flag_kinds)
    check(
        Check.flags,
        not missing_flags,
        f"missing {_codes_text(missing_flags)} (got {_codes_text(flag_kinds)})",
    )
    err = error or result.error
    check(Check.error, err is None, f"extractor error: {err}")
    return finished(result, err)


def case_digest(case: GoldCase) -> str:
    """sha256 of the case file's bytes (of the case's JSON when it has no file)."""
    if case.path is not None and case.path.is_file():
        return hashlib.sha256(case.path.read_bytes()).hexdigest()
    return hashlib.sha256(case.model_dump_json().encode("utf-8")).hexdigest()


def gold_fingerprint(digests: dict[str, str]) -> str:
    """sha256 over the sorted (case id, file sha256) pairs: changes when any case file does."""
    h = hashlib.sha256()
    for case_id in sorted(digests):
        h.update(f"{case_id}\0{digests[case_id]}\n".encode())
    return h.hexdigest()


def run_cases(
    cases: Sequence[GoldCase],
    extractor: str | Extractor = "rules",
    *,
    warmup: bool = False,
    fatal: tuple[type[BaseException], ...] = (),
    progress: Callable[[int, CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Review every gold case with `extractor` (a name, or an extractor object configured once
    and reused for every note); a case whose review raises is a failing case, except for the
    exception types in `fatal` (e.g. a configuration error), which propagate.

    `warmup` reviews the first note once, untimed, so one-off loading (models, tables) is not
    counted as the first case's latency (use it for local extractors, not for recorded LLM calls)."""
    engine = get_extractor(extractor) if isinstance(extractor, str) else extractor
    if warmup and cases:
        first = cases[0]
        with contextlib.suppress(Exception):  # the timed run records any failure
            review_with(engine, first.note, sex=first.context.sex, claimed_codes=first.context.claimed_codes)
    results: list[CaseResult] = []
    for i, case in enumerate(cases):
        started = time.perf_counter()
        got: Review | None = None
        error: str | None = None
        try:
            got = review_with(
                engine,
                case.note,
                sex=case.context.sex,
                claimed_codes=case.context.claimed_codes,
                note_id=case.id,
            )
        except fatal:
            raise
        except Exception as exc:  # a crash on one case is a failing case, not a failed run
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        result = assess(
            case.id,
            case.note,
            case.expected,
            got,
            error=error,
            latency_s=elapsed,
            title=case.title,
            style=case.style,
            branches=case.branches,
            digest=case_digest(case),
        )
        results.append(result)
        if progress is not None:
            progress(i, result)
    return results


# --------------------------------------------------------------------------------------------
# Metrics


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
    n = len(results)
    m = Metrics(cases=n)
    m.cases_passed = sum(1 for r in results if r.passed)
    m.case_pass_rate = _ratio(m.cases_passed, n)
    m.failed_cases = [r.id for r in results if not r.passed]
    m.cases_failed = len(m.failed_cases)
    m.error_cases = [r.id for r in results if r.error is not None]
    m.errors = len(m.error_cases)

    # Verdicts
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

    # Codes
    m.primary_code_exact = _ratio(sum(1 for r in results if r.checks.get(Check.primary_codes.value)), n)
    m.code_agreement = _ratio(sum(1 for r in results if r.checks.get(Check.codes.value)), n)

    # Criteria
    pairs_by: dict[str, list[tuple[Status, Status | None]]] = {c.value: [] for c in CriterionId}
    for r in results:
        got_status = {c.id: c.status for c in r.review.decision.criteria} if r.review else {}
        for cid, status in r.expected.criteria.items():
            pairs_by[cid.value].append((status, got_status.get(cid)))
    all_pairs = [p for ps in pairs_by.values() for p in ps]
    m.criteria = {cid: _criterion_stats(ps) for cid, ps in pairs_by.items()}
    m.criteria["all"] = _criterion_stats(all_pairs)
    m.criterion_accuracy = m.criteria["all"].accuracy

    # Evidence
    per_criterion: dict[str, list[EvidenceStats]] = {c.value: [] for c in CriterionId}
    for r in results:
        for cid, quotes in r.expected.evidence.items():
            if quotes:
                per_criterion[cid.value].append(_evidence_pair(r, cid, quotes))
    m.evidence_by_criterion = {cid: _sum_evidence(items) for cid, items in per_criterion.items()}
    m.evidence = _sum_evidence(e for items in per_criterion.values() for e in items)

    # ICD-10, edits, flags
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
    m.icd10_agreement = _ratio(sum(1 for r in results if r.checks.get(Check.icd10.value)), n)
    m.icd10_recall = _ratio(icd_found, icd_expected)
    m.edit_agreement = _ratio(sum(1 for r in results if r.checks.get(Check.edits.value)), n)
    m.edit_recall = _ratio(edit_found, edit_expected)
    m.unexpected_edits = unexpected
    m.flag_agreement = _ratio(sum(1 for r in results if r.checks.get(Check.flags.value)), n)

    # Guardrails: what they caught in the extractor's output
    evidence = [e for r in results if r.review for e in r.review.findings.evidence()]
    m.guardrail_unaligned = sum(1 for e in evidence if e.alignment is Alignment.unaligned)
    m.guardrail_mismatch = sum(1 for e in evidence if e.alignment is Alignment.mismatch)

    # Cost
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
    return m


# --------------------------------------------------------------------------------------------
# The scalar metrics: names (used by gates and reports), groups, directions and meanings


Kind = Literal["rate", "count", "seconds", "tokens"]
Better = Literal["higher", "lower", "none"]


@dataclass(frozen=True)
class MetricInfo:
    """A gateable scalar. `path` locates it in `Metrics` (dots walk fields and dict keys);
    `check` is the per-case check it is computed from ("*" = any check), used to name the cases
    behind a failing gate."""

    name: str
    group: str
    kind: Kind
    better: Better
    check: str | None
    path: str
    description: str

    def get(self, metrics: Metrics) -> float | None:
        node: Any = metrics
        for part in self.path.split("."):
            node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
            if node is None:
                return None
        return float(node)


_V = Check.verdict.value
_C = Check.criteria.value
_E = Check.evidence.value

_SPECS: list[tuple[str, str, Kind, Better, str | None, str, str]] = [
    # name, group, kind, better, check, path in Metrics, meaning
    ("case_pass_rate", "Cases", "rate", "higher", "*", "case_pass_rate", "Share of cases passing every check."),
    ("cases_failed", "Cases", "count", "lower", "*", "cases_failed", "Cases failing at least one check."),
    ("errors", "Cases", "count", "lower", "error", "errors", "Cases whose review raised or whose extractor reported an error."),
    ("verdict_accuracy", "Verdict", "rate", "higher", _V, "verdict_accuracy", "Share of cases whose verdict is one of the case's acceptable verdicts."),
    ("verdict_exact", "Verdict", "rate", "higher", _V, "verdict_exact", "Share of cases whose verdict equals the expected (preferred) verdict."),
    ("unsafe", "Verdict", "count", "lower", _V, "unsafe", "Cases judged supported where supported is not acceptable: a claim the record does not support."),
    *[
        (f"verdict_{pr}.{v.value}", "Verdict", "rate", "higher", _V, f"verdicts.{v.value}.{pr}", text.format(v=v.value))
        for v in Verdict
        for pr, text in (
            ("precision", "Of the cases judged {v}, the share where {v} was acceptable."),
            ("recall", "Of the cases expected {v}, the share judged acceptably."),
        )
    ],
    ("query_rate", "Verdict", "rate", "none", _V, "query_rate", "Share of cases answered with a physician query."),
    ("expected_query_rate", "Verdict", "rate", "none", None, "expected_query_rate", "Share of cases whose expected verdict is query (compare with query_rate)."),
    ("primary_code_exact", "Codes", "rate", "higher", "primary_codes", "primary_code_exact", "Share of cases whose set of primary CPT codes equals the expected set exactly."),
    ("code_agreement", "Codes", "rate", "higher", "codes", "code_agreement", "Share of cases recommending every expected code line (code, role, modifiers, units)."),
    ("criterion_accuracy", "Criteria", "rate", "higher", _C, "criterion_accuracy", "Share of annotated (case, criterion) pairs whose status (met / not met / unclear) matches."),
    *[
        (f"criterion_accuracy.{c.value}", "Criteria", "rate", "higher", _C, f"criteria.{c.value}.accuracy", f"Status accuracy of criterion {c.value}.")
        for c in CriterionId
    ],
    *[
        (f"criterion_{pr}.{s.value}", "Criteria", "rate", "higher", _C, f"criteria.all.by_status.{s.value}.{pr}", text.format(s=s.value))
        for s in Status
        for pr, text in (
            ("precision", "Of the criteria the tool called {s}, the share annotated {s} (all criteria)."),
            ("recall", "Of the criteria annotated {s}, the share the tool called {s} (all criteria)."),
        )
    ],
    ("evidence_char_precision", "Evidence", "rate", "higher", _E, "evidence.precision", "Share of cited evidence characters inside an expected evidence quote (micro-averaged)."),
    ("evidence_char_recall", "Evidence", "rate", "higher", _E, "evidence.recall", "Share of expected evidence-quote characters covered by cited evidence (micro-averaged)."),
    ("evidence_char_f1", "Evidence", "rate", "higher", _E, "evidence.f1", "Harmonic mean of evidence_char_precision and evidence_char_recall."),
    ("icd10_agreement", "Claim", "rate", "higher", "icd10", "icd10_agreement", "Share of cases suggesting every expected ICD-10-CM code."),
    ("icd10_recall", "Claim", "rate", "higher", "icd10", "icd10_recall", "Expected ICD-10-CM codes suggested / expected ICD-10-CM codes, over all cases."),
    ("edit_agreement", "Claim", "rate", "higher", "edits", "edit_agreement", "Share of cases raising every expected claim-edit kind."),
    ("edit_recall", "Claim", "rate", "higher", "edits", "edit_recall", "Expected claim-edit kinds raised / expected claim-edit kinds, over all cases."),
    ("unexpected_edits", "Claim", "count", "lower", None, "unexpected_edits", "Claim-edit kinds raised that the case does not expect, summed over cases."),
    ("flag_agreement", "Claim", "rate", "higher", "flags", "flag_agreement", "Share of cases raising every expected flag."),
    ("guardrail_unaligned", "Guardrails", "count", "lower", None, "guardrail_unaligned", "Evidence quotes the extractor gave that are not in the note: kept, shown, never counted."),
    ("guardrail_mismatch", "Guardrails", "count", "lower", None, "guardrail_mismatch", "Evidence quotes found in the note that do not say what their label claims: never counted."),
    ("latency_mean_s", "Cost", "seconds", "lower", None, "latency_mean_s", "Mean seconds per case (pipeline wall time)."),
    ("latency_p95_s", "Cost", "seconds", "lower", None, "latency_p95_s", "95th-percentile seconds per case (nearest rank)."),
    ("tokens_mean", "Cost", "tokens", "lower", None, "tokens_mean", "Prompt + completion tokens per case (LLM runs)."),
    ("tokens_total", "Cost", "tokens", "lower", None, "tokens_total", "Prompt + completion tokens over all cases (LLM runs)."),
]  # fmt: skip

METRICS: dict[str, MetricInfo] = {spec[0]: MetricInfo(*spec) for spec in _SPECS}


def scalars(metrics: Metrics) -> dict[str, float | None]:
    """Every named scalar metric (the names gates use), in report order."""
    return {name: info.get(metrics) for name, info in METRICS.items()}


# --------------------------------------------------------------------------------------------
# Snapshots (the baseline file) and the comparison with a baseline


class CaseOutcome(BaseModel):
    """What a baseline remembers about one case."""

    verdict: Verdict | None  # None when the review raised
    passed: bool
    failed_checks: list[str] = []
    digest: str = ""


class GoldInfo(BaseModel):
    fingerprint: str
    cases: int


class Snapshot(BaseModel):
    """One evaluation run, as stored in eval/baselines/<extractor>.json."""

    model_config = ConfigDict(extra="forbid")

    format: int = SNAPSHOT_FORMAT
    extractor: str
    versions: dict[str, str] = {}
    gold: GoldInfo
    metrics: Metrics
    cases: dict[str, CaseOutcome]


def _read_version(resource: str) -> str:
    try:
        text = resources.files("reviewer.data").joinpath(resource).read_text("utf-8")
        raw: Any = json.loads(text) if resource.endswith(".json") else load_yaml(text)
        return str(raw.get("version", "unversioned")) if isinstance(raw, dict) else "?"
    except (OSError, ValueError, yaml.YAMLError):
        return "?"


def tool_versions(results: Sequence[CaseResult] = ()) -> dict[str, str]:
    """Versions of everything a verdict depends on: the package, its data files, the extractor."""
    import reviewer
    from reviewer.rules.icd10 import icd10_release
    from reviewer.rules.ruleset import RULESET_FILE

    versions = {
        "reviewer": reviewer.__version__,
        "ruleset": _read_version(RULESET_FILE),
        "lexicon": _read_version("lexicon.yaml"),
        "context_rules": _read_version("context_rules.json"),
        "claim_edits": _read_version("claim_edits.yaml"),
        "icd10_map": _read_version("icd10_map.yaml"),
        "cms_tables": _read_version("cms/manifest.json"),
    }
    try:
        versions["icd10_release"] = icd10_release()
    except Exception:  # metadata lookups only; never fail an evaluation on them
        versions["icd10_release"] = "?"
    for r in results:
        if r.review is not None:
            ext = r.review.extractor
            if ext.model:
                versions["model"] = ext.model
            if ext.prompt_version:
                versions["prompt"] = ext.prompt_version
            versions["schema"] = r.review.schema_version
            break
    return versions


def snapshot(
    results: Sequence[CaseResult],
    metrics: Metrics,
    *,
    extractor: str,
    versions: dict[str, str] | None = None,
) -> Snapshot:
    """The run as a baseline-shaped record."""
    digests = {r.id: r.digest for r in results}
    return Snapshot(
        extractor=extractor,
        versions=versions if versions is not None else tool_versions(results),
        gold=GoldInfo(fingerprint=gold_fingerprint(digests), cases=len(results)),
        metrics=metrics,
        cases={
            r.id: CaseOutcome(
                verdict=r.verdict, passed=r.passed, failed_checks=r.failed_checks(), digest=r.digest
            )
            for r in results
        },
    )


def load_snapshot(path: Path) -> Snapshot:
    """A baseline file; EvalError (file and field named) when it is unreadable or malformed."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read baseline ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise EvalError(f"{path}: not valid JSON ({exc})") from None
    try:
        return Snapshot.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(baseline)"
        raise EvalError(f"{path}: field {where}: {err['msg']}") from None


class MetricDelta(BaseModel):
    name: str
    value: float | None
    baseline: float | None
    delta: float | None
    change: Literal["better", "worse", "same", "changed", "n/a"]


class CaseFlip(BaseModel):
    """A case present in both runs whose pass/fail or verdict changed."""

    id: str
    kind: Literal["newly_failing", "newly_passing", "verdict_changed"]
    baseline_verdict: Verdict | None
    verdict: Verdict | None
    baseline_passed: bool
    passed: bool
    case_changed: bool  # the case file differs from the one the baseline saw
    failed_checks: list[str] = []


class Delta(BaseModel):
    gold_changed: bool
    baseline_fingerprint: str
    fingerprint: str
    added: list[str] = []  # cases not in the baseline
    removed: list[str] = []  # baseline cases no longer in the gold set
    modified: list[str] = []  # cases whose file changed since the baseline
    metrics: list[MetricDelta] = []
    flips: list[CaseFlip] = []
    versions: dict[str, tuple[str | None, str | None]] = {}  # component -> (baseline, now), changed only


def _change(info: MetricInfo, value: float | None, base: float | None) -> MetricDelta:
    if value is None or base is None:
        return MetricDelta(name=info.name, value=value, baseline=base, delta=None, change="n/a")
    delta = value - base
    noise = _TIMING_NOISE * abs(base) if info.kind == "seconds" else _EPS
    if abs(delta) <= noise:
        change: Literal["better", "worse", "same", "changed", "n/a"] = "same"
    elif info.better == "none":
        change = "changed"
    else:
        change = "better" if (delta > 0) == (info.better == "higher") else "worse"
    return MetricDelta(name=info.name, value=value, baseline=base, delta=delta, change=change)


def compare(current: Snapshot, baseline: Snapshot) -> Delta:
    """Metric by metric and case by case; flips only for cases present in both runs."""
    now = scalars(current.metrics)
    before = scalars(baseline.metrics)
    flips: list[CaseFlip] = []
    for case_id, out in current.cases.items():
        old = baseline.cases.get(case_id)
        if old is None:
            continue
        if old.passed and not out.passed:
            kind: Literal["newly_failing", "newly_passing", "verdict_changed"] = "newly_failing"
        elif out.passed and not old.passed:
            kind = "newly_passing"
        elif out.verdict is not old.verdict:
            kind = "verdict_changed"
        else:
            continue
        flips.append(
            CaseFlip(
                id=case_id,
                kind=kind,
                baseline_verdict=old.verdict,
                verdict=out.verdict,
                baseline_passed=old.passed,
                passed=out.passed,
                case_changed=bool(old.digest) and old.digest != out.digest,
                failed_checks=out.failed_checks,
            )
        )
    versions = {
        k: (baseline.versions.get(k), current.versions.get(k))
        for k in sorted(set(baseline.versions) | set(current.versions))
        if baseline.versions.get(k) != current.versions.get(k)
    }
    return Delta(
        gold_changed=current.gold.fingerprint != baseline.gold.fingerprint,
        baseline_fingerprint=baseline.gold.fingerprint,
        fingerprint=current.gold.fingerprint,
        added=sorted(set(current.cases) - set(baseline.cases)),
        removed=sorted(set(baseline.cases) - set(current.cases)),
        modified=sorted(
            c
            for c, out in current.cases.items()
            if c in baseline.cases and baseline.cases[c].digest and baseline.cases[c].digest != out.digest
        ),
        metrics=[_change(info, now[name], before.get(name)) for name, info in METRICS.items()],
        flips=flips,
        versions=versions,
    )


# --------------------------------------------------------------------------------------------
# Gates


class Gate(BaseModel):
    """One gate of eval/gates.yaml (see the module docstring for the semantics)."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    min: float | Literal["baseline"] | None = None
    max: float | Literal["baseline"] | None = None
    equals: float | Literal["baseline"] | None = None
    tolerance: float = Field(0.0, ge=0)
    name: str | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Gate:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}")
        bounds = [b for b in (self.min, self.max, self.equals) if b is not None]
        if len(bounds) != 1:
            raise ValueError("a gate needs exactly one of min, max, equals")
        return self

    @property
    def op(self) -> Literal["min", "max", "equals"]:
        return "min" if self.min is not None else "max" if self.max is not None else "equals"

    @property
    def bound(self) -> float | Literal["baseline"]:
        value = self.min if self.min is not None else self.max if self.max is not None else self.equals
        assert value is not None
        return value

    @property
    def uses_baseline(self) -> bool:
        return self.bound == "baseline"

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        symbol = {"min": ">=", "max": "<=", "equals": "=="}[self.op]
        bound = self.bound if isinstance(self.bound, str) else _num(self.bound)
        sign = {"min": " - ", "max": " + ", "equals": " ± "}[self.op]
        tol = f"{sign}{_num(self.tolerance)}" if self.tolerance else ""
        return f"{self.metric} {symbol} {bound}{tol}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class GateResult(BaseModel):
    gate: str  # the gate's label, e.g. "verdict_accuracy >= baseline"
    metric: str
    status: Literal["pass", "fail", "n/a"]
    value: float | None
    bound: float | None  # the effective bound, tolerance applied
    detail: str
    cases: list[str] = []  # cases that newly fail the check this metric is computed from

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def load_gates(path: Path, extractor: str) -> list[Gate]:
    """The gates for `extractor`; EvalError (file and field named) on a malformed file."""
    try:
        raw: Any = load_yaml(path.read_text("utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read gates ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise EvalError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise EvalError(f"{path}: the gates file is a mapping of extractor -> list of gates")
    section = raw.get(extractor)
    if section is None:
        raise EvalError(f"{path}: field {extractor}: no gates for extractor {extractor!r}")
    if not isinstance(section, list):
        raise EvalError(f"{path}: field {extractor}: a list of gates is expected")
    gates = []
    for i, item in enumerate(section):
        try:
            gates.append(Gate.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in (extractor, i, *err["loc"]))
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise EvalError(f"{path}: field {where}: {msg}") from None
    return gates


def _fmt(info: MetricInfo, value: float | None) -> str:
    if value is None:
        return "n/a"
    if info.kind == "rate":
        return f"{value:.4f}"
    if info.kind == "seconds":
        return f"{value:.4f} s"
    if info.kind == "count" or float(value).is_integer():
        return _num(value)
    return f"{value:.1f}"


def _culprits(info: MetricInfo, current: Snapshot, baseline: Snapshot | None) -> tuple[list[str], str]:
    """The cases behind a failing gate: those newly failing its check (else all failing it)."""
    if info.name == "unsafe":
        return list(current.metrics.unsafe_cases), "unsafe cases"
    if info.check is None:
        return [], ""

    def fails(out: CaseOutcome) -> bool:
        return (not out.passed) if info.check == "*" else (info.check in out.failed_checks)

    failing = [c for c, out in current.cases.items() if fails(out)]
    if baseline is None:
        return failing, "failing cases"
    newly = [c for c in failing if c not in baseline.cases or not fails(baseline.cases[c])]
    if newly:
        return newly, "newly failing cases"
    return failing, "failing cases"


# Gates that hold for every extractor, whatever the gates file and the baseline say: a
# `supported` verdict the record does not support is never accepted.
HARD_GATES: tuple[Gate, ...] = (Gate(metric="unsafe", max=0),)


def _with_hard_gates(gates: Sequence[Gate]) -> list[Gate]:
    """The hard gates first, then the given ones (a given copy of a hard gate is dropped)."""
    hard = {(g.metric, g.op, g.bound, g.tolerance) for g in HARD_GATES}
    return [*HARD_GATES, *(g for g in gates if (g.metric, g.op, g.bound, g.tolerance) not in hard)]


def evaluate_gates(gates: Sequence[Gate], current: Snapshot, baseline: Snapshot | None) -> list[GateResult]:
    """Each gate checked on the current metrics; a failing gate names the cases behind it.
    `HARD_GATES` (no unsafe case) are always checked, first."""
    now = scalars(current.metrics)
    before = scalars(baseline.metrics) if baseline is not None else {}
    results: list[GateResult] = []
    for gate in _with_hard_gates(gates):
        info = METRICS[gate.metric]
        value = now[gate.metric]
        if gate.uses_baseline:
            if baseline is None:
                results.append(
                    GateResult(
                        gate=gate.label,
                        metric=gate.metric,
                        status="fail",
                        value=value,
                        bound=None,
                        detail="no baseline to compare with (accept one with --update-baseline)",
                    )
                )
                continue
            base = before.get(gate.metric)
            origin = f"baseline {_fmt(info, base)}"
        else:
            base = float(gate.bound)
            origin = _fmt(info, base)
        if value is None or base is None:
            results.append(
                GateResult(
                    gate=gate.label,
                    metric=gate.metric,
                    status="n/a",
                    value=value,
                    bound=None,
                    detail=f"{gate.metric} has no value ({'now' if value is None else 'in the baseline'})",
                )
            )
            continue
        tol = gate.tolerance
        if gate.op == "min":
            bound = base - tol
            ok = value >= bound - _EPS
            relation = ">=" if ok else "<"
        elif gate.op == "max":
            bound = base + tol
            ok = value <= bound + _EPS
            relation = "<=" if ok else ">"
        else:
            bound = base
            ok = abs(value - base) <= tol + _EPS
            relation = "==" if ok else "!="
        tol_text = f" (tolerance {_num(tol)})" if tol else ""
        detail = f"{_fmt(info, value)} {relation} {origin}{tol_text}"
        cases: list[str] = []
        if not ok:
            cases, what = _culprits(info, current, baseline)
            if cases:
                known = baseline.cases if baseline is not None else {}
                named = [c if c in known or baseline is None else f"{c} (new case)" for c in cases]
                detail += f"; {what}: {', '.join(named)}"
        results.append(
            GateResult(
                gate=gate.label,
                metric=gate.metric,
                status="pass" if ok else "fail",
                value=value,
                bound=bound,
                detail=detail,
                cases=cases,
            )
        )
    return results


# --------------------------------------------------------------------------------------------
# Where the gold set, baselines and gates are


@dataclass(frozen=True)
class EvalFiles:
    """A folder laid out like the repository's eval/: gold/, baselines/<extractor>.json, gates.yaml."""

    root: Path
    packaged: bool  # inside an installed package: read-only, never rewritten

    @property
    def gold(self) -> Path:
        return self.root / "gold"

    @property
    def gates(self) -> Path:
        return self.root / "gates.yaml"

    def baseline(self, extractor: str) -> Path:
        return self.root / "baselines" / f"{extractor}.json"


def bundled_eval_files() -> EvalFiles | None:
    """The gold set, baselines and gates that come with this copy of the tool, so `reviewer
    eval` runs from any directory: a wheel ships them as reviewer/_eval (pyproject.toml,
    force-include); a source checkout (editable install) uses its own eval/ folder."""
    packaged = resources.files("reviewer").joinpath("_eval")
    if packaged.is_dir():
        return EvalFiles(Path(str(packaged)), packaged=True)
    checkout = Path(__file__).resolve().parents[1] / "eval"
    if (checkout / "gold").is_dir():
        return EvalFiles(checkout, packaged=False)
    return None


# --------------------------------------------------------------------------------------------
# One evaluation run, everything the reports need


class EvalReport(BaseModel):
    """What the report renderers take: the run, its metrics, the comparison and the gates."""

    extractor: str
    gold_dir: str
    elapsed_s: float
    current: Snapshot
    results: list[CaseResult]
    baseline_path: str | None = None
    baseline: Snapshot | None = None  # the baseline compared with (before any update)
    baseline_updated: bool = False
    delta: Delta | None = None
    gates: list[GateResult] = []

    @property
    def metrics(self) -> Metrics:
        return self.current.metrics

    @property
    def failing(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def gates_passed(self) -> bool:
        return not any(g.failed for g in self.gates)
