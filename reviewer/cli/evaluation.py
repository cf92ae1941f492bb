"""`reviewer eval`: the gold-set evaluation, wired to reviewer.evaluate."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reviewer.cli.common import (
    ExtractorName,
    fail,
    shown,
    write_atomically,
)

if TYPE_CHECKING:
    from reviewer.evaluate import EvalReport


# Over 60 lines only because typer reads the options from the signature; the body just wires.
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
        fail(str(exc))
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
        fail("no gold set comes with this installation: pass GOLD_DIR, --gates and --baseline")
    read_only = "comes with the installed tool and is read-only"
    if gold_dir is None:
        assert bundled is not None
        gold_dir = bundled.gold
        if coverage and bundled.packaged:
            fail(f"the gold set {read_only}: pass the GOLD_DIR to write COVERAGE.md into")
    if gates is None:
        assert bundled is not None
        gates = bundled.gates
    if out is None:
        in_checkout = bundled is not None and not bundled.packaged and bundled.root == Path("eval").resolve()
        out = Path("eval/out") if in_checkout else Path("eval-out")
    if baseline is None and not coverage:
        assert bundled is not None
        if update and bundled.packaged:
            fail(f"the baseline {read_only}: pass --baseline FILE to write the new baseline to")
        baseline = bundled.baseline(extractor)
    return gold_dir, gates, baseline, out


def _write_coverage(gold_dir: Path) -> None:
    from reviewer.evaluate import GoldError, load_cases
    from reviewer.evaluate.coverage import coverage_markdown

    target = gold_dir / "COVERAGE.md"
    try:
        write_atomically(target, coverage_markdown(load_cases(gold_dir)))
    except GoldError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{target}: cannot write ({exc.strerror or exc})")
    typer.echo(shown(str(target)))


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
            fail(f"{baseline}: cannot write ({exc.strerror or exc})")
    renderers = dict(zip(_EVAL_REPORTS, (eval_markdown, eval_json, eval_html), strict=True))
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, render in renderers.items():
            write_atomically(out / name, render(report))
    except OSError as exc:
        fail(f"{out}: cannot write ({exc.strerror or exc})")


def _print_eval(report: EvalReport, out: Path) -> None:
    """The terminal report and where the files are; each failed gate on stderr, and exit 1."""
    from reviewer.evaluate.reports import eval_text

    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if tty else 120
    sys.stdout.write(eval_text(report, color=tty, width=width))
    typer.echo(shown(f"Reports: {', '.join(str(out / name) for name in _EVAL_REPORTS)}"))
    failed = [g for g in report.gates if g.failed]
    for g in failed:
        typer.echo(f"gate failed: {g.gate}: {g.detail}", err=True)
    if failed:
        raise typer.Exit(1)
