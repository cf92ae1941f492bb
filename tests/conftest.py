"""Shared test configuration: recorded LLM cassettes (tests/cassettes/<module>/<test>.yaml),
replayed offline, matched on the request body, with secrets scrubbed; a test fails when its
cassette has interactions it did not use. Record with: pytest --record-mode=once ... against a
real server (see eval/record_llm.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reviewer.extract import cassette


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return dict(cassette.VCR_OPTIONS)


def pytest_recording_configure(config: Any, vcr: Any) -> None:
    cassette.configure(vcr)


@pytest.fixture(autouse=True)
def _every_recorded_call_is_used(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("vcr") is None:
        yield
        return
    recorded = request.getfixturevalue("vcr")
    yield
    mode = str(getattr(recorded.record_mode, "value", recorded.record_mode))
    if recorded.dirty or mode != "none":
        return  # recording: nothing was meant to be replayed
    unused = len(recorded.data) - recorded.play_count
    if unused:
        pytest.fail(f"cassette {recorded._path} has {unused} unused interaction(s): re-record it")
