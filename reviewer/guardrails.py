"""Guardrails applied to every extractor's output, so that a wrong, lazy or manipulated
extraction can never become a `supported` verdict:

1. evidence alignment: exact -> normalised (case, whitespace, dashes, quotes, line breaks) ->
   fuzzy (rapidfuzz, threshold); evidence that cannot be found is kept, marked `unaligned`,
   and never satisfies a criterion;
2. label check: a quote must say what its label claims (a "scrotum" site quoting "left thigh"
   is marked `mismatch`; an "excisional" technique whose quote names no excision is downgraded);
3. assertion cross-check: the deterministic ConText pass runs on every aligned span; a span it
   finds negated, hypothetical, historical or about someone else cannot count as present;
4. section check: the aligned section is recorded, so evidence from risks, history or plan
   cannot prove today's procedure (the criteria refuse those sections).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from reviewer.findings import (
    Alignment,
    Assertion,
    Evidence,
    Finding,
    Findings,
    LayerAction,
    LayerFinding,
    NstiIndicator,
    NstiMention,
    OtherProcedure,
    RepeatDebridement,
    Site,
    SiteRole,
    Technique,
    TechniqueKind,
)
from reviewer.language.affirmation import screen
from reviewer.language.context import assert_spans, removal_verbs_done
from reviewer.language.lexicon import load_lexicon
from reviewer.language.sections import OPERATIVE
from reviewer.note import Note, normalise

_DECISIVE = (NstiMention, NstiIndicator, Site, Technique, LayerFinding, OtherProcedure, RepeatDebridement)
FUZZY_THRESHOLD = 90.0  # rapidfuzz partial-ratio score (0-100) for a quote to count as found
_WS = re.compile(r"\s+")


@dataclass
class GuardrailReport:
    unaligned: int = 0
    fuzzy: int = 0
    mismatched: int = 0
    downgraded: int = 0
    reasserted: int = 0
    notes: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        out = []
        if self.unaligned:
            out.append(f"{self.unaligned} evidence quote(s) not found in the note: ignored")
        if self.mismatched:
            out.append(
                f"{self.mismatched} finding(s) whose quote does not say what the label claims: ignored"
            )
        if self.downgraded:
            out.append(f"{self.downgraded} finding(s) downgraded to what their quote supports")
        if self.reasserted:
            out.append(
                f"{self.reasserted} finding(s) re-asserted by the ConText check (negated, hypothetical, historical or other person)"
            )
        return out + self.notes


def align_evidence(note: Note, e: Evidence) -> Evidence:
    text = note.text
    if e.quote and 0 <= e.start <= e.end <= len(text) and text[e.start : e.end] == e.quote:
        section = note.section_of(e.start).name
        if e.alignment is Alignment.exact and e.section == section:
            return e
        return e.model_copy(update={"alignment": Alignment.exact, "section": section})
    quote = e.quote.strip()
    if len(quote) < 2:
        return _unaligned(e)
    start = _nearest(text, quote, e.start)
    if start >= 0:
        return Evidence(
            quote=quote,
            start=start,
            end=start + len(quote),
            section=note.section_of(start).name,
            alignment=Alignment.exact,
        )
    squashed, index = note.squashed
    q = _WS.sub(" ", normalise(quote)).strip()
    if not q:
        return _unaligned(e)
    start = _nearest(squashed, q, -1)
    if start >= 0:
        return _at(note, index[start], index[start + len(q) - 1] + 1, Alignment.normalised)
    if len(q) >= 12:
        found = fuzz.partial_ratio_alignment(q, squashed, score_cutoff=FUZZY_THRESHOLD)
        if found is not None and found.dest_end > found.dest_start:
            return _at(note, index[found.dest_start], index[found.dest_end - 1] + 1, Alignment.fuzzy)
    return _unaligned(e)


def _at(note: Note, start: int, end: int, alignment: Alignment) -> Evidence:
    """Evidence for the span [start, end) of `note.norm`, in the original text's offsets."""
    t_start, t_end = note.text_span(start, end)
    return Evidence(
        quote=note.text[t_start:t_end],
        start=t_start,
        end=t_end,
        section=note.section_at(start).name,
        alignment=alignment,
    )


def _unaligned(e: Evidence) -> Evidence:
    return e.model_copy(update={"start": -1, "end": -1, "alignment": Alignment.unaligned})


def _nearest(haystack: str, needle: str, hint: int) -> int:
    """The occurrence of needle closest to the offset the extractor claimed."""
    best = -1
    i = haystack.find(needle)
    while i >= 0:
        if best < 0 or abs(i - hint) < abs(best - hint):
            best = i
        i = haystack.find(needle, i + 1)
    return best


def _map(findings: Findings, fn: Callable[[Finding], Finding | None]) -> Findings:
    update: dict[str, object] = {}
    for name in type(findings).model_fields:
        value = getattr(findings, name)
        if isinstance(value, list) and value and isinstance(value[0], Finding):
            out = []
            for item in value:
                new = fn(item)
                if new is not None:
                    out.append(new)
            update[name] = out
    return findings.model_copy(update=update)


