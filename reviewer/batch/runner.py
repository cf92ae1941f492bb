"""One batch run: read the notes, skip those already done, serve cached extractions, review the
rest on an engine, append each result as it finishes, then write summary.csv and report.html.

Re-running the same command resumes: finished ids are not reviewed again; rows that failed,
and results of another ruleset version, are done again (from the cache: no LLM call). The
run can stop early — Ctrl-C, `--max-cost`, `--max-tokens` — and is resumable from there.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.batch.cache import ExtractionCache, note_sha256
from reviewer.batch.local import LlmLimits, Sink, WorkerDied, default_workers, run_async, run_processes
from reviewer.batch.progress import Prices, ProgressBar, Tally
from reviewer.batch.results import ResultsFile, ResumeState
from reviewer.batch.rows import NoteRow, count_rows, input_kind, read_rows
from reviewer.batch.store import WorklistStore
from reviewer.batch.work import LLM_EXTRACTORS, Outcome, Task, WorkerSetup, cache_key

__all__ = ["BatchOptions", "BatchRun", "run_batch"]

RESULTS = "results.jsonl"
SUMMARY = "summary.csv"
REPORT = "report.html"
RUN_FILE = "run.json"
STORE = ".worklist.sqlite"


@dataclass
class BatchOptions:
    input: Path
    out: Path
    extractor: str = "rules"
    engine: str = "local"
    workers: int | None = None
    cache: Path | None = None
    limits: LlmLimits = field(default_factory=LlmLimits)
    prices: Prices = field(default_factory=Prices)
    max_cost: float | None = None
    max_tokens: int | None = None
    ray_address: str | None = None
    fresh: bool = False
    progress: bool | None = None  # None: on when stderr is a terminal
    command: str = ""  # the command line to show for resuming


@dataclass
class BatchRun:
    """What a run did, for the closing summary and the exit status."""

    tally: Tally
    resume: ResumeState
    completed: bool
    stop_reason: str = ""  # "", "interrupted", "max-cost", "max-tokens", "worker-died"
    files: list[Path] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)  # from the worklist: per finding, dollars
    failed_rows: int = 0  # error lines in results.jsonl after the run
    review_seconds: float = 0.0  # the engine's time: workers' start-up and reviewing
    detail: str = ""  # why the run stopped, when a worker died

    @property
    def exit_code(self) -> int:
        if self.stop_reason == "interrupted":
            return 130
        if self.stop_reason == "worker-died":
            return 1
        if self.stop_reason:
            return 4
        return 1 if self.failed_rows else 0


def _setup(options: BatchOptions) -> WorkerSetup:
    if options.extractor not in LLM_EXTRACTORS:
        return WorkerSetup(extractor=options.extractor)
    from reviewer.extract.llm import LlmConfig

    config = LlmConfig.load()  # LlmNotConfigured (a ValueError) names what is missing
    return WorkerSetup(extractor=options.extractor, llm_config=config.model_dump())


def _check_run_file(options: BatchOptions, setup: WorkerSetup) -> None:
    """The output folder belongs to one input and one extractor: refuse to mix."""
    path = options.out / RUN_FILE
    mine = {"input": str(options.input.resolve()), "extractor": setup.extractor}
    if path.exists() and not options.fresh:
        try:
            theirs = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            theirs = {}
        for key in ("input", "extractor"):
            if theirs.get(key) and theirs[key] != mine[key]:
                raise ValueError(
                    f"{options.out} holds a run with {key} {theirs[key]!r}, not {mine[key]!r}: "
                    "use another --out, or --fresh to start this folder again"
                )
    path.write_text(json.dumps(mine, indent=2) + "\n", encoding="utf-8")


def _open_out(options: BatchOptions) -> WorkerSetup:
    """Check the options, create the output folder and claim it for this input and extractor.
    ValueError (one line) when the run cannot start; nothing is created before the checks."""
    input_kind(options.input)  # a clear error before anything is created
    if options.engine not in ("local", "ray"):
        raise ValueError(f"unknown engine {options.engine!r} (choose from: local, ray)")
    if (options.max_cost is not None) and not options.prices.configured:
        raise ValueError("--max-cost needs token prices: set --price-input and --price-output")
    setup = _setup(options)
    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{options.out}: cannot create the output folder ({exc.strerror or exc})") from None
    _check_run_file(options, setup)
    return setup


def _tasks(
    rows: Iterable[NoteRow], done: set[str], setup: WorkerSetup, cache: ExtractionCache
) -> Iterator[Task]:
    """The rows still to review, each with its cached extraction when there is one."""
    for row in rows:
        if row.id in done:
            continue
        cached = None
        if row.error is None and row.text is not None:
            cached = cache.get(cache_key(setup, note_sha256(row.text)))
        yield Task(row=row, cached=cached)


@dataclass
class _Recorder:
    """Where every outcome goes, as it finishes (the engines' sink): the cache, the worklist
    store, results.jsonl and the tally. Says stop (False) once a token or cost budget is spent."""

    options: BatchOptions
    setup: WorkerSetup
    run: BatchRun
    results: ResultsFile
    cache: ExtractionCache
    store: WorklistStore
    bar: ProgressBar

    def __call__(self, outcome: Outcome) -> bool:
        if outcome.payload is not None and outcome.note_sha256 is not None:
            self.cache.put(cache_key(self.setup, outcome.note_sha256), outcome.payload)
        if outcome.item is not None:
            self.store.put(outcome.id, outcome.item, outcome.detail)
        self.results.append(outcome.line)
        self.run.tally.add(outcome)
        self.bar.advance()
        return self._within_budget()

    def _within_budget(self) -> bool:
        options, tally = self.options, self.run.tally
        if options.max_tokens is not None and tally.tokens >= options.max_tokens:
            self.run.stop_reason = "max-tokens"
            return False
        cost = tally.cost
        if options.max_cost is not None and cost is not None and cost >= options.max_cost:
            self.run.stop_reason = "max-cost"
            return False
        return True


def _review(options: BatchOptions, setup: WorkerSetup, tasks: Iterator[Task], sink: Sink) -> bool:
    """Review the tasks on the chosen engine. True when all were done."""
    if options.engine == "ray":
        from reviewer.batch.raydata import run_ray

        return run_ray(
            tasks,
            setup,
            options.out,
            sink,
            workers=options.workers,
            limits=options.limits,
            address=options.ray_address,
        )
    if setup.extractor in LLM_EXTRACTORS:
        return run_async(tasks, setup, options.limits, sink)
    return run_processes(tasks, setup, options.workers or default_workers(), sink)


def run_batch(options: BatchOptions) -> BatchRun:
    """Run (or resume) a batch. ValueError (one line) when it cannot start."""
    from reviewer.rules.ruleset import ruleset_version

    setup = _open_out(options)
    results = ResultsFile(options.out / RESULTS, ruleset_version=ruleset_version())
    store = WorklistStore(options.out / STORE)
    if options.fresh:
        results.path.unlink(missing_ok=True)
        store.clear()
    state = results.resume()
    cache = ExtractionCache(options.cache or options.out / "cache.sqlite")
    total = count_rows(options.input)
    tally = Tally(prices=options.prices, total=total, done_before=len(state.done))
    run = BatchRun(tally=tally, resume=state, completed=False)
    results.open()
    bar = ProgressBar(total, len(state.done), enabled=options.progress)
    sink = _Recorder(options, setup, run, results, cache, store, bar)
    started = time.perf_counter()
    try:
        with bar:
            run.completed = _review(
                options, setup, _tasks(read_rows(options.input), state.done, setup, cache), sink
            )
    except KeyboardInterrupt:
        run.stop_reason = "interrupted"
    except WorkerDied as exc:
        run.stop_reason = "worker-died"
        run.detail = str(exc)
    finally:
        run.review_seconds = time.perf_counter() - started
        results.close()
        cache.close()
    if run.stop_reason in ("interrupted", "worker-died"):
        store.close()
        return run
    _write_outputs(options, results, store, run)
    return run


def _write_outputs(options: BatchOptions, results: ResultsFile, store: WorklistStore, run: BatchRun) -> None:
    """summary.csv and report.html from everything in results.jsonl, this run's and earlier ones."""
    from reviewer.batch.report import write_outputs

    try:
        run.totals, run.failed_rows = write_outputs(options.out, results.path, store, options.input)
    finally:
        store.close()
    run.files = [options.out / RESULTS, options.out / SUMMARY, options.out / REPORT]


def resume_command(args: Sequence[str]) -> str:
    """The command line that resumes a run started with `reviewer batch ARGS`: the same one,
    without --fresh (which would start the folder again)."""
    return shlex.join(["reviewer", "batch", *[a for a in args if a != "--fresh"]])
