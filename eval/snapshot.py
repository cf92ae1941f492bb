"""Byte-identical outputs across a refactoring: every gold case's review JSON, per extractor.

    .venv/bin/python eval/snapshot.py write DIR [--extractor rules|llm|hybrid ...]
    .venv/bin/python eval/snapshot.py compare DIR [--extractor ...]

The LLM extractors replay eval/llm-replay.toml's cassette. The only fields left out are the
ones that differ between two identical runs: `audit.created_at` and the LLM attempts'
`latency_ms`. `compare` prints each case whose JSON differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REVIEWER_LLM_CONFIG", str(ROOT / "eval" / "llm-replay.toml"))

from reviewer.evaluate.cases import load_cases  # noqa: E402
from reviewer.extract import get_extractor  # noqa: E402
from reviewer.pipeline import review_with  # noqa: E402


def stable_json(review: object) -> str:
    data = review.model_dump(mode="json")  # type: ignore[attr-defined]
    audit = data.get("audit") or {}
    audit.pop("created_at", None)
    for attempt in audit.get("llm_attempts", []):
        attempt.pop("latency_ms", None)
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)


def outputs(extractor_name: str) -> dict[str, str]:
    os.chdir(ROOT)  # the replay config names its cassette relative to the repository
    extractor = get_extractor(extractor_name)
    out: dict[str, str] = {}
    for case in load_cases(ROOT / "eval" / "gold"):
        r = review_with(
            extractor,
            case.note,
            sex=case.context.sex,
            claimed_codes=case.context.claimed_codes,
            note_id=case.id,
        )
        out[case.id] = stable_json(r)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["write", "compare"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--extractor", action="append", default=None)
    args = parser.parse_args()
    differing = 0
    for name in args.extractor or ["rules"]:
        folder = args.folder / name
        now = outputs(name)
        if args.action == "write":
            folder.mkdir(parents=True, exist_ok=True)
            for case_id, text in now.items():
                (folder / f"{case_id}.json").write_text(text, encoding="utf-8")
            print(f"{name}: {len(now)} reviews written to {folder}")
            continue
        for case_id, text in now.items():
            path = folder / f"{case_id}.json"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                differing += 1
                print(f"{name}: {case_id} differs")
        print(f"{name}: {len(now)} reviews compared, {differing} differ")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
