"""The note: original text kept byte-for-byte, with its folded reading, sections and sentences
(offsets of matchers are in `norm`; `text_span` maps them back)."""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from reviewer.note.reading import _lower, fold
from reviewer.note.sections import Section, find_sections
from reviewer.note.sentences import sentence_spans

# spaCy's default limit; an operative note is a few kilobytes.
MAX_NOTE_CHARS = 1_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def checked_text(text: object) -> str:
    """The text of a note, or ValueError with a one-line reason: not text, empty, over the
    size limit, binary-looking, or without a word. Lone surrogates (undecodable bytes smuggled
    in by `surrogateescape`) become U+FFFD, one for one, so offsets still hold."""
    if not isinstance(text, str):
        raise ValueError(f"the note must be text (str), not {type(text).__name__}")
    if not text.strip():
        raise ValueError("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(
            f"the note has {len(text):,} characters; the limit is {MAX_NOTE_CHARS:,} (is this one note?)"
        )
    head = text[:8192]
    control = sum(1 for c in head if ord(c) < 32 and c not in "\t\n\r\f")
    if "\x00" in head or control > len(head) / 10:
        raise ValueError("this looks like binary data, not a text note")
    if not any(c.isalpha() for c in text):
        raise ValueError("the note has no words in it")
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class Note:
    """An operative (or any clinical) note. `text` is never modified.

    Matching runs on `norm` (see `normalise`); sections, sentences and every offset a matcher
    finds are in `norm` coordinates. `text_span` maps them back to `text`, and `norm_offset`
    maps an offset of `text` (an evidence offset) into `norm`."""

    text: str
    id: str = ""

    @cached_property
    def _folded(self) -> tuple[str, array[int] | None]:
        return fold(self.text)

    @property
    def folded(self) -> str:
        """The text as a reader sees it, case kept (same coordinates as `norm`)."""
        return self._folded[0]

    @cached_property
    def norm(self) -> str:
        return _lower(self.folded)

    def text_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `text` that the span [start, end) of `norm` was read from."""
        index = self._folded[1]
        if index is None:
            return start, end
        if end <= start:
            return index[start], index[start]
        if self._monotonic:
            return index[start], index[end - 1] + 1
        covered = index[start:end]
        return min(covered), max(covered) + 1

    def norm_offset(self, offset: int) -> int:
        """The offset in `norm` of the first character read from `text[offset:]`."""
        index = self._folded[1]
        if index is None:
            return offset
        if self._monotonic:
            return bisect_left(index, offset)
        return self._inverse[min(max(offset, 0), len(self._inverse) - 1)]

    @cached_property
    def _monotonic(self) -> bool:
        index = self._folded[1]
        return index is None or all(a <= b for a, b in pairwise(index))

    @cached_property
    def _inverse(self) -> list[int]:
        """For each offset of `text`, the first `norm` offset read from it or after it (a
        reversed right-to-left run is read out of order)."""
        index = self._folded[1]
        assert index is not None
        inverse = [-1] * (len(self.text) + 1)
        for i, p in enumerate(index):
            if inverse[p] < 0:
                inverse[p] = i
        nxt = len(index) - 1
        for p in range(len(inverse) - 1, -1, -1):
            if inverse[p] < 0:
                inverse[p] = nxt
            else:
                nxt = inverse[p]
        return inverse

    @cached_property
    def squashed(self) -> tuple[str, list[int]]:
        """`norm` with whitespace runs collapsed to one space, and the offset in `norm` of each
        character: lets a quote re-wrapped by an extractor be found in the note."""
        out: list[str] = []
        index: list[int] = []
        prev_space = False
        for i, ch in enumerate(self.norm):
            space = ch.isspace()
            if space and prev_space:
                continue
            out.append(" " if space else ch)
            index.append(i)
            prev_space = space
        return "".join(out), index

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()

    @cached_property
    def sections(self) -> list[Section]:
        return find_sections(self.folded, self.norm)

    @cached_property
    def _segments(self) -> list[tuple[int, int, bool]]:
        return sentence_spans(self.folded, self.norm, self.sections)

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return [(start, end) for start, end, _ in self._segments]

    @cached_property
    def run_on(self) -> frozenset[tuple[int, int]]:
        """Sentences cut out of text with no sentence or clause punctuation for hundreds of
        characters: their words cannot be tied to one another with confidence."""
        return frozenset((start, end) for start, end, forced in self._segments if forced)

    @cached_property
    def _section_starts(self) -> list[int]:
        return [s.start for s in self.sections]

    @cached_property
    def sentence_starts(self) -> list[int]:
        return [start for start, _ in self.sentences]

    def section_at(self, offset: int) -> Section:
        """The section holding `norm` offset `offset`."""
        i = bisect_right(self._section_starts, offset) - 1
        return self.sections[max(i, 0)]

    def section_of(self, text_offset: int) -> Section:
        """The section holding `text` offset `text_offset` (an evidence offset)."""
        return self.section_at(self.norm_offset(text_offset))

    def sentence_at(self, offset: int) -> tuple[int, int]:
        """The sentence (in `norm` coordinates) holding `norm` offset `offset`."""
        i = bisect_right(self.sentence_starts, offset) - 1
        if i >= 0:
            start, end = self.sentences[i]
            if start <= offset < end:
                return start, end
        return offset, offset
