"""One whole evaluation: `run()` loads the gold cases, reviews each with an extractor, scores
the results, compares them with the baseline and checks the gates, and returns an `EvalReport`
(what the report renderers take). Reading the inputs is all the I/O done here: writing the
reports and the baseline is the caller's."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from reviewer.evaluate.assess import CaseResult, assess
from reviewer.evaluate.baseline import Delta, Snapshot, compare, load_snapshot, snapshot
from reviewer.evaluate.cases import GoldCase, case_digest, load_cases
from reviewer.evaluate.errors import EvalError
from reviewer.evaluate.gates import GateResult, evaluate_gates, load_gates
from reviewer.evaluate.metrics import MetricValue, metric_table
from reviewer.evaluate.scores import Metrics, compute_metrics
from reviewer.extract import Extractor, get_extractor
from reviewer.pipeline import Review, review_with

__all__ = ["EvalReport", "run", "run_cases"]


class EvalReport(BaseModel):
    """What the report renderers take: the run, its metrics, the comparison and the gates."""

    extractor: str
    gold_dir: str
    elapsed_s: float
    current: Snapshot
    results: list[CaseResult]
    baseline_path: str | None = None
    baseline: Snapshot | None = None  # the baseline compared with (before any update)
    baseline_updated: bool = False
    delta: Delta | None = None
    gates: list[GateResult] = []
    # Replayed LLM runs: recorded interactions no request asked for (stale recordings, or cases
    # not in this gold set); None when nothing was replayed.
    cassette_unplayed: int | None = None

    @property
    def metrics(self) -> Metrics:
        return self.current.metrics

    @property
    def metric_table(self) -> list[MetricValue]:
        return metric_table(self.current.metrics)

    @property
    def failing(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def gates_passed(self) -> bool:
        return not any(g.failed for g in self.gates)


def run(
    gold_dir: Path,
    *,
    gates: Path,
    baseline: Path,
    extractor: str | Extractor = "rules",
    accept_baseline: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Evaluate `extractor` (a name, or an extractor object) on the gold cases in `gold_dir`,
    against the baseline file `baseline` (none yet when it does not exist) and the gates file
    `gates`. With `accept_baseline`, this run is judged as the new baseline (the caller writes
    `report.current` to the baseline file). `progress(done, total)` is called after each case.

    Raises ValueError (GoldError, EvalError, an LLM configuration error) on bad input."""
    engine = get_extractor(extractor) if isinstance(extractor, str) else extractor
    name = extractor if isinstance(extractor, str) else engine.name
    gate_list = load_gates(gates, name)
    old = _load_baseline(baseline, name)
    cases = load_cases(gold_dir)
    started = time.perf_counter()
    results = run_cases(
        cases,
        engine,
        warmup=name == "rules",
        fatal=_fatal_errors(name),
        progress=(lambda i, _: progress(i + 1, len(cases))) if progress is not None else None,
    )
    elapsed = time.perf_counter() - started
    unplayed = _close(engine)
    current = snapshot(results, compute_metrics(results), extractor=name)
    return EvalReport(
        extractor=name,
        gold_dir=str(gold_dir),
        elapsed_s=elapsed,
        current=current,
        results=results,
        baseline_path=str(baseline),
        baseline=old,
        baseline_updated=accept_baseline,
        delta=compare(current, old) if old is not None else None,
        gates=evaluate_gates(gate_list, current, current if accept_baseline else old)
        + _cassette_gate(unplayed),
        cassette_unplayed=unplayed,
    )


def _cassette_gate(unplayed: int | None) -> list[GateResult]:
    """A replayed run fails when the cassette holds recordings no request asked for: they were
    made for another prompt, model or gold set, so the replay no longer shows this one."""
    if unplayed is None:
        return []
    detail = f"{unplayed} <= 0" + (
        " (stale recordings: re-record with eval/record_llm.py, or replay the gold set they were made on)"
        if unplayed
        else ""
    )
    return [
        GateResult(
            gate="recorded LLM interactions unused <= 0",
            metric="cassette_unplayed",
            status="fail" if unplayed else "pass",
            value=float(unplayed),
            bound=0.0,
            detail=detail,
        )
    ]


def _close(engine: Extractor) -> int | None:
    """Stop an LLM extractor's cassette replay; how many recorded interactions went unasked
    (None when the extractor replays nothing)."""
    llm = getattr(engine, "llm", engine)  # the hybrid extractor holds its LLM extractor
    close = getattr(llm, "close", None)
    if close is None or getattr(getattr(llm, "config", None), "cassette", None) is None:
        return None
    unplayed: int = close()
    return unplayed


def _load_baseline(path: Path, extractor: str) -> Snapshot | None:
    old = load_snapshot(path) if path.exists() else None
    if old is not None and old.extractor != extractor:
        raise EvalError(f"{path}: field extractor: the baseline is for {old.extractor!r}, not {extractor!r}")
    return old


def _fatal_errors(extractor: str) -> tuple[type[BaseException], ...]:
    """Errors that stop the run rather than fail one case: an unconfigured LLM is bad input."""
    if extractor == "rules":
        return ()
    from reviewer.extract.llm import LlmNotConfigured

    return (LlmNotConfigured,)


def run_cases(
    cases: Sequence[GoldCase],
    extractor: str | Extractor = "rules",
    *,
    warmup: bool = False,
    fatal: tuple[type[BaseException], ...] = (),
    progress: Callable[[int, CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Review every gold case with `extractor` (a name, or an extractor object configured once
    and reused for every note); a case whose review raises is a failing case, except for the
    exception types in `fatal` (e.g. a configuration error), which propagate.

    `warmup` reviews the first note once, untimed, so one-off loading (models, tables) is not
    counted as the first case's latency (use it for local extractors, not for recorded LLM calls)."""
    engine = get_extractor(extractor) if isinstance(extractor, str) else extractor
    if warmup and cases:
        first = cases[0]
        with contextlib.suppress(Exception):  # the timed run records any failure
            review_with(engine, first.note, sex=first.context.sex, claimed_codes=first.context.claimed_codes)
    results: list[CaseResult] = []
    for i, case in enumerate(cases):
        results.append(_run_case(case, engine, fatal))
        if progress is not None:
            progress(i, results[-1])
    return results


def _run_case(case: GoldCase, engine: Extractor, fatal: tuple[type[BaseException], ...]) -> CaseResult:
    started = time.perf_counter()
    got: Review | None = None
    error: str | None = None
    try:
        got = review_with(
            engine, case.note, sex=case.context.sex, claimed_codes=case.context.claimed_codes, note_id=case.id
        )
    except fatal:
        raise
    except Exception as exc:  # a crash on one case is a failing case, not a failed run
        error = f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    return assess(
        case.id,
        case.note,
        case.expected,
        got,
        error=error,
        latency_s=elapsed,
        title=case.title,
        style=case.style,
        branches=case.branches,
        digest=case_digest(case),
    )
