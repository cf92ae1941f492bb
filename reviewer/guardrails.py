"""Guardrails applied to every extractor's output: each evidence quote is aligned with the
original note (exact, then normalised); evidence that cannot be found is kept, marked
`unaligned`, and can never satisfy a criterion."""

from __future__ import annotations

from reviewer.findings import Alignment, Evidence, Finding, Findings
from reviewer.note import Note, normalise


def align_evidence(note: Note, e: Evidence) -> Evidence:
    text = note.text
    if 0 <= e.start <= e.end <= len(text) and text[e.start : e.end] == e.quote and e.quote:
        section = note.section_at(e.start).name
        if e.alignment is Alignment.exact and e.section == section:
            return e
        return e.model_copy(update={"alignment": Alignment.exact, "section": section})
    if not e.quote.strip():
        return e.model_copy(update={"start": -1, "end": -1, "alignment": Alignment.unaligned})
    start = _nearest(text, e.quote, e.start)
    alignment = Alignment.exact
    if start < 0:
        start = _nearest(note.norm, normalise(e.quote), e.start)
        alignment = Alignment.normalised
    if start < 0:
        return e.model_copy(update={"start": -1, "end": -1, "alignment": Alignment.unaligned})
    end = start + len(e.quote)
    return Evidence(
        quote=text[start:end],
        start=start,
        end=end,
        section=note.section_at(start).name,
        alignment=alignment,
    )


def _nearest(haystack: str, needle: str, hint: int) -> int:
    """The occurrence of needle closest to the offset the extractor claimed."""
    best = -1
    i = haystack.find(needle)
    while i >= 0:
        if best < 0 or abs(i - hint) < abs(best - hint):
            best = i
        i = haystack.find(needle, i + 1)
    return best


def check(note: Note, findings: Findings) -> tuple[Findings, list[str]]:
    """Findings with every evidence item aligned against the note, and warnings."""
    update: dict[str, object] = {}
    unaligned = 0
    for name in type(findings).model_fields:
        value = getattr(findings, name)
        if isinstance(value, list) and value and isinstance(value[0], Finding):
            fixed = []
            for item in value:
                e = align_evidence(note, item.evidence)
                unaligned += e.alignment is Alignment.unaligned
                fixed.append(item if e is item.evidence else item.model_copy(update={"evidence": e}))
            update[name] = fixed
    if findings.postop_same_as_preop is not None:
        update["postop_same_as_preop"] = align_evidence(note, findings.postop_same_as_preop)
    warnings = (
        [f"{unaligned} evidence item(s) could not be found in the note and were ignored"] if unaligned else []
    )
    return findings.model_copy(update=update), warnings
