"""CMS edit tables (NCCI PTP pairs, MUEs, add-on primaries, fee-schedule globals) as data.

The values are facts with an effective date, never constants in code: CMS replaces the NCCI
files every quarter, so `load_tables(folder)` reads a newer release described by the folder's
`manifest.json`. Nothing is read at import time; the packaged tables are read once, on first use.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["CmsTables", "PtpEdit", "TableInfo", "load_tables"]

MANIFEST = "manifest.json"
TABLE_KEYS = ("ptp", "mue", "aoc", "pfs")
_COLUMNS = {
    "ptp": ("column1", "column2", "modifier_indicator", "rationale"),
    "mue": ("hcpcs_code", "mue_units", "mue_mai"),
    "aoc": ("addon_code", "primary_code"),
    "pfs": ("hcpcs", "global_days"),
}


@dataclass(frozen=True)
class PtpEdit:
    """One NCCI procedure-to-procedure pair: column 1 is paid, column 2 denied unless bypassed."""

    column1: str
    column2: str
    modifier_indicator: int  # 0 never bypassed, 1 bypassed by 59/X{EPSU} when documented, 9 n/a
    rationale: str


@dataclass(frozen=True)
class TableInfo:
    """Provenance of one table, from the manifest."""

    key: str
    file: str
    title: str
    effective: str
    source: str
    what: str = ""


@dataclass(frozen=True, eq=False)
class CmsTables:
    """The loaded tables, indexed for constant-time lookups."""

    version: str
    tables: Mapping[str, TableInfo]
    ptp_pairs: Mapping[tuple[str, str], PtpEdit]
    mue_units: Mapping[str, int]
    mue_adjudication: Mapping[str, int]  # MAI: 1 per claim line, 2 and 3 per date of service
    addons: Mapping[str, frozenset[str]]
    global_period: Mapping[str, str]
    codes: frozenset[str]  # every code some table names: a code outside them is not checked

    def knows(self, code: str) -> bool:
        return code in self.codes

    def ptp(self, code_a: str, code_b: str) -> PtpEdit | None:
        """The NCCI pair for two codes, whichever of them is column 1."""
        edit = self.ptp_pairs.get((code_a, code_b))
        return edit if edit is not None else self.ptp_pairs.get((code_b, code_a))

    def mue(self, code: str) -> int | None:
        """Most units of `code` one practitioner may bill per date (None: no MUE in the table)."""
        return self.mue_units.get(code)

    def mue_mai(self, code: str) -> int | None:
        """MUE adjudication indicator: 1 claim line, 2 date of service (policy), 3 (clinical)."""
        return self.mue_adjudication.get(code)

    def addon_primaries(self, addon: str) -> frozenset[str]:
        """Primary codes an add-on code may be billed with (empty: not in the add-on table)."""
        return self.addons.get(addon, frozenset())

    def global_days(self, code: str) -> str | None:
        """Global surgery indicator: "000", "010", "090", "ZZZ", "XXX" (None: not in the table)."""
        return self.global_period.get(code)

    def source(self, table: str) -> str:
        """Provenance line for edits, e.g. "NCCI PTP practitioner, effective 2024-07-01"."""
        try:
            info = self.tables[table]
        except KeyError:
            known = ", ".join(sorted(self.tables))
            raise KeyError(f"unknown CMS table {table!r} (known: {known})") from None
        return f"{info.title}, effective {info.effective}"


def load_tables(directory: Path | None = None) -> CmsTables:
    """Read the CMS tables named by `directory/manifest.json`; the packaged set when None.

    The packaged set is read once per process and cached; a user folder is read on each call.
    """
    if directory is None:
        return _packaged_tables()
    folder = Path(directory)
    if not (folder / MANIFEST).is_file():
        raise FileNotFoundError(f"no {MANIFEST} in CMS table folder {folder}")
    return _read_tables(folder)


@lru_cache(maxsize=1)
def _packaged_tables() -> CmsTables:
    return _read_tables(resources.files("reviewer.data").joinpath("cms"))


def _read_tables(root: Traversable) -> CmsTables:
    manifest = json.loads(root.joinpath(MANIFEST).read_text(encoding="utf-8"))
    tables = _table_infos(manifest)

    ptp: dict[tuple[str, str], PtpEdit] = {}
    for row in _rows(root, tables["ptp"]):
        edit = PtpEdit(
            column1=_code(row["column1"]),
            column2=_code(row["column2"]),
            modifier_indicator=int(row["modifier_indicator"]),
            rationale=row["rationale"].strip(),
        )
        ptp[(edit.column1, edit.column2)] = edit

    mue: dict[str, int] = {}
    mai: dict[str, int] = {}
    for row in _rows(root, tables["mue"]):
        code = _code(row["hcpcs_code"])
        mue[code] = int(row["mue_units"])
        mai[code] = int(row["mue_mai"])

    addon_sets: dict[str, set[str]] = {}
    for row in _rows(root, tables["aoc"]):
        addon_sets.setdefault(_code(row["addon_code"]), set()).add(_code(row["primary_code"]))

    global_period = {_code(row["hcpcs"]): row["global_days"].strip() for row in _rows(root, tables["pfs"])}

    return CmsTables(
        version=str(manifest.get("version", "unversioned")),
        tables=MappingProxyType(tables),
        ptp_pairs=MappingProxyType(ptp),
        mue_units=MappingProxyType(mue),
        mue_adjudication=MappingProxyType(mai),
        addons=MappingProxyType({k: frozenset(v) for k, v in addon_sets.items()}),
        global_period=MappingProxyType(global_period),
        codes=frozenset(
            {c for pair in ptp for c in pair}
            | set(mue)
            | set(global_period)
            | set(addon_sets)
            | {c for v in addon_sets.values() for c in v}
        ),
    )


def _table_infos(manifest: Any) -> dict[str, TableInfo]:
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise ValueError(f"{MANIFEST}: expected an object with a 'tables' object")
    entries = manifest["tables"]
    missing = [key for key in TABLE_KEYS if key not in entries]
    if missing:
        raise ValueError(f"{MANIFEST}: missing table(s) {', '.join(missing)}")
    infos: dict[str, TableInfo] = {}
    for key in TABLE_KEYS:
        entry = entries[key]
        try:
            infos[key] = TableInfo(
                key=key,
                file=str(entry["file"]),
                title=str(entry["title"]),
                effective=str(entry["effective"]),
                source=str(entry["source"]),
                what=str(entry.get("what", "")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{MANIFEST}: table {key!r} lacks {exc}") from None
    return infos


def _rows(root: Traversable, info: TableInfo) -> Iterator[dict[str, str]]:
    text = root.joinpath(info.file).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    absent = [c for c in _COLUMNS[info.key] if c not in (reader.fieldnames or ())]
    if absent:
        raise ValueError(f"{info.file}: missing column(s) {', '.join(absent)}")
    for row in reader:
        if any(row.values()):
            yield row


def _code(value: str) -> str:
    return value.strip().upper()
