"""The ruleset (data/ruleset_v1.yaml) as one typed model, loaded once: codes, code maps, query
templates, and the decisions taken where the policy is silent, each with the gold cases and
tests that show it."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from reviewer.datafile import load_yaml

RULESET_FILE = "ruleset_v1.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyDecision(_Data):
    """A decision taken where the policy is silent."""

    id: str
    rule: str
    sections: list[str] = []  # the section policy it reads (reviewer/language/sections.py)
    lexicon: list[str] = []  # the lexicon or cue entries it reads (reviewer/data/*.yaml)
    cases: list[str] = []  # gold cases that exercise it (eval/gold/<id>-*.yaml)
    tests: list[str] = []  # tests that exercise it (tests/<file>.py::<name>)


class CodeEntry(_Data):
    code: str
    description: str
    reason: str = ""  # why the code applies when its criteria are met
    addon: str | None = None  # its add-on per further area step


class DrainageEntry(_Data):
    code: str
    description: str
    male: DrainageEntry | None = None  # the entry for a man
    complex: DrainageEntry | None = None  # a complicated abscess, or several
    along: dict[str, DrainageEntry] = Field(default={}, alias="with")  # another procedure done with it


class OtherProcedureEntry(_Data):
    code: str
    description: str
    large_code: str | None = None
    large_above_sq_cm: float | None = None


class QueryTemplate(_Data):
    question: str
    options: list[str]


class Ruleset(_Data):
    version: str
    decisions: list[PolicyDecision]
    families: dict[str, CodeEntry]
    mesh_removal: CodeEntry
    excisional_by_depth: dict[str, CodeEntry]
    area_step_sq_cm: int
    separate_region_modifier: str
    global_procedures: list[str]
    staged_modifier: str
    unplanned_modifier: str
    drainage_by_region: dict[str, DrainageEntry]
    wound_care: dict[str, CodeEntry]
    other_procedures: dict[str, OtherProcedureEntry]
    queries: dict[str, QueryTemplate]

    def decision(self, decision_id: str) -> PolicyDecision:
        return next(d for d in self.decisions if d.id == decision_id)


@lru_cache(maxsize=1)
def load_ruleset() -> Ruleset:
    text = resources.files("reviewer.data").joinpath(RULESET_FILE).read_text("utf-8")
    return Ruleset.model_validate(load_yaml(text))


def ruleset_version() -> str:
    return load_ruleset().version
