"""Text report on real reviews: verdict first, criteria with their evidence, codes, queries,
edits, footer; never the whole note."""

from __future__ import annotations

import re

import pytest

from reviewer.decision import Status, Verdict
from reviewer.findings import Alignment, Evidence
from reviewer.pipeline import Review, review
from reviewer.report import render_json, render_text
from reviewer.report.text import CRITERION_NAMES, evidence_location

# A supported note with non-ASCII characters (em dash, ö, ’, ×, é, curly quotes) before and
# inside the evidence, a line that must never reach the text report, and markup-like text.
SUPPORTED_NOTE = """OPERATIVE NOTE — Urology (Dr. Zoë Müller)
Patient: Zebulon Quixote, MRN 000000
Preoperative diagnosis: Fournier’s gangrene of the scrotum, 12 × 8 cm.
Postoperative diagnosis: Same.
Procedure: Excisional débridement of the scrotum and perineum including skin, \
subcutaneous tissue and fascia.
Findings: Necrotic, non-bleeding fascia with “dishwater” fluid and crepitus.
Description of procedure: Under general anesthesia in lithotomy, the necrotic skin, \
subcutaneous tissue and fascia of the scrotum and perineum were sharply excised with \
scissors until bleeding tissue. Irrigated and packed.
Comment typed by a scribe: <script>alert("x")</script> & [bold]done[/bold].
Plan: ICU, broad-spectrum antibiotics.
"""

# NSTI only suspected and depth not documented: the surgeon must be queried.
QUERY_NOTE = """OPERATIVE NOTE
Preoperative diagnosis: Scrotal abscess, concern for early Fournier gangrene.
Postoperative diagnosis: Scrotal abscess with cellulitis; necrotizing infection not excluded.
Procedure: Excisional debridement of the left scrotum.
Findings: Abscess cavity with purulent fluid in the left scrotum.
Description: The devitalized skin of the left scrotum was excised sharply with scissors. \
Irrigated. Packed.
Plan: Floor, antibiotics.
"""

