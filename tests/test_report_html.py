"""HTML report on real reviews: one self-contained page, the note reproduced exactly, every
evidence span marked at its character offsets, overlapping spans split, everything escaped."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from itertools import pairwise

import pytest

from reviewer.decision import Criterion, CriterionId, Status, Verdict
from reviewer.findings import Alignment, Evidence
from reviewer.pipeline import Review, review
from reviewer.report import render_html, render_text
from reviewer.report.html import CRITERION_COLOURS
from reviewer.report.text import CRITERION_NAMES
from tests.test_report_text import CLAIMED_CODES, QUERY_NOTE, SUPPORTED_NOTE

VOID = {"meta", "br", "link", "img", "input", "hr", "wbr", "col", "area", "base", "source"}


class Page(HTMLParser):
    """Marks with their attributes and text, the note's text, all text, and tag nesting."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[dict[str, str]] = []
        self.note = ""
        self.text = ""
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self._open_marks: list[dict[str, str]] = []
        self._in_note = 0
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "pre" and "note" in attributes.get("class", "").split():
            self._in_note = len(self.stack)
        if tag == "mark":
            if self._open_marks:
                self.errors.append("nested mark")
            mark = {**attributes, "_text": ""}
            self.marks.append(mark)
            self._open_marks.append(mark)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        if self._in_note == len(self.stack):
            self._in_note = 0
        self.stack.pop()
        if tag == "mark":
            self._open_marks.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in_note:
            self.note += data
        for mark in self._open_marks:
            mark["_text"] += data


def parse(document: str) -> Page:
    page = Page(document)
    assert page.errors == []
    assert page.stack == []
    return page


def marks_for(page: Page, criterion: str) -> list[dict[str, str]]:
    return [m for m in page.marks if criterion in m.get("data-criterion", "").split()]


def covered(page: Page, criterion: str, ev: Evidence) -> str:
    """The text of the marks carrying `criterion` inside the evidence span, checked contiguous."""
    inside = sorted(
        (m for m in marks_for(page, criterion) if ev.start <= int(m["data-start"]) < ev.end),
        key=lambda m: int(m["data-start"]),
    )
    assert inside, f"no mark for {criterion} at {ev.start}"
    assert int(inside[0]["data-start"]) == ev.start
    assert int(inside[-1]["data-end"]) == ev.end
    for a, b in pairwise(inside):
        assert a["data-end"] == b["data-start"]
    return "".join(m["_text"] for m in inside)


def with_criteria(result: Review, criteria: list[Criterion]) -> Review:
    decision = result.decision.model_copy(update={"criteria": criteria})
    return result.model_copy(update={"decision": decision})


@pytest.fixture(scope="module")
def supported() -> Review:
    return review(SUPPORTED_NOTE, sex="M", note_id="op-note-1")


@pytest.fixture(scope="module")
def query() -> Review:
    return review(QUERY_NOTE, sex="M")


@pytest.fixture(scope="module")
def claimed() -> Review:
    return review(SUPPORTED_NOTE, sex="M", claimed_codes=CLAIMED_CODES)


@pytest.fixture(scope="module")
def cases(supported: Review, query: Review, claimed: Review) -> list[tuple[Review, str]]:
    return [(supported, SUPPORTED_NOTE), (query, QUERY_NOTE), (claimed, SUPPORTED_NOTE)]


def test_note_is_reproduced_exactly(cases: list[tuple[Review, str]]) -> None:
    for result, note in cases:
        assert parse(render_html(result, note)).note == note


def test_every_mark_is_the_text_at_its_offsets(cases: list[tuple[Review, str]]) -> None:
    for result, note in cases:
        page = parse(render_html(result, note))
        assert page.marks
        for mark in page.marks:
            start, end = int(mark["data-start"]), int(mark["data-end"])
            assert mark["_text"] == note[start:end]
            assert mark["id"] == f"at-{start}"
            assert mark["title"]


def test_every_criterion_evidence_quote_is_marked_exactly(cases: list[tuple[Review, str]]) -> None:
    for result, note in cases:
        page = parse(render_html(result, note))
        for crit in result.decision.criteria:
            for ev in crit.evidence:
                assert ev.start >= 0
                text = covered(page, crit.id.value, ev)
                assert text == note[ev.start : ev.end] == ev.quote
                classes = marks_for(page, crit.id.value)[0]["class"].split()
                assert crit.id.value in classes


def test_offsets_are_characters_not_bytes(supported: Review) -> None:
    page = parse(render_html(supported, SUPPORTED_NOTE))
    first_non_ascii = next(i for i, c in enumerate(SUPPORTED_NOTE) if ord(c) > 127)
    assert all(c in SUPPORTED_NOTE for c in "—’×é“")
    checked = 0
    for crit in supported.decision.criteria:
        for ev in crit.evidence:
            if ev.start > first_non_ascii:
                # A byte offset would land elsewhere: the test means something.
                assert len(SUPPORTED_NOTE[: ev.start].encode("utf-8")) != ev.start
                assert covered(page, crit.id.value, ev) == ev.quote
                checked += 1
    assert checked >= 4
    assert any("é" in ev.quote for c in supported.decision.criteria for ev in c.evidence)


