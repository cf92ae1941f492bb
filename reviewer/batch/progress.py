"""What a run has done so far: counts, tokens, cost; a progress bar on a terminal (rich), and
the closing summary. Quiet when stderr is not a terminal."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from reviewer.batch.work import Outcome

__all__ = ["Prices", "ProgressBar", "Tally"]


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens; None: not configured (cost is not reported)."""

    input: float | None = None
    output: float | None = None

    @property
    def configured(self) -> bool:
        return self.input is not None or self.output is not None

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * (self.input or 0.0) + completion_tokens * (self.output or 0.0)) / 1e6


@dataclass
class Tally:
    """Counters over this run's outcomes (notes done in an earlier run are in `done_before`)."""

    prices: Prices = field(default_factory=Prices)
    total: int = 0
    done_before: int = 0
    reviewed: int = 0
    failed: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    llm_calls: int = 0
    from_cache: int = 0
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, outcome: Outcome) -> None:
        self.reviewed += 1
        self.failed += outcome.failed
        self.verdicts[outcome.verdict or "error"] += 1
        self.llm_calls += outcome.llm_call
        self.from_cache += outcome.from_cache
        self.attempts += outcome.usage.attempts
        self.prompt_tokens += outcome.usage.prompt_tokens
        self.completion_tokens += outcome.usage.completion_tokens
        self.cached_tokens += outcome.usage.cached_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float | None:
        if not self.prices.configured:
            return None
        return self.prices.cost(self.prompt_tokens, self.completion_tokens)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done_before": self.done_before,
            "reviewed": self.reviewed,
            "failed": self.failed,
            "verdicts": dict(self.verdicts),
            "llm_calls": self.llm_calls,
            "from_cache": self.from_cache,
            "llm_attempts": self.attempts,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cost_usd": None if self.cost is None else round(self.cost, 4),
            "seconds": round(self.elapsed, 2),
        }


class ProgressBar:
    """A rich progress bar with rate and ETA, on stderr, only when it is a terminal."""

    def __init__(self, total: int, done: int, *, enabled: bool | None = None) -> None:
        console = Console(stderr=True)
        self.enabled = console.is_terminal if enabled is None else enabled
        self._progress: Progress | None = None
        self._task: Any = None
        self._total = total
        self._done = done
        self._console = console

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]reviewing"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self._console,
                transient=False,
                refresh_per_second=4,
            )
            self._progress.start()
            self._task = self._progress.add_task("batch", total=self._total, completed=self._done, rate="")
            self._started = time.perf_counter()
            self._count = 0
        return self

    def advance(self) -> None:
        if self._progress is None:
            return
        self._count += 1
        seconds = time.perf_counter() - self._started
        rate = f"{self._count / seconds:,.1f} notes/s" if seconds > 0 else ""
        self._progress.update(self._task, advance=1, rate=rate)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
