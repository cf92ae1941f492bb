"""Notes as hospitals send them: plain text in any common encoding, RTF, Word .docx, PDF with a
text layer, FHIR R4 DocumentReference/Bundle JSON and HL7 v2 MDM/ORU messages.

`read_document(path)` and `parse_document(name, data)` give a `NoteDocument` (text, format,
warnings, and patient sex and date of service when the message carries them). Reading is
bounded: never more than `MAX_NOTE_BYTES` + 1 bytes, from a file, stdin, a FIFO or a device.
Every refusal is a `NoteInputError` with a one-line message that names the file.
"""

from __future__ import annotations

from reviewer.inputs._document import (
    FORMAT_NAMES,
    NOTE_EXTENSIONS,
    NoteDocument,
    detect_format,
    parse_document,
)
from reviewer.inputs._read import MAX_NOTE_BYTES, read_source
from reviewer.inputs._text import MAX_NOTE_CHARS, NoteInputError, check_text, decode_note

__all__ = [
    "FORMAT_NAMES",
    "MAX_NOTE_BYTES",
    "MAX_NOTE_CHARS",
    "NOTE_EXTENSIONS",
    "NoteDocument",
    "NoteInputError",
    "check_text",
    "decode_note",
    "detect_format",
    "parse_document",
    "read_document",
    "read_note",
]


def read_document(source: str) -> NoteDocument:
    """Read a note of any supported format from a path, or from stdin when source is '-'.

    For `reviewer batch`, per file: `doc = read_document(str(path))`, then review `doc.text`
    with `sex=given_sex or doc.sex` and add `doc.warnings + doc.context_notes(given_sex)` to
    the review's warnings; a `NoteInputError` is that file's one-line error."""
    name = "stdin" if source == "-" else source
    return parse_document(name, read_source(source))


def read_note(source: str) -> tuple[str, list[str]]:
    """The text of a note and the warnings from reading it (any supported format)."""
    doc = read_document(source)
    return doc.text, doc.warnings