def test_query_indicators_are_marked(query: Review) -> None:
    page = parse(render_html(query, QUERY_NOTE))
    indicators = [ev for q in query.decision.queries for ev in q.indicators]
    assert indicators
    for ev in indicators:
        inside = [
            m
            for m in page.marks
            if "query" in m["class"].split() and ev.start <= int(m["data-start"]) < ev.end
        ]
        assert "".join(m["_text"] for m in inside) == ev.quote
    for q in query.decision.queries:
        assert q.question in page.text
        for option in q.options:
            assert option in page.text


def test_script_in_the_note_is_escaped(supported: Review) -> None:
    document = render_html(supported, SUPPORTED_NOTE)
    assert "<script" not in document.lower()
    assert "&lt;script&gt;alert(" in document
    page = parse(document)
    assert "script" not in page.tags
    assert '<script>alert("x")</script> & [bold]done[/bold].' in page.note


def test_quotes_and_reasons_are_escaped(supported: Review) -> None:
    crit = supported.decision.criteria[0]
    evil = crit.model_copy(
        update={
            "reason": 'Reason with <b>tags</b> & "quotes"',
            "evidence": [
                *crit.evidence,
                Evidence(quote="<img src=x onerror=alert(1)>", start=-1, end=-1),
            ],
        }
    )
    result = with_criteria(supported, [evil, *supported.decision.criteria[1:]])
    document = render_html(result, SUPPORTED_NOTE)
    assert "<b>tags" not in document
    assert "<img" not in document
    page = parse(document)
    assert 'Reason with <b>tags</b> & "quotes"' in page.text
    assert "<img src=x onerror=alert(1)>" in page.text


def test_self_contained(cases: list[tuple[Review, str]]) -> None:
    for result, note in cases:
        document = render_html(result, note)
        lowered = document.lower()
        for needle in ("http://", "https://", "<link", "<script", "src=", "@import", "url("):
            assert needle not in lowered
        assert "@media print" in document


def test_page_structure(supported: Review) -> None:
    document = render_html(supported, SUPPORTED_NOTE)
    assert document.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in document
    page = parse(document)
    title_start = document.index("<title>")
    assert "op-note-1" in document[title_start : document.index("</title>")]
    text = page.text
    verdict = text.index("SUPPORTED")
    assert verdict < text.index("Criteria") < text.index("Operative note")
    assert supported.decision.summary in text
    for crit in supported.decision.criteria:
        assert CRITERION_NAMES[crit.id] in text
        assert crit.reason in text
    for code in supported.decision.recommended_codes:
        assert code.code in text
    for icd in supported.decision.icd10:
        assert icd.code in text and icd.title in text
    assert supported.note_sha256 in text
    assert len(set(CRITERION_COLOURS.values())) == len(CriterionId)
    for colour in CRITERION_COLOURS.values():
        assert colour in document


def test_claim_edits_shown(claimed: Review) -> None:
    page = parse(render_html(claimed, SUPPORTED_NOTE))
    assert claimed.decision.edits
    for edit in claimed.decision.edits:
        assert edit.message in page.text
        assert edit.severity.value.upper() in page.text


def test_verdict_styles(supported: Review, query: Review) -> None:
    assert 'class="verdict v-supported"' in render_html(supported, SUPPORTED_NOTE)
    assert 'class="verdict v-query"' in render_html(query, QUERY_NOTE)
    assert "QUERY THE SURGEON" in render_html(query, QUERY_NOTE)
    assert query.decision.verdict is Verdict.query


def test_unaligned_evidence_is_listed_not_highlighted(supported: Review) -> None:
    site = next(c for c in supported.decision.criteria if c.id is CriterionId.site)
    lost = [
        ev.model_copy(update={"start": -1, "end": -1, "alignment": Alignment.unaligned})
        for ev in site.evidence
    ]
    phantom = Evidence(quote="phantom words never written", start=-1, end=-1, alignment=Alignment.unaligned)
    changed = site.model_copy(update={"evidence": [*lost, phantom]})
    criteria = [changed if c.id is CriterionId.site else c for c in supported.decision.criteria]
    result = with_criteria(supported, criteria)
    document = render_html(result, SUPPORTED_NOTE)
    page = parse(document)
    assert marks_for(page, "site") == []
    assert not any("site" in m["class"].split() for m in page.marks)
    assert all("phantom" not in m["_text"] for m in page.marks)
    assert "phantom words never written" in page.text
    assert "not found in the note" in page.text
    assert page.note == SUPPORTED_NOTE
    # The other criteria are still marked.
    assert marks_for(page, "excisional")


