"""Re-deriving a stored review: the rule layer runs again on the review's own findings and inputs,
the decision path is told in words, and the new decision is compared with the stored one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reviewer.decision import Decision, Status, Verdict
from reviewer.findings import Alignment, Evidence, Sex
from reviewer.inputs.claim import parse_claimed
from reviewer.pipeline import Review
from reviewer.rules.engine import decide
from reviewer.terminal import printable

CRITERION_NAMES = {
    "necrotizing_infection": "Necrotizing soft tissue infection",
    "site": "Site: external genitalia / perineum",
    "excisional": "Excisional technique",
    "depth": "Depth of tissue removed",
}


@dataclass(frozen=True)
class Explanation:
    decision: Decision  # re-derived
    matches: bool
    differences: list[str]  # decision fields that differ from the stored decision
    text: str


def read_review(path: Path) -> Review:
    """A Review as `reviewer check --format json` wrote it; ValueError (one line) when the file
    cannot be read or is not a Review."""
    from pydantic import ValidationError

    try:
        data = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        return Review.model_validate_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(review)"
        raise ValueError(f"{path}: not a Review: {where}: {err['msg']}") from None


def rederive(review: Review) -> Decision:
    """The rule layer's decision on the stored findings, sex given, claimed codes and error."""
    inputs = review.audit.inputs if review.audit is not None else None
    sex = Sex(inputs.sex) if inputs is not None and inputs.sex else None
    claimed = parse_claimed(inputs.claimed_codes if inputs is not None else [])
    parts = review.audit.parts if review.audit is not None else {}
    return decide(review.findings, sex=sex, claimed=claimed, parts=parts or None, error=review.error)


def explain(review: Review) -> Explanation:
    decision = rederive(review)
    new, old = decision.model_dump(mode="json"), review.decision.model_dump(mode="json")
    differences = [name for name in new if new[name] != old.get(name)]
    lines = _header(review) + _path(decision, review.error) + [""] + _verdict(review, decision, differences)
    return Explanation(decision, not differences, differences, "\n".join(lines) + "\n")


def _header(review: Review) -> list[str]:
    a = review.audit
    lines = [
        f"Review of note {printable(review.note_id)} (sha256 {review.note_sha256[:12]}), "
        f"extractor {review.extractor.name}"
        + (f" / {review.extractor.model}" if review.extractor.model else "")
        + f", ruleset {review.ruleset_version} (reviewer {a.tool_version if a else 'unknown'}).",
    ]
    if a is None:
        lines.append(
            "No audit trail (review made before schema 1.1): no sex given, no claimed codes assumed."
        )
    else:
        claimed = ", ".join(printable(c) for c in a.inputs.claimed_codes) or "none"
        lines.append(f"Inputs: sex given {a.inputs.sex or 'none'}; claimed codes {claimed}.")
    if review.error:
        lines.append(f"The extraction failed: {printable(review.error)}")
    return [*lines, ""]


def _path(decision: Decision, error: str | None) -> list[str]:
    lines = ["Criteria (each decided on the findings' evidence):"]
    for i, c in enumerate(decision.criteria, 1):
        lines.append(
            f"{i}. {CRITERION_NAMES.get(c.id.value, c.id.value)}: {c.status.value.replace('_', ' ')}"
        )
        lines.append(f"   why: {printable(c.reason)}")
        for e in c.evidence:
            lines.append(f"   evidence: {_evidence(e)}")
        if not c.evidence:
            lines.append("   evidence: none")
        if c.by_extractor:
            seen = ", ".join(f"{k}: {v.value}" for k, v in c.by_extractor.items())
            lines.append(f"   each extractor alone: {seen}")
    lines += [
        "",
        f"Verdict rule: {_rule(decision, error)}",
        f"Verdict: {decision.verdict.value}. {printable(decision.summary)}",
    ]
    if decision.recommended_codes:
        lines.append("Codes:")
        for r in decision.recommended_codes:
            mods = f"-{'-'.join(r.modifiers)}" if r.modifiers else ""
            lines.append(f"  {r.code}{mods} x{r.units} ({r.role.value}): {printable(r.reason)}")
    if decision.icd10:
        lines.append("ICD-10-CM: " + ", ".join(f"{s.code} ({s.title})" for s in decision.icd10))
    for edit in decision.edits:
        lines.append(f"Claim edit ({edit.severity.value}, {edit.kind}): {printable(edit.message)}")
    return lines


def _evidence(e: Evidence) -> str:
    quote = printable(e.quote)
    if e.start < 0 or e.alignment is Alignment.unaligned:
        return f'"{quote}" (not found in the note: cannot count)'
    return f'"{quote}" ({e.section}, chars {e.start}-{e.end}, {e.alignment.value})'


def _rule(d: Decision, error: str | None) -> str:
    """Which branch of the verdict rule decided (ruleset: supported only when all four criteria
    are met on aligned evidence; one not met: not supported; one unclear: query)."""
    failing = [c.id.value for c in d.criteria if c.status is Status.not_met]
    unclear = [c.id.value for c in d.criteria if c.status is Status.unclear]
    disputed = [c.id.value for c in d.criteria if len(set(c.by_extractor.values())) > 1]
    if error is not None:
        return "the extraction failed, so a human must review the note -> query."
    if failing:
        return f"{', '.join(failing)} not met -> not_supported."
    if unclear:
        return f"{', '.join(unclear)} unclear -> query (a physician query is drafted)."
    if disputed and d.verdict is Verdict.query:
        return f"all four met, but the extractors disagree on {', '.join(disputed)} -> query."
    if d.verdict is Verdict.query:
        return "all four met, but some decisive evidence is missing or not found in the note -> query."
    return "all four criteria met on evidence found in the note and asserted present -> supported."


def _verdict(review: Review, decision: Decision, differences: list[str]) -> list[str]:
    if not differences:
        return [
            "Result: MATCH: the stored decision is re-derived exactly from the stored findings and inputs."
        ]
    lines = [
        "Result: MISMATCH: re-running the rule layer gives a different decision "
        f"(differs in: {', '.join(differences)}).",
        f"Stored verdict: {review.decision.verdict.value}; re-derived: {decision.verdict.value}.",
    ]
    if review.decision.ruleset_version != decision.ruleset_version:
        lines.append(
            f"The ruleset changed: stored {review.decision.ruleset_version}, now {decision.ruleset_version}."
        )
    return lines
