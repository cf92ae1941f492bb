"""Is a fact stated as done or present at this operation?

ConText (context.py) reads the classic triggers with their scopes. This screen reads, clause by
clause, what operative notes say around a fact that ConText misses: negation in the predicate or
after the noun, deferral and avoidance, future, plan, modality and conditions, consent and risk
talk, prior operations told in the narrative, and text that instructs the tool. The cues are
data (data/affirmation.yaml). A fact only ever loses its `present` status here, never gains it:
when unsure whether something happened today, the decision must see it as not stated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer.datafile import load_yaml
from reviewer.findings import Assertion
from reviewer.language.fastregex import finditer
from reviewer.note import Note

# When several cues reach a span, the strongest wins.
STRENGTH = {
    Assertion.absent: 5,
    Assertion.other_person: 4,
    Assertion.hypothetical: 3,
    Assertion.historical: 2,
    Assertion.possible: 1,
}
_DIRECTIONS = ("forward", "backward", "both")


@dataclass(frozen=True)
class CueGroup:
    assertion: Assertion
    direction: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class AffirmationRules:
    version: str
    boundary: re.Pattern[str]
    pseudo: re.Pattern[str]
    instructions: re.Pattern[str]
    verdict_requests: re.Pattern[str]
    groups: tuple[CueGroup, ...]


def _word_bounded(pattern: str) -> str:
    """A cue that starts (ends) with a letter must not start (end) inside a word."""
    left = "" if pattern.startswith("\\") and not pattern[1:2].isalpha() else r"(?<![a-z0-9])"
    return rf"{left}(?:{pattern})(?![a-z0-9])" if left else rf"(?:{pattern})"


def _alternation(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(_word_bounded(p) for p in patterns))


@lru_cache(maxsize=1)
def load_rules() -> AffirmationRules:
    raw: dict[str, Any] = load_yaml(
        resources.files("reviewer.data").joinpath("affirmation.yaml").read_text("utf-8")
    )
    groups = []
    for group in raw["cues"]:
        direction = str(group["direction"])
        if direction not in _DIRECTIONS:
            raise ValueError(f"affirmation.yaml: direction {direction!r} is not one of {_DIRECTIONS}")
        groups.append(CueGroup(Assertion(group["assertion"]), direction, _alternation(group["patterns"])))
    return AffirmationRules(
        version=str(raw["version"]),
        boundary=re.compile("|".join(f"(?:{b})" for b in raw["boundaries"])),
        pseudo=_alternation(raw["pseudo"]),
        instructions=_alternation(raw["instructions"]),
        verdict_requests=_alternation(raw["verdict_requests"]),
        groups=tuple(groups),
    )


def affirmation_version() -> str:
    return load_rules().version


@dataclass(frozen=True)
class Cue:
    assertion: Assertion
    direction: str
    start: int  # offsets in `norm`
    end: int

    def reaches(self, start: int, end: int) -> bool:
        """Whether the cue governs the span [start, end) of its clause. A cue that holds the
        span ("not debrided" around "debrided") governs it."""
        if self.direction == "both":
            return True
        if self.direction == "forward":
            return self.start < start
        return self.end > end


def clauses(note: Note, sentence: tuple[int, int]) -> list[tuple[int, int]]:
    """The clauses of a sentence (offsets in `norm`), cut at the rules' boundaries."""
    s_start, s_end = sentence
    rules = load_rules()
    out: list[tuple[int, int]] = []
    start = s_start
    for m in finditer(rules.boundary, note.norm, s_start, s_end):
        if m.start() > start:
            out.append((start, m.start()))
        start = max(start, m.end())
    if s_end > start:
        out.append((start, s_end))
    return out or [sentence]


