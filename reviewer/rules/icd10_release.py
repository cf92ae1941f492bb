"""The ICD-10-CM facts the reviewer needs (validity, leaf, title, ancestors, Excludes1 notes),
read from the release inside the installed `simple-icd-10-cm` package and cached in SQLite.

Importing `simple_icd_10_cm` parses its 10 MB tabular XML: about 2.4 s and 190 MiB on every
start. The first use builds one SQLite file holding, for every item of the release, exactly
what the package answers (`is_leaf`, `get_description`, `get_ancestors`, `get_excludes1`);
later processes read that file and never import the package. The file is keyed by the package
version, the release and this module's schema, lives in the user cache directory
(`$XDG_CACHE_HOME/op-note-reviewer`, else `~/.cache/op-note-reviewer`, else a temporary
directory), and appears atomically (written aside, then renamed), so a concurrent process
never reads half a file. When no directory can hold it, the package itself answers.

`release()` returns an object with the package's functions used here: `is_valid_item`,
`is_leaf`, `get_description`, `get_ancestors`, `get_excludes1` (same answers, same
ValueError for an unknown code).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sqlite3
import tempfile
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

SCHEMA = "1"
PACKAGE = "simple-icd-10-cm"
APP_DIR = "op-note-reviewer"


class Release(Protocol):
    def is_valid_item(self, code: str) -> bool: ...
    def is_leaf(self, code: str) -> bool: ...
    def get_description(self, code: str) -> str: ...
    def get_ancestors(self, code: str) -> list[str]: ...
    def get_excludes1(self, code: str) -> list[str]: ...


def source() -> tuple[str, str]:
    """(package version, release) of the installed simple-icd-10-cm, found without importing
    it: "1.5.0", "April-1-2026" (from its tabular file's name)."""
    version = metadata.version(PACKAGE)
    spec = importlib.util.find_spec("simple_icd_10_cm")
    release = "unknown"
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(p.name for p in (Path(folder) / "data").glob("icd10c-tabular-*.xml"))
        if found:
            release = found[0].removeprefix("icd10c-tabular-").removesuffix(".xml")
    return version, release


def cache_dirs() -> list[Path]:
    """Where the cache may live, in order of preference."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    user = getattr(os, "getuid", lambda: "user")()
    return [base / APP_DIR, Path(tempfile.gettempdir()) / f"{APP_DIR}-{user}"]


def cache_name(version: str, release: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-." else "_" for c in f"{release}-{version}")
    return f"icd10cm-{safe}-schema{SCHEMA}.sqlite3"


class SqliteRelease:
    """The facts, read from the SQLite cache (one row per item of the release)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._con.execute("SELECT key, value FROM meta").fetchall())

    @lru_cache(maxsize=8192)  # noqa: B019 - one object per process (see `release`)
    def _row(self, code: str) -> tuple[int, str, str, str] | None:
        with self._lock:
            row = self._con.execute(
                "SELECT leaf, title, ancestors, excludes1 FROM codes WHERE code = ?", (code,)
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))

    def _node(self, code: str) -> tuple[int, str, str, str]:
        """simple-icd-10-cm's `_code_to_node[_add_dot_to_code(code)]`, or its ValueError."""
        row = self._row(code)
        if row is None and len(code) >= 4 and code[3] != ".":
            row = self._row(f"{code[:3]}.{code[3:]}")
        if row is None:
            raise ValueError(f'The code "{code}" does not exist.')
        return row

    def is_valid_item(self, code: str) -> bool:
        return self._row(code) is not None or (
            len(code) >= 4 and self._row(f"{code[:3]}.{code[3:]}") is not None
        )

    def is_leaf(self, code: str) -> bool:
        return bool(self._node(code)[0])

    def get_description(self, code: str) -> str:
        return self._node(code)[1]

    def get_ancestors(self, code: str) -> list[str]:
        return list(json.loads(self._node(code)[2]))

    def get_excludes1(self, code: str) -> list[str]:
        return list(json.loads(self._node(code)[3]))


def build(path: Path, version: str, release: str) -> None:
    """Write the cache for the installed release to `path`, atomically."""
    icd: Any = importlib.import_module("simple_icd_10_cm")
    rows = [
        (
            name,
            int(bool(icd.is_leaf(name))),
            str(icd.get_description(name)),
            json.dumps(list(icd.get_ancestors(name))),
            json.dumps(list(icd.get_excludes1(name))),
        )
        for name in dict.fromkeys(icd.get_all_codes(with_dots=True))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        con = sqlite3.connect(tmp)
        try:
            con.executescript(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE codes (code TEXT PRIMARY KEY, leaf INTEGER NOT NULL, title TEXT NOT NULL,"
                " ancestors TEXT NOT NULL, excludes1 TEXT NOT NULL) WITHOUT ROWID;"
            )
            con.executemany("INSERT INTO codes VALUES (?, ?, ?, ?, ?)", rows)
            con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("schema", SCHEMA), ("package", version), ("release", release), ("codes", str(len(rows)))],
            )
            con.commit()
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _valid(path: Path, version: str, release: str) -> SqliteRelease | None:
    try:
        cached = SqliteRelease(path)
        meta = cached.meta()
    except sqlite3.Error:
        return None
    wanted = {"schema": SCHEMA, "package": version, "release": release}
    if any(meta.get(k) != v for k, v in wanted.items()) or int(meta.get("codes", "0")) <= 0:
        return None
    return cached


@lru_cache(maxsize=1)
def release() -> Release:
    """The installed ICD-10-CM release: from the cache, built on first use."""
    version, name = source()
    for folder in cache_dirs():
        path = folder / cache_name(version, name)
        if path.exists() and (cached := _valid(path, version, name)) is not None:
            return cached
        try:
            build(path, version, name)
        except (OSError, sqlite3.Error):
            continue  # not writable here: try the next place
        if (cached := _valid(path, version, name)) is not None:
            return cached
    module: Release = importlib.import_module("simple_icd_10_cm")
    return module
