"""The hybrid extractor: the rules and the LLM read the same note. Each reading is kept whole;
the pipeline puts each through the guardrails, merges them, and hands both to the rule layer so
it can mark where they disagree."""

from __future__ import annotations

from reviewer.extract import Extraction
from reviewer.extract.llm import LlmExtractor
from reviewer.extract.rules import RulesExtractor
from reviewer.findings import Findings
from reviewer.note import Note


class HybridExtractor:
    name = "hybrid"

    def __init__(self, llm: LlmExtractor | None = None) -> None:
        self.rules = RulesExtractor()
        self.llm = llm or LlmExtractor()

    def extract(self, note: Note) -> Extraction:
        ruled = self.rules.extract(note)
        asked = self.llm.extract(note)
        return Extraction(
            findings=Findings(),  # the pipeline merges the parts once they are checked
            extractor=self.name,
            model=asked.model,
            prompt_version=asked.prompt_version,
            usage=asked.usage,
            error=asked.error,
            assertions_checked=True,
            parts={"rules": ruled, "llm": asked},
        )
