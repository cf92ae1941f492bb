"""Text report on real reviews: verdict first, criteria with their evidence, codes, queries,
edits, footer; never the whole note."""

from __future__ import annotations

import re

import pytest

from reviewer.decision import RecommendedCode, Role, Status, Verdict
from reviewer.findings import Alignment, Evidence
from reviewer.pipeline import Review, review
from reviewer.report import render, render_html, render_json, render_text
from reviewer.report.headline import displayed_decision, explanation, headline
from reviewer.report.text import CRITERION_NAMES, evidence_location, evidence_place, kind_name, section_name

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


def flat(text: str) -> str:
    """The text with every run of whitespace made one space: a word split across lines
    ('debride' / 'ment') no longer matches what the review says."""
    return " ".join(text.split())


def test_supported_headline_then_summary(supported: Review) -> None:
    out = lines(render_text(supported, SUPPORTED_NOTE))
    assert out[0] == "CPT 11004: SUPPORTED"
    assert out[1] == supported.decision.summary


def test_query_headline_then_the_unclear_criteria(query: Review) -> None:
    out = render_text(query, QUERY_NOTE)
    assert lines(out)[0] == "CPT 11004: QUERY THE SURGEON"
    assert lines(out)[1] == "Ask the surgeon before billing CPT 11004:"
    unclear = [c for c in query.decision.criteria if c.status is Status.unclear]
    assert unclear
    for crit in unclear:
        assert f"- {flat(crit.reason)}" in flat(out)


def test_a_query_with_nothing_unclear_needs_a_person_not_the_surgeon(supported: Review) -> None:
    criteria = [
        c.model_copy(update={"by_extractor": {"rules": Status.met, "llm": Status.not_met}})
        for c in supported.decision.criteria
    ]
    summary = "Needs human review: the extractors disagree on site (rules: met, llm: not_met)"
    decision = supported.decision.model_copy(
        update={"verdict": Verdict.query, "criteria": criteria, "summary": summary}
    )
    out = lines(render_text(supported.model_copy(update={"decision": decision}), SUPPORTED_NOTE))
    assert out[:2] == ["CPT 11004: NEEDS HUMAN REVIEW", summary]


def test_not_supported_headline_names_what_to_consider() -> None:
    note = "Incision and drainage of a scrotal abscess. Packed with gauze."
    result = review(note, sex="M")
    assert result.decision.verdict is Verdict.not_supported
    consider = [c.code for c in result.decision.recommended_codes if c.role is Role.consider]
    assert consider and not any(c.role is Role.primary for c in result.decision.recommended_codes)
    out = lines(render_text(result, note))
    assert out[0].startswith("NOT 11004 - consider ")
    assert all(code in out[0] for code in consider)
    assert out[1] == "CPT 11004 is not supported because:"


def code(code: str, role: Role, **extra: object) -> RecommendedCode:
    return RecommendedCode(code=code, role=role, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("codes", "first"),
    [
        ([code("11006", Role.primary)], "NOT 11004 - bill 11006"),
        (
            [code("11006", Role.primary), code("11008", Role.add_on), code("54520", Role.additional)],
            "NOT 11004 - bill 11006 + 11008",
        ),
        (
            [code("11043", Role.primary), code("11046", Role.add_on, units=2)],
            "NOT 11004 - bill 11043 + 11046 x2",
        ),
        ([code("10060", Role.consider)], "NOT 11004 - consider 10060"),
        ([code("55100", Role.consider), code("10060", Role.consider)], "NOT 11004 - consider 55100 or 10060"),
        ([code("97606", Role.additional)], "CPT 11004: NOT SUPPORTED"),
        ([], "CPT 11004: NOT SUPPORTED"),
    ],
)
def test_not_supported_headline_comes_from_the_codes_roles(
    codes: list[RecommendedCode], first: str, supported: Review
) -> None:
    crit = supported.decision.criteria[1].model_copy(
        update={"status": Status.not_met, "reason": "Thigh only."}
    )
    decision = supported.decision.model_copy(
        update={
            "verdict": Verdict.not_supported,
            "criteria": [supported.decision.criteria[0], crit, *supported.decision.criteria[2:]],
            "recommended_codes": codes,
        }
    )
    result = supported.model_copy(update={"decision": decision})
    assert headline(result).text == first
    assert lines(render_text(result, SUPPORTED_NOTE))[0] == first
    page = render_html(result, SUPPORTED_NOTE)
    assert f"<title>{first} | note op-note-1</title>" in page


