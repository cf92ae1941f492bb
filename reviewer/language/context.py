"""Assertion status of spans in a note: medspaCy's ConText with our operative-note rules
(data/context_rules.json), scoped to our own sentence boundaries, then section overrides."""

from __future__ import annotations

import json
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reviewer.findings import Assertion
from reviewer.language.affirmation import clause_of, screen
from reviewer.language.lexicon import load_lexicon
from reviewer.language.sections import SECTION_ASSERTION
from reviewer.note import Note

if TYPE_CHECKING:
    from reviewer.language.fastcontext import FastContext


class _Engine:
    def __init__(self) -> None:
        _quiet_loguru()
        import spacy
        from medspacy.context import ConText, ConTextRule

        raw: dict[str, Any] = json.loads(
            resources.files("reviewer.data").joinpath("context_rules.json").read_text("utf-8")
        )
        self.version = str(raw["version"])
        self.nlp = spacy.blank("en")
        self.context = ConText(
            self.nlp,
            rules=None,
            input_span_type="group",
            span_group_name="targets",
        )
        self.context.add([ConTextRule(**rule) for rule in raw["context_rules"]])

    def assert_spans(self, note: Note, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """Assertions of the spans. The note is read in chunks of sentences: ConText compares
        every modifier with every target of a document, so one document per chunk keeps a very
        long note linear (scopes never cross a sentence, so chunking changes nothing)."""
        from reviewer.language.fastcontext import by_chunks

        return by_chunks(note, spans, self._assert_chunk)

    def _assert_chunk(
        self,
        note: Note,
        masked: str,
        c_start: int,
        c_end: int,
        spans: Sequence[tuple[int, int]],
        members: list[int],
        result: list[Assertion],
    ) -> None:
        doc = self.nlp.make_doc(masked[c_start:c_end])
        # A sentence starts at the token holding its first character: flat exports glue
        # ".,FINDINGS:,4 cm" into tokens that straddle the boundary.
        token_starts = [t.idx for t in doc]
        starts = note.sentence_starts
        lo, hi = bisect_left(starts, c_start), bisect_left(starts, c_end)
        first = {max(0, bisect_right(token_starts, s - c_start) - 1) for s in starts[lo:hi]}
        for token in doc:
            token.is_sent_start = token.i == 0 or token.i in first
        group = []
        index: list[int] = []
        for i in members:
            start, end = spans[i]
            span = doc.char_span(
                start - c_start, min(end, c_end) - c_start, label="TARGET", alignment_mode="expand"
            )
            if span is not None:
                group.append(span)
                index.append(i)
        doc.spans["targets"] = group
        self.context(doc)
        for span, i in zip(doc.spans["targets"], index, strict=True):
            c_lo, c_hi = clause_of(note, spans[i][0])
            result[i] = _assertion(span, c_lo - c_start, c_hi - c_start)


_PRIORITY = (
    ("NEGATED_EXISTENCE", Assertion.absent),
    ("FAMILY", Assertion.other_person),
    ("HYPOTHETICAL", Assertion.hypothetical),
    ("HISTORICAL", Assertion.historical),
    ("POSSIBLE_EXISTENCE", Assertion.possible),
)


_NEGATION_WORDS = frozenset({"not", "no", "never", "without", "nor"})


def _assertion(span: Any, clause_start: int, clause_end: int) -> Assertion:
    """The strongest modifier of the span from its own clause (offsets in the document).
    Rules with a max_scope use a token window in medspaCy, which can cross sentences, and its
    scopes run past clause boundaries its terminators do not know ("no viable tissue, so the
    necrotic fascia was excised"): modifiers outside the span's clause are dropped here."""
    doc = span.doc
    sentence = span.sent.start
    categories = {
        m.category.upper()
        for m in span._.modifiers
        if doc[m.modifier_span[0]].sent.start == sentence
        and clause_start <= doc[m.modifier_span[0]].idx < clause_end
    }
    # A modifier overlapping the target ("were not debrided" around "debrided") does not
    # modify it in medspaCy: a negation word right before the target still does.
    if any(t.lower_ in _NEGATION_WORDS for t in doc[max(sentence, span.start - 2) : span.start]):
        categories.add("NEGATED_EXISTENCE")
    for category, assertion in _PRIORITY:
        if category in categories:
            return assertion
    return Assertion.present


def _quiet_loguru() -> None:
    """medspaCy logs through loguru at DEBUG; keep warnings only, never note text."""
    try:
        from loguru import logger
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        return
    logger.remove()
    logger.add(sys.stderr, level="WARNING")


@lru_cache(maxsize=1)
def medspacy_engine() -> _Engine:
    """The medspaCy engine: the reference tests/test_fastcontext.py compares `engine()` with."""
    return _Engine()


@lru_cache(maxsize=1)
def engine() -> FastContext:
    """The engine in use: reviewer.language.fastcontext, medspaCy's ConText without spaCy (same
    assertions as `medspacy_engine()`, no spaCy import, linear in the note), with modifiers
    kept to the target's clause."""
    from reviewer.language.fastcontext import FastContext

    return FastContext(clause_of=clause_of)


def context_rules_version() -> str:
    return engine().version


def assert_spans(
    note: Note, spans: Sequence[tuple[int, int]], *, section_override: bool = True
) -> list[Assertion]:
    """Assertion of each (start, end) span: ConText in its sentence, then its section."""
    statuses = engine().assert_spans(note, spans)
    if not section_override:
        return statuses
    out = []
    for (start, _), status in zip(spans, statuses, strict=True):
        forced = SECTION_ASSERTION.get(note.section_at(start).name)
        out.append(forced if forced is not None and status is Assertion.present else status)
    return out


def removal_verbs_done(note: Note) -> list[tuple[int, int]]:
    """The removal verbs of the note ("excised", "debrided"; offsets in `norm`) that are stated
    as done today: a layer is removed only through one of them."""
    verbs = [(m.start(), m.end()) for m in load_lexicon().removal_verbs.finditer(note.norm)]
    statuses = screen(note, verbs, assert_spans(note, verbs))
    return [v for v, status in zip(verbs, statuses, strict=True) if status is Assertion.present]
