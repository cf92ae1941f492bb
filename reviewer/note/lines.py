"""Line and sentence-end helpers shared by the sectionizer and the sentence splitter."""

from __future__ import annotations

import re
from bisect import bisect_right


def line_starts(norm: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", norm))]


def line_start(lines: list[int], offset: int) -> int:
    return lines[bisect_right(lines, offset) - 1]


def char_before(norm: str, offset: int) -> str:
    """The last character before `offset` that is not a space or tab ("" at the start)."""
    i = offset
    while i > 0 and norm[i - 1] in " \t":
        i -= 1
    return norm[i - 1] if i > 0 else ""


# A full stop after a title or abbreviation ("Dr.", "approx.", "e.g.") or an initial does not
# end a sentence.
_ABBREVIATION_STOP = re.compile(r"(?:\b(?:dr|mr|mrs|ms|prof|approx|vs|e\.g|i\.e|st|no)|\b[a-z])\.$")
# Sentence punctuation followed by a space, a line end, a quote or a bracket, or the text's end.
SENTENCE_END = re.compile(r"[.!?](?=[\s\"')\]]|$)")


def ends_sentence(norm: str, end: int) -> bool:
    """Whether the punctuation just before `end` (in lower-cased `norm`) ends a sentence."""
    return norm[end - 1] != "." or _ABBREVIATION_STOP.search(norm, max(0, end - 6), end) is None
