"""The worklist: what each reviewed note means for its intended claim, and what is at stake.

`classify` reads a `Review` (verdict, recommended codes, claim edits, queries) and the claimed
codes, and names the findings a coding team acts on: overcoding risk, a wrong NSTI code,
bundled debridement, an add-on without its primary, units over the MUE, a sex-specific
diagnosis against the patient's sex, an invalid code, a physician query to send before billing,
missed revenue, or nothing to do. Each finding carries an audit-risk tier and an estimate of
the dollars at stake (CMS fee schedule: see `fees.py`); notes rank by risk, then dollars.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from reviewer.batch.fees import FeeSchedule, load_fees
from reviewer.decision import Decision, Edit, Role, Severity, Verdict
from reviewer.inputs.claim import ClaimedCode, parse_claimed
from reviewer.pipeline import Review

if TYPE_CHECKING:
    from reviewer.batch.rows import NoteRow

__all__ = [
    "FINDINGS",
    "FindingKind",
    "Found",
    "Risk",
    "WorklistItem",
    "classify",
    "error_item_json",
    "item_from_json",
    "item_from_record",
    "make_item",
    "worklist_item_json",
]

TARGET = "11004"
NSTI_FAMILY = frozenset({"11004", "11005", "11006"})
SEPARATE_SITE_MODIFIERS = frozenset({"XS", "59"})


class Risk(StrEnum):
    high = "high"  # a paid claim an auditor would take back (unsupported or unbundled service)
    medium = "medium"  # the claim will be denied or held: fix it before it goes out
    low = "low"  # documentation to complete, or money left on the table
    none = "none"


RISK_ORDER = {Risk.high: 3, Risk.medium: 2, Risk.low: 1, Risk.none: 0}


class FindingKind(StrEnum):
    overcoding = "overcoding"
    wrong_code = "wrong_code"
    bundled = "bundled"
    addon_without_primary = "addon_without_primary"
    units_over_mue = "units_over_mue"
    sex_conflict = "sex_conflict"
    invalid_code = "invalid_code"
    other_edit = "other_edit"
    needs_query = "needs_query"
    missed_revenue = "missed_revenue"
    could_not_review = "could_not_review"
    no_claim = "no_claim"
    no_action = "no_action"


@dataclass(frozen=True)
class FindingInfo:
    label: str  # what a coding manager reads in the worklist
    explain: str  # one sentence: what it means and what to do
    risk: Risk


FINDINGS: dict[FindingKind, FindingInfo] = {
    FindingKind.overcoding: FindingInfo(
        "Overcoding risk",
        "A code is on the claim that the note does not support: remove it, or get the documentation fixed.",
        Risk.high,
    ),
    FindingKind.wrong_code: FindingInfo(
        "Wrong NSTI code",
        "The NSTI code on the claim does not fit the debrided area (e.g. 11004 where 11005 or 11006 "
        "is right): change the code.",
        Risk.high,
    ),
    FindingKind.bundled: FindingInfo(
        "Bundled debridement",
        "11042-11044 (or another bundled code) is billed with the NSTI code without a documented "
        "separate site and modifier XS: it will be denied or recouped.",
        Risk.high,
    ),
    FindingKind.addon_without_primary: FindingInfo(
        "Add-on without primary",
        "An add-on code such as +11008 is claimed without an eligible primary code on the same date.",
        Risk.medium,
    ),
    FindingKind.units_over_mue: FindingInfo(
        "Units over MUE",
        "More units are claimed than the NCCI medically unlikely edit allows.",
        Risk.medium,
    ),
    FindingKind.sex_conflict: FindingInfo(
        "Sex conflict",
        "A sex-specific ICD-10-CM code contradicts the patient's sex (the claim will be rejected), or "
        "the sex on the claim contradicts the note: confirm it.",
        Risk.medium,
    ),
    FindingKind.invalid_code: FindingInfo(
        "Invalid code",
        "A claimed code is unknown or not billable (e.g. an ICD-10-CM category with subcodes).",
        Risk.medium,
    ),
    FindingKind.other_edit: FindingInfo(
        "Other claim edit", "Another edit on the claim: read the note's review.", Risk.medium
    ),
    FindingKind.needs_query: FindingInfo(
        "Query the physician",
        "The note leaves a criterion unclear: send the physician query before billing.",
        Risk.low,
    ),
    FindingKind.missed_revenue: FindingInfo(
        "Missed revenue",
        "The note supports a code that is not on the claim: add it.",
        Risk.low,
    ),
    FindingKind.could_not_review: FindingInfo(
        "Could not review",
        "The note could not be read or reviewed: see the reason, fix the input and run again.",
        Risk.medium,
    ),
    FindingKind.no_claim: FindingInfo(
        "No claim to compare",
        "No intended claim was given with this note: bill what the documentation supports (the "
        "recommended codes).",
        Risk.none,
    ),
    FindingKind.no_action: FindingInfo("Nothing to do", "The claim matches the documentation.", Risk.none),
}
KIND_ORDER = {kind: i for i, kind in enumerate(FINDINGS)}


@dataclass
class Found:
    kind: FindingKind
    reason: str
    codes: list[str] = field(default_factory=list)
    dollars: float = 0.0
    risk: Risk = Risk.none


@dataclass
class WorklistItem:
    """One row of the worklist (and of summary.csv)."""

    id: str
    row: int
    verdict: str  # supported, not_supported, query, or "error"
    findings: list[Found]
    dollars: float
    recommended: str
    claimed: str
    query_text: str
    columns: dict[str, str]
    date_of_service: str
    error: str | None = None

    @property
    def primary(self) -> Found:
        return self.findings[0]

    @property
    def risk(self) -> Risk:
        return self.primary.risk

    def rank_key(self) -> tuple[int, float, int]:
        """Higher first: audit risk, then dollars; input order breaks ties."""
        return (RISK_ORDER[self.risk], self.dollars, -self.row)


def _value(fees: FeeSchedule, code: str, units: int = 1) -> float:
    return fees.dollars(code, units) or 0.0


@dataclass(frozen=True)
class _Claim:
    """One note's intended claim beside its review: what a finding about a code is worth."""

    lines: list[ClaimedCode]
    decision: Decision
    fees: FeeSchedule
    mue_limit: Callable[[str], int | None] | None

    @property
    def procedures(self) -> list[ClaimedCode]:
        return [line for line in self.lines if not line.is_icd10]

    def units(self, code: str) -> int:
        return sum(line.units for line in self.procedures if line.code == code) or 1

    def value(self, code: str) -> float:
        """The claimed line of `code`, priced at its claimed units."""
        return _value(self.fees, code, self.units(code))

    def whole_value(self) -> float:
        """Every procedure on the claim: what a rejected claim loses."""
        return sum(_value(self.fees, line.code, line.units) for line in self.procedures)

    def recommended_value(self, codes: list[str]) -> float:
        """`codes` priced at the units the review recommends."""
        total = 0.0
        for code in codes:
            units = next((r.units for r in self.decision.recommended_codes if r.code == code), 1)
            total += _value(self.fees, code, units)
        return total

    def is_diagnosis(self, code: str) -> bool:
        return any(line.is_icd10 and line.code == code for line in self.lines)


