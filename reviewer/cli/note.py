"""The single-note verbs: `check` (review one note), `schemas`, `mask` (what would be sent to an
LLM) and `explain` (re-derive a stored review)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reviewer.cli.common import (
    ExtractorName,
    ExtractorOption,
    MaskPhiOption,
    OutputFormat,
    extractor_for,
    fail,
    shown,
    write_atomically,
)
from reviewer.inputs import NoteInputError, read_document
from reviewer.inputs.claim import split_codes
from reviewer.terminal import MIN_WIDTH, text_width

if TYPE_CHECKING:
    from reviewer.pipeline import Review

NoteFileArgument = Annotated[
    str,
    typer.Argument(
        metavar="NOTE_FILE|-",
        help="Note file (.txt, .rtf, .docx, .pdf, FHIR JSON, HL7 v2), or - for stdin.",
    ),
]
SexOption = Annotated[
    str | None, typer.Option("--sex", help="Patient sex: M or F (default: from the message, if it says).")
]
ClaimedOption = Annotated[
    str | None,
    typer.Option("--claimed", help="Claimed codes, comma-separated, e.g. 11004,11042-XS,N49.3"),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
ReportFileOption = Annotated[
    Path | None, typer.Option("--out", help="Write the report to this file instead of stdout.")
]
NoteIdOption = Annotated[str | None, typer.Option("--id", help="Note id to put in the review.")]
WidthOption = Annotated[
    int | None,
    typer.Option(
        "--width",
        min=MIN_WIDTH,
        max=400,
        help="Text report width in columns (default: the terminal's, at most 120; 80 when piped).",
    ),
]


def check(
    note_file: NoteFileArgument,
    sex: SexOption = None,
    claimed: ClaimedOption = None,
    extractor: ExtractorOption = ExtractorName.rules,
    output_format: FormatOption = OutputFormat.text,
    out: ReportFileOption = None,
    note_id: NoteIdOption = None,
    width: WidthOption = None,
    mask_phi: MaskPhiOption = None,
) -> None:
    """Review one note: verdict about CPT 11004, criteria with evidence, codes, ICD-10, queries, edits."""
    from reviewer.report import render

    text, result = _review_note_file(
        note_file,
        sex=sex,
        claimed_codes=split_codes(claimed),
        extractor=extractor,
        mask_phi=mask_phi,
        note_id=note_id or (Path(note_file).stem if note_file != "-" else None),
    )
    to_terminal = out is None and sys.stdout.isatty()
    rendered = render(
        result,
        text,
        output_format.value,
        color=to_terminal and not os.environ.get("NO_COLOR"),
        width=text_width(width, to_terminal=to_terminal),
    )
    _write_report(rendered, out)
    if result.error:
        # The review is still printed (verdict `query`), but the run failed: say so and exit 3.
        fail(result.error, status=3)


def _review_note_file(
    note_file: str,
    *,
    sex: str | None,
    claimed_codes: list[str],
    extractor: ExtractorName,
    mask_phi: bool | None,
    note_id: str | None,
) -> tuple[str, Review]:
    """The note's text and its review, with what reading the file found among the warnings.
    Bad input (a file, an option, the LLM configuration) is a one-line error."""
    from reviewer.pipeline import review_with

    try:
        document = read_document(note_file)
        result = review_with(
            extractor_for(extractor, mask_phi),
            document.text,
            sex=sex if sex is not None else document.sex,
            claimed_codes=claimed_codes,
            note_id=note_id,
        )
    except (NoteInputError, ValueError) as exc:
        fail(str(exc))
    input_warnings = document.warnings + document.context_notes(sex)
    if input_warnings:
        result = result.model_copy(update={"warnings": input_warnings + result.warnings})
    return document.text, result


def _write_report(rendered: str, out: Path | None) -> None:
    """To `out` (atomically), else to stdout, ending with one newline."""
    if out is not None:
        try:
            write_atomically(out, rendered)
        except OSError as exc:
            fail(f"{out}: cannot write ({exc.strerror or exc})")
    else:
        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")


def schemas(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the JSON Schemas to.")] = Path(
        "schemas"
    ),
) -> None:
    """Export the JSON Schemas of Findings, Review and gold cases."""
    from reviewer.schemas import export

    for path in export(out):
        typer.echo(shown(str(path)))


def mask(
    note_file: Annotated[str, typer.Argument(metavar="NOTE_FILE|-", help="Note text file, or - for stdin.")],
    note_only: Annotated[
        bool, typer.Option("--note-only", help="Print only the masked note, not the whole messages.")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="text (the messages as they read) or json (as sent).")
    ] = "text",
) -> None:
    """Print exactly what would be sent to the LLM for this note, identifiers masked.

    The messages are built by the configured LLM extractor's own code (prompt version and all);
    masking is applied here whatever the endpoint, so a privacy officer sees what leaves."""
    from reviewer.extract.prompt import load_prompt
    from reviewer.privacy import mask as mask_note
    from reviewer.privacy.outgoing import FORMATS, outgoing_text

    if output_format not in FORMATS:
        fail(f"--format must be text or json, not {output_format!r}")
    try:
        masked = mask_note(read_document(note_file).text)
    except NoteInputError as exc:
        fail(str(exc))
    except ImportError as exc:
        fail(f"masking needs presidio-analyzer: pip install 'op-note-reviewer[llm]' ({exc.name} is missing)")
    prompt = load_prompt()
    out = outgoing_text(
        masked, prompt.version, prompt.messages(masked.text), output_format=output_format, note_only=note_only
    )
    sys.stdout.write(out if out.endswith("\n") else out + "\n")


def explain(
    review_file: Annotated[
        Path, typer.Argument(metavar="REVIEW.json", help="A Review as `check --format json` wrote it.")
    ],
) -> None:
    """Re-run the rule layer on a stored review's findings, tell the decision path in words, and
    say whether it matches the stored decision (exit 1 when it does not)."""
    from reviewer.explain import explain as explain_review
    from reviewer.explain import read_review

    try:
        stored = read_review(review_file)
    except ValueError as exc:
        fail(str(exc))
    result = explain_review(stored)
    sys.stdout.write(result.text)
    if not result.matches:
        raise typer.Exit(1)
