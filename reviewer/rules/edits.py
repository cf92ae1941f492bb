"""Edits on the claimed codes: what a payer or an auditor would stop, and what the claim misses.

CMS facts (NCCI pairs, MUEs, add-on primaries) come from `CmsTables`; the policy lists (code
family, bypass modifiers, CPT add-on pairs, lower codes) from `reviewer/data/claim_edits.yaml`.
Each `Edit.source` names the CMS table and its effective date, or "ruleset".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import combinations
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reviewer.datafile import load_yaml
from reviewer.decision import Edit, RecommendedCode, Role, Severity, Verdict
from reviewer.findings import Sex
from reviewer.inputs.claim import ClaimedCode
from reviewer.rules.cms import CmsTables, PtpEdit
from reviewer.rules.icd10 import exists, icd10_release, is_billable, sex_of_code

__all__ = [
    "ClaimEditRules",
    "claim_edits",
    "load_claim_edit_rules",
]

RULESET = "ruleset"
RULES_FILE = "claim_edits.yaml"

_SEX_WORD = {Sex.male: "male", Sex.female: "female"}
# What each NSTI family code's field is, for the coder reading a wrong-code edit.
_FIELD_NAMES = {
    "11004": "genitalia/perineum",
    "11005": "abdominal wall only",
    "11006": "larger field: genitalia/perineum with abdominal wall",
}


@dataclass(frozen=True, eq=False)
class ClaimEditRules:
    version: str
    target: str
    nsti_family: frozenset[str]
    bypass_modifiers: frozenset[str]
    addon_primaries: Mapping[str, frozenset[str]]
    lower_codes: frozenset[str]


def load_claim_edit_rules(path: Path | None = None) -> ClaimEditRules:
    """The packaged policy lists (read once), or the YAML file at `path`."""
    if path is None:
        return _packaged_rules()
    return _parse_rules(load_yaml(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _packaged_rules() -> ClaimEditRules:
    text = resources.files("reviewer.data").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return _parse_rules(load_yaml(text))


def _parse_rules(data: Mapping[str, Any]) -> ClaimEditRules:
    def codes(values: Iterable[object]) -> frozenset[str]:
        return frozenset(str(v).strip().upper() for v in values)

    try:
        return ClaimEditRules(
            version=str(data["version"]),
            target=str(data["target"]),
            nsti_family=codes(data["nsti_family"]),
            bypass_modifiers=codes(data["bypass_modifiers"]),
            addon_primaries=MappingProxyType({str(k): codes(v) for k, v in data["addon_primaries"].items()}),
            lower_codes=codes(data["lower_codes"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{RULES_FILE}: malformed ({type(exc).__name__}: {exc})") from None


# --- the edits -----------------------------------------------------------------------------


def claim_edits(
    claimed: list[ClaimedCode],
    *,
    verdict: Verdict,
    recommended: list[RecommendedCode],
    sex: Sex | None,
    tables: CmsTables,
    separate_site: bool = False,
    rules: ClaimEditRules | None = None,
) -> list[Edit]:
    """Edits on the claim: unknown codes, coding (over/under, wrong family code), NCCI pairs,
    MUEs, add-ons, diagnosis checks. `separate_site`: the note documents a separate,
    non-contiguous region debrided (what an XS/59 modifier needs)."""
    policy = rules or load_claim_edit_rules()
    unknown = [c for c in claimed if c.malformed or (not c.is_icd10 and not _known(c.code, tables, policy))]
    edits = [_unknown_edit(c) for c in unknown]
    procedures = [c for c in claimed if not c.is_icd10 and c not in unknown]
    diagnoses = [c for c in claimed if c.is_icd10 and not c.malformed]
    if procedures:
        edits += _coding_edits(procedures, verdict, recommended, policy)
        edits += _ptp_edits(procedures, tables, policy, separate_site)
        edits += _mue_edits(procedures, tables)
        edits += _addon_edits(procedures, tables, policy)
    edits += _diagnosis_edits(diagnoses, sex)
    return edits


def _known(code: str, tables: CmsTables, policy: ClaimEditRules) -> bool:
    return tables.knows(code) or code in policy.nsti_family or code in policy.lower_codes


def _unknown_edit(line: ClaimedCode) -> Edit:
    if line.malformed:
        message = (
            f"{line.code} is not a code in a known form (CPT/HCPCS such as 11004 or 11043-XS, "
            "ICD-10-CM such as N49.3): check the claim line."
        )
    else:
        message = f"{line.code} is not in the CMS tables this review checks against: confirm the code."
    return Edit(
        kind="unknown_code", severity=Severity.warning, codes=[line.code], message=message, source=RULESET
    )


def _coding_edits(
    procedures: Sequence[ClaimedCode],
    verdict: Verdict,
    recommended: Sequence[RecommendedCode],
    policy: ClaimEditRules,
) -> list[Edit]:
    """Claimed NSTI codes the note does not support (overcoding, wrong code), then supported
    codes missing from the claim (undercoding)."""
    claimed = list(dict.fromkeys(c.code for c in procedures))
    primaries = list(dict.fromkeys(r.code for r in recommended if r.role is Role.primary))
    considered = {r.code for r in recommended if r.role is Role.consider}
    edits: list[Edit] = []
    named_instead: set[str] = set()
    for code in claimed:
        if code not in policy.nsti_family:
            continue
        if code == policy.target:
            supported = verdict is Verdict.supported and (not primaries or code in primaries)
        else:
            supported = code in primaries
        others = [p for p in primaries if p != code and p not in claimed]
        if supported and not any(p in policy.nsti_family for p in others):
            continue
        # Pending a query: 11004 under a `query` verdict, 11005/11006 offered as "consider".
        pending = verdict is Verdict.query if code == policy.target else code in considered
        edit = _unsupported_nsti_code(code, [] if pending else others, pending, policy)
        named_instead.update(edit.codes[1:])
        edits.append(edit)
    missing = [p for p in primaries if p not in claimed and p not in named_instead]
    lower = [c for c in claimed if c in policy.lower_codes and c not in {r.code for r in recommended}]
    return edits + _undercoding(missing, lower, verdict, policy)


def _unsupported_nsti_code(code: str, others: list[str], pending: bool, policy: ClaimEditRules) -> Edit:
    family = [p for p in others if p in policy.nsti_family]
    kind = "overcoding"
    if pending:
        message = (
            f"{code} is claimed but the documentation does not yet support it; "
            "answer the physician query before billing it."
        )
    elif family:
        kind = "wrong_code"
        named = [f"{p} ({_FIELD_NAMES.get(p, 'another field')})" for p in family]
        message = f"Wrong code: {_join(named)} is supported, not {code}."
    elif others:
        message = f"{code} is claimed but the documentation supports {_join(others)} instead."
    else:
        message = f"{code} is claimed but the documentation does not support it."
    return Edit(kind=kind, severity=Severity.error, codes=[code, *others], message=message, source=RULESET)


def _undercoding(
    missing: list[str], instead: list[str], verdict: Verdict, policy: ClaimEditRules
) -> list[Edit]:
    """Supported primary codes not on the claim; `instead`: lower codes claimed in their place."""
    edits: list[Edit] = []
    for code in missing:
        if code == policy.target and verdict is not Verdict.supported:
            continue  # never push the claim toward 11004 unless it is supported
        if instead:
            message = (
                f"{_join(instead)} {'is' if len(instead) == 1 else 'are'} claimed as the main "
                f"service but the documentation supports {code}."
            )
        else:
            message = f"The documentation supports {code} but it is not on the claim."
        edits.append(
            Edit(
                kind="undercoding",
                severity=Severity.warning,
                codes=[*instead, code],
                message=message,
                source=RULESET,
            )
        )
    return edits


def _ptp_edits(
    procedures: Sequence[ClaimedCode], tables: CmsTables, policy: ClaimEditRules, separate_site: bool
) -> list[Edit]:
    modifiers: dict[str, set[str]] = {}
    for line in procedures:
        modifiers.setdefault(line.code, set()).update(line.modifiers)
    edits: list[Edit] = []
    for a, b in combinations(modifiers, 2):
        pair = tables.ptp(a, b)
        if pair is None or pair.modifier_indicator not in (0, 1):
            continue
        edits.append(_ptp_edit(pair, modifiers, tables, policy, separate_site))
    return edits


def _ptp_edit(
    pair: PtpEdit,
    modifiers: Mapping[str, set[str]],
    tables: CmsTables,
    policy: ClaimEditRules,
    separate_site: bool,
) -> Edit:
    bypass = [
        (code, mod)
        for code in (pair.column2, pair.column1)
        for mod in sorted(modifiers.get(code, ()))
        if mod in policy.bypass_modifiers
    ]
    kind, severity, message = _ptp_finding(pair, bypass[0] if bypass else None, separate_site)
    return Edit(
        kind=kind,
        severity=severity,
        codes=[pair.column1, pair.column2],
        message=message,
        source=tables.source("ptp"),
    )


def _ptp_finding(
    pair: PtpEdit, bypass: tuple[str, str] | None, separate_site: bool
) -> tuple[str, Severity, str]:
    """An NCCI pair on the claim: no modifier allowed; a bypass modifier without a separate site
    documented; a bypass modifier to support; or a bundled code without one."""
    col1, col2 = pair.column1, pair.column2
    why = f'NCCI rationale: "{pair.rationale}"'
    if pair.modifier_indicator == 0:
        return (
            "ptp_no_modifier_allowed",
            Severity.error,
            f"{col1} and {col2} cannot be billed together on one date: NCCI keeps column 1 "
            f"{col1}, denies column 2 {col2}, and no modifier bypasses this pair ({why}).",
        )
    if bypass is not None and not separate_site:
        code, mod = bypass
        return (
            "separate_site_not_documented",
            Severity.error,
            f"{code}-{mod} is claimed with {col1 if code == col2 else col2}, but no separate site is "
            f"documented: modifier {mod} needs a separate, non-contiguous region debrided, and without it "
            f"{col2} is bundled into {col1} ({why}).",
        )
    if bypass is not None:
        code, mod = bypass
        return (
            "ptp_modifier_required",
            Severity.info,
            f"Modifier {mod} on {code} bypasses the NCCI pair of column 1 {col1} and column 2 "
            f"{col2} ({why}); the note must document a separate site or session to support it.",
        )
    return (
        "ptp_modifier_required",
        Severity.warning,
        f"{col2} is bundled into {col1} (NCCI column 1 {col1}, column 2 {col2}; {why}): it is "
        "denied unless modifier XS or 59 is added and the note documents a separate site.",
    )


def _mue_edits(procedures: Sequence[ClaimedCode], tables: CmsTables) -> list[Edit]:
    edits: list[Edit] = []
    for code in dict.fromkeys(line.code for line in procedures):
        limit = tables.mue(code)
        if limit is None:
            continue
        lines = [line.units for line in procedures if line.code == code]
        per_line = tables.mue_mai(code) == 1
        units = max(lines) if per_line else sum(lines)
        if units <= limit:
            continue
        if limit == 0:
            message = f"{code} has an NCCI unit limit of 0: a practitioner cannot bill it."
        else:
            scope = "claim line" if per_line else "date of service"
            message = f"{code} is claimed with {units} units but NCCI allows at most {limit} per {scope}."
        edits.append(
            Edit(
                kind="mue_exceeded",
                severity=Severity.error,
                codes=[code],
                message=message,
                source=tables.source("mue"),
            )
        )
    return edits


def _addon_edits(procedures: Sequence[ClaimedCode], tables: CmsTables, policy: ClaimEditRules) -> list[Edit]:
    claimed = set(line.code for line in procedures)
    edits: list[Edit] = []
    for code in dict.fromkeys(line.code for line in procedures):
        primaries = tables.addon_primaries(code)
        source = tables.source("aoc")
        if not primaries:
            primaries = policy.addon_primaries.get(code, frozenset())
            source = RULESET
        if not primaries or primaries & claimed:
            continue
        edits.append(
            Edit(
                kind="addon_without_primary",
                severity=Severity.error,
                codes=[code],
                message=(
                    f"Add-on code {code} is claimed without any of its primary codes "
                    f"({_join(sorted(primaries), 'or')}) on the same date."
                ),
                source=source,
            )
        )
    return edits


def _diagnosis_edits(diagnoses: Sequence[ClaimedCode], sex: Sex | None) -> list[Edit]:
    edits: list[Edit] = []
    for line in diagnoses:
        code = line.code
        if not exists(code):
            edits.append(
                _unknown_edit(line).model_copy(
                    update={
                        "message": f"{code} is not an ICD-10-CM code in the {icd10_release()} release: confirm the code.",
                        "source": icd10_release(),
                    }
                )
            )
            continue
        if not is_billable(code):
            edits.append(
                Edit(
                    kind="icd10_not_billable",
                    severity=Severity.error,
                    codes=[code],
                    message=(
                        f"{code} is not a billable ICD-10-CM code: it does not exist or has "
                        "more specific subcodes."
                    ),
                    source=icd10_release(),
                )
            )
            continue
        code_sex = sex_of_code(code)
        if sex is not None and code_sex is not None and code_sex is not sex:
            edits.append(
                Edit(
                    kind="sex_conflict",
                    severity=Severity.error,
                    codes=[code],
                    message=(
                        f"{code} is a {_SEX_WORD[code_sex]}-only diagnosis but the patient is "
                        f"{_SEX_WORD[sex]}."
                    ),
                    source=RULESET,
                )
            )
    return edits


def _join(codes: Sequence[str], word: str = "and") -> str:
    items = list(codes)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
