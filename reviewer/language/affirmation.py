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
from weakref import WeakKeyDictionary

from reviewer.datafile import load_yaml
from reviewer.findings import Assertion
from reviewer.language.fastregex import finditer
from reviewer.language.prefilter import Prefilter
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
    reach: int | None = None  # words the cue governs (None: to the clause's end)


@dataclass(frozen=True)
class AffirmationRules:
    version: str
    boundary: re.Pattern[str]
    pseudo: re.Pattern[str]
    instructions: re.Pattern[str]
    verdict_requests: re.Pattern[str]
    groups: tuple[CueGroup, ...]
    openers: re.Pattern[str]
    nominal: re.Pattern[str]
    predicate: re.Pattern[str]
    done: re.Pattern[str]
    # A request naming what it marks ("mark the depth as met"): the words that name it, and the
    # words a sentence before it must hold to be the one it refers back to.
    request_targets: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    # Which cue groups can match a clause at all (built once with the rules).
    group_filter: Prefilter | None = None


def _word_bounded(pattern: str) -> str:
    """A cue that starts with a letter must not start inside a word, nor end inside one."""
    head = pattern
    while head.startswith("(?:"):
        head = head[3:]
    starts_with_letter = head[:1].isalnum() or head.startswith("\\b")
    left = r"(?<![a-z0-9])" if starts_with_letter else ""
    return rf"{left}(?:{pattern})(?![a-z0-9])"


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
        groups.append(
            CueGroup(
                Assertion(group["assertion"]), direction, _alternation(group["patterns"]), group.get("reach")
            )
        )
    return AffirmationRules(
        version=str(raw["version"]),
        boundary=re.compile("|".join(f"(?:{b})" for b in raw["boundaries"])),
        pseudo=_alternation(raw["pseudo"]),
        instructions=_alternation(raw["instructions"]),
        verdict_requests=_alternation(raw["verdict_requests"]),
        groups=tuple(groups),
        openers=re.compile(rf"\W*(?:{'|'.join(raw['opening_subordinators'])})\b"),
        nominal=re.compile(rf"(?:{'|'.join(raw['nominal_removals'])})$"),
        predicate=re.compile(raw["nominal_predicate"]),
        done=re.compile(rf"(?:{'|'.join(raw['done_predicates'])})\b"),
        group_filter=Prefilter([g.pattern for g in groups]),
        request_targets=tuple(
            (re.compile(str(t["named"])), re.compile(str(t["words"]))) for t in raw["request_targets"]
        ),
    )


def affirmation_version() -> str:
    return load_rules().version


@dataclass(frozen=True)
class Cue:
    assertion: Assertion
    direction: str
    start: int  # offsets in `norm`
    end: int
    limit: int | None = None  # a cue of limited reach: the farthest offset it governs

    def reaches(self, start: int, end: int) -> bool:
        """Whether the cue governs the span [start, end) of its clause. A cue that holds the
        span ("not debrided" around "debrided") governs it."""
        if self.direction == "both":
            return True
        if self.direction == "forward":
            return self.start < start and (self.limit is None or start < self.limit)
        return self.end > end and (self.limit is None or end > self.limit)


_RELATIVE = re.compile(r", (?:which|who|whose) ")


# Each note's clauses by sentence, read once: ConText, the screen and the extractor all ask.
_CLAUSES: WeakKeyDictionary[Note, dict[tuple[int, int], list[tuple[int, int]]]] = WeakKeyDictionary()


def clauses(note: Note, sentence: tuple[int, int]) -> list[tuple[int, int]]:
    """The clauses of a sentence (offsets in `norm`), cut at the rules' boundaries, after an
    opening subordinate clause ("Although the muscle was not involved, ...") and around a
    relative clause set off by commas ("the fascia, which could not be salvaged, was ...")."""
    known = _CLAUSES.setdefault(note, {})
    found = known.get(sentence)
    if found is None:
        found = known[sentence] = _cut(note, sentence)
    return list(found)


def _cut(note: Note, sentence: tuple[int, int]) -> list[tuple[int, int]]:
    s_start, s_end = sentence
    norm = note.norm
    rules = load_rules()
    cuts: list[tuple[int, int]] = [
        (m.start(), m.end()) for m in finditer(rules.boundary, norm, s_start, s_end)
    ]
    if rules.openers.match(norm, s_start, s_end):
        comma = norm.find(", ", s_start, s_end)
        if comma >= 0:
            cuts.append((comma, comma + 1))
    for m in _RELATIVE.finditer(norm, s_start, s_end):
        comma = norm.find(",", m.end(), s_end)
        if comma >= 0:
            cuts.append((comma, comma + 1))
    out: list[tuple[int, int]] = []
    start = s_start
    for c_start, c_end in sorted(cuts):
        if c_start > start:
            out.append((start, c_start))
        start = max(start, c_end)
    if s_end > start:
        out.append((start, s_end))
    return out or [sentence]


