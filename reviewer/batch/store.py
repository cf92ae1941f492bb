"""The worklist store (DIR/.worklist.sqlite): per note, its worklist row and its single-note
HTML page (compressed), made by the worker that reviewed it. The report is assembled from here
without re-reading the notes or reviewing them again; results.jsonl stays the authority on
which notes are done. It holds protected health information (the pages embed the notes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["WorklistStore"]


class WorklistStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, item TEXT NOT NULL, detail BLOB) WITHOUT ROWID"
        )

    def put(self, note_id: str, item: str, detail: bytes | None) -> None:
        """Committed at once (WAL, no fsync): it survives a killed process."""
        self._db.execute("INSERT OR REPLACE INTO notes VALUES (?, ?, ?)", (note_id, item, detail))

    def get(self, note_id: str) -> tuple[str, bytes | None] | None:
        row = self._db.execute("SELECT item, detail FROM notes WHERE id=?", (note_id,)).fetchone()
        if row is None:
            return None
        return str(row[0]), (bytes(row[1]) if row[1] is not None else None)

    def clear(self) -> None:
        self._db.execute("DELETE FROM notes")

    def close(self) -> None:
        self._db.close()
