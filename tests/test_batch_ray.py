"""`--engine ray` (Ray Data, a local Ray instance) gives the same results.jsonl decisions, the
same worklist and the same cache semantics as the local engine, from the same per-note function."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reviewer.batch import BatchOptions, run_batch
from reviewer.batch.cache import ExtractionCache
from reviewer.evaluate.cases import load_cases

ROOT = Path(__file__).resolve().parents[1]


def decisions(path: Path) -> dict[str, tuple[str, Any]]:
    out = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        out[record["id"]] = (record["status"], record.get("decision"), record["input"])
    return out


def test_ray_engine_matches_the_local_engine(tmp_path: Path) -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("ray is missing: .ci/run installs the [ray] extra")
        pytest.skip("the [ray] extra is not installed (pip install -e '.[ray]')")
    source = tmp_path / "notes.jsonl"
    claims = [["11004"], ["11004", "11043"], [], ["11008"], ["11004x2"], ["11005"]]
    with source.open("w", encoding="utf-8") as fh:
        for i, case in enumerate(load_cases(ROOT / "eval/gold")[:6]):
            record = {"id": f"r{i}", "text": case.note, "claimed_codes": claims[i], "payer": f"p{i}"}
            fh.write(json.dumps(record) + "\n")
        fh.write(json.dumps({"id": "bad", "text": "", "claimed_codes": ["11004"]}) + "\n")

    local = run_batch(BatchOptions(input=source, out=tmp_path / "local", workers=1, progress=False))
    on_ray = run_batch(
        BatchOptions(input=source, out=tmp_path / "ray", engine="ray", workers=1, progress=False)
    )

    assert (local.exit_code, on_ray.exit_code) == (1, 1)  # the bad row failed on both
    assert decisions(tmp_path / "ray" / "results.jsonl") == decisions(tmp_path / "local" / "results.jsonl")
    assert on_ray.totals == local.totals
    assert on_ray.tally.reviewed == 7 and not (tmp_path / "ray" / ".tasks.jsonl").exists()
    # Same cache semantics: the driver cached every extraction the actors made.
    with ExtractionCache(tmp_path / "ray" / "cache.sqlite") as cache:
        assert cache.count() == 6
