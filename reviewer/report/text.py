"""Plain-text (optionally coloured) report for a medical coder.

The headline comes first (what to bill, or that the review failed), then why, the criteria
with their evidence, codes, ICD-10-CM, queries, claim edits, flags, warnings and a provenance
footer. Only evidence quotes from the note are printed, never the whole note (it is PHI).

Made for a terminal of any width (80 columns by default) and for pipes: no tables or
box-drawing characters, lines wrap between words with hanging indents, and colour only when
asked. Evidence is located by section name; character offsets are in the JSON. All
note-derived text goes through `rich.text.Text`, never through console markup, so a quote
containing "[bold]" prints as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import StringIO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from reviewer.decision import (
    Criterion,
    CriterionId,
    Edit,
    Flag,
    Icd10Suggestion,
    Query,
    RecommendedCode,
    Severity,
    Status,
    Verdict,
)
from reviewer.findings import Alignment, Evidence
from reviewer.note import Note
from reviewer.pipeline import Review
from reviewer.report.headline import (
    NOTHING_READ,
    PARTIAL,
    WITHHELD,
    Tone,
    displayed_decision,
    explanation,
    headline,
)
from reviewer.report.shown import shown

__all__ = [
    "CRITERION_NAMES",
    "MISMATCH_WARNING",
    "STATUS_LABELS",
    "VERDICT_LABELS",
    "evidence_location",
    "evidence_place",
    "kind_name",
    "note_matches",
    "render_text",
    "section_name",
    "topic_name",
]

CRITERION_NAMES: dict[CriterionId, str] = {
    CriterionId.necrotizing_infection: "Necrotizing soft tissue infection",
    CriterionId.site: "Site: external genitalia / perineum",
    CriterionId.excisional: "Excisional technique",
    CriterionId.depth: "Depth of tissue removed",
}

VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.supported: "SUPPORTED",
    Verdict.not_supported: "NOT SUPPORTED",
    Verdict.query: "QUERY THE SURGEON",
}

STATUS_LABELS: dict[Status, str] = {
    Status.met: "MET",
    Status.not_met: "NOT MET",
    Status.unclear: "UNCLEAR",
}

_TONE_STYLES: dict[Tone, str] = {
    "supported": "bold green",
    "not_supported": "bold red",
    "query": "bold yellow",
    "failed": "bold red",
}

_STATUS_STYLES: dict[Status, str] = {
    Status.met: "green",
    Status.not_met: "red",
    Status.unclear: "yellow",
}

_SEVERITY_STYLES: dict[Severity, str] = {
    Severity.error: "bold red",
    Severity.warning: "yellow",
    Severity.info: "cyan",
}

_HEADING = "bold underline"
_QUOTE = "italic"
_DIM = "dim"
_INDENT = 2  # entries under a heading
_LABEL = 9  # the label column of an entry: "NOT MET" and a gap


MISMATCH_WARNING = (
    "Warning: this note text is not the text that was reviewed (sha256 differs); "
    "quoted offsets may not match it."
)


def note_matches(review: Review, note_text: str) -> bool:
    """Whether `note_text` is the exact text the review was made from."""
    return Note(note_text).sha256 == review.note_sha256


def section_name(section: str) -> str:
    """'postoperative_diagnosis' -> 'postoperative diagnosis'."""
    return section.replace("_", " ").strip() or "body"


def evidence_location(ev: Evidence) -> str:
    """Where a quote sits: '(description, chars 412-440)' or '(..., not found in the note)'."""
    where = section_name(ev.section)
    if ev.start < 0 or ev.alignment is Alignment.unaligned:
        return f"({where}, not found in the note)"
    match = "" if ev.alignment is Alignment.exact else f", {ev.alignment.value} match"
    return f"({where}, chars {ev.start}-{ev.end}{match})"


def evidence_place(ev: Evidence) -> str:
    """Where a quote sits, in words (offsets are for the JSON): 'description',
    'description, fuzzy match', 'not found in the note'."""
    if ev.start < 0 or ev.alignment is Alignment.unaligned:
        return "not found in the note"
    where = section_name(ev.section)
    return where if ev.alignment is Alignment.exact else f"{where}, {ev.alignment.value} match"


def _quotes(evidence: Iterable[Evidence]) -> list[RenderableType]:
    """One line per distinct quote ('- "quote" (where; where)'), wrapping under itself."""
    places: dict[str, list[str]] = {}
    for ev in evidence:
        where = places.setdefault(ev.quote, [])
        if (place := evidence_place(ev)) not in where:
            where.append(place)
    out: list[RenderableType] = []
    for quote, where in places.items():
        line = Text(f'"{quote}"', style=_QUOTE)
        line.append(f" ({'; '.join(where)})", style=_DIM)
        out.append(_hanging(Text("-"), line, 2))
    return out


def _hanging(label: Text, body: RenderableType, width: int) -> RenderableType:
    """`label` in a column of `width`, `body` beside it, wrapping under itself."""
    grid = Table.grid(padding=0, pad_edge=False)
    grid.add_column(width=width, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(label, body)
    return grid


def _entry(label: Text, lines: Sequence[RenderableType], width: int = _LABEL) -> RenderableType:
    """An indented entry: a label, and its lines beside it."""
    return _indented(_hanging(label, Group(*lines), width), _INDENT)


def _heading(title: str, count: int | None = None) -> Text:
    text = Text(title, style=_HEADING)
    if count is not None:
        text.append(f" ({count})", style=_DIM)
    return text


def _none(title: str) -> Text:
    text = Text(title, style=_HEADING)
    text.append(": none", style=_DIM)
    return text


def _criteria(criteria: Sequence[Criterion]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for crit in criteria:
        lines: list[RenderableType] = [
            Text(CRITERION_NAMES.get(crit.id, crit.id.value), style="bold"),
            Text(crit.reason),
        ]
        lines.extend(_quotes(crit.evidence) or [Text("No evidence quoted.", style=_DIM)])
        out.append(_entry(Text(STATUS_LABELS[crit.status], style=_STATUS_STYLES[crit.status]), lines))
    return _spaced(out)


def _codes(codes: Sequence[RecommendedCode]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for code in codes:
        what = Text(code.role.value, style="bold")
        what.append(f", {code.units} unit{'s' if code.units != 1 else ''}")
        if code.modifiers:
            what.append(f", modifier{'s' if len(code.modifiers) > 1 else ''} {', '.join(code.modifiers)}")
        lines: list[RenderableType] = [what]
        if code.description:
            lines.append(Text(code.description))
        if code.reason:
            lines.append(Text(code.reason, style=_DIM))
        out.append(_entry(Text(code.code, style="bold"), lines))
    return _spaced(out)


def _icd10(items: Sequence[Icd10Suggestion]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for item in items:
        title = Text(item.title, style="bold")
        title.append(
            " (billable)" if item.billable else " (NOT BILLABLE)", style="" if item.billable else "bold red"
        )
        lines: list[RenderableType] = [title]
        if item.reason:
            lines.append(Text(item.reason))
        out.append(_entry(Text(item.code, style="bold"), lines))
    return _spaced(out)


def topic_name(topic: str) -> str:
    """A query topic (a criterion id, or e.g. 'area') in plain words."""
    try:
        return CRITERION_NAMES[CriterionId(topic)]
    except ValueError:
        return _capitalised(topic.replace("_", " "))


def _indented(renderable: RenderableType, by: int) -> RenderableType:
    return Padding(renderable, (0, 0, 0, by))


def _queries(queries: Sequence[Query]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for n, query in enumerate(queries, 1):
        lines: list[RenderableType] = [Text(topic_name(query.topic), style="bold"), Text(query.question)]
        lines.extend(_hanging(Text("[ ]"), Text(option), 4) for option in query.options)
        if query.indicators:
            lines.append(Text("Indicators in the note:", style=_DIM))
            lines.extend(_quotes(query.indicators))
        out.append(_entry(Text(f"{n}.", style="bold"), lines, 4))
    return _spaced(out)


def _edits(edits: Sequence[Edit]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for edit in edits:
        kind = Text(kind_name(edit.kind), style="bold")
        if edit.codes:
            kind.append(f" ({', '.join(edit.codes)})")
        lines: list[RenderableType] = [kind, Text(edit.message)]
        if edit.source:
            lines.append(Text(f"Source: {edit.source}", style=_DIM))
        label = Text(edit.severity.value.upper(), style=_SEVERITY_STYLES[edit.severity])
        out.append(_entry(label, lines))
    return _spaced(out)


def _bullet(message: str) -> RenderableType:
    return _indented(_hanging(Text("-"), Text(message), 2), _INDENT)


def _flags(flags: Sequence[Flag]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for flag in flags:
        body = _indented(Group(Text(flag.message), *_quotes(flag.evidence)), 2)
        kind = Text(kind_name(flag.kind), style="bold")
        out.append(_indented(Group(kind, body), _INDENT))
    return _spaced(out)


def _spaced(entries: Sequence[RenderableType]) -> list[RenderableType]:
    """Entries with a blank line between them."""
    out: list[RenderableType] = []
    for i, entry in enumerate(entries):
        if i:
            out.append(Text(""))
        out.append(entry)
    return out


_KIND_NAMES = {
    "ptp_no_modifier_allowed": "NCCI pair, no modifier allowed",
    "ptp_modifier_required": "NCCI pair, modifier required",
    "mue_exceeded": "MUE exceeded",
    "addon_without_primary": "Add-on without its primary code",
    "icd10_not_billable": "ICD-10-CM code not billable",
    "groin_in_field": "Groin in the field",
}


def kind_name(kind: str) -> str:
    """An edit or flag kind in words: 'mue_exceeded' -> 'MUE exceeded'."""
    return _KIND_NAMES.get(kind) or _capitalised(kind.replace("_", " "))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _footer(review: Review, width: int) -> list[Text]:
    """Provenance, one item never split across lines: 'ruleset 1.1.0 | extractor rules | ...'."""
    ext = review.extractor
    extractor = ext.name
    if ext.model:
        extractor += f" / {ext.model}"
    if ext.prompt_version:
        extractor += f" / prompt {ext.prompt_version}"
    items = [
        f"ruleset {review.ruleset_version}",
        f"extractor {extractor}",
        f"note {review.note_id}",
        f"sha256 {review.note_sha256[:12]}",
        f"schema {review.schema_version}",
    ]
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += " | " + item
        else:
            lines.append(item)
    return [Text(line, style=_DIM) for line in lines]


def _blocks(review: Review, note_text: str, width: int) -> list[RenderableType]:
    head = headline(review)
    why = explanation(review)
    out: list[RenderableType] = [Text(head.text, style=_TONE_STYLES[head.tone]), Text(why.intro)]
    out.extend(_hanging(Text("-"), Text(reason), 2) for reason in why.reasons)
    if not note_matches(review, note_text):
        out.append(Text(MISMATCH_WARNING, style="bold red"))

    decision = displayed_decision(review)

    def section(title: str, items: Sequence[object], body: Iterable[RenderableType]) -> None:
        out.append(Text(""))
        if not items:
            out.append(_none(title))
            return
        out.append(_heading(title, len(items)))
        out.extend(body)

    if review.error:
        out.append(Text(""))
        if decision.criteria:
            heading = _heading("Criteria")
            heading.append(f" ({PARTIAL})", style="bold red")
            out.append(heading)
            out.extend(_criteria(decision.criteria))
            out.append(Text(""))
        else:
            out.append(Text(NOTHING_READ, style="bold"))
        out.append(Text(WITHHELD, style=_DIM))
    else:
        codes, icd, queries = decision.recommended_codes, decision.icd10, decision.queries
        out += [Text(""), _heading("Criteria"), *_criteria(decision.criteria)]
        section("Recommended codes", codes, _codes(codes))
        section("ICD-10-CM suggestions", icd, _icd10(icd))
        section("Physician queries", queries, _queries(queries))
        section("Claim edits", decision.edits, _edits(decision.edits))
        if decision.flags:
            section("Flags", decision.flags, _flags(decision.flags))
    if review.warnings:
        section("Warnings", review.warnings, [_bullet(w) for w in review.warnings])
    out += [Text(""), *_footer(review, width)]
    return out


def report_console(buffer: StringIO, *, width: int, color: bool) -> Console:
    """A rich console writing to `buffer`: no markup, emoji or highlighting is read from the
    text (notes and quotes are printed as written), colour only when asked."""
    return Console(
        file=buffer,
        width=width,
        force_terminal=color,
        force_jupyter=False,
        force_interactive=False,
        color_system="standard" if color else None,
        no_color=not color,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
        soft_wrap=False,
    )


def render_text(review: Review, note_text: str, *, color: bool = False, width: int = 80) -> str:
    """The review as a text report for a coder, headline first, no line wider than `width`.

    `note_text` is only checked against the review's sha256 (a mismatch is reported at the
    top); the note itself is never printed, only the evidence quotes recorded in the review."""
    buffer = StringIO()
    console = report_console(buffer, width=width, color=color)
    for block in _blocks(shown(review), note_text, width):
        console.print(block)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
