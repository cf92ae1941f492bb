"""Gold cases (eval/gold/*.yaml): the schema, loading and validation, and the digests that tell
an edited case from the one a baseline saw. A malformed case is rejected with the file and field
named."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reviewer.datafile import load_yaml
from reviewer.decision import CriterionId, Role, Status, Verdict


class GoldCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    role: Role
    modifiers: list[str] = []
    units: int | None = None


class GoldContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sex: str | None = None
    claimed_codes: list[str] = []
    date_of_service: str | None = None


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    acceptable_verdicts: list[Verdict] = []
    primary_codes: list[str] = []
    codes: list[GoldCode] = []
    criteria: dict[CriterionId, Status]
    evidence: dict[CriterionId, list[str]] = {}
    icd10: list[str] = []
    edits: list[str] = []
    flags: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> Expected:
        if not self.acceptable_verdicts:
            self.acceptable_verdicts = [self.verdict]
        if self.verdict not in self.acceptable_verdicts:
            raise ValueError("acceptable_verdicts must include verdict")
        if Verdict.supported in self.acceptable_verdicts and self.verdict is not Verdict.supported:
            raise ValueError("supported may be acceptable only when it is the expected verdict")
        return self


class GoldCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    style: str
    branches: list[str] = Field(
        default=[],
        description="Free-form tags for the coverage table (eval/gold/COVERAGE.md); not decision ids.",
    )
    decisions: list[str] = Field(
        default=[],
        description="Ids of the ruleset decisions (reviewer/data/ruleset_v1.yaml `decisions`) this case "
        "exercises; each such decision lists the case among its `cases`.",
    )
    context: GoldContext = GoldContext()
    note: str = Field(min_length=1)
    expected: Expected
    rationale: str = ""
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _evidence_in_note(self) -> GoldCase:
        for cid, quotes in self.expected.evidence.items():
            for q in quotes:
                if q not in self.note:
                    raise ValueError(f"expected.evidence.{cid.value}: {q!r} is not in the note")
        return self


class GoldError(ValueError):
    """A malformed gold case: the message names the file and the field."""


def load_case(path: Path) -> GoldCase:
    try:
        raw: Any = load_yaml(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise GoldError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise GoldError(f"{path}: a gold case is a YAML mapping")
    try:
        case = GoldCase.model_validate({**raw, "path": path})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(case)"
        raise GoldError(f"{path}: field {where}: {err['msg']}") from None
    if case.id != path.stem:
        raise GoldError(f"{path}: field id: {case.id!r} must equal the file name {path.stem!r}")
    return case


def load_cases(directory: Path) -> list[GoldCase]:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise GoldError(f"{directory}: no gold cases (*.yaml) found")
    return [load_case(p) for p in files]


def case_digest(case: GoldCase) -> str:
    """sha256 of the case file's bytes (of the case's JSON when it has no file)."""
    if case.path is not None and case.path.is_file():
        return hashlib.sha256(case.path.read_bytes()).hexdigest()
    return hashlib.sha256(case.model_dump_json().encode("utf-8")).hexdigest()


def gold_fingerprint(digests: dict[str, str]) -> str:
    """sha256 over the sorted (case id, file sha256) pairs: changes when any case file does."""
    h = hashlib.sha256()
    for case_id in sorted(digests):
        h.update(f"{case_id}\0{digests[case_id]}\n".encode())
    return h.hexdigest()
