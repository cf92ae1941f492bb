"""Fault injection against a local test-double server (tests/fake_llm_server.py): every
failure ends, after a bounded number of attempts, as a Review in an error state whose verdict
is `query`, with the usage of every attempt counted."""

from __future__ import annotations

import json

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
