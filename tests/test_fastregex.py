"""Accelerated patterns (reviewer/language/fastregex.py) match exactly as the originals: same
spans, in the same order, on every note and clause and on generated text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.evaluate.cases import load_cases
from reviewer.language import fastregex
from reviewer.language.affirmation import clauses, load_rules
from reviewer.language.fastregex import accelerate
from reviewer.language.lexicon import load_lexicon
from reviewer.note import Note

ROOT = Path(__file__).resolve().parents[1]
NOTES = [Note(c.note) for c in load_cases(ROOT / "eval" / "gold")]
NORMS = [n.norm for n in NOTES]
CLAUSES = [n.norm[a:b] for n in NOTES for s in n.sentences for a, b in clauses(n, s)]
LEXICON = [p for _, _, p in load_lexicon().targets]
RULES = load_rules()
CUES = [g.pattern for g in RULES.groups] + [RULES.pseudo]
WHOLE_NOTE = [RULES.instructions, RULES.verdict_requests]


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def test_most_patterns_are_accelerated() -> None:
    every = LEXICON + CUES + WHOLE_NOTE + [RULES.boundary]
    fast = [p for p in every if accelerate(p) is not p]
    assert len(fast) >= 0.9 * len(every)


def test_lexicon_patterns_match_the_same_on_every_note() -> None:
    for pattern in LEXICON + WHOLE_NOTE:
        fast = accelerate(pattern)
        for norm in NORMS:
            assert spans(fast, norm) == spans(pattern, norm), pattern.pattern[:80]


def test_cue_patterns_match_the_same_on_every_clause() -> None:
    for pattern in CUES:
        fast = accelerate(pattern)
        for text in CLAUSES:
            assert spans(fast, text) == spans(pattern, text), pattern.pattern[:80]


def test_clause_boundaries_match_the_same_in_every_sentence() -> None:
    fast = accelerate(RULES.boundary)
    for note in NOTES:
        for start, end in note.sentences:
            got = [m.span() for m in fast.finditer(note.norm, start, end)]
            assert got == [m.span() for m in RULES.boundary.finditer(note.norm, start, end)]


@pytest.mark.parametrize(
    ("source", "rewritten"),
    [
        (r"(?<![a-z0-9])(?:ab|a|abc)(?![a-z0-9])", True),
        (r"(?<![a-z0-9])(?:x?y+z|x*y|[xy]{2,3}z??)(?![a-z0-9])", True),
        (r"\bab\b|\B-b|(?<=a)b", True),
        (r"(?:a|ab)(?:c|bcd)(?:d*)", True),
        (r"a(?:b|)c?|a??b", True),
        (r"(?<!x)(?:[a-c]+|b{1,2}?)c", True),
        (r"(?:\w+ )?ab", False),  # \w at the start: left as it is
        (r"(a)b", False),  # a group: left as it is
        (r"(?i)ab", False),  # flags: left as it is
    ],
)
def test_rewrites_keep_every_match_on_generated_text(source: str, rewritten: bool) -> None:
    pattern = re.compile(source)
    fast = accelerate(pattern)
    assert (fast is not pattern) == rewritten
    texts = st.text(alphabet="abcxyz -_0", max_size=14)

    @settings(max_examples=400, deadline=None, database=None)
    @given(text=texts)
    def same(text: str) -> None:
        assert [(m.span(), m.group()) for m in fast.finditer(text)] == [
            (m.span(), m.group()) for m in pattern.finditer(text)
        ]

    same()


@settings(max_examples=200, deadline=None, database=None)
@given(
    pattern=st.sampled_from(LEXICON + CUES),
    note=st.sampled_from(NORMS),
    start=st.integers(0, 5000),
    size=st.integers(0, 200),
    glue=st.sampled_from(["", " ", "x", "1", "-", "\n"]),
)
def test_same_matches_on_cut_and_glued_note_pieces(
    pattern: re.Pattern[str], note: str, start: int, size: int, glue: str
) -> None:
    piece = note[start % len(note) :][:size]
    text = glue + piece + glue
    assert spans(accelerate(pattern), text) == spans(pattern, text)


def test_finditer_switches_to_the_accelerated_pattern_once_it_pays() -> None:
    pattern = re.compile(r"(?<![a-z0-9])(?:fascia|fasciitis)(?![a-z0-9])")
    text = "necrotic fascia excised; fasciitis. " * 50
    first = list(fastregex.finditer(pattern, text))
    assert first[0].re is pattern  # a pattern that has read little runs as it is
    for _ in range(fastregex._WORTH_IT // len(text) + 1):
        list(fastregex.finditer(pattern, text))
    after = list(fastregex.finditer(pattern, text))
    assert after[0].re is accelerate(pattern) is not pattern
    assert [m.span() for m in after] == [m.span() for m in first]