def clause_of(note: Note, offset: int) -> tuple[int, int]:
    """The clause (offsets in `norm`) holding `offset`; its sentence when between clauses."""
    sentence = note.sentence_at(offset)
    return next((c for c in clauses(note, sentence) if c[0] <= offset < c[1]), sentence)


# What a relative clause takes from the clause its pronoun points back to.
_INHERITED = frozenset({Assertion.other_person, Assertion.historical})
_RELATIVE_START = re.compile(r"\W*(?:which|who|whose|where)\b")


def _antecedent(
    note: Note, clause: tuple[int, int], siblings: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The clause before a relative clause ("who had ...", "which was ..."), if it is one."""
    if not _RELATIVE_START.match(note.norm, clause[0], clause[1]):
        return None
    before = [c for c in siblings if c[1] <= clause[0]]
    return before[-1] if before else None


def _word_limit(text: str, at: int, words: int, forward: bool) -> int:
    """The offset `words` words after (or before) `at` in `text`."""
    if forward:
        spans = [m.end() for m in re.finditer(r"\S+", text[at:])]
        return at + spans[words - 1] if len(spans) >= words else len(text)
    spans = [m.start() for m in re.finditer(r"\S+", text[:at])]
    return spans[-words] if len(spans) >= words else 0


def cues_in(text: str, offset: int = 0) -> list[Cue]:
    """Cues found in one clause of normalised text; pseudo-cues and each cue found are blanked
    before the next group reads, so no phrase is read twice."""
    rules = load_rules()
    # Most groups cannot match a given clause (none of the strings their matches need is in it;
    # blanking to spaces adds none): only the others run.
    assert rules.group_filter is not None
    runs = rules.group_filter.may_match(text)
    if not any(runs):
        return []
    chars = list(text)
    blanked = [False]  # since the text was last joined

    def blank(m: re.Match[str]) -> None:
        chars[m.start() : m.end()] = " " * (m.end() - m.start())
        blanked[0] = True

    for m in finditer(rules.pseudo, text):
        blank(m)
    found: list[Cue] = []
    current = text
    for group, may in zip(rules.groups, runs, strict=True):
        if not may:
            continue
        if blanked[0]:
            current, blanked[0] = "".join(chars), False  # what earlier groups left unread
        for m in finditer(group.pattern, current):  # same matches, faster (language/fastregex.py)
            if m.end() == m.start():
                continue
            limit = None
            if group.reach is not None:
                forward = group.direction == "forward"
                limit = offset + _word_limit(text, m.end() if forward else m.start(), group.reach, forward)
            found.append(Cue(group.assertion, group.direction, offset + m.start(), offset + m.end(), limit))
            blank(m)
    return found


def _unstated_removal(note: Note, start: int, end: int, sentence: tuple[int, int]) -> bool:
    """A removal written as a noun ("excision of the fascia") is stated as done only through its
    predicate: "was performed", "was carried out", or none at all ("Excisional debridement of
    the scrotum."). Any other predicate ("was unwarranted", "was planned", "is scheduled")
    leaves it undone. Relative clauses set off by commas are skipped."""
    rules = load_rules()
    norm = note.norm
    if not rules.nominal.search(norm, start, end):
        return False
    stop = norm.find(";", end, sentence[1])
    rest = norm[end : sentence[1] if stop < 0 else stop]
    rest = re.sub(r", (?:which|who|whose|that) [^,]*,", ",", rest)
    m = rules.predicate.search(rest)
    if m is None:
        return False
    return rules.done.match(rest, m.end()) is None


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
            before = _sentence_near(note, start - 1, -1)
            if _may_refer_to(rules, norm[start:end], norm[before[0] : before[1]]):
                start = min(start, before[0])
        if not norm[m.end() : end].strip(" \t:.-)>]"):
            end = max(end, _sentence_near(note, end, 1)[1])
        spans.append((start, end))
    return spans


def _may_refer_to(rules: AffirmationRules, request: str, before: str) -> bool:
    """Whether a stand-alone request ("Mark as supported.") may refer to the sentence before it:
    always, unless it names what it marks ("Mark the depth as met.") and that sentence says
    nothing about it."""
    named = [words for name, words in rules.request_targets if name.search(request)]
    return not named or any(words.search(before) for words in named)


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
        antecedent = _antecedent(note, clause, clause_cache[sentence])
        if antecedent is not None:
            # "his father, who had Fournier's gangrene": whose story it is carries over.
            if antecedent not in cache:
                cache[antecedent] = cues_in(note.norm[antecedent[0] : antecedent[1]], antecedent[0])
            reaching += [c.assertion for c in cache[antecedent] if c.assertion in _INHERITED]
        if reaching:
            out[i] = max(reaching, key=STRENGTH.__getitem__)
        elif _unstated_removal(note, start, end, sentence):
            out[i] = Assertion.possible
    return out
