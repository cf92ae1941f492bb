"""The extraction prompt: versioned files in prompts/, loaded, checked and rendered."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
import yaml

from reviewer.extract.llm_schema import LlmExtraction

CURRENT = "extraction-v1"
_FILES = ("system.md", "definitions.md", "examples.yaml", "user.jinja")


class PromptError(ValueError):
    """A prompt folder is incomplete or one of its examples is wrong."""


@dataclass(frozen=True)
class Prompt:
    name: str
    sha256: str
    system: str
    user_template: jinja2.Template

    @property
    def version(self) -> str:
        return f"{self.name}@{self.sha256[:8]}"

    def messages(self, note_text: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user_template.render(note=note_text)},
        ]


def _folder(name: str) -> Traversable:
    """Prompts ship inside the wheel as reviewer/_prompts; a checkout reads prompts/ directly."""
    packaged = resources.files("reviewer").joinpath("_prompts", name)
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2].joinpath("prompts", name)


@lru_cache(maxsize=4)
def load_prompt(name: str = CURRENT) -> Prompt:
    folder = _folder(name)
    texts: dict[str, str] = {}
    for file in _FILES:
        item = folder.joinpath(file)
        if not item.is_file():
            raise PromptError(f"prompt {name}: missing {file}")
        texts[file] = item.read_text("utf-8")
    digest = hashlib.sha256("".join(f"{f}\0{texts[f]}\0" for f in _FILES).encode()).hexdigest()
    examples = _checked_examples(name, yaml.safe_load(texts["examples.yaml"]) or [])
    system = "\n".join(
        [texts["system.md"].strip(), "", texts["definitions.md"].strip(), "", examples]
    ).strip()
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return Prompt(name=name, sha256=digest, system=system, user_template=env.from_string(texts["user.jinja"]))


def _checked_examples(name: str, raw: list[dict[str, Any]]) -> str:
    """Few-shot examples, refused unless each parses and every quote is found in its note."""
    parts = []
    for i, example in enumerate(raw, 1):
        note = str(example["note"])
        extraction = LlmExtraction.model_validate(example["extraction"])
        for quote in _quotes(extraction.model_dump()):
            if quote and quote not in note:
                raise PromptError(f"prompt {name}: example {i}: quote {quote!r} is not in its note")
        parts.append(
            f"Example {i}.\nNote:\n<<<NOTE\n{note.rstrip()}\nNOTE>>>\nExtraction:\n"
            + json.dumps(extraction.model_dump(), separators=(",", ":"))
        )
    return "\n\n".join(parts)


def _quotes(value: Any) -> list[str]:
    if isinstance(value, dict):
        out = [str(v) for k, v in value.items() if k in ("quote", "sex_quote")]
        for k, v in value.items():
            if k not in ("quote", "sex_quote"):
                out.extend(_quotes(v))
        return out
    if isinstance(value, list):
        return [q for v in value for q in _quotes(v)]
    return []
