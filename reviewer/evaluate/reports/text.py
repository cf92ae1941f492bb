"""The terminal report of an evaluation (rich tables): headline, metrics with the baseline
delta, verdict confusion, flips, failing cases and gates. Text from a note goes through
`rich.text.Text`, never console markup, so it prints as written."""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reviewer.evaluate.baseline import Delta
from reviewer.evaluate.evaluation import EvalReport
from reviewer.evaluate.reports.summary import (
    CONFUSION_COLUMNS,
    eval_headline,
    eval_standing,
    expected_text,
    flip_text,
    gold_line,
    metric_rows,
    verdict_text,
    versions_line,
)
from reviewer.report.text import report_console

__all__ = ["eval_text"]

_CHANGE_STYLES = {"better": "green", "worse": "bold red", "changed": "yellow", "same": "dim"}


def _table(title: str, *columns: tuple[str, dict[str, Any]], expand: bool = False) -> Table:
    table = Table(
        expand=expand,
        title=Text(title, style="bold"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    for name, options in columns:
        table.add_column(name, **options)
    return table


def eval_text(report: EvalReport, *, color: bool = False, width: int = 120) -> str:
    """The terminal report: metrics with the baseline delta, flips, failing cases, gates."""
    buffer = StringIO()
    console = report_console(buffer, width=width, color=color)
    _print_head(console, report)
    console.print(_metrics(report))
    console.print()
    console.print(_confusion(report))
    console.print()
    if report.delta is not None:
        _print_flips(console, report.delta)
    _print_failing(console, report)
    if report.gates:
        console.print(_gates(report))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _print_head(console: Console, report: EvalReport) -> None:
    head = Text(f"Gold-set evaluation, {report.extractor} extractor: ", style="bold")
    head.append(eval_headline(report), style="bold green" if report.gates_passed else "bold red")
    console.print(head)
    console.print(Text(eval_standing(report), style="bold"))
    console.print(
        Text(gold_line(report), style="yellow" if report.delta and report.delta.gold_changed else "")
    )
    if versions := versions_line(report):
        console.print(Text(versions, style="yellow"))
    if report.baseline_updated:
        console.print(Text(f"Baseline updated: {report.baseline_path}", style="bold"))
    console.print()


def _metrics(report: EvalReport) -> Table:
    table = _table(
        "Metrics",
        ("Metric", {"no_wrap": True}),
        ("Value", {"justify": "right", "no_wrap": True}),
        ("Baseline", {"justify": "right", "no_wrap": True}),
        ("Change", {"justify": "right", "no_wrap": True}),
    )
    group = None
    for row in metric_rows(report):
        if group is not None and row.metric.group != group:
            table.add_section()
        group = row.metric.group
        table.add_row(
            Text(row.metric.name),
            Text(row.value),
            Text(row.baseline, style="dim"),
            Text(row.delta, style=_CHANGE_STYLES.get(row.change, "")),
        )
    return table


def _confusion(report: EvalReport) -> Table:
    table = _table(
        "Verdict confusion (rows: expected, columns: actual)",
        ("expected \\ actual", {"no_wrap": True}),
        *[(c, {"justify": "right"}) for c in CONFUSION_COLUMNS],
    )
    for exp, row in report.metrics.confusion.items():
        table.add_row(Text(exp), *[Text(str(row.get(c, 0))) for c in CONFUSION_COLUMNS])
    return table


def _print_flips(console: Console, delta: Delta) -> None:
    if not delta.flips:
        console.print(Text("No case flipped since the baseline.", style="dim"))
        console.print()
        return
    table = _table(
        f"Cases flipped since the baseline ({len(delta.flips)})",
        ("Case", {"no_wrap": True}),
        ("Change", {"no_wrap": True}),
        ("Verdict (baseline -> now)", {"no_wrap": True}),
        ("Failed checks", {"overflow": "fold"}),
    )
    for f in delta.flips:
        table.add_row(
            Text(f.id),
            Text(
                flip_text(f.kind, f.case_changed), style="bold red" if f.kind == "newly_failing" else "green"
            ),
            Text(f"{verdict_text(f.baseline_verdict)} -> {verdict_text(f.verdict)}"),
            Text(", ".join(f.failed_checks) or "-"),
        )
    console.print(table)
    console.print()


def _print_failing(console: Console, report: EvalReport) -> None:
    failing = report.failing
    if not failing:
        console.print(Text("No failing cases.", style="green"))
        console.print()
        return
    table = _table(
        f"Failing cases ({len(failing)})",
        ("Case", {"no_wrap": True}),
        ("Expected", {"overflow": "fold", "max_width": 15}),
        ("Actual", {"no_wrap": True}),
        ("Reasons", {"overflow": "fold", "ratio": 1}),
        expand=True,
    )
    for r in failing:
        table.add_row(
            Text(r.id), Text(expected_text(r)), Text(verdict_text(r.verdict)), Text("\n".join(r.failures))
        )
    console.print(table)
    console.print()


def _gates(report: EvalReport) -> Table:
    table = _table(
        "Gates",
        ("Result", {"no_wrap": True}),
        ("Gate", {"no_wrap": True}),
        ("Detail", {"overflow": "fold"}),
    )
    for g in report.gates:
        style = {"pass": "green", "fail": "bold red"}.get(g.status, "dim")
        table.add_row(Text(g.status.upper(), style=style), Text(g.gate), Text(g.detail))
    return table
