"""The pipeline: note text -> Note -> extractor -> guardrails -> rules -> Review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import reduce

from pydantic import BaseModel

from reviewer.audit import (
    Audit,
    GuardrailActions,
    LlmAttempt,
    Masking,
    ReviewInputs,
    guardrail_actions,
    recording,
)
from reviewer.decision import Decision
from reviewer.extract import Extraction, Extractor, get_extractor
from reviewer.findings import Findings, Sex, merged
from reviewer.guardrails import check
from reviewer.inputs.claim import parse_claimed
from reviewer.note import Note, checked_text
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


class CheckedExtraction(BaseModel):
    """What the extractor and the guardrails read out of one note: everything the rule layer
    needs to decide (again, under a new ruleset) without extracting again. Batch runs cache it."""

    extractor: ExtractorInfo
    findings: Findings
    parts: dict[str, Findings] = {}  # hybrid: each extractor's checked findings
    warnings: list[str] = []
    usage: UsageInfo = UsageInfo()
    error: str | None = None
    prompt_sha256: str | None = None
    llm_attempts: list[LlmAttempt] = []
    masking: Masking | None = None
    guardrails: GuardrailActions = GuardrailActions()


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
    parse_sex(sex)
    parse_claimed(claimed_codes)  # bad arguments fail before any extraction (or LLM call)
    note = Note(text, id=note_id or "")
    return decide_checked(extract_checked(extractor, note), note, sex=sex, claimed_codes=claimed_codes)


def extract_checked(extractor: Extractor, note: Note) -> CheckedExtraction:
    """The extractor, then the guardrails: the expensive half of a review."""
    with recording() as record:
        extraction = extractor.extract(note)
    before, parts, part_warnings = _checked_parts(note, extraction)
    findings, warnings = check(note, before, assertions_checked=extraction.assertions_checked)
    return CheckedExtraction(
        extractor=ExtractorInfo(
            name=extraction.extractor, model=extraction.model, prompt_version=extraction.prompt_version
        ),
        findings=findings,
        parts=parts,
        warnings=_note_warnings(note) + extraction.warnings + part_warnings + warnings,
        usage=UsageInfo(**vars(extraction.usage)),
        error=extraction.error,
        prompt_sha256=record.prompt_sha256,
        llm_attempts=record.attempts,
        masking=record.masking,
        guardrails=guardrail_actions(before, findings),
    )


def _note_warnings(note: Note) -> list[str]:
    """What in the note itself limits the review (ruleset decision run-on-text-is-uncertain)."""
    run_on = sum(end - start for start, end in note.run_on)
    if not run_on:
        return []
    return [
        f"{run_on:,} characters of the note have no sentence punctuation: what is negated, planned "
        "or done there cannot be told apart, so facts read there count as uncertain."
    ]


def _checked_parts(note: Note, extraction: Extraction) -> tuple[Findings, dict[str, Findings], list[str]]:
    """A hybrid reading: each part through the guardrails on its own, then merged. The rules
    part's evidence is its own (no warnings to pass on); the others' warnings name them."""
    if not extraction.parts:
        return _completed(note, extraction), {}, []
    parts: dict[str, Findings] = {}
    warnings: list[str] = []
    for name, part in extraction.parts.items():
        parts[name], said = check(note, _completed(note, part), assertions_checked=part.assertions_checked)
        if name != "rules":
            warnings += [f"{name}: {w}" for w in part.warnings + said]
    return reduce(merged, parts.values()), parts, warnings


def _completed(note: Note, extraction: Extraction) -> Findings:
    """The findings, with what the extractor leaves to the deterministic pass added."""
    if extraction.reads_secondary_facts or extraction.error is not None:
        return extraction.findings
    from reviewer.extract.rules import with_secondary_facts

    return with_secondary_facts(note, extraction.findings)


def decide_checked(
    checked: CheckedExtraction,
    note: Note,
    *,
    sex: str | None = None,
    claimed_codes: Sequence[str] = (),
) -> Review:
    """The rule layer on checked findings, and the review with its audit trail: the cheap half."""
    who = parse_sex(sex)
    decision = decide(
        checked.findings,
        sex=who,
        claimed=parse_claimed(claimed_codes),
        parts=checked.parts or None,
        error=checked.error,
    )
    return Review(
        note_id=note.id or note.sha256[:12],
        note_sha256=note.sha256,
        extractor=checked.extractor,
        ruleset_version=decision.ruleset_version,
        findings=checked.findings,
        decision=decision,
        warnings=checked.warnings,
        usage=checked.usage,
        error=checked.error,
        audit=_audit(note, checked, decision, sex=who, claimed_codes=claimed_codes),
    )


def _audit(
    note: Note,
    checked: CheckedExtraction,
    decision: Decision,
    *,
    sex: Sex | None,
    claimed_codes: Sequence[str],
) -> Audit:
    from reviewer.language.lexicon import load_lexicon
    from reviewer.version import __version__

    return Audit(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tool_version=__version__,
        note_sha256=note.sha256,
        note_chars=len(note.text),
        ruleset_version=decision.ruleset_version,
        lexicon_version=load_lexicon().version,
        extractor=checked.extractor.name,
        model=checked.extractor.model,
        prompt_version=checked.extractor.prompt_version,
        prompt_sha256=checked.prompt_sha256,
        inputs=ReviewInputs(
            sex=sex.value if sex is not None else None,
            claimed_codes=[c.strip() for c in claimed_codes if c.strip()],
        ),
        llm_attempts=checked.llm_attempts,
        masking=checked.masking,
        guardrails=checked.guardrails,
        parts=dict(checked.parts),
    )
