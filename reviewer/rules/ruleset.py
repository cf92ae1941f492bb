"""The ruleset (data/ruleset_v1.yaml): codes, code maps and query templates as data."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer.datafile import load_yaml

RULESET_FILE = "ruleset_v1.yaml"


@lru_cache(maxsize=1)
def load_ruleset() -> dict[str, Any]:
    raw: dict[str, Any] = load_yaml(
        resources.files("reviewer.data").joinpath(RULESET_FILE).read_text("utf-8")
    )
    return raw


def ruleset_version() -> str:
    return str(load_ruleset()["version"])
