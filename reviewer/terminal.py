"""Text that reaches a terminal: ids, file names and messages are shown with control characters
escaped, so an id like "\\x1b]0;pwned\\x07" prints as those characters instead of steering the
terminal."""

from __future__ import annotations

import re

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
