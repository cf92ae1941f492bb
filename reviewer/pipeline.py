"""The pipeline: note text -> Note -> extractor -> guardrails -> rules -> Review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel

from reviewer import audit as trail
from reviewer.audit import Audit, ReviewInputs
from reviewer.decision import Decision
from reviewer.extract import Extraction, Extractor, get_extractor
from reviewer.findings import Findings, Sex
from reviewer.guardrails import check
from reviewer.note import Note, checked_text
from reviewer.rules.edits import parse_claimed
from reviewer.rules.engine import decide

SCHEMA_VERSION = "1.1.0"  # 1.1: `audit`


class ExtractorInfo(BaseModel):
    name: str
    model: str | None = None
    prompt_version: str | None = None


class UsageInfo(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    attempts: int = 0


class Review(BaseModel):
    schema_version: str = SCHEMA_VERSION
    note_id: str
    note_sha256: str
    extractor: ExtractorInfo
    ruleset_version: str
    findings: Findings
    decision: Decision
    warnings: list[str] = []
    usage: UsageInfo = UsageInfo()
    error: str | None = None
    audit: Audit | None = None  # what reproduces this review (absent in reviews made before 1.1)


def parse_sex(value: str | None) -> Sex | None:
    if value is None or not value.strip():
        return None
    key = value.strip().lower()
    if key in {"m", "male", "man"}:
        return Sex.male
    if key in {"f", "female", "woman"}:
        return Sex.female
    raise ValueError(f"sex must be M or F, not {value!r}")


def review(
    text: str,
    *,
    sex: str | None = None,
    claimed_codes: Sequence[str] = (),
    extractor: str = "rules",
    note_id: str | None = None,
) -> Review:
    """Review one note for CPT 11004. Raises ValueError (one line) on bad arguments: a note
    that is not text, empty, over the size limit or binary-looking; an unknown sex; a claimed
    code in no known form."""
    return review_with(get_extractor(extractor), text, sex=sex, claimed_codes=claimed_codes, note_id=note_id)


def review_with(
    extractor: Extractor,
    text: str,
    *,
    sex: str | None = None,
    claimed_codes: Sequence[str] = (),
    note_id: str | None = None,
) -> Review:
    """`review` with an extractor object (configured once, reused across many notes)."""
    text = checked_text(text)
    who = parse_sex(sex)
    claimed = parse_claimed(claimed_codes)
    note = Note(text, id=note_id or "")
    with trail.recording() as record:
        extraction = extractor.extract(note)
    findings, warnings = check(note, extraction.findings, assertions_checked=extraction.assertions_checked)
    decision = decide(findings, sex=who, claimed=claimed, parts=extraction.parts, error=extraction.error)
    return Review(
        note_id=note_id or note.sha256[:12],
        note_sha256=note.sha256,
        extractor=ExtractorInfo(
            name=extraction.extractor,
            model=extraction.model,
            prompt_version=extraction.prompt_version,
        ),
        ruleset_version=decision.ruleset_version,
        findings=findings,
        decision=decision,
        warnings=extraction.warnings + warnings,
        usage=UsageInfo(**vars(extraction.usage)),
        error=extraction.error,
        audit=_audit(note, extraction, findings, decision, record, sex=who, claimed_codes=claimed_codes),
    )


def _audit(
    note: Note,
    extraction: Extraction,
    findings: Findings,
    decision: Decision,
    record: trail.Recorder,
    *,
    sex: Sex | None,
    claimed_codes: Sequence[str],
) -> Audit:
    from reviewer import __version__
    from reviewer.extract.lexicon import load_lexicon

    return Audit(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tool_version=__version__,
        note_sha256=note.sha256,
        note_chars=len(note.text),
        ruleset_version=decision.ruleset_version,
        lexicon_version=load_lexicon().version,
        extractor=extraction.extractor,
        model=extraction.model,
        prompt_version=extraction.prompt_version,
        prompt_sha256=record.prompt_sha256,
        inputs=ReviewInputs(
            sex=sex.value if sex is not None else None,
            claimed_codes=[c.strip() for c in claimed_codes if c.strip()],
        ),
        llm_attempts=record.attempts,
        masking=record.masking,
        guardrails=trail.guardrail_actions(extraction.findings, findings),
        parts=dict(extraction.parts),
    )