def test_every_criterion_and_met_evidence_appears_by_section_without_offsets(supported: Review) -> None:
    out = render_text(supported, SUPPORTED_NOTE)
    for crit in supported.decision.criteria:
        assert CRITERION_NAMES[crit.id] in out
        assert flat(crit.reason) in flat(out)
        if crit.status is Status.met:
            assert crit.evidence
            for ev in crit.evidence:
                assert f'"{flat(ev.quote)}" (' in flat(out)
                assert section_name(ev.section) in out
    assert '" (procedure' in out
    assert "MET" in out
    assert not re.search(r"\bchars?\b|\d+-\d+\)", out)


def test_evidence_place_wording() -> None:
    ev = Evidence(quote="x", start=412, end=440, section="postoperative_diagnosis")
    assert evidence_place(ev) == "postoperative diagnosis"
    assert evidence_place(ev.model_copy(update={"alignment": Alignment.fuzzy})) == (
        "postoperative diagnosis, fuzzy match"
    )
    assert evidence_place(Evidence(quote="x", start=-1, end=-1, alignment=Alignment.unaligned)) == (
        "not found in the note"
    )


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
    footer = " | ".join(lines(out)[-2:])
    assert f"ruleset {supported.ruleset_version}" in footer
    assert "extractor rules" in footer
    assert "note op-note-1" in footer
    assert supported.note_sha256[:12] in footer
    assert supported.note_sha256[:13] not in footer


def test_queries_list_options_and_indicators(query: Review) -> None:
    out = render_text(query, QUERY_NOTE)
    assert "Physician queries (" in out
    for q in query.decision.queries:
        assert flat(q.question) in flat(out)
        for option in q.options:
            assert f"[ ] {flat(option)}" in flat(out)
        for ev in q.indicators:
            assert f'"{flat(ev.quote)}"' in flat(out)


def test_claim_edits(claimed: Review) -> None:
    out = render_text(claimed, SUPPORTED_NOTE)
    assert f"Claim edits ({len(claimed.decision.edits)})" in out
    for edit in claimed.decision.edits:
        assert edit.severity.value.upper() in out
        assert flat(edit.message) in flat(out)
        assert f"{kind_name(edit.kind)} ({', '.join(edit.codes)})" in flat(out)
        if edit.source:
            assert flat(f"Source: {edit.source}") in flat(out)
    assert "source:" not in out


def test_kinds_read_as_words_capitalised() -> None:
    assert kind_name("overcoding") == "Overcoding"
    assert kind_name("mue_exceeded") == "MUE exceeded"
    assert kind_name("ptp_modifier_required") == "NCCI pair, modifier required"
    assert kind_name("repeat_debridement") == "Repeat debridement"
    assert kind_name("some_new_kind") == "Some new kind"


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
    out = render_text(result, note)
    assert result.decision.flags, "this note should raise the repeat-debridement flag"
    assert "Flags (" in out
    assert "Repeat debridement" in out
    for flag in result.decision.flags:
        assert flat(flag.message) in flat(out)
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


def failed(result: Review) -> Review:
    return result.model_copy(update={"error": "LLM extraction failed: the LLM endpoint could not be reached"})


def everything_said(result: Review) -> list[str]:
    """Every sentence and quote of the review the text report prints."""
    d = displayed_decision(result)
    said = [*explanation(result).reasons, *result.warnings]
    for crit in d.criteria:
        said += [crit.reason, *(ev.quote for ev in crit.evidence)]
    for c in d.recommended_codes:
        said += [c.description, c.reason]
    for icd in d.icd10:
        said += [icd.title, icd.reason]
    for q in d.queries:
        said += [q.question, *q.options, *(ev.quote for ev in q.indicators)]
    said += [e.message for e in d.edits]
    for f in d.flags:
        said += [f.message, *(ev.quote for ev in f.evidence)]
    return [s for s in said if s]


