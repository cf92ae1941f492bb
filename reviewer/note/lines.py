"""Line helpers shared by the sectionizer and the sentence splitter."""

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
