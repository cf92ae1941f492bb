"""The command line: typer wiring of the verbs (check, batch, serve, mask, explain, eval, schemas);
what they do lives in the packages. Most of its length is the verbs' options, declared here with
their help. Errors are one line on stderr with a non-zero exit; a traceback is shown only with
REVIEWER_DEBUG=1."""

# Over 500 lines because it holds one typer command per verb with its options; each verb's work
# lives in its own package (pipeline, evaluate, batch, web). Split it once the verbs being added settle.

from __future__ import annotations

import os
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from reviewer.inputs import NoteInputError, read_document
from reviewer.terminal import MIN_WIDTH, text_width

if TYPE_CHECKING:
    from reviewer.evaluate import EvalReport
    from reviewer.extract import Extractor
    from reviewer.pipeline import Review

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


def _fail(message: str, status: int = 2) -> NoReturn:
    typer.echo(f"reviewer: error: {_shown(message)}", err=True)
    raise typer.Exit(status)


def _shown(text: str) -> str:
    """Ids and file names echoed with control characters escaped."""
    from reviewer.terminal import printable

    return printable(text)


def _split_codes(value: str | None) -> list[str]:
    if not value:
        return []
    return [c.strip() for c in value.replace(";", ",").split(",") if c.strip()]


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
ExtractorOption = Annotated[ExtractorName, typer.Option("--extractor", help="How findings are extracted.")]
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
MaskPhiOption = Annotated[
    bool | None,
    typer.Option(
        "--mask-phi/--no-mask-phi",
        help="Mask identifiers before the note is sent to the LLM "
        "(default: on unless the endpoint is on the loopback; REVIEWER_LLM_MASK_PHI).",
    ),
]


@app.command()
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
        claimed_codes=_split_codes(claimed),
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
        _fail(result.error, status=3)


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
            _extractor(extractor, mask_phi),
            document.text,
            sex=sex if sex is not None else document.sex,
            claimed_codes=claimed_codes,
            note_id=note_id,
        )
    except (NoteInputError, ValueError) as exc:
        _fail(str(exc))
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
            _fail(f"{out}: cannot write ({exc.strerror or exc})")
    else:
        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")


@app.command()
def schemas(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the JSON Schemas to.")] = Path(
        "schemas"
    ),
) -> None:
    """Export the JSON Schemas of Findings, Review and gold cases."""
    from reviewer.schemas import export

    for path in export(out):
        typer.echo(_shown(str(path)))


# Over 60 lines only because typer reads the options from the signature; the body just wires.
@app.command("eval")
def eval_command(
    gold_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of gold cases (*.yaml).",
            show_default="the gold set that comes with the tool",
        ),
    ] = None,
    extractor: Annotated[ExtractorName, typer.Option("--extractor", help="How findings are extracted.")] = (
        ExtractorName.rules
    ),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for eval.md, eval.json and eval.html.",
            show_default="eval/out in the repository checkout, else ./eval-out",
        ),
    ] = None,
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Accept this run as the new baseline (rewrites it).")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Baseline file.",
            show_default="baselines/EXTRACTOR.json of the tool's gold set",
        ),
    ] = None,
    gates: Annotated[
        Path | None,
        typer.Option("--gates", help="Gates file.", show_default="gates.yaml of the tool's gold set"),
    ] = None,
    coverage: Annotated[
        bool,
        typer.Option("--coverage", help="Only write GOLD_DIR/COVERAGE.md (decision -> cases) and exit."),
    ] = False,
) -> None:
    """Run the gold cases, report metrics against the baseline and check the gates.

    Works from any directory: the gold set, baselines and gates default to the ones that come
    with the tool (the checkout's eval/ folder, or a copy inside the installed package).
    Exit 0 when every gate passes, 1 when a gate fails (an unsafe case always fails), 2 on bad
    input."""
    from reviewer.evaluate import run

    gold, gates, baseline_path, out = _eval_locations(
        gold_dir, gates, baseline, out, extractor=extractor.value, coverage=coverage, update=update_baseline
    )
    if coverage:
        _write_coverage(gold)
        return
    assert baseline_path is not None
    progress = _EvalProgress(shown=extractor is not ExtractorName.rules and sys.stderr.isatty())
    try:
        report = run(
            gold,
            extractor=extractor.value,
            gates=gates,
            baseline=baseline_path,
            accept_baseline=update_baseline,
            progress=progress,
        )
    except ValueError as exc:  # a bad gold case, gates or baseline file; an unconfigured LLM
        _fail(str(exc))
        return
    finally:
        progress.close()
    _write_eval_files(report, out, baseline_path if update_baseline else None)
    _print_eval(report, out)