def _found(
    kind: FindingKind, reason: str, codes: list[str], dollars: float, risk: Risk | None = None
) -> Found:
    return Found(kind, reason, codes, round(dollars, 2), risk or FINDINGS[kind].risk)


def classify(
    review: Review | None,
    claimed: list[str] | None,
    fees: FeeSchedule,
    *,
    error: str | None = None,
    mue_limit: Callable[[str], int | None] | None = None,
) -> list[Found]:
    """The findings of one note, most serious first (never empty)."""
    if review is None or review.error:
        reason = error or (review.error if review is not None else None) or "not reviewed"
        return [Found(FindingKind.could_not_review, reason, risk=FINDINGS[FindingKind.could_not_review].risk)]
    try:
        lines = parse_claimed(claimed or [])
    except ValueError as exc:
        return [Found(FindingKind.could_not_review, str(exc), risk=Risk.medium)]
    claim = _Claim(lines, review.decision, fees, mue_limit)
    found = [f for f in (_edit_finding(edit, claim) for edit in review.decision.edits) if f is not None]
    if claimed is not None and not claim.procedures:
        found += _unclaimed_procedures(claim)
    found += _query_finding(claim, found)
    if not found and claimed is None:
        found.append(
            _found(
                FindingKind.no_claim,
                f"No claim was given to compare with. {review.decision.summary}",
                [],
                0.0,
            )
        )
    elif not found:
        found.append(_found(FindingKind.no_action, "The claim matches the documentation.", [], 0.0))
    found.sort(key=lambda f: (-RISK_ORDER[f.risk], KIND_ORDER[f.kind], -f.dollars))
    return found


def _edit_finding(edit: Edit, claim: _Claim) -> Found | None:
    """What one claim edit of the review means for the worklist (None: nothing to act on)."""
    if _wrong_nsti_code(edit):
        return _found(FindingKind.wrong_code, edit.message, edit.codes, claim.value(_first_code(edit)))
    if edit.kind.startswith("ptp_"):
        return _bundled_pair(edit, claim)
    return _EDIT_FINDINGS.get(edit.kind, _other_edit)(edit, claim)


