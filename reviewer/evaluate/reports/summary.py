"""What every evaluation report says the same way: numbers as a coding manager reads them, the
metric rows, the headline, the standing line and the gold-set and version lines."""

from __future__ import annotations

from typing import NamedTuple

from reviewer.decision import Verdict
from reviewer.evaluate.assess import CaseResult
from reviewer.evaluate.baseline import MetricDelta
from reviewer.evaluate.evaluation import EvalReport
from reviewer.evaluate.metrics import METRICS, Metric

__all__ = [
    "CONFUSION_COLUMNS",
    "VERDICTS",
    "MetricRow",
    "capitalised",
    "eval_headline",
    "eval_standing",
    "expected_text",
    "flip_text",
    "format_delta",
    "format_value",
    "gold_line",
    "metric_rows",
    "verdict_text",
    "versions_line",
]

VERDICTS = [v.value for v in Verdict]
CONFUSION_COLUMNS = [*VERDICTS, "error"]


def format_value(metric: Metric, value: float | None) -> str:
    """98.3% for a rate, 2 for a count, 0.031 s for seconds, 1234 for tokens; n/a when empty."""
    if value is None:
        return "n/a"
    if metric.kind == "rate":
        return f"{value * 100:.1f}%"
    if metric.kind == "seconds":
        return f"{value:.3f} s"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def format_delta(metric: Metric, d: MetricDelta) -> str:
    """+1.7 pp, -2, +0.004 s; '=' when unchanged and '' when there is nothing to compare."""
    if d.delta is None:
        return ""
    if d.change == "same":
        return "="
    if metric.kind == "rate":
        return f"{d.delta * 100:+.1f} pp"
    if metric.kind == "seconds":
        return f"{d.delta:+.3f} s"
    if float(d.delta).is_integer():
        return f"{int(d.delta):+d}"
    return f"{d.delta:+.1f}"


class MetricRow(NamedTuple):
    """One metric as the reports show it: formatted value, baseline value, delta and change."""

    metric: Metric
    value: str
    baseline: str
    delta: str
    change: str


def metric_rows(report: EvalReport) -> list[MetricRow]:
    """One row per metric of the table, in report order."""
    deltas = {d.name: d for d in report.delta.metrics} if report.delta is not None else {}
    rows: list[MetricRow] = []
    for measured in report.metric_table:
        metric = measured.metric
        d = deltas.get(metric.name)
        rows.append(
            MetricRow(
                metric,
                format_value(metric, measured.value),
                format_value(metric, d.baseline) if d is not None else "",
                format_delta(metric, d) if d is not None else "",
                d.change if d is not None else "",
            )
        )
    return rows


def verdict_text(v: Verdict | None) -> str:
    return v.value if v is not None else "error"


def expected_text(r: CaseResult) -> str:
    acc = [v.value for v in r.expected.acceptable_verdicts if v is not r.expected.verdict]
    return r.expected.verdict.value + (f" (or {', '.join(acc)})" if acc else "")


def gold_line(report: EvalReport) -> str:
    fp = report.current.gold.fingerprint[:12]
    if report.baseline is None:
        return f"Gold set {fp} ({report.current.gold.cases} cases); no baseline to compare with."
    delta = report.delta
    assert delta is not None
    if not delta.gold_changed:
        return f"Gold set {fp}: unchanged since the baseline."
    parts = []
    if delta.added:
        parts.append(f"{len(delta.added)} added")
    if delta.removed:
        parts.append(f"{len(delta.removed)} removed")
    if delta.modified:
        parts.append(f"{len(delta.modified)} modified")
    what = ", ".join(parts) or "files changed"
    return (
        f"Gold set CHANGED since the baseline ({delta.baseline_fingerprint[:12]} -> {fp}: {what}); "
        "metrics are compared anyway, case flips only for cases in both."
    )


def versions_line(report: EvalReport) -> str:
    if report.delta is None or not report.delta.versions:
        return ""
    changes = [f"{k} {a or '-'} -> {b or '-'}" for k, (a, b) in report.delta.versions.items()]
    return "Versions changed since the baseline: " + "; ".join(changes) + "."


def eval_headline(report: EvalReport) -> str:
    """What the run says about change: 'no regression against the baseline', or 'REGRESSION:'
    and the gates that failed. Never 'PASS': passing gates says nothing about how many cases
    are right (see `eval_standing`)."""
    failed = [g.gate for g in report.gates if g.failed]
    if failed:
        return "REGRESSION: " + "; ".join(failed)
    if report.baseline_updated:
        return "baseline updated; no gate failed"
    if report.baseline is None:
        return "no gate failed; no baseline to compare with"
    return "no regression against the baseline"


def eval_standing(report: EvalReport) -> str:
    """Where the run stands, in plain numbers: 'Verdict accuracy 42.9%: 64 of 112 cases wrong,
    0 unsafe. 40 of 112 cases pass every check; 9 of 9 gates pass; 3.1 s.'"""
    m = report.metrics
    wrong = sum(1 for r in report.results if not r.checks.get("verdict", False))
    accuracy = format_value(METRICS["verdict_accuracy"], m.verdict_accuracy)
    passing = sum(1 for g in report.gates if not g.failed)
    return (
        f"Verdict accuracy {accuracy}: {wrong} of {m.cases} cases wrong, {m.unsafe} unsafe. "
        f"{m.cases_passed} of {m.cases} cases pass every check; "
        f"{passing} of {len(report.gates)} gates pass; {report.elapsed_s:.1f} s."
    )


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def flip_text(kind: str, case_changed: bool = False) -> str:
    return kind.replace("_", " ") + (" (case file changed)" if case_changed else "")
