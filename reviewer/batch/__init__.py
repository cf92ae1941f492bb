"""Batch pre-bill review: many notes, a worklist of the claims at risk.

Modules: `rows` (reading the input), `work` (the per-note function), `cache` (SQLite cache of
extractions), `results` (results.jsonl, resume), `local` / `raydata` (engines), `ratelimit`,
`worklist` + `fees` (findings and dollars), `store` + `report` (summary.csv, report.html),
`progress`, `runner` (one run). Imports flow down: batch uses pipeline and report, never the
reverse.
"""

from __future__ import annotations

from reviewer.batch.runner import BatchOptions, BatchRun, run_batch

__all__ = ["BatchOptions", "BatchRun", "run_batch"]
