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
from reviewer.decision import Decision, Role, Severity, Verdict
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


def _units(lines: list[ClaimedCode], code: str) -> int:
    return sum(line.units for line in lines if line.code == code) or 1


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
    decision = review.decision
    procedures = [line for line in lines if not line.is_icd10]
    considered = {r.code for r in decision.recommended_codes if r.role is Role.consider}
    whole_claim = sum(_value(fees, line.code, line.units) for line in procedures)
    found: list[Found] = []

    def add(
        kind: FindingKind, reason: str, codes: list[str], dollars: float, risk: Risk | None = None
    ) -> None:
        found.append(Found(kind, reason, codes, round(dollars, 2), risk or FINDINGS[kind].risk))

    for edit in decision.edits:
        code = edit.codes[0] if edit.codes else ""
        if edit.kind == "wrong_code" or (
            edit.kind == "overcoding" and code == TARGET and set(edit.codes[1:]) & (NSTI_FAMILY - {TARGET})
        ):
            add(
                FindingKind.wrong_code, edit.message, edit.codes, _value(fees, code, _units(procedures, code))
            )
        elif edit.kind == "overcoding":
            pending = (code == TARGET and decision.verdict is Verdict.query) or code in considered
            value = _value(fees, code, _units(procedures, code))
            if pending:
                add(FindingKind.needs_query, edit.message, edit.codes, value, Risk.medium)
            else:
                add(FindingKind.overcoding, edit.message, edit.codes, value)
        elif edit.kind == "undercoding":
            gained = _recommended_value(fees, decision, edit.codes[-1:])
            lost = sum(_value(fees, c, _units(procedures, c)) for c in edit.codes[:-1])
            add(FindingKind.missed_revenue, edit.message, edit.codes, max(gained - lost, 0.0))
        elif edit.kind == "separate_site_not_documented":
            denied = edit.codes[1] if len(edit.codes) > 1 else code
            add(
                FindingKind.bundled,
                edit.message,
                edit.codes,
                _value(fees, denied, _units(procedures, denied)),
            )
        elif edit.kind == "sex_contradicts_note":
            add(FindingKind.sex_conflict, edit.message, edit.codes, 0.0)
        elif edit.kind.startswith("ptp_"):
            if edit.severity is Severity.info and _separate_site_documented(decision, edit.codes):
                continue  # the bypass modifier is claimed and the note documents the separate site
            denied = edit.codes[1] if len(edit.codes) > 1 else code
            reason = edit.message
            if edit.severity is Severity.info:
                reason = f"{edit.message} The review found no separate site documented for it."
            add(FindingKind.bundled, reason, edit.codes, _value(fees, denied, _units(procedures, denied)))
        elif edit.kind == "mue_exceeded":
            limit = mue_limit(code) if mue_limit is not None else None
            units = _units(procedures, code)
            over = units - limit if limit is not None and limit < units else units
            add(FindingKind.units_over_mue, edit.message, edit.codes, _value(fees, code, over))
        elif edit.kind == "addon_without_primary":
            add(
                FindingKind.addon_without_primary,
                edit.message,
                edit.codes,
                _value(fees, code, _units(procedures, code)),
            )
        elif edit.kind == "sex_conflict":
            add(FindingKind.sex_conflict, edit.message, edit.codes, whole_claim)
        elif edit.kind in ("icd10_not_billable", "unknown_code"):
            is_diagnosis = any(line.is_icd10 and line.code == code for line in lines)
            value = whole_claim if is_diagnosis else _value(fees, code, _units(procedures, code))
            add(FindingKind.invalid_code, edit.message, edit.codes, value)
        else:
            add(
                FindingKind.other_edit,
                edit.message,
                edit.codes,
                0.0,
                Risk.low if edit.severity is Severity.info else None,
            )

    if claimed is not None and not procedures:
        # A claim with no procedure on it: everything the note supports is missed revenue.
        billable = [r for r in decision.recommended_codes if r.role in (Role.primary, Role.add_on)]
        if billable and decision.verdict is not Verdict.query:
            codes = [r.code for r in billable]
            add(
                FindingKind.missed_revenue,
                f"The documentation supports {', '.join(codes)} but no procedure is on the claim.",
                codes,
                _recommended_value(fees, decision, codes),
            )
    kinds = {f.kind for f in found}
    if FindingKind.needs_query not in kinds and (decision.verdict is Verdict.query or decision.queries):
        value = 0.0 if any(TARGET in f.codes for f in found) else _value(fees, TARGET)
        add(FindingKind.needs_query, decision.summary, [TARGET], value)
    if not found and claimed is None:
        add(FindingKind.no_claim, f"No claim was given to compare with. {decision.summary}", [], 0.0)
    elif not found:
        add(FindingKind.no_action, "The claim matches the documentation.", [], 0.0)
    found.sort(key=lambda f: (-RISK_ORDER[f.risk], KIND_ORDER[f.kind], -f.dollars))
    return found


def _recommended_value(fees: FeeSchedule, decision: Decision, codes: list[str]) -> float:
    total = 0.0
    for code in codes:
        units = next((r.units for r in decision.recommended_codes if r.code == code), 1)
        total += _value(fees, code, units)
    return total


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
