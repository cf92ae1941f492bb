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
    else:
        sys.stdout.write(rendered if rendered.endswith("\n") else rendered + "\n")
    if result.error:
        # The review is still printed (verdict `query`), but the run failed: say so and exit 3.
        _fail(result.error, status=3)


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


@app.command("eval")
def eval_command(
    gold_dir: Annotated[Path, typer.Argument(help="Folder of gold cases (*.yaml).")] = Path("eval/gold"),
    extractor: Annotated[ExtractorName, typer.Option("--extractor", help="How findings are extracted.")] = (
        ExtractorName.rules
    ),
    out: Annotated[Path, typer.Option("--out", help="Folder for eval.md, eval.json and eval.html.")] = Path(
        "eval/out"
    ),
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Accept this run as the new baseline (rewrites it).")
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="Baseline file (default: eval/baselines/EXTRACTOR.json)."),
    ] = None,
    gates: Annotated[Path, typer.Option("--gates", help="Gates file.")] = Path("eval/gates.yaml"),
    coverage: Annotated[
        bool,
        typer.Option("--coverage", help="Only write GOLD_DIR/COVERAGE.md (branch -> cases) and exit."),
    ] = False,
) -> None:
    """Run the gold cases, report metrics against the baseline and check the gates.

    Exit 0 when every gate passes, 1 when a gate fails, 2 on bad input."""
    import shutil
    import time

    from reviewer.evaluate import (
        EvalError,
        EvalReport,
        compare,
        compute_metrics,
        evaluate_gates,
        load_gates,
        load_snapshot,
        run_cases,
        snapshot,
    )
    from reviewer.extract import get_extractor
    from reviewer.gold import GoldError, load_cases
    from reviewer.report.eval import coverage_markdown, eval_html, eval_json, eval_markdown, eval_text

    if coverage:
        try:
            cases = load_cases(gold_dir)
            target = gold_dir / "COVERAGE.md"
            write_atomically(target, coverage_markdown(cases))
        except GoldError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{gold_dir / 'COVERAGE.md'}: cannot write ({exc.strerror or exc})")
        typer.echo(str(gold_dir / "COVERAGE.md"))
        return

    baseline_path = baseline or Path("eval/baselines") / f"{extractor.value}.json"
    try:
        engine = get_extractor(extractor.value)
        gate_list = load_gates(gates, extractor.value)
        old = load_snapshot(baseline_path) if baseline_path.exists() else None
        if old is not None and old.extractor != extractor.value:
            raise EvalError(
                f"{baseline_path}: field extractor: the baseline is for {old.extractor!r}, not {extractor.value!r}"
            )
        cases = load_cases(gold_dir)
    except (GoldError, EvalError, ValueError) as exc:
        _fail(str(exc))
        return

    fatal: tuple[type[BaseException], ...] = ()
    if extractor is not ExtractorName.rules:  # a configuration error stops the run: bad input
        from reviewer.extract.llm import LlmNotConfigured

        fatal = (LlmNotConfigured,)

    def progress(i: int, result: object) -> None:
        if extractor is not ExtractorName.rules and sys.stderr.isatty():
            sys.stderr.write(f"\r{i + 1}/{len(cases)} cases")
            sys.stderr.flush()

    started = time.perf_counter()
    try:
        results = run_cases(
            cases, engine, warmup=extractor is ExtractorName.rules, fatal=fatal, progress=progress
        )
    except ValueError as exc:
        _fail(str(exc))
        return
    finally:
        if extractor is not ExtractorName.rules and sys.stderr.isatty():
            sys.stderr.write("\n")
    elapsed = time.perf_counter() - started
    current = snapshot(results, compute_metrics(results), extractor=extractor.value)
    delta = compare(current, old) if old is not None else None
    reference = old
    if update_baseline:
        try:
            baseline_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(baseline_path, current.model_dump_json(indent=2) + "\n")
        except OSError as exc:
            _fail(f"{baseline_path}: cannot write ({exc.strerror or exc})")
        reference = current
    report = EvalReport(
        extractor=extractor.value,
        gold_dir=str(gold_dir),
        elapsed_s=elapsed,
        current=current,
        results=results,
        baseline_path=str(baseline_path),
        baseline=old,
        baseline_updated=update_baseline,
        delta=delta,
        gates=evaluate_gates(gate_list, current, reference),
    )
    written = {
        "eval.md": eval_markdown(report),
        "eval.json": eval_json(report),
        "eval.html": eval_html(report),
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in written.items():
            write_atomically(out / name, text)
    except OSError as exc:
        _fail(f"{out}: cannot write ({exc.strerror or exc})")
    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if tty else 120
    sys.stdout.write(eval_text(report, color=tty, width=width))
    typer.echo(f"Reports: {', '.join(str(out / name) for name in written)}")
    failed = [g for g in report.gates if g.failed]
    for g in failed:
        typer.echo(f"gate failed: {g.gate}: {g.detail}", err=True)
    if failed:
        raise typer.Exit(1)


class BatchEngine(StrEnum):
    local = "local"
    ray = "ray"


@app.command("batch")
def batch_command(
    input_path: Annotated[
        Path,
        typer.Argument(metavar="INPUT", help="A folder of .txt notes, a .jsonl or a .csv (id, text, ...)."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Output folder (results.jsonl, summary.csv, report.html).")
    ],
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: all cores; Ray: actors)."),
    ] = None,
    engine: Annotated[
        BatchEngine,
        typer.Option("--engine", help="local, or ray (Ray Data: pip install 'op-note-reviewer[ray]')."),
    ] = BatchEngine.local,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="SQLite cache of extractions (default: OUT/cache.sqlite).")
    ] = None,
    extractor: Annotated[ExtractorName, typer.Option("--extractor", help="How findings are extracted.")] = (
        ExtractorName.rules
    ),
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="LLM calls in flight at once.")
    ] = 8,
    rpm: Annotated[
        float | None,
        typer.Option("--requests-per-minute", "--rpm", min=1, help="LLM requests per minute, at most."),
    ] = None,
    tpm: Annotated[
        float | None,
        typer.Option("--tokens-per-minute", "--tpm", min=1, help="LLM tokens per minute, at most."),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", min=0, help="Stop (resumably) once LLM spend reaches this, in USD."),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, help="Stop (resumably) once this many LLM tokens are used."),
    ] = None,
    price_input: Annotated[
        float | None,
        typer.Option(
            "--price-input", min=0, envvar="REVIEWER_PRICE_INPUT", help="USD per million prompt tokens."
        ),
    ] = None,
    price_output: Annotated[
        float | None,
        typer.Option(
            "--price-output", min=0, envvar="REVIEWER_PRICE_OUTPUT", help="USD per million completion tokens."
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Ray cluster address (default: RAY_ADDRESS, else local)."),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start OUT again instead of resuming (keeps the cache).")
    ] = False,
) -> None:
    """Review many notes against their intended claims: a ranked worklist of the claims at risk.

    Re-running the same command resumes. Exit status: 0 every note reviewed; 1 some rows failed
    (see their reason in summary.csv); 2 bad input; 4 stopped by --max-cost/--max-tokens
    (resumable); 130 interrupted (resumable)."""
    import shlex

    from reviewer.batch import BatchOptions, run_batch
    from reviewer.batch.local import LlmLimits
    from reviewer.batch.progress import Prices
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
        command=shlex.join(["reviewer", "batch", *[a for a in sys.argv[2:] if a != "--fresh"]]),
    )
    try:
        run = run_batch(options)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
        return
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
        typer.echo(f"reviewer: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
