"""What the rule layer decides. Public contract: field names are relied on by other tools."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from reviewer.findings import Evidence


class Verdict(StrEnum):
    supported = "supported"
    not_supported = "not_supported"
    query = "query"


class Status(StrEnum):
    met = "met"
    not_met = "not_met"
    unclear = "unclear"


class CriterionId(StrEnum):
    necrotizing_infection = "necrotizing_infection"
    site = "site"
    excisional = "excisional"
    depth = "depth"


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: CriterionId
    status: Status
    reason: str
    evidence: list[Evidence] = []
    by_extractor: dict[str, Status] = {}  # hybrid: the status each extractor's findings alone give


class Role(StrEnum):
    primary = "primary"
    add_on = "add-on"
    additional = "additional"
    consider = "consider"


class RecommendedCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    units: int = 1
    modifiers: list[str] = []
    role: Role
    description: str = ""  # our own paraphrase, never the AMA descriptor
    reason: str = ""
    evidence: list[Evidence] = []


class Icd10Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    title: str  # from the ICD-10-CM tabular via simple-icd-10-cm
    reason: str
    billable: bool
    evidence: list[Evidence] = []


class Query(BaseModel):
    model_config = ConfigDict(frozen=True)

    topic: str  # criterion id, or "area"
    question: str
    options: list[str]
    indicators: list[Evidence] = []


class Severity(StrEnum):
    error = "error"  # the claim line will be denied or is wrong
    warning = "warning"  # payable only with documentation or a modifier
    info = "info"


class Edit(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str  # overcoding, undercoding, ptp_no_modifier_allowed, ptp_modifier_required, ...
    severity: Severity
    codes: list[str]
    message: str
    source: str = ""  # data file and effective date the edit came from


class Flag(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str  # repeat_debridement, groin_in_field, ...
    message: str
    evidence: list[Evidence] = []


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    summary: str
    criteria: list[Criterion]
    recommended_codes: list[RecommendedCode] = []
    icd10: list[Icd10Suggestion] = []
    queries: list[Query] = []
    edits: list[Edit] = []
    flags: list[Flag] = []
    ruleset_version: str
