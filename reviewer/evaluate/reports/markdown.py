"""The evaluation as GitHub-flavoured Markdown, for a pull-request description (no HTML), and
the Markdown table helpers the coverage table shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reviewer.decision import Status
from reviewer.evaluate.baseline import Delta
from reviewer.evaluate.evaluation import EvalReport
from reviewer.evaluate.metrics import METRICS
from reviewer.evaluate.reports.summary import (
    CONFUSION_COLUMNS,
    capitalised,
    eval_headline,
    eval_standing,
    expected_text,
    flip_text,
    gold_line,
    metric_rows,
    verdict_text,
    versions_line,
)

__all__ = ["eval_markdown", "md_cell", "md_table"]

_MD_CHANGE = {"better": " (better)", "worse": " (**worse**)", "changed": " (changed)"}


def md_cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "; ")


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]], align: Sequence[str] = ()) -> list[str]:
    """A Markdown table; `align` per column: "l" (default), "r" or "c"."""
    marks = [{"r": "---:", "c": ":---:"}.get(a, "---") for a in align] if align else ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return lines


def eval_markdown(report: EvalReport) -> str:
    """The evaluation as Markdown for a pull-request description."""
    out = _head(report)
    if report.gates:
        out += ["", "### Gates", ""]
        out += md_table(
            ["result", "gate", "detail"],
            [("**FAIL**" if g.failed else g.status.upper(), f"`{g.gate}`", g.detail) for g in report.gates],
        )
    out += ["", "### Metrics", ""]
    out += md_table(
        ["metric", "value", "baseline", "change"],
        [
            (
                f"`{r.metric.name}`",
                r.value,
                r.baseline,
                r.delta + (_MD_CHANGE.get(r.change, "") if r.delta else ""),
            )
            for r in metric_rows(report)
        ],
        ["l", "r", "r", "r"],
    )
    out += ["", "### Verdict confusion (rows: expected, columns: actual)", ""]
    out += md_table(
        ["expected \\ actual", *CONFUSION_COLUMNS],
        [(exp, *[row.get(c, 0) for c in CONFUSION_COLUMNS]) for exp, row in report.metrics.confusion.items()],
        ["l", *["r"] * len(CONFUSION_COLUMNS)],
    )
    out += ["", "### Criteria (status agreement)", ""]
    out += _criteria(report)
    if report.delta is not None:
        out += ["", "### Case flips since the baseline", ""]
        out += _flips(report.delta)
    out += ["", f"### Failing cases ({len(report.failing)})", ""]
    out += _failing(report)
    out += ["", "### Versions", ""]
    base_versions = report.baseline.versions if report.baseline is not None else {}
    out += md_table(
        ["component", "version", "baseline"],
        [
            (k, f"`{v}`", f"`{base_versions[k]}`" if k in base_versions else "")
            for k, v in report.current.versions.items()
        ],
    )
    out += ["", "### Metric definitions", ""]
    out += [f"- `{metric.name}`: {metric.definition}" for metric in METRICS.values()]
    return "\n".join(out) + "\n"


def _head(report: EvalReport) -> list[str]:
    out = [
        f"## Gold-set evaluation: {report.extractor} extractor",
        "",
        f"**{md_cell(capitalised(eval_headline(report)))}.** {md_cell(eval_standing(report))}",
        "",
        f"{gold_line(report)}",
    ]
    if versions := versions_line(report):
        out += ["", versions]
    if report.baseline_updated:
        out += ["", f"Baseline updated: `{report.baseline_path}`."]
    return out


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _criteria(report: EvalReport) -> list[str]:
    rows = []
    for key, stats in report.metrics.criteria.items():
        pr = []
        for s in Status:
            item = stats.by_status.get(s.value)
            p = _percent(item.precision if item is not None else None)
            r = _percent(item.recall if item is not None else None)
            pr.append(f"{p} / {r}")
        rows.append((key, stats.n, _percent(stats.accuracy), *pr))
    return md_table(
        ["criterion", "n", "accuracy", *[f"{s.value} P / R" for s in Status]],
        rows,
        ["l", "r", "r", "r", "r", "r"],
    )


def _flips(delta: Delta) -> list[str]:
    out: list[str] = []
    if delta.flips:
        out += md_table(
            ["case", "change", "verdict (baseline → now)", "failed checks"],
            [
                (
                    f"`{f.id}`",
                    flip_text(f.kind, f.case_changed),
                    f"{verdict_text(f.baseline_verdict)} → {verdict_text(f.verdict)}",
                    ", ".join(f.failed_checks) or "-",
                )
                for f in delta.flips
            ],
        )
    else:
        out.append("No case flipped.")
    if delta.added or delta.removed:
        out.append("")
        if delta.added:
            out.append(f"New cases ({len(delta.added)}): {', '.join(delta.added)}.")
        if delta.removed:
            out.append(f"Removed cases ({len(delta.removed)}): {', '.join(delta.removed)}.")
    return out


def _failing(report: EvalReport) -> list[str]:
    if not report.failing:
        return ["None."]
    return md_table(
        ["case", "expected", "actual", "reasons"],
        [
            (f"`{r.id}`", expected_text(r), verdict_text(r.verdict), "\n".join(r.failures))
            for r in report.failing
        ],
    )
