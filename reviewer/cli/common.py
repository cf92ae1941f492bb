"""What every verb of the command line shares: the typer app, one-line errors, atomic report
files, the extractor as the options ask for it, and --version."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from reviewer.extract import Extractor

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Review operative notes for CPT 11004 (NSTI debridement of external genitalia/perineum).",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help and usage errors: readable in any terminal and pipe; flags as flags
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


class ExtractorName(StrEnum):
    rules = "rules"
    llm = "llm"
    hybrid = "hybrid"


def fail(message: str, status: int = 2) -> NoReturn:
    typer.echo(f"reviewer: error: {shown(message)}", err=True)
    raise typer.Exit(status)


def shown(text: str) -> str:
    """Ids and file names echoed with control characters escaped."""
    from reviewer.terminal import printable

    return printable(text)


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file so an interrupted run never leaves half a report, and a failed
    write leaves no temporary file behind (it holds the report: PHI). New files are readable by
    their owner only; an existing file keeps its permissions."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        if path.exists():
            tmp.chmod(path.stat().st_mode & 0o7777)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


ExtractorOption = Annotated[ExtractorName, typer.Option("--extractor", help="How findings are extracted.")]
MaskPhiOption = Annotated[
    bool | None,
    typer.Option(
        "--mask-phi/--no-mask-phi",
        help="Mask identifiers before the note is sent to the LLM "
        "(default: on unless the endpoint is on the loopback; REVIEWER_LLM_MASK_PHI).",
    ),
]


def version_text() -> str:
    """'op-note-reviewer 0.1.0 (ruleset 1.1.0, lexicon 1.3.0)': what a verdict depends on."""
    from importlib import resources

    import yaml

    import reviewer
    from reviewer.rules.ruleset import ruleset_version

    lexicon = yaml.safe_load(resources.files("reviewer.data").joinpath("lexicon.yaml").read_text("utf-8"))
    return (
        f"op-note-reviewer {reviewer.__version__} "
        f"(ruleset {ruleset_version()}, lexicon {lexicon.get('version', 'unversioned')})"
    )


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the versions of the tool, its ruleset and its lexicon, and exit.",
        ),
    ] = False,
) -> None:
    pass


def extractor_for(name: ExtractorName, mask_phi: bool | None) -> Extractor:
    """The extractor called `name`; --mask-phi/--no-mask-phi overrides the LLM configuration."""
    from reviewer.extract import get_extractor

    if mask_phi is None or name is ExtractorName.rules:
        return get_extractor(name.value)
    from reviewer.extract.llm import LlmConfig, LlmExtractor

    config = LlmConfig.load().model_copy(update={"mask_phi": mask_phi})
    return get_extractor(name.value, llm=LlmExtractor(config))
