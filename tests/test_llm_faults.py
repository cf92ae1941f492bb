"""Fault injection against a local test-double server (tests/fake_llm_server.py): every
failure ends, after a bounded number of attempts, as a Review in an error state whose verdict
is `query`, with the usage of every attempt counted."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reviewer.extract.llm import LlmConfig, LlmExtractor
from reviewer.pipeline import review_with
from tests.fake_llm_server import Reply, completion, fake_llm

NOTE = (
    "POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\n"
    "DESCRIPTION: Necrotic skin and dartos fascia of the scrotum were sharply excised.\n"
)
GOOD = json.dumps(
    {
        "infections": [{"quote": "Fournier's gangrene", "type": "fournier", "status": "present"}],
        "sites": [{"quote": "scrotum", "region": "scrotum", "side": "none", "debrided": True}],
        "techniques": [{"quote": "sharply excised", "kind": "excisional"}],
        "layers": [{"quote": "dartos fascia", "layer": "fascia", "removed": True}],
    }
)


def extractor(url: str, **overrides: object) -> LlmExtractor:
    values = {
        "base_url": url,
        "model": "test-double",
        "timeout": 1.0,
        "transport_attempts": 3,
        "max_wait_seconds": 20,
        "max_reasks": 1,
        **overrides,
    }
    return LlmExtractor(LlmConfig.model_validate(values))


def test_a_good_answer_is_reviewed_and_usage_counted() -> None:
    with fake_llm([completion(GOOD, prompt=1000, completion=50)]) as server:
        r = review_with(extractor(server.base_url), NOTE)
    assert r.error is None
    assert r.decision.verdict.value == "supported"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.cached_tokens, r.usage.attempts) == (
        1000,
        50,
        7,
        1,
    )
    sent = server.requests[0]
    assert sent["temperature"] == 0 and sent["seed"] == 0 and sent["model"] == "test-double"
    assert sent["tool_choice"]["function"]["name"] == "LlmExtraction"


def test_429_honours_retry_after_then_succeeds() -> None:
    replies = [
        Reply(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
        completion(GOOD),
    ]
    with fake_llm(replies) as server:
        r = review_with(extractor(server.base_url), NOTE)
    assert r.error is None and len(server.requests) == 2
    assert r.usage.attempts == 2


@pytest.mark.parametrize(
    ("replies", "expected_requests", "message"),
    [
        ([Reply(status=429, body={"error": {"message": "x"}}, headers={"Retry-After": "0"})] * 5, 3, "429"),
        ([Reply(status=500, body={"error": {"message": "boom"}})] * 5, 3, "HTTP 500"),
        ([Reply(delay=1.6, body={})] * 5, 3, "timed out"),
    ],
    ids=["429", "500", "timeout"],
)
def test_transport_failures_are_bounded(replies: list[Reply], expected_requests: int, message: str) -> None:
    with fake_llm(replies) as server:
        r = review_with(extractor(server.base_url), NOTE)
    assert r.error is not None and message in r.error
    assert r.decision.verdict.value == "query"
    assert len(server.requests) == expected_requests
    assert r.usage.attempts == expected_requests


def test_malformed_json_is_reasked_then_fails_with_usage_of_both_attempts() -> None:
    replies = [
        completion("{not json", prompt=900, completion=10),
        completion('{"infections": [', prompt=950, completion=12),
    ]
    with fake_llm(replies) as server:
        r = review_with(extractor(server.base_url), NOTE)
    assert (r.error is not None and "schema" in r.error) or "JSON" in (r.error or "")
    assert r.decision.verdict.value == "query"
    assert len(server.requests) == 2
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.attempts) == (1850, 22, 2)


def test_truncated_answer_stops_without_reask() -> None:
    with fake_llm(
        [completion('{"infections": [{"quote": "Fourn', finish_reason="length", completion=2048)]
    ) as server:
        r = review_with(extractor(server.base_url), NOTE)
    assert r.error is not None and "cut off" in r.error
    assert r.decision.verdict.value == "query"
    assert len(server.requests) == 1 and r.usage.completion_tokens == 2048


def test_token_budget_stops_reasking() -> None:
    replies = [completion("{not json", prompt=5000, completion=10)] * 3
    with fake_llm(replies) as server:
        r = review_with(extractor(server.base_url, token_budget=3000, max_reasks=3), NOTE)
    assert r.error is not None and "budget" in r.error
    assert len(server.requests) == 1


def test_unreachable_endpoint() -> None:
    r = review_with(extractor("http://127.0.0.1:9/v1", transport_attempts=2, max_wait_seconds=5), NOTE)
    assert r.error is not None and "could not be reached" in r.error
    assert r.usage.attempts == 2
    assert r.decision.verdict.value == "query"


# --- a deadline for the whole request, Retry-After beyond the wait, logs, threads ------------


@pytest.mark.parametrize("from_headers", [False, True], ids=["body", "headers"])
def test_a_trickling_server_cannot_hold_a_review(from_headers: bool) -> None:
    """One byte every 0.3 s (a ~600-byte answer would take minutes): each request is cut at its
    1.5 s deadline, although every read gets a byte well within httpx's read timeout."""
    reply = completion(GOOD)
    reply.trickle, reply.trickle_headers = 0.3, from_headers
    with fake_llm([reply, reply]) as server:
        started = time.monotonic()
        r = review_with(extractor(server.base_url, timeout=1.5, transport_attempts=2), NOTE)
        elapsed = time.monotonic() - started
    assert r.error is not None and "timed out" in r.error
    assert r.decision.verdict.value == "query"
    assert len(server.requests) == 2 and r.usage.attempts == 2
    assert elapsed < 6.0, f"a trickling server held the review for {elapsed:.1f} s"
    assert r.audit is not None and [a.status for a in r.audit.llm_attempts] == ["timeout", "timeout"]


