"""The notes of a batch, read one at a time: a folder of note files, a `.jsonl` or a `.csv`.

Each note becomes a `NoteRow`: its id, text, sex, the intended claim and the columns that
pass through to the outputs untouched. A row that cannot be reviewed (empty, unreadable, too
long, bad sex, a claimed code in no known form) keeps its id and carries a one-line `error`;
the batch goes on. Rows are produced lazily, so memory does not grow with the batch.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.inputs import MAX_NOTE_CHARS, NoteInputError, decode_note
from reviewer.inputs.claim import split_codes

__all__ = [
    "KNOWN_COLUMNS",
    "NoteRow",
    "count_rows",
    "read_document",
    "read_rows",
]

# Columns with a meaning; every other column passes through to the outputs untouched.
KNOWN_COLUMNS = ("id", "text", "sex", "claimed_codes", "date_of_service")
# Readers by file suffix for a folder of notes. Another format joins by adding one entry.
DOCUMENT_READERS: dict[str, Callable[[Path], tuple[str, list[str]]]] = {}
MAX_FILE_BYTES = MAX_NOTE_CHARS * 4


@dataclass
class NoteRow:
    """One note to review, as read from the input (picklable: it travels to workers)."""

    id: str
    row: int  # 1-based position in the input
    text: str | None = None
    sex: str | None = None
    claimed_codes: list[str] | None = None  # None: the input gives no claim to compare with
    date_of_service: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def input_fields(self) -> dict[str, Any]:
        """What the outputs repeat about the input (never the note text)."""
        return {
            "row": self.row,
            "sex": self.sex,
            "claimed_codes": self.claimed_codes,
            "date_of_service": self.date_of_service,
            "columns": self.columns,
        }


def _read_text_file(path: Path) -> tuple[str, list[str]]:
    return decode_note(path.read_bytes(), path.name)


DOCUMENT_READERS[".txt"] = _read_text_file


def read_document(path: Path) -> tuple[str, list[str]]:
    """The text of one note file and its warnings; NoteInputError (one line) when it is not
    a readable note. The folder reader routes every file through here, by suffix."""
    reader = DOCUMENT_READERS.get(path.suffix.lower())
    if reader is None:
        raise NoteInputError(f"{path.name}: unsupported file type {path.suffix or '(none)'}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise NoteInputError(
                f"{path.name}: the file is {size / 1e6:.1f} MB; a note is at most {MAX_NOTE_CHARS:,} characters"
            )
        return reader(path)
    except OSError as exc:
        raise NoteInputError(f"{path.name}: cannot read ({exc.strerror or exc})") from None


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_READERS)


def input_kind(path: Path) -> str:
    """'folder', 'jsonl' or 'csv'; ValueError (one line) for anything else."""
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"{path}: the input must be a folder of notes, a .jsonl or a .csv file")


def count_rows(path: Path) -> int:
    """How many rows `read_rows` will produce (a cheap first pass, for the progress bar)."""
    kind = input_kind(path)
    if kind == "folder":
        return len(_folder_files(path))
    if kind == "jsonl":
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def read_rows(path: Path) -> Iterator[NoteRow]:
    """Every note of the input, in input order, with ids made unique."""
    kind = input_kind(path)
    raw = (
        _folder_rows(path) if kind == "folder" else _jsonl_rows(path) if kind == "jsonl" else _csv_rows(path)
    )
    seen: dict[str, int] = {}
    for row in raw:
        first = seen.get(row.id)
        if first is not None:
            # A repeated id would make "every id exactly once" impossible: keep both, marked.
            row.error = f"duplicate id {row.id!r} (first at row {first})"
            row.id = f"{row.id}#row{row.row}"
        seen.setdefault(row.id, row.row)
        yield row


def _folder_rows(folder: Path) -> Iterator[NoteRow]:
    for i, path in enumerate(_folder_files(folder), 1):
        row = NoteRow(id=path.stem, row=i)
        try:
            row.text, row.warnings = read_document(path)
        except NoteInputError as exc:
            row.error = str(exc)
        yield row


def _jsonl_rows(path: Path) -> Iterator[NoteRow]:
    with path.open("rb") as fh:
        n = 0
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            n += 1
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                yield NoteRow(id=f"line-{line_no}", row=n, error=f"line {line_no}: not valid JSON")
                continue
            if not isinstance(record, dict):
                yield NoteRow(id=f"line-{line_no}", row=n, error=f"line {line_no}: not a JSON object")
                continue
            yield _row_from_record(record, n, where=f"line {line_no}")


def _csv_rows(path: Path) -> Iterator[NoteRow]:
    csv.field_size_limit(min(sys.maxsize, MAX_FILE_BYTES + 1))
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        missing = [c for c in ("id", "text") if c not in fields]
        if missing:
            raise ValueError(f"{path}: the CSV has no {' or '.join(missing)} column")
        for n, record in enumerate(reader, 1):
            # A short row gives None for the missing cells; a long one a list under key None.
            clean = {k: v for k, v in record.items() if k is not None}
            yield _row_from_record(clean, n, where=f"row {n}", claim_column="claimed_codes" in fields)


def _row_from_record(
    record: Mapping[str, Any], n: int, *, where: str, claim_column: bool | None = None
) -> NoteRow:
    raw_id = record.get("id")
    note_id = str(raw_id).strip() if raw_id is not None else ""
    row = NoteRow(id=note_id or f"row-{n}", row=n)
    row.columns = {k: _cell(v) for k, v in record.items() if k not in KNOWN_COLUMNS}
    row.sex = _cell(record.get("sex")) or None
    row.date_of_service = _cell(record.get("date_of_service")) or None
    has_claim = ("claimed_codes" in record) if claim_column is None else claim_column
    row.claimed_codes = split_codes(record.get("claimed_codes")) if has_claim else None
    if not note_id:
        row.error = f"{where}: no id"
        return row
    text = record.get("text")
    if not isinstance(text, str):
        row.error = f"{where}: no text" if text is None else f"{where}: text must be a string"
        return row
    row.error = _check(row, text, where)
    if row.error is None:
        row.text = text
    return row


def _check(row: NoteRow, text: str, where: str) -> str | None:
    """The one-line reason this row cannot be reviewed, or None."""
    if not text.strip():
        return f"{where}: the note is empty"
    if len(text) > MAX_NOTE_CHARS:
        return f"{where}: the note has {len(text):,} characters; the limit is {MAX_NOTE_CHARS:,}"
    if not any(c.isalpha() for c in text):
        return f"{where}: the note has no words in it"
    return validate_context(row.sex, row.claimed_codes or [], where)


def validate_context(sex: str | None, claimed: list[str], where: str) -> str | None:
    """A bad sex or a claimed code in no known form, as one line; None when both are fine."""
    from reviewer.inputs.claim import parse_claimed
    from reviewer.pipeline import parse_sex

    try:
        parse_sex(sex)
        parse_claimed(claimed)
    except ValueError as exc:
        return f"{where}: {exc}"
    return None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
