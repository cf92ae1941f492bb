"""results.jsonl: appended one line per finished note, resumable, safe against a kill.

Each line is written whole with one `write`, then flushed, so a process killed at any moment
(SIGKILL included) leaves every finished line in the file and at most one torn line at the end;
the file is also fsynced at least once a second and at the end (power loss costs at most the
last second). On resume the torn tail is cut off, failed rows and lines decided by another
ruleset are dropped to be done again, and every other id counts as done.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["ResultsFile", "ResumeState", "iter_results"]


@dataclass
class ResumeState:
    done: set[str] = field(default_factory=set)
    torn: bool = False  # a partial last line (a killed run) was cut off
    redo_failed: int = 0  # error lines dropped, to be tried again
    redo_stale: int = 0  # lines of another ruleset version, to be decided again
    corrupt: int = 0  # unparseable lines before the end (never written by us; dropped)


class ResultsFile:
    def __init__(self, path: Path, *, ruleset_version: str, fsync_seconds: float = 1.0) -> None:
        self.path = path
        self.ruleset_version = ruleset_version
        self.fsync_seconds = fsync_seconds
        self._fh: IO[bytes] | None = None
        self._last_sync = time.monotonic()

    def resume(self) -> ResumeState:
        """Scan an existing file, repair it in place, and say which ids are done."""
        state = ResumeState()
        if not self.path.exists():
            return state
        keep_until = 0  # byte offset of the end of the last good line, while all lines are kept
        rewrite = False
        with self.path.open("rb") as fh:
            offset = 0
            for raw in fh:
                end = offset + len(raw)
                verdict = self._judge(raw, state)
                if verdict == "keep" and not rewrite:
                    keep_until = end
                elif verdict == "torn":
                    state.torn = True
                elif verdict != "keep":
                    rewrite = True
                offset = end
        if rewrite:
            self._rewrite(state)
        elif state.torn:
            with self.path.open("r+b") as fh:
                fh.truncate(keep_until)
                fh.flush()
                os.fsync(fh.fileno())
        return state

    def _judge(self, raw: bytes, state: ResumeState) -> str:
        record = _parse(raw)
        if record is None:
            if not raw.endswith(b"\n"):
                return "torn"
            state.corrupt += 1
            return "corrupt"
        note_id = str(record.get("id"))
        if note_id in state.done:
            return "duplicate"
        if record.get("status") != "ok":
            state.redo_failed += 1
            return "failed"
        if record.get("ruleset_version") != self.ruleset_version:
            state.redo_stale += 1
            return "stale"
        state.done.add(note_id)
        return "keep"

    def _rewrite(self, state: ResumeState) -> None:
        """Keep the good lines (the first of each id), atomically replacing the file."""
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        seen: set[str] = set()
        with self.path.open("rb") as src, tmp.open("wb") as dst:
            for raw in src:
                record = _parse(raw)
                if record is None or record.get("status") != "ok":
                    continue
                if record.get("ruleset_version") != self.ruleset_version:
                    continue
                note_id = str(record.get("id"))
                if note_id in seen:
                    continue
                seen.add(note_id)
                dst.write(raw)
            dst.flush()
            os.fsync(dst.fileno())
        tmp.replace(self.path)

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("ab", buffering=0)

    def append(self, line: str) -> None:
        """Write one finished note: a single write of the whole line (unbuffered file)."""
        if self._fh is None:
            self.open()
        assert self._fh is not None
        self._fh.write((line + "\n").encode("utf-8"))
        now = time.monotonic()
        if now - self._last_sync >= self.fsync_seconds:
            os.fsync(self._fh.fileno())
            self._last_sync = now

    def close(self) -> None:
        if self._fh is not None:
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None


def _parse(raw: bytes) -> dict[str, Any] | None:
    if not raw.endswith(b"\n"):
        return None  # a torn line, even if its prefix happens to parse
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) and "id" in record else None


def iter_results(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete line of a results file, as a dict."""
    if not path.exists():
        return
    with path.open("rb") as fh:
        for raw in fh:
            record = _parse(raw)
            if record is not None:
                yield record
