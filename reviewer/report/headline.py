"""What a coder reads first, in every report: the headline and the few lines that explain it.

Both are derived from the structure of the review (its error, verdict, criteria statuses and
the roles of the recommended codes), never from the wording of the decision's text, so they
stay right when that wording changes.

- A failed review (`Review.error`) reads "REVIEW FAILED: <reason>", never as a query.
- Supported: "CPT 11004: SUPPORTED".
- Not supported, with a code to bill instead: "NOT 11004 - bill 11006" (add-ons after "+").
- Not supported, with codes to consider only: "NOT 11004 - consider 10060".
- Not supported, with nothing to recommend: "CPT 11004: NOT SUPPORTED".
- Query: "CPT 11004: QUERY THE SURGEON" (or "CPT 11004: NEEDS HUMAN REVIEW" when no criterion
  is unclear, e.g. the extractors of a hybrid review disagree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from reviewer.decision import Decision, RecommendedCode, Role, Status, Verdict
from reviewer.pipeline import Review

__all__ = [
    "FAILED_INTRO",
    "NOTHING_READ",
    "PARTIAL",
    "TARGET_CODE",
    "WITHHELD",
    "Explanation",
    "Headline",
    "Tone",
    "code_label",
    "displayed_decision",
    "explanation",
    "headline",
    "partial",
]

TARGET_CODE = "11004"

Tone = Literal["supported", "not_supported", "query", "failed"]


@dataclass(frozen=True)
class Headline:
    """`lead` + `separator` + `label`, e.g. "NOT 11004" + " - " + "bill 11006"."""

    lead: str
    separator: str
    label: str
    tone: Tone

    @property
    def text(self) -> str:
        return f"{self.lead}{self.separator}{self.label}"


@dataclass(frozen=True)
class Explanation:
    """The sentence under the headline, and the reasons it introduces (one per line)."""

    intro: str
    reasons: list[str] = field(default_factory=list)


def code_label(code: RecommendedCode) -> str:
    """'11006', '11042-XS', '11047 x2'."""
    text = code.code + "".join(f"-{m}" for m in code.modifiers)
    return text + (f" x{code.units}" if code.units > 1 else "")


def _codes(codes: Sequence[RecommendedCode], role: Role) -> list[str]:
    return [code_label(c) for c in codes if c.role is role]


def headline(review: Review) -> Headline:
    """The report's first line, from the review's error, verdict and recommended codes."""
    if review.error:
        return Headline("REVIEW FAILED", ": ", review.error.strip().rstrip("."), "failed")
    decision = review.decision
    lead = f"CPT {TARGET_CODE}"
    if decision.verdict is Verdict.supported:
        return Headline(lead, ": ", "SUPPORTED", "supported")
    if decision.verdict is Verdict.query:
        if any(c.status is Status.unclear for c in decision.criteria):
            return Headline(lead, ": ", "QUERY THE SURGEON", "query")
        # Nothing for the surgeon to answer (e.g. the extractors disagree): a person decides.
        return Headline(lead, ": ", "NEEDS HUMAN REVIEW", "query")
    primary = _codes(decision.recommended_codes, Role.primary)
    if primary:
        add_ons = _codes(decision.recommended_codes, Role.add_on)
        bill = " + ".join([", ".join(primary), *add_ons])
        return Headline(f"NOT {TARGET_CODE}", " - ", f"bill {bill}", "not_supported")
    consider = _codes(decision.recommended_codes, Role.consider)
    if consider:
        return Headline(f"NOT {TARGET_CODE}", " - ", f"consider {' or '.join(consider)}", "not_supported")
    return Headline(lead, ": ", "NOT SUPPORTED", "not_supported")


FAILED_INTRO = (
    f"There is no verdict on CPT {TARGET_CODE}: the review did not finish. Fix the cause and run "
    "the review again, or review the note by hand."
)


def explanation(review: Review) -> Explanation:
    """Why the headline says what it says: the reasons of the criteria that decided it."""
    decision: Decision = review.decision
    if review.error:
        return Explanation(FAILED_INTRO)
    decided_by = {Verdict.not_supported: Status.not_met, Verdict.query: Status.unclear}.get(decision.verdict)
    reasons = [c.reason for c in decision.criteria if decided_by is not None and c.status is decided_by]
    if decision.verdict is Verdict.not_supported and reasons:
        return Explanation(f"CPT {TARGET_CODE} is not supported because:", reasons)
    if decision.verdict is Verdict.query and reasons:
        return Explanation(f"Ask the surgeon before billing CPT {TARGET_CODE}:", reasons)
    # Supported, or a query with no unclear criterion (e.g. the extractors disagree): the
    # decision's summary says it in one sentence.
    return Explanation(decision.summary)


def partial(review: Review) -> bool:
    """A failed review that still cites evidence (e.g. hybrid, one extractor failed)."""
    return bool(review.error) and any(c.evidence for c in review.decision.criteria)


def displayed_decision(review: Review) -> Decision:
    """What the reports show of the decision. A failed review shows no codes, queries, edits
    or flags (they would rest on a note read only in part; the JSON keeps them), and its
    criteria only when some evidence was read."""
    decision = review.decision
    if not review.error:
        return decision
    return decision.model_copy(
        update={
            "criteria": decision.criteria if partial(review) else [],
            "recommended_codes": [],
            "icd10": [],
            "queries": [],
            "edits": [],
            "flags": [],
        }
    )


PARTIAL = "partial: the review did not finish; do not code from them"
NOTHING_READ = "Nothing was extracted from the note."
WITHHELD = "Codes, ICD-10-CM, physician queries and claim edits are not shown: they need a finished review."
