"""The Ray engine: the same per-note function (`work.review_task`) on Ray Data, on this machine
or on a Ray cluster (`--ray-address`, or RAY_ADDRESS), with the same outputs and cache.

The runner (the driver) stays the only writer of results.jsonl, the cache and the worklist
store: it writes the tasks still to do (with any cached extraction) to `DIR/.tasks.jsonl`, Ray
Data reads that file in blocks and maps them through a pool of actors (each pays the start-up
once, like a local worker), and the driver streams the outcomes back as they finish. On a
cluster, DIR must be a location every node can read (one shared output location).

LLM limits on Ray: each actor reviews its notes one at a time, so the actor count is the
concurrency, and the requests/tokens per minute are split evenly between the actors.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reviewer.batch.local import LlmLimits, Sink
from reviewer.batch.ratelimit import CallGate, RateLimiter
from reviewer.batch.rows import NoteRow
from reviewer.batch.work import (
    LLM_EXTRACTORS,
    Outcome,
    Task,
    WorkerSetup,
    prepare,
    review_task,
    set_call_gate,
)
from reviewer.pipeline import UsageInfo

__all__ = ["run_ray"]

TASKS_FILE = ".tasks.jsonl"


def _encode_task(task: Task) -> str:
    data = {
        "row": asdict(task.row),
        "cached": base64.b64encode(task.cached).decode() if task.cached else None,
    }
    return json.dumps(data, ensure_ascii=False)


def _decode_task(line: str) -> Task:
    data = json.loads(line)
    cached = data["cached"]
    return Task(row=NoteRow(**data["row"]), cached=base64.b64decode(cached) if cached else None)


def _outcome_row(outcome: Outcome) -> dict[str, Any]:
    row = asdict(outcome)
    row["usage"] = json.dumps(outcome.usage.model_dump())
    return row


def _outcome_from_row(row: dict[str, Any]) -> Outcome:
    values = dict(row)
    values["usage"] = UsageInfo.model_validate_json(values["usage"])
    for key in ("payload", "detail"):
        if values.get(key) is not None:
            values[key] = bytes(values[key])
    return Outcome(**values)


class ReviewActor:
    """A Ray actor: prepared once, then `review_task` on every row of every batch it gets."""

    def __init__(self, setup: WorkerSetup, limits: LlmLimits | None, actors: int) -> None:
        if limits is not None and setup.extractor in LLM_EXTRACTORS:
            rpm = limits.requests_per_minute / actors if limits.requests_per_minute else None
            tpm = limits.tokens_per_minute / actors if limits.tokens_per_minute else None
            set_call_gate(CallGate(1, RateLimiter(rpm, tpm), limits.completion_tokens))
        prepare(setup)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows = [_outcome_row(review_task(_decode_task(str(line)))) for line in batch["text"]]
        columns: dict[str, list[Any]] = {key: [r[key] for r in rows] for key in rows[0]} if rows else {}
        return columns


def run_ray(
    tasks: Iterable[Task],
    setup: WorkerSetup,
    out_dir: Path,
    sink: Sink,
    *,
    workers: int | None,
    limits: LlmLimits | None,
    address: str | None,
) -> bool:
    """Review every task on Ray. True when all were done."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ValueError(
            "the Ray engine needs the optional extra: pip install 'op-note-reviewer[ray]'"
        ) from None

    task_file = out_dir / TASKS_FILE
    if _write_tasks(tasks, task_file) == 0:
        task_file.unlink()
        return True
    started_here = not ray.is_initialized()
    if started_here:
        _start_ray(address, workers)
    try:
        for row in _reviewed(task_file, setup, _actor_count(setup, workers, limits), limits).iter_rows():
            if not sink(_outcome_from_row(row)):
                return False
        return True
    finally:
        if started_here:
            ray.shutdown()
        task_file.unlink(missing_ok=True)


def _write_tasks(tasks: Iterable[Task], task_file: Path) -> int:
    """The tasks as JSON lines, for Ray Data to read in blocks; how many there are."""
    count = 0
    with task_file.open("w", encoding="utf-8") as fh:
        for task in tasks:
            fh.write(_encode_task(task) + "\n")
            count += 1
    return count


def _start_ray(address: str | None, workers: int | None) -> None:
    """Join the cluster at `address` (or RAY_ADDRESS), else start Ray here on `workers` CPUs;
    quietly: no dashboard, no worker logs, warnings only."""
    import ray

    init: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
    }
    if address or os.environ.get("RAY_ADDRESS"):
        init["address"] = address or os.environ["RAY_ADDRESS"]
    elif workers:
        init["num_cpus"] = workers
    ray.init(**init)
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _actor_count(setup: WorkerSetup, workers: int | None, limits: LlmLimits | None) -> int:
    """As asked; else one per CPU of the cluster, or the LLM concurrency (an actor makes one
    call at a time)."""
    import ray

    if workers:
        return workers
    if setup.extractor in LLM_EXTRACTORS and limits is not None:
        return limits.concurrency
    cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
    return max(1, int(cpus))


def _reviewed(task_file: Path, setup: WorkerSetup, actors: int, limits: LlmLimits | None) -> Any:
    """The Ray dataset of outcomes: the task file mapped through a pool of `ReviewActor`s."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    # Reading the task file is light: it must not wait for the CPUs the actors hold.
    dataset = ray.data.read_text(str(task_file.resolve()), num_cpus=0)
    # Small batches: outcomes stream back (and are written) soon after each note finishes.
    return dataset.map_batches(
        ReviewActor,
        fn_constructor_args=(setup, limits, actors),
        batch_size=4,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1 if setup.extractor not in LLM_EXTRACTORS else 0.25,
    )
