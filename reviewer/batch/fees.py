"""Dollars for codes: Medicare physician fee schedule facility total RVU x the conversion factor.

Both are CMS data shipped in `reviewer/data/cms/` and named in its manifest (`pfs`: the RVU
file; `cf`: the conversion factor with its year and source), never constants in code. The
amount is the national facility rate, before the geographic (GPCI) adjustment: an estimate of
what a line is worth, good for ranking a worklist, not a payment calculation.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["FeeSchedule", "load_fees"]


@dataclass(frozen=True)
class FeeSchedule:
    facility_rvu: dict[str, float]
    conversion_factor: float
    year: str
    rvu_source: str
    cf_source: str

    def dollars(self, code: str, units: int = 1) -> float | None:
        """Estimated national facility payment of `units` of `code`; None when not in the file."""
        rvu = self.facility_rvu.get(code.strip().upper())
        if rvu is None:
            return None
        return round(rvu * self.conversion_factor * max(units, 0), 2)

    def describe(self) -> str:
        """The provenance line a report prints next to its dollar amounts."""
        return (
            f"Dollars at stake are estimates: the facility total RVU of each code ({self.rvu_source}) "
            f"x the {self.year} conversion factor of ${self.conversion_factor:.4f} per RVU "
            f"({self.cf_source}); national Medicare rates, before geographic adjustment."
        )


def load_fees(directory: Path | None = None) -> FeeSchedule:
    """The fee schedule named by `directory/manifest.json` (the packaged CMS folder when None)."""
    if directory is None:
        return _packaged()
    return _read(Path(directory))


@lru_cache(maxsize=1)
def _packaged() -> FeeSchedule:
    return _read(resources.files("reviewer.data").joinpath("cms"))


def _read(root: Traversable) -> FeeSchedule:
    manifest = json.loads(root.joinpath("manifest.json").read_text(encoding="utf-8"))
    try:
        pfs, cf = manifest["tables"]["pfs"], manifest["tables"]["cf"]
        rvu_rows = _rows(root, str(pfs["file"]))
        rvus = {row["hcpcs"].strip().upper(): float(row["facility_total_rvu"]) for row in rvu_rows}
        factor_rows = _rows(root, str(cf["file"]))
        factor = factor_rows[-1]
        return FeeSchedule(
            facility_rvu=rvus,
            conversion_factor=float(factor["conversion_factor"]),
            year=f"CY{factor['year'].strip()}",
            rvu_source=f"{pfs['title']}, {pfs['effective']}",
            cf_source=str(cf["source"]),
        )
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"CMS fee data: malformed ({type(exc).__name__}: {exc})") from None


def _rows(root: Traversable, name: str) -> list[dict[str, str]]:
    text = root.joinpath(name).read_text(encoding="utf-8-sig")
    return [row for row in csv.DictReader(io.StringIO(text)) if any(row.values())]
