"""One entry point for every input format: (file name, bytes) -> NoteDocument. The format is
sniffed (`_formats.detect_format`); each reader turns its bytes into a NoteDocument, and a
container's reader (FHIR, HL7) is handed this function for the note it carries."""

from __future__ import annotations

from dataclasses import replace

from reviewer.inputs._fhir import read_fhir
from reviewer.inputs._formats import FORMAT_NAMES, NOTE_EXTENSIONS, NoteDocument, detect_format
from reviewer.inputs._hl7 import read_hl7
from reviewer.inputs._office import read_docx, read_pdf, read_rtf
from reviewer.inputs._text import NoteInputError, check_text, decode_note

__all__ = ["FORMAT_NAMES", "NOTE_EXTENSIONS", "NoteDocument", "detect_format", "parse_document"]


def parse_document(name: str, data: bytes, *, format: str | None = None) -> NoteDocument:
    """Read a note of any supported format. Raises NoteInputError with a one-line message."""
    kind = format or detect_format(name, data)
    if kind == "text":
        text, warnings = decode_note(data, name)
        return NoteDocument(text=text, format="text", name=name, warnings=warnings)
    if kind == "rtf":
        doc = read_rtf(name, data)
    elif kind == "docx":
        doc = read_docx(name, data)
    elif kind == "pdf":
        doc = read_pdf(name, data)
    elif kind == "fhir":
        doc = read_fhir(name, data, parse_document)
    elif kind == "hl7":
        doc = read_hl7(name, data, parse_document)
    else:
        raise NoteInputError(f"{name}: unknown input format {kind!r}")
    return replace(doc, text=check_text(doc.text, name))
