"""The intended claim as the user gives it: CPT/HCPCS lines (code, modifiers, units) and
ICD-10-CM codes. A code-shaped typo is kept (and warned about by the claim edits); anything that
is not a code at all is refused with a one-line reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ClaimedCode", "parse_claimed", "split_codes"]


@dataclass(frozen=True)
class ClaimedCode:
    """One claim line: a CPT/HCPCS code with units and modifiers, or an ICD-10-CM code."""

    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    is_icd10: bool = False
    malformed: bool = False  # code-shaped but in no known form ("1100", "11004-X"): warned, not edited


# CPT (5 digits, or 4 digits + letter for Category II/III) or HCPCS level II (letter + 4 digits),
# then modifiers after "-" or ":", then units after "x", "*" or "×".
_PROCEDURE = re.compile(
    r"(?P<code>\d{4}[0-9A-Z]|[A-Z]\d{4})"
    r"(?P<mods>(?:\s*[-:]\s*[0-9A-Z]{2})*)"
    r"(?:\s*[X*×]\s*(?P<units>\d{1,3}))?"
)
# ICD-10-CM, dotted ("N49.3") or not ("N493"); letter + 4 digits is read as HCPCS above.
_DIAGNOSIS = re.compile(r"(?P<category>[A-Z]\d[0-9A-Z])(?:\.?(?P<rest>[0-9A-Z]{1,4}))?")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
# A typo of a code ("1100", "11004-X", "N49.33.1") rather than words: a warning, not an error.
_CODE_SHAPED = re.compile(r"[0-9A-Z][0-9A-Z.:\-X* ]{1,14}")


def split_codes(value: object) -> list[str]:
    """Claimed codes as written in an option or a cell ("11004, 11043-XS; N49.3") or as a JSON
    list, one string per code."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    return [str(c).strip() for c in items if str(c).strip()]


def parse_claimed(codes: Sequence[str]) -> list[ClaimedCode]:
    """Parse claim items such as "11004", "11043-XS", "11043:59", "11004x2", "N49.3".

    Repeated procedure items with the same code and modifiers add their units; a repeated
    diagnosis is kept once. An item in no known form raises ValueError naming it.
    """
    lines: dict[tuple[str, tuple[str, ...]], ClaimedCode] = {}
    for item in codes:
        line = _parse_one(item)
        key = (line.code, line.modifiers)
        if key in lines:
            if line.is_icd10:  # a diagnosis listed twice is still one diagnosis
                continue
            line = ClaimedCode(line.code, lines[key].units + line.units, line.modifiers)
        lines[key] = line
    return list(lines.values())


def _parse_one(item: str) -> ClaimedCode:
    text = str(item).strip().upper()
    if m := _PROCEDURE.fullmatch(text):
        units = int(m["units"]) if m["units"] else 1
        if units < 1:
            raise ValueError(f"claimed code {item!r}: units must be at least 1")
        modifiers = tuple(dict.fromkeys(_MODIFIER.findall(m["mods"])))
        return ClaimedCode(code=m["code"], units=units, modifiers=modifiers)
    if m := _DIAGNOSIS.fullmatch(text):
        code = m["category"] + (f".{m['rest']}" if m["rest"] else "")
        return ClaimedCode(code=code, is_icd10=True)
    if _CODE_SHAPED.fullmatch(text) and any(c.isdigit() for c in text):
        return ClaimedCode(code=text, malformed=True)
    raise ValueError(
        f"claimed code {item!r} is not in a known form: expected a CPT/HCPCS code such as "
        "11004, 11043-XS or 11004x2, or an ICD-10-CM code such as N49.3"
    )
