"""The work done for one note, wherever it runs (a local process, a thread, a Ray actor).

`review_task(task) -> Outcome` is the one picklable, top-level per-note function. A worker
calls `prepare(setup)` once (it loads the lexicons, ConText, ICD-10 and CMS tables by reviewing
a small built-in note) and then any number of tasks. The review is split in two halves:
`reviewer.pipeline.extract_checked` (extractor + guardrails: the expensive half, cached) and
`decide_checked` (the rule layer: cheap, always run, so a new ruleset re-decides from cached
findings).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer.batch.cache import CacheKey, from_bytes, to_bytes
from reviewer.batch.ratelimit import CallGate
from reviewer.batch.rows import NoteRow
from reviewer.batch.worklist import error_item_json
from reviewer.extract import Extractor, get_extractor
from reviewer.findings import FINDINGS_SCHEMA_VERSION
from reviewer.note import Note
from reviewer.pipeline import Review, UsageInfo, decide_checked, extract_checked

__all__ = [
    "LLM_EXTRACTORS",
    "Outcome",
    "Task",
    "WorkerSetup",
    "cache_key",
    "init_process_worker",
    "prepare",
    "result_line",
    "review_task",
    "set_call_gate",
]

LLM_EXTRACTORS = ("llm", "hybrid")

# Reviewed once per worker so that the first real note does not pay the start-up.
_WARMUP_NOTE = (
    "POSTOPERATIVE DIAGNOSIS: Fournier's gangrene of the scrotum.\n"
    "PROCEDURE: Excisional debridement of necrotic skin, subcutaneous tissue and fascia of the "
    "scrotum and perineum, 60 sq cm. The patient is a 60-year-old man.\n"
)


@dataclass(frozen=True)
class WorkerSetup:
    """How a worker builds its extractor. `llm_config` is the validated LlmConfig as a dict
    (it carries the API key to the worker; it is never logged)."""

    extractor: str = "rules"
    llm_config: dict[str, Any] | None = None


@dataclass
class Task:
    row: NoteRow
    cached: bytes | None = None  # a CheckedExtraction from the cache: no extraction needed


@dataclass
class Outcome:
    """What a worker sends back: the results line and what the runner counts and caches."""

    id: str
    line: str  # one JSON object, no newline
    failed: bool
    verdict: str | None = None
    payload: bytes | None = None  # a new extraction for the cache
    note_sha256: str | None = None
    from_cache: bool = False
    llm_call: bool = False
    usage: UsageInfo = field(default_factory=UsageInfo)
    seconds: float = 0.0
    item: str | None = None  # the worklist row (JSON), see worklist.py
    detail: bytes | None = None  # the single-note HTML page, zlib-compressed


# --- the worker's state: set once per process (or thread) ---------------------------------

_setup: WorkerSetup | None = None
_local = threading.local()
_shared: Extractor | None = None


_gate: CallGate | None = None


def set_call_gate(gate: CallGate | None) -> None:
    """LLM clients built from now on in this process are limited by `gate` (see ratelimit.py)."""
    global _gate
    _gate = gate


def build_extractor(setup: WorkerSetup) -> Extractor:
    if setup.extractor in LLM_EXTRACTORS and setup.llm_config is not None:
        from reviewer.extract.llm import LlmConfig, LlmExtractor

        llm = LlmExtractor(LlmConfig.model_validate(setup.llm_config))
        if _gate is not None:
            _gate.attach(llm.client)
        return get_extractor(setup.extractor, llm=llm)
    return get_extractor(setup.extractor)


def _extractor() -> Extractor:
    """The rules extractor is shared; an LLM client is per thread (its usage hooks are not
    safe to share between concurrent calls)."""
    global _shared
    if _setup is None:
        raise RuntimeError("worker not prepared: call prepare(setup) first")
    if _setup.extractor not in LLM_EXTRACTORS:
        if _shared is None:
            _shared = build_extractor(_setup)
        return _shared
    ext: Extractor | None = getattr(_local, "extractor", None)
    if ext is None:
        ext = build_extractor(_setup)
        _local.extractor = ext
    return ext


def prepare(setup: WorkerSetup) -> None:
    """Configure this process's worker state and pay the start-up once."""
    global _setup, _shared
    _setup = setup
    _shared = None
    from reviewer.extract.rules import RulesExtractor

    note = Note(_WARMUP_NOTE, id="warm-up")
    decide_checked(extract_checked(RulesExtractor(), note), note, sex="M", claimed_codes=["11004", "N49.3"])


