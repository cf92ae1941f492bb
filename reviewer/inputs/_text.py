"""Plain-text notes: encoding detection, and clear refusals of what is not a note."""

from __future__ import annotations

import codecs

from reviewer.note import MAX_NOTE_CHARS, checked_text

__all__ = ["MAX_NOTE_CHARS", "NoteInputError", "check_text", "decode_note"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


class NoteInputError(ValueError):
    """The input is not a note we can review; the message is one line for the user."""


def decode_note(data: bytes, name: str) -> tuple[str, list[str]]:
    """Text of a note: a byte-order mark says the encoding (UTF-8, UTF-16, UTF-32); else UTF-16
    without a mark when every other byte is NUL; else UTF-8; else Windows-1252 (with a warning)."""
    if not data.strip():
        raise NoteInputError(f"{name}: the note is empty")
    text, warnings = _decode(data, name)
    return check_text(text, name), warnings


def check_text(text: str, name: str) -> str:
    """Refuse text that cannot be a note (empty, over the limit, binary-looking, no words), as
    the review itself would, naming the input."""
    try:
        return checked_text(text)
    except ValueError as exc:
        raise NoteInputError(f"{name}: {exc}") from None


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), []
            except UnicodeDecodeError:
                raise NoteInputError(
                    f"{name}: starts with a {label} byte-order mark but is not {label}"
                ) from None
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), [f"{name}: no byte-order mark; decoded as {utf16.upper()}"]
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192] or _control_ratio(data[:8192]) > 0.1:
        raise NoteInputError(f"{name}: this looks like a binary file, not a text note")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), [f"{name}: not UTF-8; decoded as Windows-1252 (cp1252)"]
    except UnicodeDecodeError:
        return data.decode("latin-1"), [f"{name}: not UTF-8; decoded as Latin-1"]


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text in a Latin script has a NUL in every other byte: LE in odd, BE in even places."""
    head = data[:8192]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2], head[1::2]
    half = len(head) // 2
    if odd.count(0) > 0.7 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.7 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    control = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    return control / len(data)