def align(note: Note, findings: Findings, report: GuardrailReport) -> Findings:
    def fix(item: Finding) -> Finding:
        e = align_evidence(note, item.evidence)
        report.unaligned += e.alignment is Alignment.unaligned
        report.fuzzy += e.alignment is Alignment.fuzzy
        return item if e is item.evidence else item.model_copy(update={"evidence": e})

    out = _map(findings, fix)
    if findings.postop_same_as_preop is not None:
        out = out.model_copy(
            update={"postop_same_as_preop": align_evidence(note, findings.postop_same_as_preop)}
        )
    return out


def check_labels(note: Note, findings: Findings, report: GuardrailReport) -> Findings:
    """Each aligned quote must carry the words its label claims (lexicon terms); a layer is
    removed only when its sentence has a removal verb stated as done today."""
    lex = load_lexicon()
    done = removal_verbs_done(note)
    patterns: dict[tuple[str, str], list[re.Pattern[str]]] = {}
    for category, value, pattern in lex.targets:
        patterns.setdefault((category, value), []).append(pattern)

    def says(category: str, value: str, text: str) -> bool:
        return any(p.search(text) for p in patterns.get((category, value), []))

    def says_any(category: str, text: str) -> bool:
        return any(p.search(text) for (c, _), ps in patterns.items() if c == category for p in ps)

    def mismatch(item: Finding) -> Finding:
        report.mismatched += 1
        return item.model_copy(
            update={"evidence": item.evidence.model_copy(update={"alignment": Alignment.mismatch})}
        )

    def check(item: Finding) -> Finding:
        e = item.evidence
        if e.alignment in (Alignment.unaligned, Alignment.mismatch):
            return item
        quote = note.norm[note.norm_offset(e.start) : note.norm_offset(e.end)]
        if isinstance(item, NstiMention) and not says_any("nsti", quote):
            return mismatch(item)
        if isinstance(item, Site) and not says("sites", item.region.value, quote):
            return mismatch(item)
        if isinstance(item, LayerFinding):
            if not says("layers", item.layer.value, quote):
                return mismatch(item)
            if item.action is LayerAction.removed and not _removed_in_sentence(note, e, done):
                report.downgraded += 1
                return item.model_copy(update={"action": LayerAction.exposed})
        if isinstance(item, RepeatDebridement):
            staged = lex.repeat_staged.search(quote) is not None
            return item if staged == item.staged else item.model_copy(update={"staged": staged})
        if isinstance(item, Technique) and item.kind is TechniqueKind.excisional:
            sentence = _sentence(note, e)
            excisional = says("techniques", "excisional", quote) or (
                says("techniques", "excision_verb", quote) and lex.necrosis_cues.search(sentence) is not None
            )
            if not excisional:
                report.downgraded += 1
                if says("techniques", "debridement_unspecified", quote):
                    return item.model_copy(update={"kind": TechniqueKind.debridement_unspecified})
                return mismatch(item)
        return item

    return _map(findings, check)


def _removed_in_sentence(note: Note, e: Evidence, done: list[tuple[int, int]]) -> bool:
    start, end = note.sentence_at(note.norm_offset(e.start))
    return any(start <= v_start < end for v_start, _ in done)


def _sentence(note: Note, e: Evidence) -> str:
    n_start, n_end = note.norm_offset(e.start), note.norm_offset(e.end)
    start, end = note.sentence_at(n_start)
    return note.norm[min(start, n_start) : max(end, n_end)]


def cross_check(note: Note, findings: Findings, report: GuardrailReport) -> Findings:
    """Deterministic ConText assertion, the affirmation screen and section role on every
    aligned span."""

    items: list[Finding] = []
    for name in type(findings).model_fields:
        value = getattr(findings, name)
        if isinstance(value, list):
            items.extend(v for v in value if isinstance(v, Finding) and v.evidence.start >= 0)
    spans = [(note.norm_offset(i.evidence.start), note.norm_offset(i.evidence.end)) for i in items]
    statuses = assert_spans(note, spans)
    # The facts a decision rests on must be stated as done today (affirmation screen).
    decisive = [k for k, i in enumerate(items) if isinstance(i, _DECISIVE)]
    screened = screen(note, [spans[k] for k in decisive], [statuses[k] for k in decisive])
    for k, status in zip(decisive, screened, strict=True):
        statuses[k] = status
    context = {id(i): s for i, s in zip(items, statuses, strict=True)}

    def check(item: Finding) -> Finding:
        status = context.get(id(item))
        if status is None:
            return item
        update: dict[str, object] = {}
        if item.assertion is Assertion.present and status is not Assertion.present:
            report.reasserted += 1
            update["assertion"] = status
        if (
            isinstance(item, Site)
            and item.role is SiteRole.debrided
            and item.evidence.section not in OPERATIVE
        ):
            update["role"] = SiteRole.mentioned  # outside the operative narrative
        return item.model_copy(update=update) if update else item

    return _map(findings, check)


def check(note: Note, findings: Findings, *, assertions_checked: bool = False) -> tuple[Findings, list[str]]:
    """Findings made safe to decide on, and warnings for the user.

    `assertions_checked` is set by the rules extractor, whose assertions and sections come from
    the same ConText pass and lexicon: re-running them would change nothing."""
    report = GuardrailReport()
    out = align(note, findings, report)
    if not assertions_checked:
        out = check_labels(note, out, report)
        out = cross_check(note, out, report)
    return out, report.warnings()