def test_overlapping_and_nested_spans_are_split(supported: Review) -> None:
    note = SUPPORTED_NOTE
    outer_q = "Excisional débridement of the scrotum and perineum"
    outer = note.index(outer_q)
    inner = note.index("scrotum", outer)
    cross = note.index("perineum including skin", outer)

    def ev(start: int, end: int) -> Evidence:
        return Evidence(quote=note[start:end], start=start, end=end, section="procedure")

    spans = {
        CriterionId.excisional: ev(outer, outer + len(outer_q)),
        CriterionId.site: ev(inner, inner + len("scrotum")),  # nested in the excisional span
        CriterionId.depth: ev(cross, cross + len("perineum including skin")),  # crosses its end
        CriterionId.necrotizing_infection: ev(outer, outer + len("Excisional")),  # same start
    }
    criteria = [
        Criterion(id=cid, status=Status.met, reason="test", evidence=[span]) for cid, span in spans.items()
    ]
    decision = supported.decision.model_copy(
        update={"criteria": criteria, "queries": [], "flags": [], "icd10": []}
    )
    result = supported.model_copy(update={"decision": decision})
    document = render_html(result, note)
    page = parse(document)
    assert page.note == note
    for cid, span in spans.items():
        assert covered(page, cid.value, span) == span.quote
    for mark in page.marks:
        start, end = int(mark["data-start"]), int(mark["data-end"])
        expected = {c.value for c, s in spans.items() if s.start <= start and end <= s.end}
        assert set(mark["data-criterion"].split()) == expected
        assert mark["_text"] == note[start:end]
    multi = [m for m in page.marks if len(m["data-criterion"].split()) > 1]
    assert multi
    assert all("multi" in m["class"].split() and "linear-gradient" in m["style"] for m in multi)


def test_crlf_and_odd_characters_survive() -> None:
    note = (
        "Postoperative diagnosis: Fournier's gangrene of the scrotum.\r\n"
        "Procedure: Excisional debridement of the scrotum, skin, subcutaneous tissue and "
        "fascia.\r\n"
        "Description: Necrotic fascia of the scrotum was sharply excised. Tab\there & <b>.\r\n"
    )
    result = review(note, sex="M")
    page = parse(render_html(result, note))
    assert page.note == note
    for mark in page.marks:
        assert mark["_text"] == note[int(mark["data-start"]) : int(mark["data-end"])]


def test_mismatched_note_is_flagged(supported: Review) -> None:
    assert "not the text that was reviewed" not in render_html(supported, SUPPORTED_NOTE)
    other = SUPPORTED_NOTE.replace("Zebulon", "Z")
    document = render_html(supported, other)
    assert "not the text that was reviewed" in document
    page = parse(document)
    assert page.note == other


def test_evidence_past_the_end_is_not_marked(supported: Review) -> None:
    note = SUPPORTED_NOTE[:150]  # the review's later offsets now fall outside this text
    page = parse(render_html(supported, note))
    assert page.note == note
    assert all(int(m["data-end"]) <= len(note) for m in page.marks)


def h1_text(document: str) -> str:
    """The page's headline as a reader sees it: the <h1>'s text, entities decoded."""
    inner = document[document.index("<h1") : document.index("</h1>")]
    return html.unescape(re.sub(r"<[^>]+>", "", inner))


def test_a_failed_review_reads_review_failed_never_query(query: Review, supported: Review) -> None:
    assert query.decision.queries and query.decision.verdict is Verdict.query
    failed = query.model_copy(update={"error": "extractor <timed out>"})
    document = render_html(failed, QUERY_NOTE)
    page = parse(document)
    assert h1_text(document) == "REVIEW FAILED: extractor <timed out>"
    assert "<title>REVIEW FAILED: extractor &lt;timed out&gt; |" in document
    assert 'class="verdict v-failed"' in document
    assert "QUERY THE SURGEON" not in page.text
    assert "physician query" not in page.text.lower()
    assert 'class="query-card"' not in document and "Physician queries (" not in page.text
    assert "not shown: they need a finished review" in page.text
    assert page.note == QUERY_NOTE  # the note is still there to read by hand
    # A hybrid review whose LLM half failed still shows what the rules read, marked partial.
    partial = parse(render_html(supported.model_copy(update={"error": "LLM timed out"}), SUPPORTED_NOTE))
    assert "partial: the review did not finish" in partial.text
    assert partial.marks


def test_headline_reads_like_the_text_report(supported: Review, query: Review) -> None:
    for result, note in ((supported, SUPPORTED_NOTE), (query, QUERY_NOTE)):
        first_line = render_text(result, note).splitlines()[0]
        assert h1_text(render_html(result, note)) == first_line


def test_evidence_is_located_by_section_not_offsets(supported: Review) -> None:
    page = parse(render_html(supported, SUPPORTED_NOTE))
    assert "chars " not in page.text


def test_the_template_and_stylesheet_are_package_data_inlined_whole(supported: Review) -> None:
    from importlib import resources

    templates = resources.files("reviewer.report") / "templates"
    assert (templates / "review.html.j2").is_file()
    css = (templates / "review.css").read_text("utf-8")
    page = render_html(supported, SUPPORTED_NOTE)
    assert page.count("<style>\n" + css) == 1
    # A template line continued with an empty comment leaves no line break in the page.
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in page
    assert re.search(r'<tr><td class="code">11004</td><td class="num">1</td><td>', page)
    assert not re.search(r"\{[{%#]|[%#]\}", page)  # no template syntax left over