@pytest.mark.parametrize(
    "retry_after", ["3600", "Wed, 21 Oct 2099 07:28:00 GMT"], ids=["seconds", "http-date"]
)
def test_retry_after_beyond_the_maximum_wait_ends_the_review_at_once(retry_after: str) -> None:
    replies = [Reply(status=429, body={"error": {"message": "x"}}, headers={"Retry-After": retry_after})] * 3
    with fake_llm(replies) as server:
        started = time.monotonic()
        r = review_with(extractor(server.base_url, max_wait_seconds=20), NOTE)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert len(server.requests) == 1
    assert r.error is not None and "Retry-After" in r.error and "maximum wait of 20 s" in r.error
    assert r.decision.verdict.value == "query"
    assert r.audit is not None and [(a.status, a.http_status) for a in r.audit.llm_attempts] == [
        ("rate_limited", 429)
    ]


def _all_logged_text(records: list[logging.LogRecord]) -> str:
    out = []
    for record in records:
        out.append(record.getMessage())
        out.append(repr(record.args))
        if record.exc_info:
            out.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(out)


def test_no_note_text_in_any_log_record_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """A host application that logs everything at DEBUG sees no note text and no answer text:
    a good answer, a re-asked bad one, a 500 and a 429 all go through the openai, httpx,
    httpcore and instructor loggers."""
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpcore", "instructor"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    replies = [
        Reply(status=500, body={"error": {"message": "boom"}}),
        Reply(status=429, body={"error": {"message": "x"}}, headers={"Retry-After": "0"}),
        completion('{"infections": [{"quote": "Necrotic skin and dartos fascia", "type": "bogus"}]}'),
        completion(GOOD),
    ]
    try:
        with fake_llm(replies) as server:
            r = review_with(extractor(server.base_url, transport_attempts=4), NOTE)
    finally:
        for name in ("openai", "httpx", "httpcore", "instructor"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert r.error is None and r.usage.attempts == 4
    logged = _all_logged_text(caplog.records)
    assert "HTTP Request: POST" in logged  # the libraries did log: INFO lines without payloads
    for text in ("dartos fascia", "Fournier", "sharply excised", "scrotum"):
        assert text not in logged


def test_openai_debug_logging_prints_no_note_text(tmp_path: Path) -> None:
    """OPENAI_LOG=debug makes the openai client print request bodies to stderr: not ours."""
    note = tmp_path / "note.txt"
    note.write_text(NOTE, "utf-8")
    with fake_llm([completion(GOOD)]) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("REVIEWER_LLM_", "OPENAI_"))},
            "OPENAI_LOG": "debug",
            "REVIEWER_LLM_BASE_URL": server.base_url,
            "REVIEWER_LLM_MODEL": "test-double",
        }
        p = subprocess.run(
            [sys.executable, "-m", "reviewer", "check", str(note), "--extractor", "llm", "--format", "json"],
            capture_output=True,
            env=env,
            cwd=Path(__file__).parent.parent,
            timeout=120,
        )
    assert p.returncode == 0, p.stderr.decode()[-500:]
    assert json.loads(p.stdout)["decision"]["verdict"] == "supported"
    err = p.stderr.decode()
    assert "HTTP Request: POST" in err  # OPENAI_LOG=debug is on, and logs what carries no text
    for text in ("dartos fascia", "Fournier", "sharply excised"):
        assert text not in err


def test_one_extractor_shared_by_threads_counts_each_request_once() -> None:
    """8 threads x 3 notes through one LlmExtractor: each review reports its own request's
    tokens (the test double answers prompt_tokens = 1000 + case number), never its neighbours'."""

    def respond(request: dict[str, object]) -> Reply:
        messages = request["messages"]
        assert isinstance(messages, list)
        case = int(re.search(r"CASE-(\d+)", str(messages[-1]["content"])).group(1))  # type: ignore[union-attr]
        reply = completion(GOOD, prompt=1000 + case, completion=case)
        reply.delay = 0.05
        return reply

    shared = extractor("http://127.0.0.1:9/v1")
    notes = {i: f"CASE-{i}\n{NOTE}" for i in range(24)}
    with fake_llm([], respond=respond) as server:
        shared.config = shared.config.model_copy(update={"base_url": server.base_url})
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = dict(zip(notes, pool.map(lambda i: review_with(shared, notes[i]), notes), strict=True))
    assert len(server.requests) == 24
    assert all(r.error is None for r in results.values())
    usage = {
        i: (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.attempts) for i, r in results.items()
    }
    assert usage == {i: (1000 + i, i, 1) for i in notes}
    attempts = {
        i: [(a.status, a.prompt_tokens) for a in r.audit.llm_attempts] for i, r in results.items() if r.audit
    }
    assert attempts == {i: [("ok", 1000 + i)] for i in notes}
