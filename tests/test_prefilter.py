"""The literal prefilter (reviewer/language/prefilter.py) never skips a pattern that matches,
and the lexicon finds exactly what running every pattern finds."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.evaluate.cases import load_cases
from reviewer.language.affirmation import load_rules
from reviewer.language.lexicon import Target, load_lexicon
from reviewer.language.prefilter import Prefilter, may_match, required
from reviewer.note import Note

ROOT = Path(__file__).resolve().parents[1]
NORMS = [Note(c.note).norm for c in load_cases(ROOT / "eval" / "gold")]
LEXICON = load_lexicon()
PATTERNS = (
    [p for _, _, p in LEXICON.targets] + [g.pattern for g in load_rules().groups] + [load_rules().pseudo]
)


@pytest.mark.parametrize(
    ("pattern", "anchors"),
    [
        ("abc", {"abc"}),
        ("a|bc", {"a", "bc"}),
        (r"(?<![a-z])fourn(?:ier)?'?s?\s+gangrene", {"gangrene"}),
        (r"ab\s+cde", {"cde"}),
        ("[ab]cd", {"cd"}),
        ("(?:x|y)+z", {"z"}),
        ("(?:xx|yy)+z", {"xx", "yy"}),
        ("no fascia", {"fascia"}),  # whitespace is never part of a required string
        ("x?", None),
        ("(?i)abc", None),
        ("abc|d*", None),
        (r"\w+", None),
    ],
)
def test_required_literals(pattern: str, anchors: set[str] | None) -> None:
    got = required(re.compile(pattern))
    assert (None if got is None else set(got)) == anchors


def test_the_lexicon_finds_what_every_pattern_finds() -> None:
    for norm in NORMS:
        every = [Target(c, v, m.start(), m.end()) for c, v, p in LEXICON.targets for m in p.finditer(norm)]
        kept = {(t.category, t.value, t.start, t.end) for t in LEXICON.find(norm)}
        assert kept <= {(t.category, t.value, t.start, t.end) for t in every}
        # find() drops spans inside a longer one of the same category; nothing else is lost
        for t in every:
            assert (t.category, t.value, t.start, t.end) in kept or any(
                k[0] == t.category and k[2] <= t.start and t.end <= k[3] for k in kept
            )


def test_the_prefilter_skips_patterns_in_most_notes() -> None:
    pf = Prefilter([p for _, _, p in LEXICON.targets])
    skipped = sum(not ok for norm in NORMS for ok in pf.may_match(norm))
    assert skipped > len(NORMS) * len(LEXICON.targets) // 3


@settings(max_examples=300, deadline=None, database=None)
@given(
    note=st.sampled_from(NORMS),
    start=st.integers(0, 5000),
    size=st.integers(0, 300),
    blank=st.lists(st.integers(0, 300), max_size=20),
    index=st.integers(0, len(PATTERNS) - 1),
)
def test_a_pattern_the_prefilter_rules_out_never_matches(
    note: str, start: int, size: int, blank: list[int], index: int
) -> None:
    """On pieces of notes, with characters blanked to spaces as the affirmation screen does."""
    chars = list(note[start % len(note) :][:size])
    for i in blank:
        if i < len(chars):
            chars[i] = " "
    text = "".join(chars)
    pattern = PATTERNS[index]
    assert may_match(pattern, text) or pattern.search(text) is None
    assert Prefilter([pattern]).may_match(text) == [may_match(pattern, text)]


def test_the_scanner_finds_every_required_string_present() -> None:
    """After a few notes the `in` checks give way to one scan: the same strings either way."""
    pf = Prefilter([p for _, _, p in LEXICON.targets])
    strings = sorted({s for a in pf.anchors if a for s in a})
    rng = random.Random(7)
    texts = NORMS + [
        "".join(rng.choice([*strings, " ", "x", "-"]) for _ in range(rng.randint(0, 30))) for _ in range(1500)
    ]
    texts += [n[i : i + rng.randint(0, 40)] for n in NORMS[:40] for i in range(0, len(n), 53)]
    for text in texts:
        assert pf.present(text) == {s for s in strings if s in text}
    assert pf._scan is not None  # the scanner was used for all but the first few
