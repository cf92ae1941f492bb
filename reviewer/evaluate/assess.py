"""One gold case's review checked against its annotation: a `CaseResult` with named pass/fail
checks and a human-readable reason for every failure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from pydantic import BaseModel

from reviewer.decision import Decision, Role, Verdict
from reviewer.evaluate.cases import Expected
from reviewer.pipeline import Review

__all__ = ["CHECKS", "CaseResult", "Check", "TokenUsage", "assess"]


class Check(StrEnum):
    """The named checks a case must pass. A case passes when every check passes."""

    verdict = "verdict"  # actual verdict in expected.acceptable_verdicts
    primary_codes = "primary_codes"  # set of role=primary codes equals expected.primary_codes
    codes = "codes"  # every expected code (code, role, modifiers subset, units) recommended
    criteria = "criteria"  # every expected criterion status equal
    evidence = "evidence"  # every criterion with expected evidence cites some evidence
    icd10 = "icd10"  # expected ICD-10-CM codes are a subset of the suggestions
    edits = "edits"  # expected edit kinds are a subset of the edits raised
    flags = "flags"  # expected flag kinds are a subset of the flags raised
    error = "error"  # the review ran, and the extractor reported no error


CHECKS: tuple[str, ...] = tuple(c.value for c in Check)


class TokenUsage(BaseModel):
    prompt: int = 0
    completion: int = 0
    cached: int = 0
    attempts: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion


class CaseResult(BaseModel):
    """One gold case run through the pipeline and checked against its annotation."""

    id: str
    title: str = ""
    style: str = ""
    branches: list[str] = []
    note: str
    expected: Expected
    review: Review | None = None  # None when the pipeline raised
    error: str | None = None  # the exception, or the extractor's own error
    latency_s: float = 0.0
    tokens: TokenUsage = TokenUsage()
    digest: str = ""  # sha256 of the case file (or of the case), to spot edited cases
    checks: dict[str, bool] = {}
    failures: list[str] = []

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    @property
    def verdict(self) -> Verdict | None:
        return self.review.decision.verdict if self.review is not None else None

    def failed_checks(self) -> list[str]:
        return [name for name in CHECKS if not self.checks.get(name, True)]


def _codes_text(codes: Iterable[str]) -> str:
    items = sorted(codes)
    return ", ".join(items) if items else "none"


# Each check below returns what is wrong (empty when the check passes).


def _verdict(d: Decision, expected: Expected) -> list[str]:
    if d.verdict in expected.acceptable_verdicts:
        return []
    others = [v.value for v in expected.acceptable_verdicts if v is not expected.verdict]
    also = f" (or {', '.join(others)})" if others else ""
    return [f"expected {expected.verdict.value}{also}, got {d.verdict.value}"]


def _primary_codes(d: Decision, expected: Expected) -> list[str]:
    primary = {c.code for c in d.recommended_codes if c.role is Role.primary}
    if primary == set(expected.primary_codes):
        return []
    return [f"expected {_codes_text(expected.primary_codes)}, got {_codes_text(primary)}"]


def _codes(d: Decision, expected: Expected) -> list[str]:
    missing = []
    for want in expected.codes:
        if not any(
            c.code == want.code
            and c.role is want.role
            and set(want.modifiers) <= set(c.modifiers)
            and (want.units is None or want.units == c.units)
            for c in d.recommended_codes
        ):
            mods = f"-{'-'.join(want.modifiers)}" if want.modifiers else ""
            units = f" x{want.units}" if want.units is not None else ""
            missing.append(f"missing {want.code}{mods}{units} ({want.role.value})")
    return missing


def _criteria(d: Decision, expected: Expected) -> list[str]:
    got = {c.id: c.status for c in d.criteria}
    return [
        f"{cid.value} expected {status.value}, got {got[cid].value if cid in got else 'nothing'}"
        for cid, status in expected.criteria.items()
        if got.get(cid) is not status
    ]


def _evidence(d: Decision, expected: Expected) -> list[str]:
    cited = {c.id for c in d.criteria if c.evidence}
    return [f"{cid.value}: no evidence cited" for cid in expected.evidence if cid not in cited]


def _subset(want: Iterable[str], got: set[str]) -> list[str]:
    missing = sorted(set(want) - got)
    return [f"missing {_codes_text(missing)} (got {_codes_text(got)})"] if missing else []


def _icd10(d: Decision, expected: Expected) -> list[str]:
    return _subset(expected.icd10, {i.code for i in d.icd10})


def _edits(d: Decision, expected: Expected) -> list[str]:
    return _subset(expected.edits, {e.kind for e in d.edits})


def _flags(d: Decision, expected: Expected) -> list[str]:
    return _subset(expected.flags, {f.kind for f in d.flags})


_DECISION_CHECKS: dict[Check, Callable[[Decision, Expected], list[str]]] = {
    Check.verdict: _verdict,
    Check.primary_codes: _primary_codes,
    Check.codes: _codes,
    Check.criteria: _criteria,
    Check.evidence: _evidence,
    Check.icd10: _icd10,
    Check.edits: _edits,
    Check.flags: _flags,
}


def assess(
    case_id: str,
    note: str,
    expected: Expected,
    result: Review | None,
    *,
    error: str | None = None,
    latency_s: float = 0.0,
    title: str = "",
    style: str = "",
    branches: Sequence[str] = (),
    digest: str = "",
) -> CaseResult:
    """Check one review against its gold annotation: named checks and failure reasons."""
    checks: dict[str, bool] = {}
    reasons: list[str] = []
    tokens = TokenUsage()
    if result is None:
        err: str | None = error or "no review"
        checks = dict.fromkeys(CHECKS, False)
        reasons.append(f"{Check.error.value}: {err}")
    else:
        for check, problems_of in _DECISION_CHECKS.items():
            problems = problems_of(result.decision, expected)
            checks[check.value] = not problems
            reasons.extend(f"{check.value}: {p}" for p in problems)
        err = error or result.error
        checks[Check.error.value] = err is None
        if err is not None:
            reasons.append(f"{Check.error.value}: extractor error: {err}")
        u = result.usage
        tokens = TokenUsage(
            prompt=u.prompt_tokens,
            completion=u.completion_tokens,
            cached=u.cached_tokens,
            attempts=u.attempts,
        )
    return CaseResult(
        id=case_id,
        title=title,
        style=style,
        branches=list(branches),
        note=note,
        expected=expected,
        review=result,
        error=err,
        latency_s=latency_s,
        tokens=tokens,
        digest=digest,
        checks=checks,
        failures=reasons,
    )
