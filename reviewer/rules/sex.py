"""The patient's sex: as the note tells it, as the claim gives it, and what to do when they
disagree (ruleset decision sex-from-note)."""

from __future__ import annotations

from reviewer.decision import Edit, Severity
from reviewer.findings import Alignment, Assertion, Findings, Sex, SexBasis, SexStatement

_WORDS = {Sex.male: "male", Sex.female: "female"}


def note_sex(findings: Findings) -> tuple[Sex | None, list[SexStatement]]:
    """The patient's sex as the note tells it, with its evidence: stated words first ("58-year-old
    man", "Sex: F"), else sex-specific anatomy, else pronouns. A basis that points both ways
    tells nothing."""
    clues = [s for s in findings.sex if s.evidence.alignment not in (Alignment.unaligned, Alignment.mismatch)]
    for basis in (SexBasis.stated, SexBasis.anatomy, SexBasis.pronoun):
        told = [s for s in clues if s.basis is basis and s.assertion is not Assertion.other_person]
        sexes = {s.sex for s in told}
        if len(sexes) == 1:
            return sexes.pop(), told
        if len(sexes) > 1:
            return None, told
    return None, []


def patient_sex(findings: Findings, sex: Sex | None) -> Sex | None:
    """The caller's sex when it agrees with the note (or the note does not tell); the note's
    when the caller gives none; unknown when they disagree (an edit says so)."""
    told, _ = note_sex(findings)
    if sex is None:
        return told
    return sex if told in (None, sex) else None


def sex_edits(findings: Findings, sex: Sex | None) -> list[Edit]:
    """The sex given with the claim against the sex the note tells; when they disagree no
    sex-specific diagnosis is suggested."""
    told, evidence = note_sex(findings)
    if sex is None or told is None or told is sex:
        return []
    quotes = ", ".join(dict.fromkeys(f'"{s.evidence.quote}"' for s in evidence[:3]))
    message = (
        f"The claim gives the patient's sex as {_WORDS[sex]}, but the note reads {_WORDS[told]} "
        f"({quotes}): confirm it before billing; sex-specific diagnoses are not suggested meanwhile."
    )
    return [
        Edit(
            kind="sex_contradicts_note",
            severity=Severity.warning,
            codes=[],
            message=message,
            source="ruleset",
        )
    ]
