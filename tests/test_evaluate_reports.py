"""The evaluation reports on hand-made results (terminal, Markdown, JSON, HTML with the
evidence highlighted at exact offsets), the page templates as package data, and the generated
coverage table."""

from __future__ import annotations

from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from reviewer.decision import CriterionId
from reviewer.evaluate.cases import load_cases
from reviewer.evaluate.coverage import coverage_markdown
from reviewer.evaluate.reports import eval_html, eval_json, eval_markdown, eval_text
from tests.evaluate_results import N, Q, S, case, expected, five_cases, report_of

GOLD = Path(__file__).parent.parent / "eval" / "gold"


class Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[int, int, str]] = []
        self._open: list[list[object]] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.refs += [v or "" for k, v in attrs if k in {"href", "src"}]
        if tag == "mark":
            self._open.append([int(a["data-start"] or 0), int(a["data-end"] or 0), ""])

    def handle_data(self, data: str) -> None:
        for m in self._open:
            m[2] = str(m[2]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            s, e, text = self._open.pop()
            self.marks.append((int(str(s)), int(str(e)), str(text)))


def test_reports_render_failing_cases_and_highlight_at_exact_offsets() -> None:
    note = 'Fournier\'s <b>gangrene</b> & "fascia" excised.\r\nDone.'
    exp = expected(N, evidence={"depth": ['"fascia"']})
    failing = case(
        "z-1", exp, S, note=note, evidence={CriterionId.depth: [(29, 37)], CriterionId.site: [(0, 10)]}
    )
    report = report_of([*five_cases(), failing, case("crashed", expected(Q), None)])
    md = eval_markdown(report)
    assert "| metric | value | baseline | change |" in md
    assert "| **FAIL** | `unsafe <= 0` |" in md and "z-1" in md
    assert "<" not in md.replace("<=", "")  # plain Markdown, nothing from the note
    text = eval_text(report)
    assert (
        text.startswith("Gold-set evaluation, rules extractor: REGRESSION: unsafe <= 0\n") and "z-1" in text
    )
    assert text.splitlines()[1].startswith("Verdict accuracy 42.9%: 4 of 7 cases wrong, 2 unsafe.")
    assert "PASS" not in md.splitlines()[2] and md.splitlines()[2].startswith("**REGRESSION: unsafe <= 0.**")
    page = eval_html(report)
    assert "http://" not in page and "https://" not in page
    assert "<b>" not in page and "&lt;b&gt;" in page
    parser = Marks()
    parser.feed(page)
    assert not [r for r in parser.refs if not r.startswith("#")]
    assert parser.marks
    for s, e, text in parser.marks:
        assert note[s:e] == text
    assert {note[s:e] for s, e, _ in parser.marks} == {"Fournier's", '"fascia"'}
    data = eval_json(report)
    assert '"id": "z-1"' in data and '"id": "crashed"' in data
    assert 'id="case-crashed"' in page and "RuntimeError: boom" in page


def test_checked_in_coverage_table_is_up_to_date() -> None:
    path = GOLD / "COVERAGE.md"
    text = coverage_markdown(load_cases(GOLD))
    assert path.exists(), f"{path} missing: run `reviewer eval --coverage`"
    assert path.read_text("utf-8") == text, f"{path} is stale: run `reviewer eval --coverage`"


def test_coverage_counts_verdict_by_style_and_branches() -> None:
    cases = load_cases(GOLD)
    text = coverage_markdown(cases)
    assert f"Totals: {len(cases)} cases" in text
    assert "| style | supported | not_supported | query | total |" in text
    for c in cases:
        assert f"| {c.id} | {c.style} |" in text
    seed = next(c for c in cases if c.branches)
    assert f"`{seed.branches[0]}`" in text


def test_the_page_and_its_css_are_package_data() -> None:
    templates = resources.files("reviewer.evaluate.reports").joinpath("templates")
    assert {"eval.html.j2", "eval.css"} <= {p.name for p in templates.iterdir()}
    css = templates.joinpath("eval.css").read_text("utf-8")
    assert f"<style>\n{css}</style>" in eval_html(report_of(five_cases()))
