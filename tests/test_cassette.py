"""Cassettes: readable bodies, body matching that ignores JSON formatting, secrets scrubbed."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from reviewer.datafile import load_yaml
from reviewer.extract.cassette import ReadableSerializer, json_body_matcher, scrub_response

CASSETTES = [
    *Path(__file__).parent.joinpath("cassettes").rglob("*.yaml"),
    Path(__file__).parent.parent / "eval" / "cassettes" / "llm-gold.yaml",
]


def test_round_trip_keeps_bodies_and_stores_them_readably() -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "line 1\nline 2"}]})
    cassette = {
        "version": 1,
        "interactions": [{"request": {"body": body}, "response": {"body": {"string": '{"a": 1}'}}}],
    }
    text = ReadableSerializer.serialize(json.loads(json.dumps(cassette)))
    assert "json_body" in text and "line 1\n" in text
    back = ReadableSerializer.deserialize(text)
    assert json.loads(back["interactions"][0]["request"]["body"]) == json.loads(body)
    assert json.loads(back["interactions"][0]["response"]["body"]["string"]) == {"a": 1}


def test_body_matcher_ignores_formatting_but_not_content() -> None:
    a = SimpleNamespace(body='{"a": 1, "b": [1, 2]}')
    json_body_matcher(a, SimpleNamespace(body=b'{"b":[1,2],"a":1}'))
    with pytest.raises(AssertionError):
        json_body_matcher(a, SimpleNamespace(body='{"a": 2, "b": [1, 2]}'))


def test_secret_response_headers_are_dropped() -> None:
    response = {
        "headers": {"Set-Cookie": ["x"], "openai-organization": ["o"], "content-type": ["application/json"]}
    }
    assert list(scrub_response(response)["headers"]) == ["content-type"]


@pytest.mark.parametrize("path", CASSETTES, ids=[p.name for p in CASSETTES])
def test_checked_in_cassettes_hold_no_secrets(path: Path) -> None:
    if not path.exists():
        pytest.skip("not recorded")
    text = path.read_text("utf-8").lower()
    data = load_yaml(text)  # the C parser: the gold cassette is 3 MB
    for interaction in data["interactions"]:
        headers = {k.lower() for k in interaction["request"].get("headers", {})}
        assert not headers & {"authorization", "api-key", "x-api-key"}
        assert "json_body" in interaction["request"]
    assert "bearer " not in text and "sk-" not in text


def test_replay_reports_unused_interactions_and_undoes_its_patch() -> None:
    """An extractor replaying a cassette: `close()` counts what no request asked for (the seed
    note's cassette has none left; a cassette nobody asked anything has all of them), and
    afterwards HTTP goes out for real again (vcrpy's patch is gone)."""
    from reviewer.extract.llm import LlmConfig, LlmExtractor
    from reviewer.pipeline import review_with
    from tests.fake_llm_server import completion, fake_llm

    root = Path(__file__).parent
    cassette = root / "cassettes" / "test_llm_recorded" / "test_seed_note.yaml"
    settings = {"base_url": "http://127.0.0.1:8089/v1", "model": "gemma-3-270m", "mask_phi": False}
    recorded = len(yaml.safe_load(cassette.read_text("utf-8"))["interactions"])
    seed = (root.parent / "eval" / "samples" / "seed-fournier.txt").read_text("utf-8")
    replay = tomllib.loads((root.parent / "eval" / "llm-replay.toml").read_text("utf-8"))["llm"]
    replay.pop("cassette")
    used = LlmExtractor(LlmConfig.model_validate({**replay, "cassette": cassette}))
    assert review_with(used, seed).error is None
    assert used.close() == 0
    unused = LlmExtractor(LlmConfig.model_validate({**settings, "cassette": cassette}))
    unused._ensure_replay()
    assert unused.close() == recorded

    answer = {"sites": [{"quote": "scrotum", "region": "scrotum", "side": "none", "debrided": True}]}
    with fake_llm([completion(json.dumps(answer))]) as server:
        live = LlmExtractor(LlmConfig(base_url=server.base_url, model="test-double", timeout=5, max_reasks=0))
        r = review_with(live, "Necrotic fascia of the scrotum was excised.")
    assert r.error is None and r.findings.sites
