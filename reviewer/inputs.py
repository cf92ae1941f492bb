"""Reading a note from a file or stdin: decoding, and clear refusals of what is not a note."""

from __future__ import annotations

import sys
from pathlib import Path

# spaCy's default limit; an operative note is a few kilobytes.
MAX_NOTE_CHARS = 1_000_000


class NoteInputError(ValueError):
    """The input is not a note we can review; the message is one line for the user."""


def decode_note(data: bytes, name: str) -> tuple[str, list[str]]:
    """Text of a note: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    warnings: list[str] = []
    if not data.strip():
        raise NoteInputError(f"{name}: the note is empty")
    if b"\x00" in data[:8192] or _control_ratio(data[:8192]) > 0.1:
        raise NoteInputError(f"{name}: this looks like a binary file, not a text note")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
            warnings.append(f"{name}: not UTF-8; decoded as Windows-1252 (cp1252)")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            warnings.append(f"{name}: not UTF-8; decoded as Latin-1")
    if len(text) > MAX_NOTE_CHARS:
        raise NoteInputError(
            f"{name}: the note has {len(text):,} characters; the limit is {MAX_NOTE_CHARS:,} (is this one note?)"
        )
    if not any(c.isalpha() for c in text):
        raise NoteInputError(f"{name}: the note has no words in it")
    return text, warnings


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    control = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    return control / len(data)


def read_note(source: str) -> tuple[str, list[str]]:
    """Read a note from a path, or from stdin when source is '-'."""
    if source == "-":
        return decode_note(sys.stdin.buffer.read(MAX_NOTE_CHARS * 4 + 1), "stdin")
    path = Path(source)
    if not path.exists():
        raise NoteInputError(f"{source}: no such file")
    if path.is_dir():
        raise NoteInputError(f"{source}: is a directory, not a note file")
    try:
        size = path.stat().st_size
        if size > MAX_NOTE_CHARS * 4:
            raise NoteInputError(
                f"{source}: the file is {size / 1e6:.1f} MB; a note is at most {MAX_NOTE_CHARS:,} characters"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise NoteInputError(f"{source}: cannot read ({exc.strerror or exc})") from None
    return decode_note(data, source)
