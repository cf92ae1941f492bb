"""Bounded reading of a note file, stdin, a FIFO or a device: never more than the limit + 1 bytes."""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import BinaryIO

from reviewer.inputs._text import MAX_NOTE_CHARS, NoteInputError

# A UTF-8 note of the maximum length, or a .docx/.pdf/FHIR/HL7 file carrying one, fits in this.
MAX_NOTE_BYTES = 4 * MAX_NOTE_CHARS
_CHUNK = 1 << 16


def too_large(name: str, size: int | None, limit: int) -> NoteInputError:
    got = f"the file is {size / 1e6:.1f} MB" if size is not None else f"more than {limit / 1e6:.1f} MB"
    return NoteInputError(
        f"{name}: {got}; the limit is {limit / 1e6:.1f} MB (a note is at most {MAX_NOTE_CHARS:,} characters)"
    )


def read_bounded(stream: BinaryIO, name: str, limit: int = MAX_NOTE_BYTES) -> bytes:
    """Read until end of stream, refusing at limit + 1 bytes (so /dev/zero stops at once)."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise too_large(name, None, limit)


def read_source(source: str, limit: int = MAX_NOTE_BYTES) -> bytes:
    """The bytes of a note file, or of stdin when source is '-'."""
    if source == "-":
        if sys.stdin is None:  # started without a standard input
            raise NoteInputError("stdin: there is no standard input to read")
        return read_bounded(sys.stdin.buffer, "stdin", limit)
    path = Path(source)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise NoteInputError(f"{source}: no such file") from None
    except OSError as exc:
        raise NoteInputError(f"{source}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise NoteInputError(f"{source}: is a directory, not a note file")
    if stat.S_ISREG(info.st_mode) and info.st_size > limit:
        raise too_large(source, info.st_size, limit)
    try:
        with path.open("rb", buffering=0) as stream:  # FIFOs and devices: the same bounded loop
            return read_bounded(stream, source, limit)
    except OSError as exc:
        raise NoteInputError(f"{source}: cannot read ({exc.strerror or exc})") from None