def _eval_locations(
    gold_dir: Path | None,
    gates: Path | None,
    baseline: Path | None,
    out: Path | None,
    *,
    extractor: str,
    coverage: bool,
    update: bool,
) -> tuple[Path, Path, Path | None, Path]:
    """The gold set, gates, baseline (None with --coverage) and output folder: as given, else
    the ones that come with the tool (its checkout's eval/, or a copy inside the package)."""
    from reviewer.evaluate import bundled_eval_files

    bundled = bundled_eval_files()
    if bundled is None and (gold_dir is None or gates is None or baseline is None):
        _fail("no gold set comes with this installation: pass GOLD_DIR, --gates and --baseline")
    read_only = "comes with the installed tool and is read-only"
    if gold_dir is None:
        assert bundled is not None
        gold_dir = bundled.gold
        if coverage and bundled.packaged:
            _fail(f"the gold set {read_only}: pass the GOLD_DIR to write COVERAGE.md into")
    if gates is None:
        assert bundled is not None
        gates = bundled.gates
    if out is None:
        in_checkout = bundled is not None and not bundled.packaged and bundled.root == Path("eval").resolve()
        out = Path("eval/out") if in_checkout else Path("eval-out")
    if baseline is None and not coverage:
        assert bundled is not None
        if update and bundled.packaged:
            _fail(f"the baseline {read_only}: pass --baseline FILE to write the new baseline to")
        baseline = bundled.baseline(extractor)
    return gold_dir, gates, baseline, out


def _write_coverage(gold_dir: Path) -> None:
    from reviewer.evaluate import GoldError, load_cases
    from reviewer.evaluate.coverage import coverage_markdown

    target = gold_dir / "COVERAGE.md"
    try:
        write_atomically(target, coverage_markdown(load_cases(gold_dir)))
    except GoldError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{target}: cannot write ({exc.strerror or exc})")
    typer.echo(_shown(str(target)))


class _EvalProgress:
    """'12/171 cases' on a terminal's stderr while an LLM evaluation runs; a newline at the end."""

    def __init__(self, *, shown: bool) -> None:
        self.shown = shown
        self.started = False

    def __call__(self, done: int, total: int) -> None:
        if self.shown:
            sys.stderr.write(f"\r{done}/{total} cases")
            sys.stderr.flush()
            self.started = True

    def close(self) -> None:
        if self.started:
            sys.stderr.write("\n")


_EVAL_REPORTS = ("eval.md", "eval.json", "eval.html")


def _write_eval_files(report: EvalReport, out: Path, baseline: Path | None) -> None:
    """The three reports into `out`, and the run as the new baseline when one is given."""
    from reviewer.evaluate.reports import eval_html, eval_json, eval_markdown

    if baseline is not None:
        try:
            baseline.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(baseline, report.current.model_dump_json(indent=2) + "\n")
        except OSError as exc:
            _fail(f"{baseline}: cannot write ({exc.strerror or exc})")
    renderers = dict(zip(_EVAL_REPORTS, (eval_markdown, eval_json, eval_html), strict=True))
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, render in renderers.items():
            write_atomically(out / name, render(report))
    except OSError as exc:
        _fail(f"{out}: cannot write ({exc.strerror or exc})")


def _print_eval(report: EvalReport, out: Path) -> None:
    """The terminal report and where the files are; each failed gate on stderr, and exit 1."""
    from reviewer.evaluate.reports import eval_text

    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if tty else 120
    sys.stdout.write(eval_text(report, color=tty, width=width))
    typer.echo(_shown(f"Reports: {', '.join(str(out / name) for name in _EVAL_REPORTS)}"))
    failed = [g for g in report.gates if g.failed]
    for g in failed:
        typer.echo(f"gate failed: {g.gate}: {g.detail}", err=True)
    if failed:
        raise typer.Exit(1)


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


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; keep 127.0.0.1 behind a reverse proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)] = 8000,
    root_path: Annotated[
        str,
        typer.Option(
            "--root-path", help="URL prefix the reverse proxy serves the app under, e.g. /reviewer."
        ),
    ] = "",
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (about one per core).", min=1)
    ] = 1,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds one request may take, queueing included.", min=1)
    ] = 120.0,
) -> None:
    """Serve the coder's page and the JSON API (POST /api/review; docs at /docs)."""
    from reviewer.web import serve as server

    try:
        server.check_options(root_path)
    except ValueError as exc:
        _fail(str(exc))
    warning = server.exposure_warning(host)
    if warning:
        typer.echo(f"reviewer: warning: {warning}", err=True)
    server.run(host=host, port=port, root_path=root_path, workers=workers, timeout=timeout)


def _extractor(name: ExtractorName, mask_phi: bool | None) -> Extractor:
    """The extractor called `name`; --mask-phi/--no-mask-phi overrides the LLM configuration."""
    from reviewer.extract import get_extractor

    if mask_phi is None or name is ExtractorName.rules:
        return get_extractor(name.value)
    from reviewer.extract.hybrid import HybridExtractor
    from reviewer.extract.llm import LlmConfig, LlmExtractor

    config = LlmConfig.load().model_copy(update={"mask_phi": mask_phi})
    llm = LlmExtractor(config)
    return llm if name is ExtractorName.llm else HybridExtractor(llm)


