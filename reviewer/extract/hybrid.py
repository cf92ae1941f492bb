"""The hybrid extractor: the rules and the LLM read the same note; their checked findings are
merged, and each side is kept so the rule layer can mark where they disagree."""

from __future__ import annotations

from reviewer.extract import Extraction, Usage
from reviewer.extract.llm import LlmExtractor
from reviewer.extract.rules import RulesExtractor
from reviewer.findings import Finding, Findings
from reviewer.guardrails import check
from reviewer.note import Note


def merge(a: Findings, b: Findings) -> Findings:
    """Union of two findings records; identical evidence with the same label is kept once."""
    update: dict[str, object] = {}
    for name in type(a).model_fields:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, list):
            seen = {_key(item) for item in left}
            update[name] = left + [item for item in right if _key(item) not in seen]
    update["postop_same_as_preop"] = a.postop_same_as_preop or b.postop_same_as_preop
    return a.model_copy(update=update)


def _key(item: object) -> object:
    if isinstance(item, Finding):
        return item.model_dump_json(exclude={"evidence": {"section", "alignment"}})
    return item


class HybridExtractor:
    name = "hybrid"

    def __init__(self, llm: LlmExtractor | None = None) -> None:
        self.rules = RulesExtractor()
        self.llm = llm or LlmExtractor()

    def extract(self, note: Note) -> Extraction:
        ruled = self.rules.extract(note)
        asked = self.llm.extract(note)
        rules_findings, _ = check(note, ruled.findings, assertions_checked=True)
        llm_findings, warnings = check(note, asked.findings)
        usage = Usage()
        usage.add(asked.usage)
        return Extraction(
            findings=merge(rules_findings, llm_findings),
            extractor=self.name,
            model=asked.model,
            prompt_version=asked.prompt_version,
            usage=usage,
            warnings=[f"llm: {w}" for w in warnings],
            error=asked.error,
            assertions_checked=True,
            parts={"rules": rules_findings, "llm": llm_findings},
        )
