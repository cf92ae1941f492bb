"""Per-note prompt size of the LLM extractor, in the endpoint's own tokens.

    .venv/bin/python eval/prompt_size.py --base-url http://127.0.0.1:8089/v1 [--note FILE]

Sends the real request twice with max_tokens=1 (the answer is cut off on purpose, so this
costs almost nothing): once with the note, once with a one-character note. The difference is
the note's tokens; the rest is the fixed cost (instructions, definitions, example, tool schema).
The bar: prompt tokens <= note tokens + 2,000.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from reviewer.extract.llm import LlmConfig, LlmExtractor
from reviewer.note import Note

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 2000


def prompt_tokens(extractor: LlmExtractor, text: str) -> int:
    return extractor.extract(Note(text)).usage.prompt_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default=None)
    parser.add_argument("--note", type=Path, default=ROOT / "eval" / "samples" / "seed-fournier.txt")
    args = parser.parse_args()
    settings = tomllib.loads((ROOT / "eval" / "llm-replay.toml").read_text("utf-8"))["llm"]
    settings.pop("cassette", None)
    settings.update(base_url=args.base_url, max_tokens=1, max_reasks=0)
    if args.model:
        settings["model"] = args.model
    extractor = LlmExtractor(LlmConfig.model_validate(settings))
    full = prompt_tokens(extractor, args.note.read_text("utf-8"))
    empty = prompt_tokens(extractor, ".")
    if not full or not empty:
        raise SystemExit("the endpoint reported no usage: cannot measure")
    note_tokens = full - empty + 1
    overhead = full - note_tokens
    print(f"note: {args.note.name} ({len(args.note.read_text('utf-8').split())} words)")
    print(f"prompt tokens:   {full:6d}")
    print(f"note tokens:     {note_tokens:6d}")
    print(f"fixed overhead:  {overhead:6d}  (instructions, definitions, example, tool schema)")
    verdict = "within" if full <= note_tokens + LIMIT else "OVER"
    print(f"bar: prompt <= note + {LIMIT}: {verdict} ({full} vs {note_tokens + LIMIT})")


if __name__ == "__main__":
    main()