# Claimed with an 11043 pair and two units of 11004: NCCI PTP and MUE edits.
CLAIMED_CODES = ["11043", "11004-59", "11004"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def supported() -> Review:
    return review(SUPPORTED_NOTE, sex="M", note_id="op-note-1")


@pytest.fixture(scope="module")
def query() -> Review:
    return review(QUERY_NOTE, sex="M")


@pytest.fixture(scope="module")
def claimed() -> Review:
    return review(SUPPORTED_NOTE, sex="M", claimed_codes=CLAIMED_CODES)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_fixtures_are_what_the_tests_assume(supported: Review, query: Review, claimed: Review) -> None:
    assert supported.decision.verdict is Verdict.supported
    assert query.decision.verdict is Verdict.query
    assert query.decision.queries
    assert claimed.decision.edits


@pytest.mark.parametrize(
    ("name", "first"),
    [("supported", "CPT 11004: SUPPORTED"), ("query", "CPT 11004: QUERY THE SURGEON")],
)
def test_verdict_line_comes_first_then_summary(name: str, first: str, request: pytest.FixtureRequest) -> None:
    result: Review = request.getfixturevalue(name)
    out = lines(render_text(result, SUPPORTED_NOTE if name == "supported" else QUERY_NOTE))
    assert out[0] == first
    assert out[1].startswith(result.decision.summary.split()[0])
    assert " ".join(out[1:4]).startswith(result.decision.summary[:60])


def test_not_supported_verdict_label() -> None:
    note = "Incision and drainage of a scrotal abscess. Packed with gauze."
    result = review(note, sex="M")
    assert result.decision.verdict is Verdict.not_supported
    assert lines(render_text(result, note))[0] == "CPT 11004: NOT SUPPORTED"


def test_every_criterion_and_met_evidence_appears(supported: Review) -> None:
    out = render_text(supported, SUPPORTED_NOTE, width=160)
    for crit in supported.decision.criteria:
        assert CRITERION_NAMES[crit.id] in out
        if crit.status is Status.met:
            assert crit.evidence
            for ev in crit.evidence:
                assert f'"{ev.quote}"' in out
                assert f"chars {ev.start}-{ev.end}" in out
    assert "(procedure, chars" in out
    assert "MET" in out


def test_evidence_location_wording() -> None:
    ev = Evidence(quote="x", start=412, end=440, section="description")
    assert evidence_location(ev) == "(description, chars 412-440)"
    post = ev.model_copy(update={"section": "postoperative_diagnosis"})
    assert evidence_location(post) == "(postoperative diagnosis, chars 412-440)"
    lost = Evidence(quote="x", start=-1, end=-1, alignment=Alignment.unaligned)
    assert evidence_location(lost) == "(body, not found in the note)"
    fuzzy = ev.model_copy(update={"alignment": Alignment.fuzzy})
    assert evidence_location(fuzzy) == "(description, chars 412-440, fuzzy match)"


def test_never_prints_the_note(supported: Review) -> None:
    out = render_text(supported, SUPPORTED_NOTE)
    assert "Zebulon" not in out
    assert "MRN" not in out
    assert "<script>" not in out
    assert "Irrigated and packed" not in out


def test_codes_icd10_and_footer(supported: Review) -> None:
    out = render_text(supported, SUPPORTED_NOTE)
    for code in supported.decision.recommended_codes:
        assert code.code in out
        assert code.role.value in out
    for icd in supported.decision.icd10:
        assert icd.code in out
        assert icd.title in out
    assert "Physician queries: none" in out
    assert "Claim edits: none" in out
    footer = lines(out)[-1]
    assert f"ruleset {supported.ruleset_version}" in footer
    assert "extractor rules" in footer
    assert "note op-note-1" in footer
    assert supported.note_sha256[:12] in footer
    assert supported.note_sha256[:13] not in footer


def test_queries_list_options_and_indicators(query: Review) -> None:
    out = render_text(query, QUERY_NOTE, width=160)
    assert "Physician queries (" in out
    for q in query.decision.queries:
        assert q.question in out
        for option in q.options:
            assert f"[ ] {option}" in out
        for ev in q.indicators:
            assert f'"{ev.quote}"' in out


def test_claim_edits(claimed: Review) -> None:
    out = render_text(claimed, SUPPORTED_NOTE, width=400)
    assert f"Claim edits ({len(claimed.decision.edits)})" in out
    for edit in claimed.decision.edits:
        assert edit.severity.value.upper() in out
        assert edit.message in out
        assert ", ".join(edit.codes) in out


def test_flags_and_warnings_are_shown() -> None:
    note = (
        "Procedure: Return to the operating room for repeat excisional debridement of the "
        "scrotum and perineum, skin, subcutaneous tissue and fascia.\n"
        "Postoperative diagnosis: Fournier's gangrene.\n"
        "Description: Necrotic fascia of the scrotum was sharply excised.\n"
        "Plan: Planned repeat debridement tomorrow.\n"
    )
    result = review(note, sex="M")
    result = result.model_copy(update={"warnings": ["note was truncated by the EHR export"]})
    out = render_text(result, note, width=160)
    assert result.decision.flags, "this note should raise the repeat-debridement flag"
    assert "Flags (" in out
    assert "repeat debridement" in out
    assert "Warnings (1)" in out
    assert "note was truncated by the EHR export" in out


def test_no_flags_or_warnings_sections_when_empty(supported: Review) -> None:
    assert not supported.decision.flags and not supported.warnings
    out = render_text(supported, SUPPORTED_NOTE)
    assert "Flags" not in out
    assert "Warnings" not in out


def test_plain_by_default_coloured_on_request(supported: Review) -> None:
    plain = render_text(supported, SUPPORTED_NOTE)
    assert "\x1b[" not in plain
    coloured = render_text(supported, SUPPORTED_NOTE, color=True)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured).splitlines()[0] == "CPT 11004: SUPPORTED"


@pytest.mark.parametrize("width", [60, 100, 140])
def test_width_is_respected(supported: Review, query: Review, width: int) -> None:
    for result, note in ((supported, SUPPORTED_NOTE), (query, QUERY_NOTE)):
        for line in render_text(result, note, width=width).splitlines():
            assert len(line) <= width
            assert line == line.rstrip()


def test_quotes_are_not_read_as_markup(supported: Review) -> None:
    crit = supported.decision.criteria[0]
    odd = Evidence(quote="[bold]done[/bold] [link=x]y[/link]", start=-1, end=-1)
    changed = crit.model_copy(update={"evidence": [*crit.evidence, odd]})
    decision = supported.decision.model_copy(update={"criteria": [changed, *supported.decision.criteria[1:]]})
    result = supported.model_copy(update={"decision": decision})
    out = render_text(result, SUPPORTED_NOTE, width=160)
    assert '"[bold]done[/bold] [link=x]y[/link]"  (body, not found in the note)' in out


def test_mismatched_note_is_reported(supported: Review) -> None:
    assert "not the text that was reviewed" not in render_text(supported, SUPPORTED_NOTE)
    out = render_text(supported, SUPPORTED_NOTE + "addendum")
    assert "not the text that was reviewed" in out
    assert lines(out)[0] == "CPT 11004: SUPPORTED"


def test_json_round_trips(claimed: Review) -> None:
    text = render_json(claimed)
    assert text.startswith("{\n  ")
    assert Review.model_validate_json(text) == claimed


def test_extraction_error_is_shown_under_the_verdict(query: Review) -> None:
    failed = query.model_copy(update={"error": "extractor timed out after 3 attempts"})
    out = lines(render_text(failed, QUERY_NOTE))
    assert out[0] == "CPT 11004: QUERY THE SURGEON"
    assert "Extraction error: extractor timed out after 3 attempts" in out[:6]