def init_process_worker(setup: WorkerSetup, main_pid: int | None = None) -> None:
    """Initializer of a worker process: Ctrl-C is the main process's to handle; a worker whose
    main process died (even by SIGKILL) exits instead of lingering; then `prepare`. The main
    process is watched, not the parent: under the fork server the parent is that server, which
    itself stays up as long as any worker does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent or (main_pid is not None and gone(main_pid)):
                os._exit(1)

    threading.Thread(target=watch, name="main-watch", daemon=True).start()
    prepare(setup)


# --- the per-note function ------------------------------------------------------------------


def result_line(row: NoteRow, review: Review | None, error: str | None) -> str:
    """One results.jsonl line: the id, ok/error, the input fields, then the Review's fields."""
    head = json.dumps(
        {"id": row.id, "status": "error" if error else "ok", "input": row.input_fields()},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    if review is None:
        return head[:-1] + "," + json.dumps({"error": error}, ensure_ascii=False, separators=(",", ":"))[1:]
    return head[:-1] + "," + review.model_dump_json()[1:]


def review_task(task: Task) -> Outcome:
    """Review one note (the per-note function every engine runs). Never raises: a note that
    fails becomes an error line and the batch goes on."""
    started = time.perf_counter()
    row = task.row
    if row.error is not None or row.text is None:
        message = row.error or "no text"
        return Outcome(
            id=row.id, line=result_line(row, None, message), failed=True, item=error_item_json(row, message)
        )
    note = Note(row.text, id=row.id)
    payload: bytes | None = None
    try:
        if task.cached is not None:
            checked = from_bytes(task.cached)
        else:
            try:
                checked = extract_checked(_extractor(), note)
            finally:
                if _gate is not None:
                    _gate.release()
            if checked.error is None:
                payload = to_bytes(checked)
        review = decide_checked(checked, note, sex=row.sex, claimed_codes=row.claimed_codes or [])
    except Exception as exc:  # one note never stops the batch; no note text in the message
        if os.environ.get("REVIEWER_DEBUG"):
            raise
        message = f"internal error while reviewing this note ({type(exc).__name__})"
        return Outcome(
            id=row.id,
            line=result_line(row, None, message),
            failed=True,
            note_sha256=note.sha256,
            item=error_item_json(row, message),
        )
    if row.warnings:
        review = review.model_copy(update={"warnings": row.warnings + review.warnings})
    fresh = task.cached is None
    item, detail = _worklist(row, review)
    return Outcome(
        id=row.id,
        line=result_line(row, review, review.error),
        failed=review.error is not None,
        verdict=review.decision.verdict.value,
        payload=payload,
        note_sha256=note.sha256,
        from_cache=not fresh,
        llm_call=fresh and review.usage.attempts > 0,
        usage=review.usage if fresh else UsageInfo(),
        seconds=time.perf_counter() - started,
        item=item,
        detail=detail,
    )


def _worklist(row: NoteRow, review: Review) -> tuple[str, bytes]:
    """The worklist row and the compressed single-note page, made here so that the report
    costs the runner nothing per note."""
    from reviewer.batch.worklist import worklist_item_json
    from reviewer.report.html import render_html

    assert row.text is not None
    page = render_html(review, row.text)
    return worklist_item_json(row, review), zlib.compress(page.encode("utf-8"), 6)


def cache_key(setup: WorkerSetup, sha256: str) -> CacheKey:
    """The cache key of a note under this setup, computed without loading any model."""
    return CacheKey(sha256, *_identity(setup), FINDINGS_SCHEMA_VERSION)


@lru_cache(maxsize=8)
def _identity_cached(extractor: str, model: str | None) -> tuple[str, str, str]:
    import yaml

    data = resources.files("reviewer.data")
    lexicon = yaml.safe_load(data.joinpath("lexicon.yaml").read_text("utf-8"))["version"]
    context = json.loads(data.joinpath("context_rules.json").read_text("utf-8"))["version"]
    rules = f"lexicon {lexicon}; context {context}"
    if extractor not in LLM_EXTRACTORS:
        return extractor, rules, ""
    from reviewer.extract.prompt import load_prompt

    prompt = load_prompt().version
    return extractor, (model or "") if extractor == "llm" else f"{model}; {rules}", prompt


def _identity(setup: WorkerSetup) -> tuple[str, str, str]:
    model = None
    if setup.extractor in LLM_EXTRACTORS:
        model = str((setup.llm_config or {}).get("model") or "")
    return _identity_cached(setup.extractor, model)
