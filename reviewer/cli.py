"""The command line: `reviewer check`, `reviewer schemas`. Errors are one line on stderr with a
non-zero exit; a traceback is shown only with REVIEWER_DEBUG=1."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reviewer.inputs import NoteInputError, read_note

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Review operative notes for CPT 11004 (NSTI debridement of external genitalia/perineum).",
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class ExtractorName(StrEnum):
    rules = "rules"
    llm = "llm"
    hybrid = "hybrid"


def _fail(message: str, status: int = 2) -> None:
    typer.echo(f"reviewer: error: {message}", err=True)
    raise typer.Exit(status)


def _split_codes(value: str | None) -> list[str]:
    if not value:
        return []
    return [c.strip() for c in value.replace(";", ",").split(",") if c.strip()]


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file so an interrupted run never leaves half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@app.command()
def check(
    note_file: Annotated[str, typer.Argument(metavar="NOTE_FILE|-", help="Note text file, or - for stdin.")],
    sex: Annotated[str | None, typer.Option("--sex", help="Patient sex: M or F.")] = None,
    claimed: Annotated[
        str | None,
        typer.Option("--claimed", help="Claimed codes, comma-separated, e.g. 11004,11042-XS,N49.3"),
    ] = None,
    extractor: Annotated[ExtractorName, typer.Option("--extractor", help="How findings are extracted.")] = (
        ExtractorName.rules
    ),
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.text,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to this file instead of stdout.")
    ] = None,
    note_id: Annotated[str | None, typer.Option("--id", help="Note id to put in the review.")] = None,
) -> None:
    """Review one note: verdict about CPT 11004, criteria with evidence, codes, ICD-10, queries, edits."""
    from reviewer.pipeline import review

    try:
        text, input_warnings = read_note(note_file)
        result = review(
            text,
            sex=sex,
            claimed_codes=_split_codes(claimed),
            extractor=extractor.value,
            note_id=note_id or (Path(note_file).stem if note_file != "-" else None),
        )
    except (NoteInputError, ValueError) as exc:
        _fail(str(exc))
        return
    if input_warnings:
        result = result.model_copy(update={"warnings": input_warnings + result.warnings})
    rendered = _render(result, text, output_format, color=out is None and sys.stdout.isatty())
    if out is not None:
        try:
            write_atomically(out, rendered)
        except OSError as exc:
            _fail(f"{out}: cannot write ({exc.strerror or exc})")
        return
    sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")


def _render(result: object, text: str, output_format: OutputFormat, *, color: bool) -> str:
    from reviewer.pipeline import Review

    assert isinstance(result, Review)
    if output_format is OutputFormat.json:
        return result.model_dump_json()
    if output_format is OutputFormat.html:
        from reviewer.report import render_html

        return render_html(result, text)
    from reviewer.report import render_text

    return render_text(result, text, color=color)


@app.command()
def schemas(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the JSON Schemas to.")] = Path(
        "schemas"
    ),
) -> None:
    """Export the JSON Schemas of Findings, Review and gold cases."""
    from reviewer.schemas import export

    for path in export(out):
        typer.echo(str(path))


def main() -> None:
    """Entry point: no traceback reaches the user unless REVIEWER_DEBUG is set."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("reviewer: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, non-zero exit
        if os.environ.get("REVIEWER_DEBUG"):
            raise
        typer.echo(f"reviewer: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
