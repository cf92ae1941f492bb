"""The metric table: every gateable scalar of a run as a typed record (name, group, kind,
direction, the check behind it, its definition, and how to read it from `Metrics`). Gates name
these metrics; reports list them in this order; `scalars()` is derived from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from reviewer.decision import CriterionId, Status, Verdict
from reviewer.evaluate.assess import Check
from reviewer.evaluate.scores import Metrics, PrecisionRecall

__all__ = ["METRICS", "Direction", "Kind", "Metric", "MetricValue", "metric_table", "scalars"]

Kind = Literal["rate", "count", "seconds", "tokens"]
Direction = Literal["higher", "lower", "none"]  # which way is better ("none": neither)
Reader = Callable[[Metrics], float | None]


@dataclass(frozen=True)
class Metric:
    """One gateable scalar. `check` is the per-case check it is computed from ("*" = any
    check; None = none), used to name the cases behind a failing gate."""

    name: str
    group: str
    kind: Kind
    direction: Direction
    check: str | None
    definition: str
    read: Reader = field(repr=False, compare=False)

    def value(self, metrics: Metrics) -> float | None:
        value = self.read(metrics)
        return None if value is None else float(value)


@dataclass(frozen=True)
class MetricValue:
    """A metric measured on one run."""

    metric: Metric
    value: float | None

    @property
    def name(self) -> str:
        return self.metric.name


def _pr(item: PrecisionRecall | None, which: Literal["precision", "recall"]) -> float | None:
    if item is None:
        return None
    return item.precision if which == "precision" else item.recall


def _verdict_pr(verdict: Verdict, which: Literal["precision", "recall"]) -> Metric:
    text = {
        "precision": "Of the cases judged {v}, the share where {v} was acceptable.",
        "recall": "Of the cases expected {v}, the share judged acceptably.",
    }[which]
    return Metric(
        f"verdict_{which}.{verdict.value}", "Verdict", "rate", "higher", Check.verdict.value,
        text.format(v=verdict.value), lambda m: _pr(m.verdicts.get(verdict.value), which),
    )  # fmt: skip


def _criterion_accuracy(cid: CriterionId) -> Metric:
    def read(m: Metrics) -> float | None:
        stats = m.criteria.get(cid.value)
        return None if stats is None else stats.accuracy

    return Metric(
        f"criterion_accuracy.{cid.value}", "Criteria", "rate", "higher", Check.criteria.value,
        f"Status accuracy of criterion {cid.value}.", read,
    )  # fmt: skip


def _status_pr(status: Status, which: Literal["precision", "recall"]) -> Metric:
    text = {
        "precision": "Of the criteria the tool called {s}, the share annotated {s} (all criteria).",
        "recall": "Of the criteria annotated {s}, the share the tool called {s} (all criteria).",
    }[which]

    def read(m: Metrics) -> float | None:
        stats = m.criteria.get("all")
        return None if stats is None else _pr(stats.by_status.get(status.value), which)

    return Metric(
        f"criterion_{which}.{status.value}", "Criteria", "rate", "higher", Check.criteria.value,
        text.format(s=status.value), read,
    )  # fmt: skip


_PR: tuple[Literal["precision", "recall"], ...] = ("precision", "recall")
_V = Check.verdict.value
_C = Check.criteria.value
_E = Check.evidence.value

# The table, in report order: name, group, kind, direction, check, definition, reader.
_TABLE: list[Metric] = [
    Metric("case_pass_rate", "Cases", "rate", "higher", "*", "Share of cases passing every check.", lambda m: m.case_pass_rate),
    Metric("cases_failed", "Cases", "count", "lower", "*", "Cases failing at least one check.", lambda m: m.cases_failed),
    Metric("errors", "Cases", "count", "lower", "error", "Cases whose review raised or whose extractor reported an error.", lambda m: m.errors),
    Metric("verdict_accuracy", "Verdict", "rate", "higher", _V, "Share of cases whose verdict is one of the case's acceptable verdicts.", lambda m: m.verdict_accuracy),
    Metric("verdict_exact", "Verdict", "rate", "higher", _V, "Share of cases whose verdict equals the expected (preferred) verdict.", lambda m: m.verdict_exact),
    Metric("unsafe", "Verdict", "count", "lower", _V, "Cases judged supported where supported is not acceptable: a claim the record does not support.", lambda m: m.unsafe),
    *[_verdict_pr(v, which) for v in Verdict for which in _PR],
    Metric("query_rate", "Verdict", "rate", "none", _V, "Share of cases answered with a physician query.", lambda m: m.query_rate),
    Metric("expected_query_rate", "Verdict", "rate", "none", None, "Share of cases whose expected verdict is query (compare with query_rate).", lambda m: m.expected_query_rate),
    Metric("primary_code_exact", "Codes", "rate", "higher", "primary_codes", "Share of cases whose set of primary CPT codes equals the expected set exactly.", lambda m: m.primary_code_exact),
    Metric("code_agreement", "Codes", "rate", "higher", "codes", "Share of cases recommending every expected code line (code, role, modifiers, units).", lambda m: m.code_agreement),
    Metric("criterion_accuracy", "Criteria", "rate", "higher", _C, "Share of annotated (case, criterion) pairs whose status (met / not met / unclear) matches.", lambda m: m.criterion_accuracy),
    *[_criterion_accuracy(c) for c in CriterionId],
    *[_status_pr(s, which) for s in Status for which in _PR],
    Metric("evidence_char_precision", "Evidence", "rate", "higher", _E, "Share of cited evidence characters inside an expected evidence quote (micro-averaged).", lambda m: m.evidence.precision),
    Metric("evidence_char_recall", "Evidence", "rate", "higher", _E, "Share of expected evidence-quote characters covered by cited evidence (micro-averaged).", lambda m: m.evidence.recall),
    Metric("evidence_char_f1", "Evidence", "rate", "higher", _E, "Harmonic mean of evidence_char_precision and evidence_char_recall.", lambda m: m.evidence.f1),
    Metric("icd10_agreement", "Claim", "rate", "higher", "icd10", "Share of cases suggesting every expected ICD-10-CM code.", lambda m: m.icd10_agreement),
    Metric("icd10_recall", "Claim", "rate", "higher", "icd10", "Expected ICD-10-CM codes suggested / expected ICD-10-CM codes, over all cases.", lambda m: m.icd10_recall),
    Metric("edit_agreement", "Claim", "rate", "higher", "edits", "Share of cases raising every expected claim-edit kind.", lambda m: m.edit_agreement),
    Metric("edit_recall", "Claim", "rate", "higher", "edits", "Expected claim-edit kinds raised / expected claim-edit kinds, over all cases.", lambda m: m.edit_recall),
    Metric("unexpected_edits", "Claim", "count", "lower", None, "Claim-edit kinds raised that the case does not expect, summed over cases.", lambda m: m.unexpected_edits),
    Metric("flag_agreement", "Claim", "rate", "higher", "flags", "Share of cases raising every expected flag.", lambda m: m.flag_agreement),
    Metric("guardrail_unaligned", "Guardrails", "count", "lower", None, "Evidence quotes the extractor gave that are not in the note: kept, shown, never counted.", lambda m: m.guardrail_unaligned),
    Metric("guardrail_mismatch", "Guardrails", "count", "lower", None, "Evidence quotes found in the note that do not say what their label claims: never counted.", lambda m: m.guardrail_mismatch),
    Metric("latency_mean_s", "Cost", "seconds", "lower", None, "Mean seconds per case (pipeline wall time).", lambda m: m.latency_mean_s),
    Metric("latency_p95_s", "Cost", "seconds", "lower", None, "95th-percentile seconds per case (nearest rank).", lambda m: m.latency_p95_s),
    Metric("tokens_mean", "Cost", "tokens", "lower", None, "Prompt + completion tokens per case (LLM runs).", lambda m: m.tokens_mean),
    Metric("tokens_total", "Cost", "tokens", "lower", None, "Prompt + completion tokens over all cases (LLM runs).", lambda m: m.tokens_total),
]  # fmt: skip

METRICS: dict[str, Metric] = {metric.name: metric for metric in _TABLE}


def metric_table(metrics: Metrics) -> list[MetricValue]:
    """Every metric of the table measured on `metrics`, in report order."""
    return [MetricValue(metric, metric.value(metrics)) for metric in METRICS.values()]


def scalars(metrics: Metrics) -> dict[str, float | None]:
    """Every named scalar metric (the names gates use), in report order."""
    return {row.name: row.value for row in metric_table(metrics)}