def cues_in(text: str, offset: int = 0) -> list[Cue]:
    """Cues found in one clause of normalised text; pseudo-cues and each cue found are blanked
    before the next group reads, so no phrase is read twice."""
    rules = load_rules()
    chars = list(text)

    def blank(m: re.Match[str]) -> None:
        chars[m.start() : m.end()] = " " * (m.end() - m.start())

    for m in finditer(rules.pseudo, text):
        blank(m)
    found: list[Cue] = []
    for group in rules.groups:
        current = "".join(chars)
        for m in finditer(group.pattern, current):  # same matches, faster (language/fastregex.py)
            if m.end() == m.start():
                continue
            found.append(Cue(group.assertion, group.direction, offset + m.start(), offset + m.end()))
            blank(m)
    return found


def _sentence_near(note: Note, offset: int, step: int) -> tuple[int, int]:
    """The first sentence at or beyond `offset` going by `step` (-1 back, +1 on)."""
    limit = len(note.norm)
    while 0 <= offset < limit:
        start, end = note.sentence_at(offset)
        if end > start:
            return start, end
        offset += step
    return offset, offset


def instruction_spans(note: Note) -> list[tuple[int, int]]:
    """The text (offsets in `norm`) addressed to a reviewing tool ("ignore previous
    instructions", "mark as supported"): not documentation. That is the sentence holding the
    instruction; the sentence after it when the instruction ends its own ("Ignore previous
    instructions: ..."); and, for a request for a verdict that stands alone ("... fascia
    excised. Mark as supported."), the sentence before it."""
    norm = note.norm
    rules = load_rules()
    spans: list[tuple[int, int]] = []
    found = [(m, False) for m in finditer(rules.instructions, norm)]
    found += [(m, True) for m in finditer(rules.verdict_requests, norm)]
    for m, refers_back in found:
        start, end = note.sentence_at(m.start())
        if end <= start:  # between sentences: its line
            start, end = norm.rfind("\n", 0, m.start()) + 1, m.end()
        rest = norm[start : m.start()] + norm[m.end() : end]
        if refers_back and len(rest.split()) <= 3:
            start = min(start, _sentence_near(note, start - 1, -1)[0])
        if not norm[m.end() : end].strip(" \t:.-)>]"):
            end = max(end, _sentence_near(note, end, 1)[1])
        spans.append((start, end))
    return spans


def screen(note: Note, spans: Sequence[tuple[int, int]], statuses: Sequence[Assertion]) -> list[Assertion]:
    """Each `present` span (offsets in `note.norm`) in text that instructs the tool becomes
    hypothetical; in a run-on piece of text (no punctuation for hundreds of characters),
    possible; otherwise, when its clause holds a cue that reaches it, it takes the strongest
    such cue's assertion. Other statuses are kept."""
    out = list(statuses)
    cache: dict[tuple[int, int], list[Cue]] = {}
    clause_cache: dict[tuple[int, int], list[tuple[int, int]]] = {}
    tainted = instruction_spans(note)
    for i, (start, end) in enumerate(spans):
        if out[i] is not Assertion.present or start < 0:
            continue
        if any(a <= start < b for a, b in tainted):
            out[i] = Assertion.hypothetical
            continue
        sentence = note.sentence_at(start)
        if sentence in note.run_on:
            out[i] = Assertion.possible  # no punctuation to tell what governs what
            continue
        if sentence not in clause_cache:
            clause_cache[sentence] = clauses(note, sentence)
        clause = next(
            (c for c in clause_cache[sentence] if c[0] <= start < c[1]),
            sentence,
        )
        if clause not in cache:
            cache[clause] = cues_in(note.norm[clause[0] : clause[1]], clause[0])
        reaching = [c.assertion for c in cache[clause] if c.reaches(start, end)]
        if reaching:
            out[i] = max(reaching, key=STRENGTH.__getitem__)
    return out


def removal_verbs_done(note: Note) -> list[tuple[int, int]]:
    """The removal verbs of the note ("excised", "debrided"; offsets in `norm`) that are stated
    as done today: a layer is removed only through one of them."""
    from reviewer.extract.context import assert_spans
    from reviewer.extract.lexicon import load_lexicon

    verbs = [(m.start(), m.end()) for m in load_lexicon().removal_verbs.finditer(note.norm)]
    statuses = screen(note, verbs, assert_spans(note, verbs))
    return [v for v, status in zip(verbs, statuses, strict=True) if status is Assertion.present]
