"""results.jsonl resume logic, the SQLite extraction cache and the client-side rate limiter."""

from __future__ import annotations

import json
import time
from pathlib import Path

from reviewer.batch.cache import CacheKey, ExtractionCache, from_bytes, note_sha256, to_bytes
from reviewer.batch.ratelimit import Bucket, RateLimiter
from reviewer.batch.results import ResultsFile, iter_results
from reviewer.findings import Findings
from reviewer.note import Note
from reviewer.pipeline import CheckedExtraction, ExtractorInfo, UsageInfo


def line(note_id: str, status: str = "ok", ruleset: str = "r1") -> str:
    return json.dumps({"id": note_id, "status": status, "ruleset_version": ruleset})


def test_a_torn_last_line_is_cut_off_and_finished_ids_are_done(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(line("a") + "\n" + line("b") + "\n" + '{"id": "c", "stat', encoding="utf-8")
    results = ResultsFile(path, ruleset_version="r1")
    state = results.resume()
    assert state.done == {"a", "b"} and state.torn
    assert path.read_text(encoding="utf-8") == line("a") + "\n" + line("b") + "\n"
    results.append(line("c"))
    results.close()
    assert [r["id"] for r in iter_results(path)] == ["a", "b", "c"]


def test_failed_and_stale_lines_are_dropped_to_be_done_again(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(
        "\n".join([line("a"), line("b", "error"), line("c", ruleset="r0"), line("a"), line("d")]) + "\n",
        encoding="utf-8",
    )
    state = ResultsFile(path, ruleset_version="r1").resume()
    assert state.done == {"a", "d"}
    assert (state.redo_failed, state.redo_stale, state.torn) == (1, 1, False)
    assert [r["id"] for r in iter_results(path)] == ["a", "d"]


def test_cache_round_trip_survives_reopening(tmp_path: Path) -> None:
    text = "Fournier's gangrene."
    assert note_sha256(text) == Note(text).sha256
    key = CacheKey(note_sha256(text), "llm", "m1", "extraction-v1@abc", "1.0.0")
    value = CheckedExtraction(
        extractor=ExtractorInfo(name="llm", model="m1", prompt_version="extraction-v1@abc"),
        findings=Findings(),
        warnings=["w"],
        usage=UsageInfo(prompt_tokens=10, completion_tokens=2, attempts=1),
    )
    with ExtractionCache(tmp_path / "c.sqlite") as cache:
        assert cache.get(key) is None
        cache.put(key, to_bytes(value))
    with ExtractionCache(tmp_path / "c.sqlite") as cache:
        data = cache.get(key)
        assert data is not None and from_bytes(data) == value
        other_model = CacheKey(key.note_sha256, "llm", "m2", key.prompt_version, key.schema_version)
        assert cache.get(other_model) is None
        assert (cache.hits, cache.misses, cache.count()) == (1, 1, 1)


def test_bucket_spaces_reservations_at_the_rate() -> None:
    bucket = Bucket(rate=10.0, burst=1.0)
    waits = [bucket.reserve(1) for _ in range(5)]
    assert waits[0] == 0.0
    assert [round(w, 1) for w in waits[1:]] == [0.1, 0.2, 0.3, 0.4]


def test_rate_limiter_charges_tokens_and_retries() -> None:
    limiter = RateLimiter(requests_per_minute=600, tokens_per_minute=6000)  # 10 req/s, 100 tok/s
    start = time.monotonic()
    reservation = limiter.acquire_blocking(100)  # the first second's worth of tokens
    assert time.monotonic() - start < 0.05
    limiter.settle(reservation, used_tokens=300, attempts=3)  # spent more, and retried twice
    assert limiter.tokens is not None and limiter.requests is not None
    assert round(limiter.tokens.level) == -200
    assert limiter.requests.level <= -2


def test_call_gate_bounds_requests_in_flight_and_per_minute() -> None:
    """The gate sits on the LLM client's request hooks: with more threads than slots, the
    endpoint never sees more than `concurrency` requests at once, nor more than the rate."""
    from concurrent.futures import ThreadPoolExecutor

    from reviewer.batch.ratelimit import CallGate
    from reviewer.batch.rows import NoteRow
    from reviewer.batch.work import Task, WorkerSetup, prepare, review_task, set_call_gate
    from reviewer.extract.llm import LlmConfig
    from tests.llm_double import llm_double

    note = "POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\nNecrotic fascia of the scrotum was excised.\n"
    with llm_double(latency=0.1) as server:
        config = LlmConfig.model_validate({"base_url": server.base_url, "model": "double"}).model_dump()
        prepare(WorkerSetup("llm", config))
        set_call_gate(CallGate(2, RateLimiter(requests_per_minute=1200, tokens_per_minute=None)))
        try:
            tasks = [Task(NoteRow(id=f"g{i}", row=i, text=note)) for i in range(12)]
            started = time.monotonic()
            with ThreadPoolExecutor(6) as pool:
                outcomes = list(pool.map(review_task, tasks))
            elapsed = time.monotonic() - started
        finally:
            set_call_gate(None)
    assert all(not o.failed and o.llm_call for o in outcomes)
    assert server.requests == 12 and server.max_in_flight == 2
    # 1200/min: one request every 50 ms; arrival jitter aside, 11 gaps span at least ~0.5 s.
    assert server.times[-1] - server.times[0] >= 11 * 0.05 * 0.9
    assert elapsed >= 0.55  # twelve 100 ms calls, two at a time
