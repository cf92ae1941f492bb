"""The audit trail of one review: what reproduces it (note hash, versions, extractor, model,
prompt, inputs), what the LLM path did (each attempt: status, tokens, latency; never text), what
was masked before the note left the process (counts by kind) and what the guardrails changed.

Everything here is deterministic for the same note, inputs and answers except `created_at` and
the measured `latency_ms` of LLM attempts. Extractors report attempts and masking through
`recording()`, a per-thread (context-local) recorder opened by the pipeline around one review.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from pydantic import BaseModel

from reviewer.findings import Alignment, Finding, Findings

AUDIT_VERSION = "1.0"


class LlmAttempt(BaseModel):
    """One HTTP request to the LLM endpoint (a transport retry or a re-ask each count one)."""

    number: int
    status: str  # ok, invalid_answer, truncated, timeout, rate_limited, server_error, connection_error, refused, error
    http_status: int | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency_ms: int = 0


class Masking(BaseModel):
    """Identifiers replaced by typed placeholders before the note was sent (counts, never values)."""

    enabled: bool
    patterns_version: str | None = None
    placeholders: dict[str, int] = {}


class GuardrailActions(BaseModel):
    """What the guardrails did to the extractor's evidence."""

    alignment: dict[str, int] = {}  # evidence items per alignment status after the guardrails
    reasserted: int = 0  # findings whose assertion the ConText cross-check changed
    downgraded: int = 0  # findings changed to what their quote supports (kind, action, role)


class ReviewInputs(BaseModel):
    """The caller's inputs the rule layer reads, besides the findings."""

    sex: str | None = None  # as given (M/F), before the note's own statement is considered
    claimed_codes: list[str] = []


class Audit(BaseModel):
    audit_version: str = AUDIT_VERSION
    created_at: str  # UTC, ISO 8601: the one field that differs between two identical runs
    tool_version: str
    note_sha256: str
    note_chars: int
    ruleset_version: str
    lexicon_version: str
    extractor: str
    model: str | None = None
    prompt_version: str | None = None
    prompt_sha256: str | None = None
    inputs: ReviewInputs
    llm_attempts: list[LlmAttempt] = []
    masking: Masking | None = None
    guardrails: GuardrailActions = GuardrailActions()
    # hybrid only: each extractor's checked findings, which the rule layer compares
    parts: dict[str, Findings] = {}


@dataclass
class Recorder:
    """What an extractor reports about one review while it runs."""

    attempts: list[LlmAttempt] = field(default_factory=list)
    masking: Masking | None = None
    prompt_sha256: str | None = None


_current: ContextVar[Recorder | None] = ContextVar("reviewer_audit_recorder", default=None)


@contextmanager
def recording() -> Iterator[Recorder]:
    rec = Recorder()
    token = _current.set(rec)
    try:
        yield rec
    finally:
        _current.reset(token)


def recorder() -> Recorder | None:
    """The recorder of the review running on this thread, if any."""
    return _current.get()


def guardrail_actions(before: Findings, after: Findings) -> GuardrailActions:
    """Compare the extractor's findings with the checked ones (the guardrails keep every item, in
    order, and change it in place)."""
    alignment: dict[str, int] = {a.value: 0 for a in Alignment}
    for e in after.evidence():
        alignment[e.alignment.value] += 1
    reasserted = downgraded = 0
    for name in type(before).model_fields:
        old, new = getattr(before, name), getattr(after, name)
        if not isinstance(old, list) or len(old) != len(new):
            continue
        for a, b in zip(old, new, strict=True):
            if not isinstance(a, Finding) or not isinstance(b, Finding):
                continue
            reasserted += a.assertion != b.assertion
            skip = {"evidence", "assertion"}
            downgraded += a.model_dump(exclude=skip) != b.model_dump(exclude=skip)
    return GuardrailActions(
        alignment={k: v for k, v in alignment.items() if v}, reasserted=reasserted, downgraded=downgraded
    )
