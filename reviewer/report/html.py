"""One self-contained HTML page for a review: the verdict, the criteria and what follows from
them, and the full note with every evidence span highlighted at its exact character offsets.

No external resources: CSS is inline, there is no script, and a Content-Security-Policy meta
tag forbids loading anything. All note-derived text is escaped (jinja2 autoescape for the
template, `html.escape` for the highlighted note, which is built here and passed in as Markup).
The page template and its CSS are package data: reviewer/report/templates/review.*.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from markupsafe import Markup

import reviewer
from reviewer.decision import CriterionId, Decision
from reviewer.findings import Alignment, Evidence
from reviewer.pipeline import Review
from reviewer.report.headline import (
    NOTHING_READ,
    PARTIAL,
    WITHHELD,
    displayed_decision,
    explanation,
    headline,
)
from reviewer.report.shown import shown
from reviewer.report.templating import asset, environment
from reviewer.report.text import (
    CRITERION_NAMES,
    MISMATCH_WARNING,
    STATUS_LABELS,
    evidence_location,
    evidence_place,
    kind_name,
    note_matches,
    topic_name,
)

__all__ = ["CRITERION_COLOURS", "Span", "highlight_note", "highlightable", "render_html"]

# Background colour of each criterion's highlights (and its legend swatch / card accent).
CRITERION_COLOURS: dict[CriterionId, str] = {
    CriterionId.necrotizing_infection: "#fecaca",
    CriterionId.site: "#bfdbfe",
    CriterionId.excisional: "#bbf7d0",
    CriterionId.depth: "#e9d5ff",
}
_ACCENTS: dict[CriterionId, str] = {
    CriterionId.necrotizing_infection: "#dc2626",
    CriterionId.site: "#2563eb",
    CriterionId.excisional: "#16a34a",
    CriterionId.depth: "#9333ea",
}
# Non-criterion evidence is drawn as an underline, so it combines with a criterion colour.
_EXTRA_LABELS: dict[str, str] = {
    "query": "Physician query indicator",
    "flag": "Flag evidence",
    "icd10": "ICD-10-CM evidence",
}


def highlightable(ev: Evidence, note_text: str) -> bool:
    """Whether the evidence has usable offsets into `note_text`."""
    return ev.alignment is not Alignment.unaligned and 0 <= ev.start < ev.end <= len(note_text)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str  # a criterion id, or one of "query", "flag", "icd10"
    title: str  # what a hover over the highlight says


@dataclass
class _Segment:
    start: int
    end: int
    labels: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


def _spans(decision: Decision, note_text: str) -> list[Span]:
    spans: list[Span] = []

    def add(items: Iterable[Evidence], label: str, title: str) -> None:
        for ev in items:
            if highlightable(ev, note_text):
                spans.append(Span(ev.start, ev.end, label, title))

    for crit in decision.criteria:
        name = CRITERION_NAMES.get(crit.id, crit.id.value)
        add(crit.evidence, crit.id.value, f"{name}: {STATUS_LABELS[crit.status].lower()}")
    for query in decision.queries:
        add(query.indicators, "query", f"Query indicator ({topic_name(query.topic)})")
    for flag in decision.flags:
        add(flag.evidence, "flag", f"Flag: {flag.kind.replace('_', ' ')}")
    for icd in decision.icd10:
        add(icd.evidence, "icd10", f"ICD-10-CM {icd.code}")
    return spans


def _segments(spans: Sequence[Span], length: int) -> list[_Segment]:
    """Split [0, length) at every span boundary; each piece knows the spans covering it."""
    cuts = sorted({0, length, *(s.start for s in spans), *(s.end for s in spans)})
    segments = [_Segment(a, b) for a, b in pairwise(cuts) if a < b]
    for span in spans:
        for seg in segments:
            if span.start <= seg.start and seg.end <= span.end:
                if span.label not in seg.labels:
                    seg.labels.append(span.label)
                if span.title not in seg.titles:
                    seg.titles.append(span.title)
    return segments


def _escape(text: str) -> str:
    # Carriage returns as references, so an HTML parser does not fold CRLF and shift offsets.
    return html.escape(text, quote=True).replace("\r", "&#13;")


_ORDER = [c.value for c in CriterionId]


def _mark(seg: _Segment, text: str) -> str:
    criteria = sorted((lab for lab in seg.labels if lab in _ORDER), key=_ORDER.index)
    extras = [lab for lab in _EXTRA_LABELS if lab in seg.labels]
    classes = ["ev", *criteria, *extras]
    if len(criteria) > 1:
        classes.append("multi")
    attrs = [
        f'id="at-{seg.start}"',
        f'class="{_escape(" ".join(classes))}"',
        f'data-criterion="{_escape(" ".join(criteria))}"',
        f'data-start="{seg.start}"',
        f'data-end="{seg.end}"',
        f'title="{_escape("; ".join(seg.titles))}"',
    ]
    if len(criteria) > 1:
        # Horizontal bands, one colour per criterion covering this piece of text.
        step = 100 / len(criteria)
        stops = ", ".join(
            f"{CRITERION_COLOURS[CriterionId(c)]} {i * step:.0f}% {(i + 1) * step:.0f}%"
            for i, c in enumerate(criteria)
        )
        attrs.append(f'style="background: linear-gradient(180deg, {stops})"')
    return f"<mark {' '.join(attrs)}>{_escape(text)}</mark>"


def highlight_note(decision: Decision, note_text: str) -> Markup:
    """The note as escaped HTML, each evidence segment wrapped in a `<mark>`."""
    parts: list[str] = []
    for seg in _segments(_spans(decision, note_text), len(note_text)):
        piece = note_text[seg.start : seg.end]
        parts.append(_mark(seg, piece) if seg.labels else _escape(piece))
    return Markup("".join(parts))


def _compact(items: Sequence[Evidence], note_text: str) -> list[tuple[str, Evidence | None, str]]:
    """Distinct quotes in order, each with its first markable occurrence and all locations."""
    by_quote: dict[str, list[Evidence]] = {}
    for ev in items:
        by_quote.setdefault(ev.quote, []).append(ev)
    out: list[tuple[str, Evidence | None, str]] = []
    for quote, evs in by_quote.items():
        target = next((ev for ev in evs if highlightable(ev, note_text)), None)
        where = "; ".join(evidence_location(ev).strip("()") for ev in evs)
        out.append((quote, target, where))
    return out


def _extractor(review: Review) -> str:
    ext = review.extractor
    parts = [ext.name]
    if ext.model:
        parts.append(ext.model)
    if ext.prompt_version:
        parts.append(f"prompt {ext.prompt_version}")
    return " / ".join(parts)


def render_html(review: Review, note_text: str) -> str:
    """The review as one self-contained HTML5 page with the note and its evidence marked."""
    review = shown(review)
    decision = displayed_decision(review)
    spans = _spans(decision, note_text)
    used = {s.label for s in spans}
    return (
        environment("reviewer.report")
        .get_template("review.html.j2")
        .render(
            review=review,
            d=decision,
            head=headline(review),
            why=explanation(review),
            failed=bool(review.error),
            partial=PARTIAL,
            nothing_read=NOTHING_READ,
            withheld=WITHHELD,
            place=evidence_place,
            kind=kind_name,
            extractor=_extractor(review),
            mismatch="" if note_matches(review, note_text) else MISMATCH_WARNING,
            css=asset("reviewer.report", "review.css"),
            criteria_ids=list(CriterionId),
            colours=CRITERION_COLOURS,
            accents=_ACCENTS,
            names=CRITERION_NAMES,
            status_labels=STATUS_LABELS,
            extras=[(label, text) for label, text in _EXTRA_LABELS.items() if label in used],
            note_html=highlight_note(decision, note_text),
            can_mark=lambda ev: highlightable(ev, note_text),
            compact=lambda items: _compact(items, note_text),
            topic=topic_name,
            version=reviewer.__version__,
        )
    )
