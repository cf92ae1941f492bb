"""Engines on one machine. Each runs `work.review_task` on every task and hands each outcome to
`sink` (in the calling thread, in completion order); `sink` returns False to stop the run.

- `run_processes`: the rules path. A process pool, all cores by default; each worker pays the
  start-up once (pool initializer), then reviews notes as they come.
- `run_async`: the LLM path. asyncio dispatches the notes to threads (the extractor is
  blocking; one LLM client per thread); a `CallGate` on each client's request hooks keeps at
  most `concurrency` requests in flight and under the client-side rate limits (requests and
  tokens per minute), retries included. A first Ctrl-C stops taking new notes and waits for
  the calls in flight (they are paid for); a second one abandons them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from reviewer.batch.ratelimit import CallGate, RateLimiter
from reviewer.batch.work import (
    Outcome,
    Task,
    WorkerSetup,
    init_process_worker,
    prepare,
    review_task,
    set_call_gate,
)

__all__ = [
    "LlmLimits",
    "Sink",
    "WorkerDied",
    "default_workers",
    "run_async",
    "run_in_process",
    "run_processes",
]

Sink = Callable[[Outcome], bool]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _context() -> Any:
    """forkserver where there is one: workers fork from a clean server process (never from this
    threaded one) that has loaded the rules data once (reviewer.batch.warm)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["reviewer.batch.warm"])
    return context


def run_in_process(tasks: Iterable[Task], setup: WorkerSetup, sink: Sink) -> bool:
    """One worker: the calling process itself (no start-up when it is already warm)."""
    prepare(setup)
    return all(sink(review_task(task)) for task in tasks)


class WorkerDied(RuntimeError):
    """A worker process died (killed, out of memory): the run stops; it is resumable."""


def run_processes(tasks: Iterable[Task], setup: WorkerSetup, workers: int, sink: Sink) -> bool:
    """Review every task in a pool of `workers` processes (in this process when there is only
    one). True when all were done. A worker that dies stops the run (WorkerDied) instead of
    losing its note silently."""
    if workers <= 1:
        return run_in_process(tasks, setup, sink)
    window = workers * 8  # tasks in flight: bounded, so memory does not grow with the batch
    pool = ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=init_process_worker, initargs=(setup, os.getpid())
    )
    pending: set[Future[Outcome]] = set()
    stopped = False
    try:
        source: Iterator[Task] = iter(tasks)
        exhausted = False
        while True:
            while not exhausted and not stopped and len(pending) < window:
                task = next(source, None)
                if task is None:
                    exhausted = True
                    break
                pending.add(pool.submit(review_task, task))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if not stopped and not sink(future.result()):
                    stopped = True
            if stopped:
                break
    except BrokenProcessPool:
        raise WorkerDied("a worker process died (killed, or out of memory?)") from None
    finally:
        # Unfinished notes are dropped (they are redone on resume); each worker ends the note
        # it is on (milliseconds) and exits.
        pool.shutdown(wait=True, cancel_futures=True)
    return not stopped


@dataclass(frozen=True)
class LlmLimits:
    concurrency: int = 8
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    completion_tokens: int = 1024  # first guess of a call's output tokens, then the running mean


def run_async(tasks: Iterable[Task], setup: WorkerSetup, limits: LlmLimits, sink: Sink) -> bool:
    """Review every task under the LLM limits. True when all were done."""
    prepare(setup)  # load the shared rules data once, before the threads start
    limiter = RateLimiter(limits.requests_per_minute, limits.tokens_per_minute)
    set_call_gate(CallGate(limits.concurrency, limiter, limits.completion_tokens))
    try:
        return asyncio.run(_run_async(tasks, limits, sink))
    finally:
        set_call_gate(None)


class _Interrupts:
    """Ctrl-C during an LLM run: the first stops taking new notes and lets the calls in flight
    finish (they are paid for); the second abandons them."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.count = 0
        self.handled = False  # whether SIGINT is ours (only the main thread can take it)

    def __call__(self) -> None:
        self.count += 1
        self.stop.set()
        if self.count == 1:
            print(
                "\nreviewer: stopping: finishing the LLM calls in flight (Ctrl-C again to abandon them)",
                file=sys.stderr,
            )
        else:
            raise KeyboardInterrupt

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            loop.add_signal_handler(signal.SIGINT, self)
            self.handled = True
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            self.handled = False

    def remove(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.handled:
            loop.remove_signal_handler(signal.SIGINT)


async def _run_async(tasks: Iterable[Task], limits: LlmLimits, sink: Sink) -> bool:
    """Notes in process: the calls in flight (the gate's limit) plus one per core for the
    work around them, so that parsing and deciding never hold back a call."""
    loop = asyncio.get_running_loop()
    threads = limits.concurrency + default_workers()
    slots = asyncio.Semaphore(threads)
    stop = asyncio.Event()
    interrupts = _Interrupts(stop)
    interrupts.install(loop)
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="llm")
    pending: set[asyncio.Task[None]] = set()

    async def one(task: Task) -> None:
        try:
            outcome = await loop.run_in_executor(executor, review_task, task)
            if not sink(outcome):
                stop.set()
        finally:
            slots.release()

    try:
        for task in tasks:
            await slots.acquire()
            if stop.is_set():
                slots.release()
                break
            job = asyncio.create_task(one(task))
            pending.add(job)
            job.add_done_callback(pending.discard)
        while pending:
            await asyncio.gather(*list(pending))
    except (KeyboardInterrupt, asyncio.CancelledError):
        for job in pending:
            job.cancel()
        executor.shutdown(wait=False, cancel_futures=True)
        raise KeyboardInterrupt from None
    finally:
        interrupts.remove(loop)
    executor.shutdown(wait=True)
    if interrupts.count:
        raise KeyboardInterrupt  # after the calls in flight were recorded
    return not stop.is_set()