def _first_code(edit: Edit) -> str:
    return edit.codes[0] if edit.codes else ""


def _denied_code(edit: Edit) -> str:
    """The column-two code of a pair edit: the one the payer denies."""
    return edit.codes[1] if len(edit.codes) > 1 else _first_code(edit)


def _wrong_nsti_code(edit: Edit) -> bool:
    """A wrong-code edit, or 11004 claimed where the review recommends its NSTI sibling."""
    siblings = NSTI_FAMILY - {TARGET}
    return edit.kind == "wrong_code" or (
        edit.kind == "overcoding" and _first_code(edit) == TARGET and bool(set(edit.codes[1:]) & siblings)
    )


def _overcoding(edit: Edit, claim: _Claim) -> Found:
    """A code the note does not support; a query first when the review is still asking about it."""
    code = _first_code(edit)
    considered = {r.code for r in claim.decision.recommended_codes if r.role is Role.consider}
    pending = (code == TARGET and claim.decision.verdict is Verdict.query) or code in considered
    if pending:
        return _found(FindingKind.needs_query, edit.message, edit.codes, claim.value(code), Risk.medium)
    return _found(FindingKind.overcoding, edit.message, edit.codes, claim.value(code))


def _undercoding(edit: Edit, claim: _Claim) -> Found:
    gained = claim.recommended_value(edit.codes[-1:])
    lost = sum(claim.value(c) for c in edit.codes[:-1])
    return _found(FindingKind.missed_revenue, edit.message, edit.codes, max(gained - lost, 0.0))


def _separate_site_missing(edit: Edit, claim: _Claim) -> Found:
    return _found(FindingKind.bundled, edit.message, edit.codes, claim.value(_denied_code(edit)))


def _bundled_pair(edit: Edit, claim: _Claim) -> Found | None:
    """An NCCI pair edit; nothing when the modifier is claimed and the note documents the site."""
    if edit.severity is Severity.info and _separate_site_documented(claim.decision, edit.codes):
        return None
    reason = edit.message
    if edit.severity is Severity.info:
        reason = f"{edit.message} The review found no separate site documented for it."
    return _found(FindingKind.bundled, reason, edit.codes, claim.value(_denied_code(edit)))


def _units_over_mue(edit: Edit, claim: _Claim) -> Found:
    """Priced at the units over the limit (all the units when the limit is unknown)."""
    code = _first_code(edit)
    limit = claim.mue_limit(code) if claim.mue_limit is not None else None
    units = claim.units(code)
    over = units - limit if limit is not None and limit < units else units
    return _found(FindingKind.units_over_mue, edit.message, edit.codes, _value(claim.fees, code, over))


def _addon_without_primary(edit: Edit, claim: _Claim) -> Found:
    return _found(FindingKind.addon_without_primary, edit.message, edit.codes, claim.value(_first_code(edit)))


def _sex_contradicts_note(edit: Edit, claim: _Claim) -> Found:
    return _found(FindingKind.sex_conflict, edit.message, edit.codes, 0.0)


def _sex_conflict(edit: Edit, claim: _Claim) -> Found:
    """A sex-specific diagnosis against the patient's sex: the whole claim is rejected."""
    return _found(FindingKind.sex_conflict, edit.message, edit.codes, claim.whole_value())


def _invalid_code(edit: Edit, claim: _Claim) -> Found:
    """An invalid diagnosis rejects the whole claim; an invalid procedure, its own line."""
    code = _first_code(edit)
    value = claim.whole_value() if claim.is_diagnosis(code) else claim.value(code)
    return _found(FindingKind.invalid_code, edit.message, edit.codes, value)


def _other_edit(edit: Edit, claim: _Claim) -> Found:
    risk = Risk.low if edit.severity is Severity.info else None
    return _found(FindingKind.other_edit, edit.message, edit.codes, 0.0, risk)


_EDIT_FINDINGS: dict[str, Callable[[Edit, _Claim], Found | None]] = {
    "overcoding": _overcoding,
    "undercoding": _undercoding,
    "separate_site_not_documented": _separate_site_missing,
    "sex_contradicts_note": _sex_contradicts_note,
    "mue_exceeded": _units_over_mue,
    "addon_without_primary": _addon_without_primary,
    "sex_conflict": _sex_conflict,
    "icd10_not_billable": _invalid_code,
    "unknown_code": _invalid_code,
}


