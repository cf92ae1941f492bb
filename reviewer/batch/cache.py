"""The extraction cache: one SQLite file, keyed by what determines an extraction.

Key: the note's sha256, the extractor, the model, the prompt version and the findings schema
version (for the rules and hybrid extractors the `model` part also names the lexicon and
ConText rule versions, which determine their findings). Value: the checked findings (and each
side's findings for hybrid), the extractor's warnings and the token usage of the call that
made them. A re-run serves every cached note without calling the LLM; a new ruleset decides
again from the cached findings. Failed extractions are never cached, so they are retried.

Only the process that writes the results touches the file (workers receive the cached value
with their task and send a new one back), so one writer and WAL mode are all it needs.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from reviewer.pipeline import CheckedExtraction

__all__ = ["CacheKey", "ExtractionCache", "from_bytes", "note_sha256", "to_bytes"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS extractions (
    note_sha256 TEXT NOT NULL,
    extractor TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    created REAL NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (note_sha256, extractor, model, prompt_version, schema_version)
) WITHOUT ROWID
"""


def note_sha256(text: str) -> str:
    """The same digest as `Note.sha256` (and `Review.note_sha256`)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CacheKey:
    note_sha256: str
    extractor: str
    model: str
    prompt_version: str
    schema_version: str

    def values(self) -> tuple[str, str, str, str, str]:
        return (self.note_sha256, self.extractor, self.model, self.prompt_version, self.schema_version)


def to_bytes(checked: CheckedExtraction) -> bytes:
    """A checked extraction as stored in the cache (compressed JSON)."""
    return zlib.compress(checked.model_dump_json().encode("utf-8"), 6)


def from_bytes(data: bytes) -> CheckedExtraction:
    return CheckedExtraction.model_validate_json(zlib.decompress(data))


class ExtractionCache:
    """A SQLite file of extractions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{path}: not a usable cache file ({exc})") from None
        self.hits = 0
        self.misses = 0
        self.writes = 0

    def get(self, key: CacheKey) -> bytes | None:
        row = self._db.execute(
            "SELECT payload FROM extractions WHERE note_sha256=? AND extractor=? AND model=? "
            "AND prompt_version=? AND schema_version=?",
            key.values(),
        ).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return bytes(row[0])

    def put(self, key: CacheKey, payload: bytes) -> None:
        """Committed at once (WAL, no fsync): a paid extraction survives a killed process."""
        self._db.execute(
            "INSERT OR REPLACE INTO extractions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*key.values(), time.time(), payload),
        )
        self.writes += 1

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM extractions").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ExtractionCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
