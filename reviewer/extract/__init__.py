"""Extractors read a `Note` into `Findings`. One small interface; several implementations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from reviewer.findings import Findings
from reviewer.note import Note

if TYPE_CHECKING:
    from reviewer.extract.llm import LlmExtractor


@dataclass
class Usage:
    """Tokens spent on one note, summed over every attempt."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    attempts: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.attempts += other.attempts


@dataclass
class Extraction:
    findings: Findings
    extractor: str
    model: str | None = None
    prompt_version: str | None = None
    usage: Usage = field(default_factory=Usage)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # set when extraction failed; findings are then empty
    assertions_checked: bool = False  # assertions and sections already come from the ConText pass
    # False: organisms, sepsis, comorbidities and sex clues are left to the deterministic pass,
    # which the pipeline adds (the LLM schema stays small and about 11004)
    reads_secondary_facts: bool = True
    parts: dict[str, Extraction] = field(default_factory=dict)  # hybrid: each extractor's own reading


class Extractor(Protocol):
    name: str

    def extract(self, note: Note) -> Extraction: ...


EXTRACTORS = ("rules", "llm", "hybrid")


def get_extractor(name: str, *, llm: LlmExtractor | None = None) -> Extractor:
    """The extractor called `name`; heavy imports happen here, not at package import. `llm`, an
    LLM extractor the caller configured (its endpoint, masking, rate gate), serves `llm` and
    `hybrid`; without it one is configured from the environment (REVIEWER_LLM_*)."""
    if name == "rules":
        from reviewer.extract.rules import RulesExtractor

        return RulesExtractor()
    if name == "llm":
        from reviewer.extract.llm import LlmExtractor

        return llm or LlmExtractor()
    if name == "hybrid":
        from reviewer.extract.hybrid import HybridExtractor

        return HybridExtractor(llm)
    raise ValueError(f"unknown extractor {name!r} (choose from: {', '.join(EXTRACTORS)})")
