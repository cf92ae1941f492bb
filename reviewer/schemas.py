"""JSON Schemas of the public models, exported to schemas/ (generated; a test checks drift)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from reviewer.evaluate.cases import GoldCase
from reviewer.findings import Findings
from reviewer.pipeline import Review

MODELS: dict[str, type[BaseModel]] = {
    "findings.schema.json": Findings,
    "review.schema.json": Review,
    "gold-case.schema.json": GoldCase,
}


def schema_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, model in MODELS.items():
        schema: dict[str, Any] = model.model_json_schema(mode="serialization")
        out[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