@pytest.mark.parametrize("width", [80, 60, 100, 140])
def test_fits_the_width_without_splitting_a_word(
    supported: Review, query: Review, claimed: Review, width: int
) -> None:
    cases = [(supported, SUPPORTED_NOTE), (query, QUERY_NOTE), (claimed, SUPPORTED_NOTE)]
    cases.append((failed(supported), SUPPORTED_NOTE))
    for result, note in cases:
        out = render_text(result, note, width=width)
        for line in out.splitlines():
            assert len(line) <= width, line
            assert line == line.rstrip()
        said = everything_said(result)
        assert len(said) > 5
        for text in said:
            assert flat(text) in flat(out), text


def test_plain_for_pipes_no_colour_codes_or_box_drawing(claimed: Review, query: Review) -> None:
    for result, note in ((claimed, SUPPORTED_NOTE), (query, QUERY_NOTE), (failed(query), QUERY_NOTE)):
        out = render_text(result, note)
        assert "\x1b" not in out
        assert not re.search(r"[\u2500-\u259f]", out)


def test_a_failed_review_reads_review_failed_never_query(query: Review, supported: Review) -> None:
    for result, note in ((failed(query), QUERY_NOTE), (failed(supported), SUPPORTED_NOTE)):
        out = render_text(result, note)
        assert lines(out)[0] == "REVIEW FAILED: LLM extraction failed: the LLM endpoint could not be reached"
        assert "There is no verdict on CPT 11004" in lines(out)[1]
        assert "QUERY THE SURGEON" not in out
        assert "physician query" not in flat(out).lower()
        assert "Physician queries (" not in out and "[ ]" not in out
        assert "Codes, ICD-10-CM, physician queries and claim edits are not shown" in flat(out)
    assert query.decision.queries  # the failed review above did carry drafted queries
    partial_out = render_text(failed(supported), SUPPORTED_NOTE)
    assert "Criteria (partial: the review did not finish" in flat(partial_out)
    empty = failed(supported).model_copy(
        update={
            "decision": supported.decision.model_copy(
                update={
                    "criteria": [c.model_copy(update={"evidence": []}) for c in supported.decision.criteria]
                }
            )
        }
    )
    out = render_text(empty, SUPPORTED_NOTE)
    assert "Nothing was extracted from the note." in out
    assert "Criteria" not in out


def test_quotes_are_not_read_as_markup(supported: Review) -> None:
    crit = supported.decision.criteria[0]
    odd = Evidence(quote="[bold]done[/bold] [link=x]y[/link]", start=-1, end=-1)
    changed = crit.model_copy(update={"evidence": [*crit.evidence, odd]})
    decision = supported.decision.model_copy(update={"criteria": [changed, *supported.decision.criteria[1:]]})
    result = supported.model_copy(update={"decision": decision})
    out = render_text(result, SUPPORTED_NOTE, width=160)
    assert '"[bold]done[/bold] [link=x]y[/link]" (not found in the note)' in out


def test_mismatched_note_is_reported(supported: Review) -> None:
    assert "not the text that was reviewed" not in render_text(supported, SUPPORTED_NOTE)
    out = render_text(supported, SUPPORTED_NOTE + "addendum")
    assert "not the text that was reviewed" in out
    assert lines(out)[0] == "CPT 11004: SUPPORTED"


def test_json_round_trips(claimed: Review) -> None:
    text = render_json(claimed)
    assert text.startswith("{\n  ")
    assert Review.model_validate_json(text) == claimed


def test_render_gives_each_format_of_the_cli(supported: Review) -> None:
    text = SUPPORTED_NOTE
    assert render(supported, text, "json") == supported.model_dump_json()  # one line: one JSON object
    assert render(supported, text, "html") == render_html(supported, text)
    assert render(supported, text, "text", width=60) == render_text(supported, text, width=60)
    assert render(supported, text, "text", color=True) == render_text(supported, text, color=True)
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(supported, text, "xml")
