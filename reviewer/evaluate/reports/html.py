"""The evaluation as one self-contained HTML page listing every failing case with its note and
the evidence highlighted. The page and its CSS are package-data templates (templates/).

The page loads nothing: CSS is inline, there is no script, and a Content-Security-Policy meta
tag forbids any fetch. Note-derived text is escaped (jinja2 autoescape; `html.escape` for the
highlighted note, built here)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

import reviewer
from reviewer.decision import CriterionId, Role
from reviewer.evaluate.assess import CaseResult
from reviewer.evaluate.evaluation import EvalReport
from reviewer.evaluate.evidence import expected_spans
from reviewer.evaluate.metrics import METRICS
from reviewer.evaluate.reports.summary import (
    CONFUSION_COLUMNS,
    eval_headline,
    eval_standing,
    expected_text,
    gold_line,
    metric_rows,
    verdict_text,
    versions_line,
)
from reviewer.findings import Alignment
from reviewer.report.html import CRITERION_COLOURS
from reviewer.report.text import CRITERION_NAMES

__all__ = ["eval_html", "highlight_case"]

_ORDER = [c.value for c in CriterionId]
Span = tuple[int, int, str]  # start, end, criterion id


def _template_text(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


@lru_cache(maxsize=1)
def _page() -> tuple[Template, Markup]:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_template_text("eval.html.j2")), Markup(_template_text("eval.css"))


def eval_html(report: EvalReport) -> str:
    """One self-contained HTML page: gates, every failing case (note, expected vs actual, the
    evidence highlighted), metrics, confusion, flips."""
    template, css = _page()
    return template.render(
        report=report,
        ok=report.gates_passed,
        headline=eval_headline(report),
        standing=eval_standing(report),
        gold_line=gold_line(report),
        gold_changed=bool(report.delta and report.delta.gold_changed),
        versions_line=versions_line(report),
        failing=report.failing,
        rows=metric_rows(report),
        metrics=list(METRICS.values()),
        confusion_cols=CONFUSION_COLUMNS,
        compare_rows=_compare_rows,
        criteria_rows=_criteria_rows,
        highlight=highlight_case,
        verdict=verdict_text,
        criteria_ids=list(CriterionId),
        colours=CRITERION_COLOURS,
        names=CRITERION_NAMES,
        css=css,
        version=reviewer.__version__,
    )


def _escape(text: str) -> str:
    # Carriage returns as references, so an HTML parser does not fold CRLF and shift offsets.
    return html.escape(text, quote=True).replace("\r", "&#13;")


def _cited(r: CaseResult) -> list[Span]:
    """The review's aligned criterion evidence, as spans inside the note."""
    n = len(r.note)
    if r.review is None:
        return []
    return [
        (ev.start, ev.end, crit.id.value)
        for crit in r.review.decision.criteria
        for ev in crit.evidence
        if ev.alignment is not Alignment.unaligned and 0 <= ev.start < ev.end <= n
    ]


def _expected(r: CaseResult, cited: list[Span]) -> list[Span]:
    """Each expected quote at the occurrence the metric scores: the one best covered."""
    out: list[Span] = []
    for cid, quotes in r.expected.evidence.items():
        mine = [(s, e) for s, e, lab in cited if lab == cid.value]
        for q in quotes:
            occurrences = expected_spans(r.note, q)
            if occurrences:
                s, e = max(
                    occurrences, key=lambda o: sum(max(0, min(o[1], b) - max(o[0], a)) for a, b in mine)
                )
                out.append((s, e, cid.value))
    return out


def highlight_case(r: CaseResult) -> Markup:
    """The note, escaped, with the actual criterion evidence in `<mark>` at its exact offsets
    (coloured by criterion) and the expected evidence quotes underlined."""
    note = r.note
    spans = _cited(r)
    expected = _expected(r, spans)
    cuts = sorted({0, len(note), *(s for s, _, _ in spans + expected), *(e for _, e, _ in spans + expected)})
    parts: list[str] = []
    for a, b in pairwise(cuts):
        if a >= b:
            continue
        actual = sorted({lab for s, e, lab in spans if s <= a and b <= e}, key=_ORDER.index)
        wanted = sorted({lab for s, e, lab in expected if s <= a and b <= e}, key=_ORDER.index)
        parts.append(_piece(_escape(note[a:b]), a, b, actual, wanted))
    return Markup("".join(parts))


def _piece(piece: str, a: int, b: int, actual: list[str], wanted: list[str]) -> str:
    """One stretch of the note between cuts: underlined when expected, marked when cited."""
    if wanted:
        title = "expected evidence: " + ", ".join(CRITERION_NAMES[CriterionId(w)] for w in wanted)
        piece = f'<span class="exp" title="{_escape(title)}">{piece}</span>'
    if not actual:
        return piece
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
    return (
        f'<mark class="{classes}" data-start="{a}" data-end="{b}" title="{_escape(title)}"{style}>'
        f"{piece}</mark>"
    )


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
        ("Verdict", expected_text(r), verdict_text(r.verdict), not r.checks.get("verdict", False)),
        ("Primary codes", codes(sorted(exp.primary_codes)), codes(primary), not r.checks.get("primary_codes", False)),
        ("Codes (expected subset)", codes(want_codes), codes(all_codes), not r.checks.get("codes", False)),
        ("ICD-10-CM (expected subset)", codes(exp.icd10), codes(i.code for i in d.icd10) if d else "none", not r.checks.get("icd10", False)),
        ("Edits (expected subset)", codes(exp.edits), codes(e.kind for e in d.edits) if d else "none", not r.checks.get("edits", False)),
        ("Flags (expected subset)", codes(exp.flags), codes(f.kind for f in d.flags) if d else "none", not r.checks.get("flags", False)),
    ]  # fmt: skip
