"""Plain-text (optionally coloured) report for a medical coder.

The verdict comes first, then the criteria with their evidence, codes, ICD-10-CM, queries,
claim edits, flags, warnings and a provenance footer. Only evidence quotes from the note are
printed, never the whole note (it is PHI). All note-derived text goes through `rich.text.Text`,
never through console markup, so a quote containing "[bold]" prints as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import StringIO

from rich import box
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
from reviewer.report.shown import shown

__all__ = [
    "CRITERION_NAMES",
    "MISMATCH_WARNING",
    "STATUS_LABELS",
    "VERDICT_LABELS",
    "evidence_location",
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

_VERDICT_STYLES: dict[Verdict, str] = {
    Verdict.supported: "bold green",
    Verdict.not_supported: "bold red",
    Verdict.query: "bold yellow",
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


def _quotes(evidence: Iterable[Evidence], indent: int = 2) -> list[RenderableType]:
    """Quotes in one column, their locations aligned in the next (wrapping inside each)."""
    items = list(evidence)
    if not items:
        return []
    grid = Table.grid(padding=(0, 2, 0, 0), pad_edge=False)
    grid.add_column(width=max(indent - 2, 0), no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_column(overflow="fold")
    for ev in items:
        grid.add_row(Text(""), Text(f'"{ev.quote}"', style=_QUOTE), Text(evidence_location(ev), style=_DIM))
    return [grid]


def _heading(title: str, count: int | None = None) -> Text:
    text = Text(title, style=_HEADING)
    if count is not None:
        text.append(f" ({count})", style=_DIM)
    return text


def _none(title: str) -> Text:
    text = Text(title, style=_HEADING)
    text.append(": none", style=_DIM)
    return text


def _table(*columns: tuple[str, dict[str, object]]) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=True,
        header_style="bold",
    )
    for name, options in columns:
        table.add_column(name, **options)  # type: ignore[arg-type]
    return table


def _criteria(criteria: Sequence[Criterion]) -> RenderableType:
    table = _table(
        ("Criterion", {"ratio": 3, "overflow": "fold"}),
        ("Status", {"no_wrap": True, "min_width": 7}),
        ("Reason and evidence", {"ratio": 7, "overflow": "fold"}),
    )
    for i, crit in enumerate(criteria):
        cell: list[RenderableType] = [Text(crit.reason)]
        cell.extend(_quotes(crit.evidence))
        if not crit.evidence:
            cell.append(Text("  no evidence quoted", style=_DIM))
        table.add_row(
            Text(CRITERION_NAMES.get(crit.id, crit.id.value)),
            Text(STATUS_LABELS[crit.status], style=_STATUS_STYLES[crit.status]),
            Group(*cell),
            end_section=i < len(criteria) - 1,
        )
    return table


def _codes(codes: Sequence[RecommendedCode]) -> RenderableType:
    table = _table(
        ("Code", {"no_wrap": True}),
        ("Units", {"justify": "right", "no_wrap": True}),
        ("Modifiers", {"no_wrap": True}),
        ("Role", {"no_wrap": True}),
        ("Description", {"ratio": 4, "overflow": "fold"}),
        ("Reason", {"ratio": 4, "overflow": "fold"}),
    )
    for code in codes:
        table.add_row(
            Text(code.code, style="bold"),
            Text(str(code.units)),
            Text(", ".join(code.modifiers) or "-"),
            Text(code.role.value),
            Text(code.description or "-"),
            Text(code.reason or "-"),
        )
    return table


def _icd10(items: Sequence[Icd10Suggestion]) -> RenderableType:
    table = _table(
        ("Code", {"no_wrap": True}),
        ("Title", {"ratio": 4, "overflow": "fold"}),
        ("Billable", {"no_wrap": True}),
        ("Reason", {"ratio": 5, "overflow": "fold"}),
    )
    for item in items:
        table.add_row(
            Text(item.code, style="bold"),
            Text(item.title),
            Text("yes" if item.billable else "NO", style="" if item.billable else "bold red"),
            Text(item.reason or "-"),
        )
    return table


def topic_name(topic: str) -> str:
    """A query topic (a criterion id, or e.g. 'area') in plain words."""
    try:
        return CRITERION_NAMES[CriterionId(topic)]
    except ValueError:
        return topic.replace("_", " ")


def _indented(renderable: RenderableType, by: int) -> RenderableType:
    return Padding(renderable, (0, 0, 0, by))


def _queries(queries: Sequence[Query]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for n, query in enumerate(queries, 1):
        head = Text(f"{n}. ", style="bold")
        head.append(f"About: {topic_name(query.topic)}", style="bold")
        out.append(head)
        body: list[RenderableType] = [Text(query.question)]
        body.extend(Text(f"[ ] {option}") for option in query.options)
        if query.indicators:
            body.append(Text("Indicators in the note:", style=_DIM))
            body.extend(_quotes(query.indicators))
        out.append(_indented(Group(*body), 3))
    return out


def _edits(edits: Sequence[Edit]) -> RenderableType:
    table = _table(
        ("Severity", {"no_wrap": True}),
        ("Kind", {"ratio": 2, "overflow": "fold"}),
        ("Codes", {"no_wrap": True}),
        ("Message", {"ratio": 6, "overflow": "fold"}),
    )
    for edit in edits:
        message: list[RenderableType] = [Text(edit.message)]
        if edit.source:
            message.append(Text(f"source: {edit.source}", style=_DIM))
        table.add_row(
            Text(edit.severity.value.upper(), style=_SEVERITY_STYLES[edit.severity]),
            Text(edit.kind.replace("_", " ")),
            Text(", ".join(edit.codes) or "-"),
            Group(*message),
        )
    return table


def _bullet(message: str) -> RenderableType:
    table = Table.grid()
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row(Text("- "), Text(message))
    return table


def _flags(flags: Sequence[Flag]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for flag in flags:
        out.append(Text("- " + flag.kind.replace("_", " "), style="bold"))
        body: list[RenderableType] = [Text(flag.message)]
        body.extend(_quotes(flag.evidence))
        out.append(_indented(Group(*body), 2))
    return out


def _footer(review: Review) -> Text:
    ext = review.extractor
    extractor = ext.name
    if ext.model:
        extractor += f" / {ext.model}"
    if ext.prompt_version:
        extractor += f" / prompt {ext.prompt_version}"
    return Text(
        f"ruleset {review.ruleset_version} | extractor {extractor} | note {review.note_id} | "
        f"sha256 {review.note_sha256[:12]} | schema {review.schema_version}",
        style=_DIM,
    )


def _blocks(review: Review, note_text: str) -> list[RenderableType]:
    decision = review.decision
    out: list[RenderableType] = [
        Text(f"CPT 11004: {VERDICT_LABELS[decision.verdict]}", style=_VERDICT_STYLES[decision.verdict]),
        Text(decision.summary),
    ]
    if not note_matches(review, note_text):
        out.append(Text(MISMATCH_WARNING, style="bold red"))
    if review.error:
        out.append(Text(f"Extraction error: {review.error}", style="bold red"))

    out += [Text(""), _heading("Criteria"), _criteria(decision.criteria)]

    def section(title: str, items: Sequence[object], body: Iterable[RenderableType]) -> None:
        out.append(Text(""))
        if not items:
            out.append(_none(title))
            return
        out.append(_heading(title, len(items)))
        out.extend(body)

    codes, icd, queries = decision.recommended_codes, decision.icd10, decision.queries
    section("Recommended codes", codes, [_codes(codes)] if codes else [])
    section("ICD-10-CM suggestions", icd, [_icd10(icd)] if icd else [])
    section("Physician queries", queries, _queries(queries))
    section("Claim edits", decision.edits, [_edits(decision.edits)] if decision.edits else [])
    if decision.flags:
        section("Flags", decision.flags, _flags(decision.flags))
    if review.warnings:
        section("Warnings", review.warnings, [_bullet(w) for w in review.warnings])
    out += [Text(""), _footer(review)]
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


def render_text(review: Review, note_text: str, *, color: bool = False, width: int = 100) -> str:
    """The review as a text report for a coder, verdict first.

    `note_text` is only checked against the review's sha256 (a mismatch is reported at the
    top); the note itself is never printed, only the evidence quotes recorded in the review."""
    buffer = StringIO()
    console = report_console(buffer, width=width, color=color)
    for block in _blocks(shown(review), note_text):
        console.print(block)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