@app.command()
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
        _fail(f"--format must be text or json, not {output_format!r}")
    try:
        masked = mask_note(read_document(note_file).text)
    except NoteInputError as exc:
        _fail(str(exc))
    except ImportError as exc:
        _fail(f"masking needs presidio-analyzer: pip install 'op-note-reviewer[llm]' ({exc.name} is missing)")
    prompt = load_prompt()
    out = outgoing_text(
        masked, prompt.version, prompt.messages(masked.text), output_format=output_format, note_only=note_only
    )
    sys.stdout.write(out if out.endswith("\n") else out + "\n")


@app.command()
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
        _fail(str(exc))
    result = explain_review(stored)
    sys.stdout.write(result.text)
    if not result.matches:
        raise typer.Exit(1)


class BatchEngine(StrEnum):
    local = "local"
    ray = "ray"


BatchInputArgument = Annotated[
    Path,
    typer.Argument(metavar="INPUT", help="A folder of .txt notes, a .jsonl or a .csv (id, text, ...)."),
]
BatchOutOption = Annotated[
    Path, typer.Option("--out", help="Output folder (results.jsonl, summary.csv, report.html).")
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Worker processes (default: all cores; Ray: actors)."),
]
EngineOption = Annotated[
    BatchEngine,
    typer.Option("--engine", help="local, or ray (Ray Data: pip install 'op-note-reviewer[ray]')."),
]
CacheOption = Annotated[
    Path | None, typer.Option("--cache", help="SQLite cache of extractions (default: OUT/cache.sqlite).")
]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", min=1, help="LLM calls in flight at once.")]
RpmOption = Annotated[
    float | None,
    typer.Option("--requests-per-minute", "--rpm", min=1, help="LLM requests per minute, at most."),
]
TpmOption = Annotated[
    float | None,
    typer.Option("--tokens-per-minute", "--tpm", min=1, help="LLM tokens per minute, at most."),
]
MaxCostOption = Annotated[
    float | None,
    typer.Option("--max-cost", min=0, help="Stop (resumably) once LLM spend reaches this, in USD."),
]
MaxTokensOption = Annotated[
    int | None,
    typer.Option("--max-tokens", min=1, help="Stop (resumably) once this many LLM tokens are used."),
]
PriceInputOption = Annotated[
    float | None,
    typer.Option(
        "--price-input", min=0, envvar="REVIEWER_PRICE_INPUT", help="USD per million prompt tokens."
    ),
]
PriceOutputOption = Annotated[
    float | None,
    typer.Option(
        "--price-output", min=0, envvar="REVIEWER_PRICE_OUTPUT", help="USD per million completion tokens."
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option("--ray-address", help="Ray cluster address (default: RAY_ADDRESS, else local)."),
]
FreshOption = Annotated[
    bool, typer.Option("--fresh", help="Start OUT again instead of resuming (keeps the cache).")
]


@app.command("batch")
def batch_command(
    input_path: BatchInputArgument,
    out: BatchOutOption,
    workers: WorkersOption = None,
    engine: EngineOption = BatchEngine.local,
    cache: CacheOption = None,
    extractor: ExtractorOption = ExtractorName.rules,
    concurrency: ConcurrencyOption = 8,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    max_tokens: MaxTokensOption = None,
    price_input: PriceInputOption = None,
    price_output: PriceOutputOption = None,
    ray_address: RayAddressOption = None,
    fresh: FreshOption = False,
) -> None:
    """Review many notes against their intended claims: a ranked worklist of the claims at risk.

    Re-running the same command resumes. Exit status: 0 every note reviewed; 1 some rows failed
    (see their reason in summary.csv); 2 bad input; 4 stopped by --max-cost/--max-tokens
    (resumable); 130 interrupted (resumable)."""
    from reviewer.batch import BatchOptions, run_batch
    from reviewer.batch.local import LlmLimits
    from reviewer.batch.progress import Prices
    from reviewer.batch.runner import resume_command
    from reviewer.batch.summary import print_summary

    options = BatchOptions(
        input=input_path,
        out=out,
        extractor=extractor.value,
        engine=engine.value,
        workers=workers,
        cache=cache,
        limits=LlmLimits(concurrency=concurrency, requests_per_minute=rpm, tokens_per_minute=tpm),
        prices=Prices(input=price_input, output=price_output),
        max_cost=max_cost,
        max_tokens=max_tokens,
        ray_address=ray_address,
        fresh=fresh,
        command=resume_command(sys.argv[2:]),
    )
    try:
        run = run_batch(options)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    print_summary(run, options)
    if run.exit_code:
        raise typer.Exit(run.exit_code)


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
        typer.echo(_shown(f"reviewer: internal error: {type(exc).__name__}: {exc}"), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
