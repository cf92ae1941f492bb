"""Record the LLM cassettes from a real OpenAI-compatible server.

    # the local server used for the checked-in cassettes (see eval/llm_server/README.md)
    BASE_URL=$(eval/llm_server/start.sh)
    .venv/bin/python eval/record_llm.py --base-url "$BASE_URL"            # gold set -> eval/cassettes/llm-gold.yaml
    .venv/bin/pytest tests/test_llm_recorded.py --record-mode=rewrite      # test cassettes -> tests/cassettes/

Point --base-url/--model at your own endpoint to measure it with `reviewer eval --extractor llm`.
Requests use the settings of eval/llm-replay.toml (model, max_tokens, re-asks), because replay
matches on the request body. Only synthetic notes are sent; keys and auth headers are never
written to the cassette. Progress prints case ids only, never note text.
"""

from __future__ import annotations

import argparse
import re
import time
import tomllib
from pathlib import Path

from reviewer.evaluate.cases import load_cases
from reviewer.extract.cassette import replaying
from reviewer.extract.llm import LlmConfig, LlmExtractor
from reviewer.pipeline import review_with

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default=None, help="default: the model in eval/llm-replay.toml")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "cassettes" / "llm-gold.yaml")
    parser.add_argument(
        "--only-new", action="store_true", help="keep existing interactions, record the missing ones"
    )
    parser.add_argument("--ids", default=None, help="regular expression: only cases whose id matches")
    args = parser.parse_args()

    settings = tomllib.loads((ROOT / "eval" / "llm-replay.toml").read_text("utf-8"))["llm"]
    settings.pop("cassette", None)
    settings["base_url"] = args.base_url
    settings["timeout"] = (
        900  # client-side only (not in the request body): a slow CPU server may take minutes
    )
    if args.model:
        settings["model"] = args.model
    if args.api_key:
        settings["api_key"] = args.api_key
    extractor = LlmExtractor(LlmConfig.model_validate(settings))
    cases = [c for c in load_cases(args.gold) if args.ids is None or re.search(args.ids, c.id)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists() and not args.only_new:
        args.out.unlink()
    started = time.perf_counter()
    with replaying(args.out, record_mode="new_episodes" if args.only_new else "all"):
        for i, case in enumerate(cases, 1):
            t0 = time.perf_counter()
            r = review_with(extractor, case.note, sex=case.context.sex, note_id=case.id)
            state = r.error or r.decision.verdict.value
            print(
                f"[{i}/{len(cases)}] {case.id}: {state} ({time.perf_counter() - t0:.1f}s, {r.usage.attempts} call(s))",
                flush=True,
            )
    print(f"recorded {len(cases)} cases into {args.out} in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