def _unclaimed_procedures(claim: _Claim) -> list[Found]:
    """A claim with no procedure on it: everything the note supports is missed revenue."""
    decision = claim.decision
    billable = [r for r in decision.recommended_codes if r.role in (Role.primary, Role.add_on)]
    if not billable or decision.verdict is Verdict.query:
        return []
    codes = [r.code for r in billable]
    return [
        _found(
            FindingKind.missed_revenue,
            f"The documentation supports {', '.join(codes)} but no procedure is on the claim.",
            codes,
            claim.recommended_value(codes),
        )
    ]


def _query_finding(claim: _Claim, found: list[Found]) -> list[Found]:
    """A physician query to send, unless an edit already asked for one."""
    decision = claim.decision
    if any(f.kind is FindingKind.needs_query for f in found):
        return []
    if decision.verdict is not Verdict.query and not decision.queries:
        return []
    value = 0.0 if any(TARGET in f.codes for f in found) else _value(claim.fees, TARGET)
    return [_found(FindingKind.needs_query, decision.summary, [TARGET], value)]


def _separate_site_documented(decision: Decision, codes: list[str]) -> bool:
    """The review itself recommends one of the pair's codes with XS/59 (a separate site)."""
    return any(
        r.code in codes and SEPARATE_SITE_MODIFIERS & set(r.modifiers) for r in decision.recommended_codes
    )


def note_dollars(findings: list[Found]) -> float:
    """Dollars at stake for the note: a code counts once, in its most serious finding."""
    total = 0.0
    counted: set[str] = set()
    for f in findings:
        if f.codes and set(f.codes) <= counted:
            continue
        counted.update(f.codes)
        total += f.dollars
    return round(total, 2)


def query_text(review: Review | None, note_id: str, date_of_service: str) -> str:
    """The physician queries of a note as plain text, ready to paste into a query system."""
    if review is None or not review.decision.queries:
        return ""
    when = f", date of service {date_of_service}" if date_of_service else ""
    parts = [f"Physician query about the operative note {note_id}{when}."]
    for i, q in enumerate(review.decision.queries, 1):
        parts.append(f"{i}. {q.question}\n" + "\n".join(f"[ ] {option}" for option in q.options))
    return "\n\n".join(parts)


def make_item(note_id: str, given: dict[str, Any], review: Review | None, error: str | None) -> WorklistItem:
    """The worklist row of one note, from its input fields and its Review (None: not reviewed)."""
    from reviewer.rules.cms import load_tables

    fees = load_fees()
    claimed = given.get("claimed_codes")
    findings = classify(review, claimed, fees, error=error, mue_limit=load_tables().mue)
    recommended = ""
    if review is not None:
        recommended = ", ".join(
            _code_label(r.code, r.units, r.modifiers, r.role) for r in review.decision.recommended_codes
        )
    dos = str(given.get("date_of_service") or "")
    failed = review is None or review.error is not None
    return WorklistItem(
        id=note_id,
        row=int(given.get("row") or 0),
        verdict="error" if failed or review is None else review.decision.verdict.value,
        findings=findings,
        dollars=note_dollars(findings),
        recommended=recommended,
        claimed=", ".join(claimed) if claimed else "",
        query_text=query_text(review, note_id, dos),
        columns={str(k): str(v) for k, v in (given.get("columns") or {}).items()},
        date_of_service=dos,
        error=error or (review.error if review is not None else None),
    )


def item_from_record(record: dict[str, Any]) -> WorklistItem:
    """The worklist row of one results.jsonl record."""
    review = Review.model_validate(record) if "decision" in record else None
    error = record.get("error") if record.get("status") != "ok" else None
    return make_item(str(record.get("id")), record.get("input") or {}, review, error)


def worklist_item_json(row: NoteRow, review: Review) -> str:
    return item_to_json(make_item(row.id, row.input_fields(), review, review.error))


def error_item_json(row: NoteRow, message: str) -> str:
    return item_to_json(make_item(row.id, row.input_fields(), None, message))


def item_to_json(item: WorklistItem) -> str:
    return json.dumps(asdict(item), ensure_ascii=False, separators=(",", ":"))


def item_from_json(text: str | bytes) -> WorklistItem:
    data = json.loads(text)
    data["findings"] = [
        Found(FindingKind(f["kind"]), f["reason"], list(f["codes"]), float(f["dollars"]), Risk(f["risk"]))
        for f in data["findings"]
    ]
    return WorklistItem(**data)


def _code_label(code: str, units: int, modifiers: list[str], role: Role) -> str:
    text = code + "".join(f"-{m}" for m in modifiers)
    if units > 1:
        text += f" x{units}"
    if role is Role.consider:
        text += " (consider)"
    return text
