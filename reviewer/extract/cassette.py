"""Recorded LLM traffic (vcrpy cassettes): matching on the JSON request body, secrets scrubbed,
bodies stored as readable YAML. Used by the tests and by `REVIEWER_LLM_CASSETTE` to replay a
recorded run (for example the gold-set evaluation in CI, offline)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from reviewer.datafile import load_yaml

SCRUBBED_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)


def _as_text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body)


def json_body_matcher(r1: Any, r2: Any) -> None:
    """Requests match when their JSON bodies are equal (key order and spacing ignored)."""
    a, b = _as_text(r1.body), _as_text(r2.body)
    if a != b and _canonical(a) != _canonical(b):
        raise AssertionError("request bodies differ")


@lru_cache(maxsize=4096)
def _canonical(body: str | None) -> str | None:
    """The body as canonical JSON (sorted keys, no spacing), or as it is when not JSON: each
    recorded body is parsed once, not once per request compared with it."""
    try:
        return json.dumps(json.loads(body or "null"), sort_keys=True, separators=(",", ":"))
    except json.JSONDecodeError:
        return body


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (prompts, notes) as YAML literal blocks, readable in a diff."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


class ReadableSerializer:
    """YAML cassettes whose JSON bodies are stored as structures a reviewer can read."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        for interaction in cassette.get("interactions", []):
            request, response = interaction["request"], interaction["response"]
            text = _as_text(request.get("body"))
            if text:
                try:
                    request["json_body"] = json.loads(text)
                    request["body"] = None
                except json.JSONDecodeError:
                    pass
            body = response.get("body", {})
            text = _as_text(body.get("string"))
            if text:
                try:
                    response["json_body"] = json.loads(text)
                    body["string"] = ""
                except json.JSONDecodeError:
                    pass
        return yaml.dump(cassette, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)

    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        cassette: dict[str, Any] = load_yaml(text) or {}
        for interaction in cassette.get("interactions", []):
            request, response = interaction["request"], interaction["response"]
            if "json_body" in request:
                request["body"] = json.dumps(request.pop("json_body"))
            if "json_body" in response:
                response.setdefault("body", {})["string"] = json.dumps(response.pop("json_body"))
        return cassette


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SCRUBBED_HEADERS:
            del headers[name]
    return response


def configure(vcr: Any) -> None:
    vcr.register_matcher("json_body", json_body_matcher)
    vcr.register_serializer("yaml", ReadableSerializer)  # replaces vcrpy's own: same files, readable bodies


VCR_OPTIONS: dict[str, Any] = {
    "match_on": ["method", "path", "json_body"],
    "filter_headers": list(SCRUBBED_HEADERS),
    "before_record_response": scrub_response,
    "decode_compressed_response": True,
    "serializer": "yaml",
    "allow_playback_repeats": False,
}


@contextmanager
def replaying(path: Path, record_mode: str = "none") -> Iterator[Any]:
    """Replay (or record) LLM traffic from one cassette file."""
    try:
        import vcr
    except ImportError:  # pragma: no cover - vcrpy is in the test extra
        raise ValueError("replaying a cassette needs vcrpy: pip install 'op-note-reviewer[test]'") from None
    recorder = vcr.VCR(record_mode=record_mode)
    configure(recorder)
    with recorder.use_cassette(str(path), **VCR_OPTIONS) as cassette:
        yield cassette
