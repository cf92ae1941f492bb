"""Documents from word processors and printers: RTF (striprtf), Word .docx (python-docx) and
PDF with a text layer (pypdf). Parsers see untrusted bytes: every failure is one line."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import TYPE_CHECKING

from reviewer.inputs._formats import NoteDocument
from reviewer.inputs._text import MAX_NOTE_CHARS, NoteInputError

if TYPE_CHECKING:
    from docx.table import Table

# A .docx is a ZIP: refuse one that would inflate past this (a "zip bomb").
_MAX_UNZIPPED_BYTES = 64_000_000
_MAX_PDF_PAGES = 2_000
_ANSI_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


def read_rtf(name: str, data: bytes) -> NoteDocument:
    from striprtf.striprtf import rtf_to_text

    match = _ANSI_CODEPAGE.search(data[:4096])
    codec = f"cp{int(match.group(1))}" if match else "cp1252"
    try:
        "".encode(codec)
    except LookupError:
        codec = "cp1252"
    try:
        text = str(rtf_to_text(data.decode("latin-1"), encoding=codec, errors="replace"))  # type: ignore[no-untyped-call]
    except Exception as exc:  # striprtf raises bare errors on malformed input
        raise NoteInputError(f"{name}: not a readable RTF document ({type(exc).__name__})") from None
    return NoteDocument(text=text, format="rtf", name=name)


def read_docx(name: str, data: bytes) -> NoteDocument:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            unzipped = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise NoteInputError(f"{name}: is a damaged Word document") from None
    if unzipped > _MAX_UNZIPPED_BYTES:
        raise NoteInputError(
            f"{name}: the Word document unpacks to {unzipped / 1e6:.0f} MB; the limit is {_MAX_UNZIPPED_BYTES / 1e6:.0f} MB"
        )
    try:
        document = docx.Document(BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block))
            else:
                lines.append(block.text)
    except Exception as exc:  # python-docx and lxml raise many kinds on a broken package
        raise NoteInputError(f"{name}: is a damaged Word document ({type(exc).__name__})") from None
    return NoteDocument(text="\n".join(lines), format="docx", name=name)


def _table_lines(table: Table) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:  # a merged cell is repeated once per grid column it spans
            if not cells or cell.text != cells[-1]:
                cells.append(cell.text)
        lines.append("\t".join(cells))
    return lines


def read_pdf(name: str, data: bytes) -> NoteDocument:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    warnings: list[str] = []
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise NoteInputError(f"{name}: the PDF is password-protected")
        pages = reader.pages
        if len(pages) > _MAX_PDF_PAGES:
            raise NoteInputError(f"{name}: the PDF has {len(pages):,} pages; the limit is {_MAX_PDF_PAGES:,}")
        texts: list[str] = []
        size = 0
        for page in pages:
            page_text = page.extract_text() or ""
            texts.append(page_text)
            size += len(page_text)
            if size > MAX_NOTE_CHARS:
                break
    except NoteInputError:
        raise
    except (DependencyError, FileNotDecryptedError):
        raise NoteInputError(f"{name}: the PDF is encrypted and cannot be read here") from None
    except Exception as exc:  # pypdf raises many kinds on a broken file
        raise NoteInputError(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    if not any(t.strip() for t in texts):
        raise NoteInputError(f"{name}: the PDF has no text layer (a scanned image?); OCR it first")
    empty = sum(1 for t in texts if not t.strip())
    if empty:
        warnings.append(f"{name}: {empty} of {len(texts)} PDF pages have no text layer and were skipped")
    return NoteDocument(
        text="\n".join(t for t in texts if t.strip()), format="pdf", name=name, warnings=warnings
    )
