"""What a note read from a file is (`NoteDocument`) and which format a file holds.

The format is sniffed from the content (magic bytes, the first characters), with the file name's
extension as a check: a `.pdf` that is not a PDF is refused rather than read as text. The readers
(_office, _fhir, _hl7) build on this module; `_document.parse_document` dispatches to them.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePath
from typing import Protocol

from reviewer.inputs._text import NoteInputError

FORMAT_NAMES: dict[str, str] = {
    "text": "plain text",
    "rtf": "RTF",
    "docx": "Word (.docx)",
    "pdf": "PDF",
    "fhir": "FHIR R4 JSON",
    "hl7": "HL7 v2",
}

# Extensions that promise a format; the content must keep the promise.
_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".rtf": "rtf",
    ".docx": "docx",
    ".pdf": "pdf",
    ".json": "fhir",
    ".fhir": "fhir",
    ".hl7": "hl7",
    ".hl7v2": "hl7",
}

# What a folder scan should pick up as note files (anything else may still be read by content).
NOTE_EXTENSIONS = frozenset(_EXTENSIONS)

# Extensions refused by name, whatever they hold.
_REFUSED_EXTENSIONS: dict[str, str] = {
    ".doc": "a legacy Word .doc file; save it as .docx, .pdf or .txt",
    ".odt": "an OpenDocument text (.odt); save it as .docx, .pdf or .txt",
    ".csv": "a CSV table; use `reviewer batch` for a table of notes",
    ".tsv": "a TSV table; use `reviewer batch` for a table of notes",
    ".jsonl": "a JSON Lines file; use `reviewer batch` for many notes",
    ".xlsx": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".html": "an HTML page; save the note as .txt, .docx or .pdf",
    ".htm": "an HTML page; save the note as .txt, .docx or .pdf",
    ".xml": "an XML document (HL7 CDA and FHIR XML are not read; send FHIR JSON or HL7 v2)",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a legacy Microsoft Office file (.doc, .xls, .msg); save it as .docx, .pdf or .txt",
    ),
    (b"\x89PNG\r\n\x1a\n", "a PNG image; a scanned note needs OCR first"),
    (b"\xff\xd8\xff", "a JPEG image; a scanned note needs OCR first"),
    (b"GIF87a", "a GIF image; a scanned note needs OCR first"),
    (b"GIF89a", "a GIF image; a scanned note needs OCR first"),
    (b"II*\x00", "a TIFF image; a scanned note needs OCR first"),
    (b"MM\x00*", "a TIFF image; a scanned note needs OCR first"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)

# MSH (or a batch header), the field separator, 3-5 encoding characters, the field separator again (MLLP start byte allowed).
_HL7_HEADER = re.compile(r"\x0b?(?:MSH|FHS|BHS)([^\w\s])[^\w\s]{3,5}\1")

_UTF_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

# MIME types of attachments inside FHIR and HL7 messages.
MEDIA_TYPES: dict[str, str] = {
    "text/plain": "text",
    "text/rtf": "rtf",
    "application/rtf": "rtf",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


class Parse(Protocol):
    """`_document.parse_document`, as handed to a container's reader for the note it carries."""

    def __call__(self, name: str, data: bytes, *, format: str | None = None) -> NoteDocument: ...


@dataclass
class NoteDocument:
    """A note as read from a file or a message."""

    text: str
    format: str  # a key of FORMAT_NAMES
    name: str
    warnings: list[str] = field(default_factory=list)
    sex: str | None = None  # "M" or "F" when the message says so
    date_of_service: str | None = None  # ISO date, when the message says so

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES[self.format]

    def context_notes(self, sex_given: str | None = None) -> list[str]:
        """Lines for a review's warnings: what was taken from the message besides the text (sex
        only when none was given), and a given sex that contradicts the message."""
        taken = []
        if self.sex and not sex_given:
            taken.append(f"patient sex {self.sex}")
        if self.date_of_service:
            taken.append(f"date of service {self.date_of_service}")
        notes = (
            [f"{self.name}: {' and '.join(taken)} taken from the {self.format_name} message"] if taken else []
        )
        if self.sex and sex_given and sex_given.strip()[:1].upper() != self.sex:
            notes.append(f"{self.name}: sex {sex_given.strip()} was given, but the message says {self.sex}")
        return notes


def detect_format(name: str, data: bytes) -> str:
    """The format key for these bytes, or a NoteInputError naming what they are instead."""
    ext = PurePath(name).suffix.lower()
    if ext in _REFUSED_EXTENSIONS:
        raise NoteInputError(f"{name}: is {_REFUSED_EXTENSIONS[ext]}, not a supported note format")
    if not data.strip():
        raise NoteInputError(f"{name}: the note is empty")
    sniffed = _sniff(name, data)
    promised = _EXTENSIONS.get(ext)
    if promised == "fhir" and sniffed == "text":
        raise NoteInputError(f"{name}: is not valid JSON")
    if promised is not None and promised != "text" and sniffed != promised:
        raise NoteInputError(
            f"{name}: the name says {FORMAT_NAMES[promised]} but the content is {FORMAT_NAMES[sniffed]}"
        )
    return sniffed


def _sniff(name: str, data: bytes) -> str:
    if data[:1024].find(b"%PDF-") != -1:  # the header may follow up to 1 KB of junk
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(name, data)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise NoteInputError(f"{name}: is {what}, not a supported note format")
    head = _text_head(data)
    if head.startswith("{\\rtf"):
        return "rtf"
    if _HL7_HEADER.match(head):
        return "hl7"
    if head.startswith(("{", "[")) and _is_json(data):
        if '"resourceType"' in head:
            return "fhir"
        raise NoteInputError(f"{name}: is JSON that is not a FHIR DocumentReference or Bundle")
    lowered = head[:200].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        raise NoteInputError(f"{name}: is {_REFUSED_EXTENSIONS['.html']}, not a supported note format")
    if lowered.startswith(("<?xml", "<clinicaldocument")):
        raise NoteInputError(f"{name}: is {_REFUSED_EXTENSIONS['.xml']}, not a supported note format")
    return "text"


def _text_head(data: bytes) -> str:
    """The first characters of text-like content, BOM and leading blanks removed (best effort)."""
    head = data[:4096]
    for bom in _UTF_BOMS:
        if head.startswith(bom):
            codec = "utf-8" if bom == _UTF_BOMS[0] else "utf-16"
            return head.decode(codec, errors="ignore").lstrip("\ufeff \t\r\n")
    return head.decode("latin-1").lstrip(" \t\r\n")


def load_json(data: bytes) -> object:
    """JSON in UTF-8 (BOM allowed) or UTF-16 with a BOM. Raises ValueError."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    return json.loads(data.decode("utf-16") if utf16 else data.decode("utf-8-sig"))


def _is_json(data: bytes) -> bool:
    try:
        load_json(data)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return False
    return True


def _zip_kind(name: str, data: bytes) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise NoteInputError(f"{name}: is a damaged ZIP package (a .docx cut short?)") from None
    if "word/document.xml" in names:
        return "docx"
    if "content.xml" in names:
        what = _REFUSED_EXTENSIONS[".odt"]
    elif any(n.startswith("xl/") for n in names):
        what = _REFUSED_EXTENSIONS[".xlsx"]
    elif any(n.startswith("ppt/") for n in names):
        what = "a PowerPoint file"
    else:
        what = "a ZIP archive"
    raise NoteInputError(f"{name}: is {what}, not a supported note format")
