"""Text that reaches a terminal: ids, file names and messages are shown with control characters
escaped, so an id like "\\x1b]0;pwned\\x07" prints as those characters instead of steering the
terminal."""

from __future__ import annotations

import re
import shutil

MIN_WIDTH = 40
MAX_TERMINAL_WIDTH = 120  # wider lines are hard to read, however wide the terminal

# C0 and C1 controls, DEL, and the bidirectional overrides/isolates that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` on one line, every control character written as an escape (\\x1b, \\n, \\u202e)."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text_width(requested: int | None, *, to_terminal: bool) -> int:
    """The text report's width: as asked; else the terminal's (capped); else 80 (a pipe, a file)."""
    if requested is not None:
        return requested
    if to_terminal:
        columns = shutil.get_terminal_size((80, 24)).columns
        return max(MIN_WIDTH, min(columns, MAX_TERMINAL_WIDTH))
    return 80
