"""Reports on a gold-set evaluation (`reviewer eval`): a terminal table (rich), Markdown for a
pull-request description, JSON for machines, and one self-contained HTML page listing every
failing case with its note and the evidence highlighted. Also the gold-set coverage table
(eval/gold/COVERAGE.md), generated from the case files.

The HTML page loads nothing: CSS is inline, there is no script, and a Content-Security-Policy
meta tag forbids any fetch. Note-derived text is escaped (jinja2 autoescape; `html.escape` for
the highlighted note, built here). Terminal output goes through `rich.text.Text`, never console
markup, so text from a note prints as written.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from io import StringIO
from itertools import pairwise
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup
from rich import box
from rich.table import Table
from rich.text import Text

import reviewer
from reviewer.decision import CriterionId, Role, Status, Verdict
from reviewer.evaluate import (
    METRICS,
    CaseResult,
    EvalReport,
    MetricDelta,
    MetricInfo,
    expected_spans,
    scalars,
)
from reviewer.findings import Alignment
from reviewer.gold import GoldCase
from reviewer.report.html import CRITERION_COLOURS
from reviewer.report.text import CRITERION_NAMES, report_console

__all__ = [
    "coverage_markdown",
    "eval_headline",
    "eval_html",
    "eval_json",
    "eval_markdown",
    "eval_standing",
    "eval_text",
    "format_delta",
    "format_value",
]

COVERAGE_COMMAND = "reviewer eval --coverage"
_VERDICTS = [v.value for v in Verdict]


# --------------------------------------------------------------------------------------------
# Numbers as a coding manager reads them


def format_value(info: MetricInfo, value: float | None) -> str:
    """98.3% for a rate, 2 for a count, 0.031 s for seconds, 1234 for tokens; n/a when empty."""
    if value is None:
        return "n/a"
    if info.kind == "rate":
        return f"{value * 100:.1f}%"
    if info.kind == "seconds":
        return f"{value:.3f} s"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def format_delta(info: MetricInfo, d: MetricDelta) -> str:
    """+1.7 pp, -2, +0.004 s; '=' when unchanged and '' when there is nothing to compare."""
    if d.delta is None:
        return ""
    if d.change == "same":
        return "="
    if info.kind == "rate":
        text = f"{d.delta * 100:+.1f} pp"
    elif info.kind == "seconds":
        text = f"{d.delta:+.3f} s"
    elif float(d.delta).is_integer():
        text = f"{int(d.delta):+d}"
    else:
        text = f"{d.delta:+.1f}"
    return text


def _deltas(report: EvalReport) -> dict[str, MetricDelta]:
    return {d.name: d for d in report.delta.metrics} if report.delta is not None else {}


def _rows(report: EvalReport) -> list[tuple[MetricInfo, str, str, str, str]]:
    """(info, value, baseline, delta, change) per scalar metric, in report order."""
    values = scalars(report.metrics)
    deltas = _deltas(report)
    rows: list[tuple[MetricInfo, str, str, str, str]] = []
    for name, info in METRICS.items():
        d = deltas.get(name)
        base = format_value(info, d.baseline) if d is not None else ""
        rows.append(
            (
                info,
                format_value(info, values[name]),
                base,
                format_delta(info, d) if d is not None else "",
                d.change if d is not None else "",
            )
        )
    return rows


def _verdict(v: Verdict | None) -> str:
    return v.value if v is not None else "error"


def _expected_text(r: CaseResult) -> str:
    acc = [v.value for v in r.expected.acceptable_verdicts if v is not r.expected.verdict]
    return r.expected.verdict.value + (f" (or {', '.join(acc)})" if acc else "")


def _gold_line(report: EvalReport) -> str:
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


def _versions_line(report: EvalReport) -> str:
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


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _flip_text(kind: str) -> str:
    return kind.replace("_", " ")


# --------------------------------------------------------------------------------------------
# Terminal


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
    ok = report.gates_passed
    head = Text(f"Gold-set evaluation, {report.extractor} extractor: ", style="bold")
    head.append(eval_headline(report), style="bold green" if ok else "bold red")
    console.print(head)
    console.print(Text(eval_standing(report), style="bold"))
    console.print(
        Text(_gold_line(report), style="yellow" if report.delta and report.delta.gold_changed else "")
    )
    if versions := _versions_line(report):
        console.print(Text(versions, style="yellow"))
    if report.baseline_updated:
        console.print(Text(f"Baseline updated: {report.baseline_path}", style="bold"))
    console.print()

    metrics = _table(
        "Metrics",
        ("Metric", {"no_wrap": True}),
        ("Value", {"justify": "right", "no_wrap": True}),
        ("Baseline", {"justify": "right", "no_wrap": True}),
        ("Change", {"justify": "right", "no_wrap": True}),
    )
    group = None
    for info, value, base, delta, change in _rows(report):
        if group is not None and info.group != group:
            metrics.add_section()
        group = info.group
        metrics.add_row(
            Text(info.name),
            Text(value),
            Text(base, style="dim"),
            Text(delta, style=_CHANGE_STYLES.get(change, "")),
        )
    console.print(metrics)
    console.print()

    confusion = _table(
        "Verdict confusion (rows: expected, columns: actual)",
        ("expected \\ actual", {"no_wrap": True}),
        *[(c, {"justify": "right"}) for c in [*_VERDICTS, "error"]],
    )
    for exp, row in report.metrics.confusion.items():
        confusion.add_row(Text(exp), *[Text(str(row.get(c, 0))) for c in [*_VERDICTS, "error"]])
    console.print(confusion)
    console.print()

    if report.delta is not None:
        if report.delta.flips:
            flips = _table(
                f"Cases flipped since the baseline ({len(report.delta.flips)})",
                ("Case", {"no_wrap": True}),
                ("Change", {"no_wrap": True}),
                ("Verdict (baseline -> now)", {"no_wrap": True}),
                ("Failed checks", {"overflow": "fold"}),
            )
            for f in report.delta.flips:
                change = _flip_text(f.kind) + (" (case file changed)" if f.case_changed else "")
                flips.add_row(
                    Text(f.id),
                    Text(change, style="bold red" if f.kind == "newly_failing" else "green"),
                    Text(f"{_verdict(f.baseline_verdict)} -> {_verdict(f.verdict)}"),
                    Text(", ".join(f.failed_checks) or "-"),
                )
            console.print(flips)
        else:
            console.print(Text("No case flipped since the baseline.", style="dim"))
        console.print()

    failing = report.failing
    if failing:
        cases = _table(
            f"Failing cases ({len(failing)})",
            ("Case", {"no_wrap": True}),
            ("Expected", {"overflow": "fold", "max_width": 15}),
            ("Actual", {"no_wrap": True}),
            ("Reasons", {"overflow": "fold", "ratio": 1}),
            expand=True,
        )
        for r in failing:
            cases.add_row(
                Text(r.id), Text(_expected_text(r)), Text(_verdict(r.verdict)), Text("\n".join(r.failures))
            )
        console.print(cases)
    else:
        console.print(Text("No failing cases.", style="green"))
    console.print()

    if report.gates:
        gates = _table(
            "Gates",
            ("Result", {"no_wrap": True}),
            ("Gate", {"no_wrap": True}),
            ("Detail", {"overflow": "fold"}),
        )
        for g in report.gates:
            style = {"pass": "green", "fail": "bold red"}.get(g.status, "dim")
            gates.add_row(Text(g.status.upper(), style=style), Text(g.gate), Text(g.detail))
        console.print(gates)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


# --------------------------------------------------------------------------------------------
# Markdown (GitHub-flavoured; no HTML)


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "; ")


def _md_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], align: Sequence[str] = ()
) -> list[str]:
    marks = [{"r": "---:", "c": ":---:"}.get(a, "---") for a in align] if align else ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


_MD_CHANGE = {"better": " (better)", "worse": " (**worse**)", "changed": " (changed)"}


def eval_markdown(report: EvalReport) -> str:
    """The evaluation as Markdown for a pull-request description."""
    out = [
        f"## Gold-set evaluation: {report.extractor} extractor",
        "",
        f"**{_cell(_capitalised(eval_headline(report)))}.** {_cell(eval_standing(report))}",
        "",
        f"{_gold_line(report)}",
    ]
    if versions := _versions_line(report):
        out += ["", versions]
    if report.baseline_updated:
        out += ["", f"Baseline updated: `{report.baseline_path}`."]
    if report.gates:
        out += ["", "### Gates", ""]
        out += _md_table(
            ["result", "gate", "detail"],
            [("**FAIL**" if g.failed else g.status.upper(), f"`{g.gate}`", g.detail) for g in report.gates],
        )
    out += ["", "### Metrics", ""]
    out += _md_table(
        ["metric", "value", "baseline", "change"],
        [
            (f"`{info.name}`", value, base, delta + (_MD_CHANGE.get(change, "") if delta else ""))
            for info, value, base, delta, change in _rows(report)
        ],
        ["l", "r", "r", "r"],
    )
    out += ["", "### Verdict confusion (rows: expected, columns: actual)", ""]
    cols = [*_VERDICTS, "error"]
    out += _md_table(
        ["expected \\ actual", *cols],
        [(exp, *[row.get(c, 0) for c in cols]) for exp, row in report.metrics.confusion.items()],
        ["l", *["r"] * len(cols)],
    )
    out += ["", "### Criteria (status agreement)", ""]
    crit_rows = []
    for key, stats in report.metrics.criteria.items():
        pr = []
        for s in Status:
            item = stats.by_status.get(s.value)
            p = "n/a" if item is None or item.precision is None else f"{item.precision * 100:.1f}%"
            r = "n/a" if item is None or item.recall is None else f"{item.recall * 100:.1f}%"
            pr.append(f"{p} / {r}")
        acc = "n/a" if stats.accuracy is None else f"{stats.accuracy * 100:.1f}%"
        crit_rows.append((key, stats.n, acc, *pr))
    out += _md_table(
        ["criterion", "n", "accuracy", *[f"{s.value} P / R" for s in Status]],
        crit_rows,
        ["l", "r", "r", "r", "r", "r"],
    )
    if report.delta is not None:
        out += ["", "### Case flips since the baseline", ""]
        if report.delta.flips:
            out += _md_table(
                ["case", "change", "verdict (baseline → now)", "failed checks"],
                [
                    (
                        f"`{f.id}`",
                        _flip_text(f.kind) + (" (case file changed)" if f.case_changed else ""),
                        f"{_verdict(f.baseline_verdict)} → {_verdict(f.verdict)}",
                        ", ".join(f.failed_checks) or "-",
                    )
                    for f in report.delta.flips
                ],
            )
        else:
            out.append("No case flipped.")
        if report.delta.added or report.delta.removed:
            out.append("")
            if report.delta.added:
                out.append(f"New cases ({len(report.delta.added)}): {', '.join(report.delta.added)}.")
            if report.delta.removed:
                out.append(f"Removed cases ({len(report.delta.removed)}): {', '.join(report.delta.removed)}.")
    out += ["", f"### Failing cases ({len(report.failing)})", ""]
    if report.failing:
        out += _md_table(
            ["case", "expected", "actual", "reasons"],
            [
                (f"`{r.id}`", _expected_text(r), _verdict(r.verdict), "\n".join(r.failures))
                for r in report.failing
            ],
        )
    else:
        out.append("None.")
    out += ["", "### Versions", ""]
    base_versions = report.baseline.versions if report.baseline is not None else {}
    out += _md_table(
        ["component", "version", "baseline"],
        [
            (k, f"`{v}`", f"`{base_versions[k]}`" if k in base_versions else "")
            for k, v in report.current.versions.items()
        ],
    )
    out += ["", "### Metric definitions", ""]
    out += [f"- `{info.name}`: {info.description}" for info in METRICS.values()]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# JSON


def _case_json(r: CaseResult) -> dict[str, Any]:
    d = r.review.decision if r.review is not None else None
    return {
        "id": r.id,
        "title": r.title,
        "style": r.style,
        "branches": r.branches,
        "passed": r.passed,
        "expected_verdict": r.expected.verdict.value,
        "acceptable_verdicts": [v.value for v in r.expected.acceptable_verdicts],
        "verdict": r.verdict.value if r.verdict is not None else None,
        "checks": r.checks,
        "failures": r.failures,
        "expected_primary_codes": sorted(r.expected.primary_codes),
        "primary_codes": sorted(c.code for c in d.recommended_codes if c.role is Role.primary) if d else [],
        "expected_criteria": {k.value: v.value for k, v in r.expected.criteria.items()},
        "criteria": {c.id.value: c.status.value for c in d.criteria} if d else {},
        "icd10": [i.code for i in d.icd10] if d else [],
        "edits": [e.kind for e in d.edits] if d else [],
        "flags": [f.kind for f in d.flags] if d else [],
        "error": r.error,
        "latency_s": round(r.latency_s, 6),
        "tokens": r.tokens.model_dump(),
    }


def eval_json(report: EvalReport) -> str:
    """Metrics, scalars, the comparison, the gates and every case's outcome, as JSON."""
    data = {
        "extractor": report.extractor,
        "gold_dir": report.gold_dir,
        "elapsed_s": round(report.elapsed_s, 3),
        "passed": report.gates_passed,
        "headline": eval_headline(report),
        "standing": eval_standing(report),
        "gold": report.current.gold.model_dump(),
        "versions": report.current.versions,
        "baseline": {
            "path": report.baseline_path,
            "updated": report.baseline_updated,
            "fingerprint": report.baseline.gold.fingerprint if report.baseline else None,
        },
        "gates": [g.model_dump() for g in report.gates],
        "scalars": scalars(report.metrics),
        "metrics": report.metrics.model_dump(mode="json"),
        "delta": report.delta.model_dump(mode="json") if report.delta else None,
        "cases": [_case_json(r) for r in report.results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# HTML


def _escape(text: str) -> str:
    # Carriage returns as references, so an HTML parser does not fold CRLF and shift offsets.
    return html.escape(text, quote=True).replace("\r", "&#13;")


_ORDER = [c.value for c in CriterionId]


def highlight_case(r: CaseResult) -> Markup:
    """The note, escaped, with the actual criterion evidence in `<mark>` at its exact offsets
    (coloured by criterion) and the expected evidence quotes underlined."""
    note = r.note
    n = len(note)
    spans: list[tuple[int, int, str]] = []
    if r.review is not None:
        for crit in r.review.decision.criteria:
            for ev in crit.evidence:
                if ev.alignment is not Alignment.unaligned and 0 <= ev.start < ev.end <= n:
                    spans.append((ev.start, ev.end, crit.id.value))
    expected: list[tuple[int, int, str]] = []
    for cid, quotes in r.expected.evidence.items():
        cited = [(s, e) for s, e, lab in spans if lab == cid.value]
        for q in quotes:
            occurrences = expected_spans(note, q)
            if occurrences:  # the occurrence the metric scores: the one best covered
                s, e = max(
                    occurrences, key=lambda o: sum(max(0, min(o[1], b) - max(o[0], a)) for a, b in cited)
                )
                expected.append((s, e, cid.value))
    cuts = sorted({0, n, *(s for s, _, _ in spans + expected), *(e for _, e, _ in spans + expected)})
    parts: list[str] = []
    for a, b in pairwise(cuts):
        if a >= b:
            continue
        piece = _escape(note[a:b])
        actual = sorted({lab for s, e, lab in spans if s <= a and b <= e}, key=_ORDER.index)
        wanted = sorted({lab for s, e, lab in expected if s <= a and b <= e}, key=_ORDER.index)
        if wanted:
            title = "expected evidence: " + ", ".join(CRITERION_NAMES[CriterionId(w)] for w in wanted)
            piece = f'<span class="exp" title="{_escape(title)}">{piece}</span>'
        if actual:
            classes = " ".join(["ev", *actual])
            title = "cited for: " + ", ".join(CRITERION_NAMES[CriterionId(x)] for x in actual)
            style = ""
            if len(actual) > 1:
                step = 100 / len(actual)
                stops = ", ".join(
                    f"{CRITERION_COLOURS[CriterionId(c)]} {i * step:.0f}% {(i + 1) * step:.0f}%"
                    for i, c in enumerate(actual)
                )
                style = f' style="background: linear-gradient(180deg, {stops})"'
            piece = (
                f'<mark class="{classes}" data-start="{a}" data-end="{b}" title="{_escape(title)}"{style}>'
                f"{piece}</mark>"
            )
        parts.append(piece)
    return Markup("".join(parts))


def _criteria_rows(r: CaseResult) -> list[tuple[str, str, str, bool]]:
    got = {c.id: c.status for c in r.review.decision.criteria} if r.review else {}
    rows = []
    for cid in CriterionId:
        exp = r.expected.criteria.get(cid)
        act = got.get(cid)
        rows.append(
            (
                CRITERION_NAMES[cid],
                exp.value if exp is not None else "-",
                act.value if act is not None else "-",
                exp is not None and exp is not act,
            )
        )
    return rows


def _compare_rows(r: CaseResult) -> list[tuple[str, str, str, bool]]:
    d = r.review.decision if r.review is not None else None
    exp = r.expected
    primary = sorted(c.code for c in d.recommended_codes if c.role is Role.primary) if d else []

    def codes(items: Iterable[str]) -> str:
        return ", ".join(items) or "none"

    all_codes = (
        [
            c.code
            + (f"-{'-'.join(c.modifiers)}" if c.modifiers else "")
            + (f" x{c.units}" if c.units != 1 else "")
            for c in d.recommended_codes
        ]
        if d
        else []
    )
    want_codes = [
        g.code + (f"-{'-'.join(g.modifiers)}" if g.modifiers else "") + (f" x{g.units}" if g.units else "")
        for g in exp.codes
    ]
    return [
        ("Verdict", _expected_text(r), _verdict(r.verdict), not r.checks.get("verdict", False)),
        ("Primary codes", codes(sorted(exp.primary_codes)), codes(primary), not r.checks.get("primary_codes", False)),
        ("Codes (expected subset)", codes(want_codes), codes(all_codes), not r.checks.get("codes", False)),
        ("ICD-10-CM (expected subset)", codes(exp.icd10), codes(i.code for i in d.icd10) if d else "none", not r.checks.get("icd10", False)),
        ("Edits (expected subset)", codes(exp.edits), codes(e.kind for e in d.edits) if d else "none", not r.checks.get("edits", False)),
        ("Flags (expected subset)", codes(exp.flags), codes(f.kind for f in d.flags) if d else "none", not r.checks.get("flags", False)),
    ]  # fmt: skip


_CSS = """
:root { --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --bg: #f4f6f8; --ok: #166534;
  --ok-bg: #dcfce7; --bad: #991b1b; --bad-bg: #fee2e2; --na: #92400e; --na-bg: #fef3c7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 18px 28px;
  border-top: 8px solid var(--accent); }
header.pass { --accent: var(--ok); } header.fail { --accent: var(--bad); }
h1 { margin: 0 0 6px; font-size: 20px; }
h1 .result { color: var(--accent); }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 0 0 8px; }
h3 { margin: 0 0 4px; font-size: 16px; }
main { padding: 18px 28px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin-bottom: 16px; }
.notice { color: var(--na); font-weight: 600; }
.standing { font-weight: 600; }
.muted { color: var(--muted); } .small { font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line);
  padding: 4px 14px 4px 0; font-size: 12px; }
td { border-bottom: 1px solid #eef1f4; padding: 4px 14px 4px 0; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, Menlo, Consolas, monospace; }
tr.group td { font-weight: 700; color: var(--muted); padding-top: 10px; }
tr.diff td { background: var(--bad-bg); }
.badge { display: inline-block; font-size: 11.5px; font-weight: 700; padding: 1px 8px;
  border-radius: 999px; }
.badge.pass { color: var(--ok); background: var(--ok-bg); }
.badge.fail { color: var(--bad); background: var(--bad-bg); }
.badge.na { color: var(--na); background: var(--na-bg); }
.better { color: var(--ok); } .worse { color: var(--bad); font-weight: 700; }
.changed { color: var(--na); }
ul.toc { columns: 3 18em; margin: 0; padding-left: 18px; }
.case { scroll-margin-top: 8px; }
.case .grid { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 16px; }
ul.reasons { margin: 6px 0 10px; padding-left: 18px; color: var(--bad); }
pre.note { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere;
  font: 12.5px/1.55 ui-monospace, Menlo, Consolas, "Liberation Mono", monospace;
  max-height: 70vh; overflow: auto; padding: 12px; background: #fbfcfd;
  border: 1px solid #eef1f4; border-radius: 6px; }
mark.ev { color: inherit; border-radius: 2px; padding: 1px 0; }
mark.necrotizing_infection { background: #fecaca; } mark.site { background: #bfdbfe; }
mark.excisional { background: #bbf7d0; } mark.depth { background: #e9d5ff; }
span.exp { border-bottom: 2px solid #111827; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted);
  margin: 0 0 8px; padding: 0; list-style: none; }
.legend .sample { padding: 0 4px; border-radius: 2px; color: var(--ink); }
dl.defs dt { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; }
dl.defs dd { margin: 0 0 6px 16px; }
footer { padding: 0 28px 24px; color: var(--muted); font-size: 12px; }
@media (max-width: 960px) { .case .grid { grid-template-columns: minmax(0, 1fr); } }
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" \
content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="robots" content="noindex, nofollow">
<title>Gold-set evaluation: {{ report.extractor }} extractor, {{ headline }}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="{{ 'pass' if ok else 'fail' }}">
<h1>Gold-set evaluation, {{ report.extractor }} extractor: <span class="result">{{ headline }}</span></h1>
<div class="standing">{{ standing }}</div>
<div class="{{ 'notice' if gold_changed else 'muted' }}">{{ gold_line }}</div>
{% if versions_line %}<div class="notice">{{ versions_line }}</div>{% endif %}
{% if report.baseline_updated %}<div class="notice">Baseline updated: {{ report.baseline_path }}</div>{% endif %}
</header>
<main>
{% if report.gates %}
<section class="panel">
<h2>Gates</h2>
<table>
<thead><tr><th>Result</th><th>Gate</th><th>Detail</th></tr></thead>
<tbody>
{% for g in report.gates %}
<tr><td><span class="badge {{ 'na' if g.status == 'n/a' else g.status }}">{{ g.status|upper }}</span></td>\
<td class="code">{{ g.gate }}</td><td>{{ g.detail }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% endif %}
<section class="panel">
<h2>Failing cases ({{ failing|length }})</h2>
{% if failing %}
<ul class="toc">{% for r in failing %}<li><a href="#case-{{ r.id }}">{{ r.id }}</a></li>{% endfor %}</ul>
{% else %}<p class="muted">None: every case passes every check.</p>{% endif %}
</section>
{% for r in failing %}
<section class="panel case" id="case-{{ r.id }}">
<h3>{{ r.id }}</h3>
<div class="muted small">{{ r.title }} &middot; style {{ r.style }}{% if r.branches %} \
&middot; branches: {{ r.branches|join(", ") }}{% endif %}</div>
<ul class="reasons">{% for f in r.failures %}<li>{{ f }}</li>{% endfor %}</ul>
<div class="grid">
<div>
<table>
<thead><tr><th></th><th>Expected</th><th>Actual</th></tr></thead>
<tbody>
{% for label, exp, act, diff in compare_rows(r) %}
<tr{% if diff %} class="diff"{% endif %}><td>{{ label }}</td><td class="code">{{ exp }}</td>\
<td class="code">{{ act }}</td></tr>
{% endfor %}
<tr class="group"><td colspan="3">Criteria</td></tr>
{% for label, exp, act, diff in criteria_rows(r) %}
<tr{% if diff %} class="diff"{% endif %}><td>{{ label }}</td><td class="code">{{ exp }}</td>\
<td class="code">{{ act }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if r.review %}<p class="small muted">{{ r.review.decision.summary }}</p>{% endif %}
</div>
<div>
<ul class="legend">
{% for c in criteria_ids %}<li><span class="sample" style="background: {{ colours[c] }}">text</span> \
cited for {{ names[c] }}</li>{% endfor %}
<li><span class="sample exp">text</span> expected evidence</li>
</ul>
<pre class="note">{{ highlight(r) }}</pre>
</div>
</div>
</section>
{% endfor %}
<section class="panel">
<h2>Metrics</h2>
<table>
<thead><tr><th>Metric</th><th>Value</th><th>Baseline</th><th>Change</th></tr></thead>
<tbody>
{% for info, value, base, delta, change in rows %}
{% if loop.first or info.group != rows[loop.index0 - 1][0].group %}\
<tr class="group"><td colspan="4">{{ info.group }}</td></tr>{% endif %}
<tr><td class="code" title="{{ info.description }}">{{ info.name }}</td><td class="num">{{ value }}</td>\
<td class="num muted">{{ base }}</td><td class="num {{ change }}">{{ delta }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
<section class="panel">
<h2>Verdict confusion (rows: expected, columns: actual)</h2>
<table>
<thead><tr><th>expected \\ actual</th>{% for c in confusion_cols %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for exp, row in report.metrics.confusion.items() %}
<tr><td>{{ exp }}</td>{% for c in confusion_cols %}<td class="num">{{ row.get(c, 0) }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
</section>
{% if report.delta %}
<section class="panel">
<h2>Cases flipped since the baseline ({{ report.delta.flips|length }})</h2>
{% if report.delta.flips %}
<table>
<thead><tr><th>Case</th><th>Change</th><th>Verdict (baseline &rarr; now)</th><th>Failed checks</th></tr></thead>
<tbody>
{% for f in report.delta.flips %}
<tr><td class="code">{{ f.id }}</td><td>{{ f.kind|replace("_", " ") }}\
{% if f.case_changed %} (case file changed){% endif %}</td>\
<td>{{ verdict(f.baseline_verdict) }} &rarr; {{ verdict(f.verdict) }}</td>\
<td>{{ f.failed_checks|join(", ") or "-" }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p class="muted">None.</p>{% endif %}
</section>
{% endif %}
<section class="panel">
<h2>Metric definitions</h2>
<dl class="defs">
{% for info in infos %}<dt>{{ info.name }}</dt><dd>{{ info.description }}</dd>
{% endfor %}
</dl>
</section>
</main>
<footer>
op-note-reviewer {{ version }} &middot; gold set {{ report.current.gold.fingerprint }} &middot; \
{% for k, v in report.current.versions.items() %}{{ k }} {{ v }}{% if not loop.last %} &middot; {% endif %}\
{% endfor %}<br>
The notes are reproduced in full from the gold set.
</footer>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_COMPILED = _ENV.from_string(_TEMPLATE)


def eval_html(report: EvalReport) -> str:
    """One self-contained HTML page: gates, every failing case (note, expected vs actual, the
    evidence highlighted), metrics, confusion, flips."""
    return _COMPILED.render(
        report=report,
        ok=report.gates_passed,
        headline=eval_headline(report),
        standing=eval_standing(report),
        gold_line=_gold_line(report),
        gold_changed=bool(report.delta and report.delta.gold_changed),
        versions_line=_versions_line(report),
        failing=report.failing,
        rows=_rows(report),
        infos=list(METRICS.values()),
        confusion_cols=[*_VERDICTS, "error"],
        compare_rows=_compare_rows,
        criteria_rows=_criteria_rows,
        highlight=highlight_case,
        verdict=_verdict,
        criteria_ids=list(CriterionId),
        colours=CRITERION_COLOURS,
        names=CRITERION_NAMES,
        css=Markup(_CSS),
        version=reviewer.__version__,
    )


# --------------------------------------------------------------------------------------------
# Coverage (eval/gold/COVERAGE.md)


def coverage_markdown(cases: Sequence[GoldCase]) -> str:
    """The coverage table of the gold set, generated from the case files: verdict x style counts,
    branch -> case ids, and one row per case."""
    by_verdict = Counter(c.expected.verdict.value for c in cases)
    totals = ", ".join(f"{v} {by_verdict[v]}" for v in sorted(by_verdict))
    out = [
        f"<!-- Generated by `{COVERAGE_COMMAND}` from the case files; do not edit by hand. -->",
        "",
        "# Gold-set coverage",
        "",
        f"Generated from `eval/gold/*.yaml` (`branches`, `style`, `expected`) by `{COVERAGE_COMMAND}`.",
        "A test fails when this file is stale.",
        "",
        f"Totals: {len(cases)} cases: {totals}.",
        "",
        "## Expected verdict by style",
        "",
    ]
    styles = sorted({c.style for c in cases})
    counts = Counter((c.style, c.expected.verdict.value) for c in cases)
    rows: list[list[object]] = []
    for style in styles:
        row = [counts[(style, v)] for v in _VERDICTS]
        rows.append([style, *row, sum(row)])
    rows.append(["**total**", *[by_verdict[v] for v in _VERDICTS], len(cases)])
    out += _md_table(["style", *_VERDICTS, "total"], rows, ["l", "r", "r", "r", "r"])
    out += ["", "## Branches", ""]
    branches: dict[str, list[str]] = {}
    for c in cases:
        for b in c.branches:
            branches.setdefault(b, []).append(c.id)
    out += _md_table(
        ["branch", "cases", "ids"],
        [(f"`{b}`", len(ids), ", ".join(ids)) for b, ids in sorted(branches.items())],
        ["l", "r", "l"],
    )
    untagged = [c.id for c in cases if not c.branches]
    if untagged:
        out += ["", f"Cases with no branch: {', '.join(untagged)}."]
    out += ["", "## Cases", ""]
    out += _md_table(
        ["id", "style", "verdict", "acceptable", "branches"],
        [
            (
                c.id,
                c.style,
                c.expected.verdict.value,
                ", ".join(v.value for v in c.expected.acceptable_verdicts),
                ", ".join(c.branches),
            )
            for c in cases
        ],
    )
    return "\n".join(out) + "\n"
