"""`review()` from many threads gives exactly what it gives serially (8 threads x every gold
note, compared as JSON without the audit's time)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reviewer.evaluate.cases import load_cases
from reviewer.pipeline import Review, review

ROOT = Path(__file__).parent.parent


def _json(r: Review) -> dict[str, Any]:
    data = r.model_dump(mode="json")
    data["audit"].pop("created_at")
    return data


def test_review_from_many_threads_equals_serial() -> None:
    cases = load_cases(ROOT / "eval" / "gold")
    jobs = [(c.id, c.note, c.context.sex, c.context.claimed_codes) for c in cases]

    def one(job: tuple[str, str, str | None, list[str]]) -> dict[str, Any]:
        note_id, note, sex, claimed = job
        return _json(review(note, sex=sex, claimed_codes=claimed, note_id=note_id))

    serial = [one(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(one, jobs))
    assert len(threaded) == len(serial) >= 100
    differing = [s["note_id"] for s, t in zip(serial, threaded, strict=True) if s != t]
    assert differing == []
