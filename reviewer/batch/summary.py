"""The closing summary of a run, on stdout: what was done, what it cost, where the outputs are,
and how to resume when the run stopped early. Never any note text."""

from __future__ import annotations

import sys
from typing import TextIO

from reviewer.batch.runner import BatchOptions, BatchRun

__all__ = ["print_summary"]


def _notes(n: int) -> str:
    return f"{n:,} note" + ("" if n == 1 else "s")


def print_summary(run: BatchRun, options: BatchOptions, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    t = run.tally
    lines: list[str] = []
    rate = t.reviewed / run.review_seconds if run.review_seconds > 0 else 0.0
    lines.append(
        f"Reviewed {t.reviewed:,} notes in {run.review_seconds:,.1f} s ({rate:,.1f} notes/s)"
        + (f"; {t.done_before:,} were done by an earlier run" if t.done_before else "")
        + f"; {t.total:,} in the input."
    )
    if run.resume.torn or run.resume.redo_failed or run.resume.redo_stale:
        parts = []
        if run.resume.torn:
            parts.append("a torn last line from an interrupted run was dropped")
        if run.resume.redo_failed:
            parts.append(f"{run.resume.redo_failed:,} failed rows were tried again")
        if run.resume.redo_stale:
            parts.append(f"{run.resume.redo_stale:,} results of another ruleset were decided again")
        lines.append("Resumed: " + "; ".join(parts) + ".")
    if t.verdicts:
        lines.append(
            "This run, by verdict: " + ", ".join(f"{k} {v:,}" for k, v in sorted(t.verdicts.items())) + "."
        )
    if run.totals:
        findings = ", ".join(f"{r['label']} {r['notes']:,}" for r in run.totals["findings"])
        lines.append(f"Worklist ({run.totals['notes']:,} notes): {findings}.")
        lines.append(
            f"Need action: {_notes(run.totals['needs_action'])}; estimated dollars at stake: "
            f"${run.totals['dollars']:,.2f}."
        )
    if options.extractor != "rules" or t.from_cache:
        lines.append(
            f"LLM calls: {t.llm_calls:,} made ({t.attempts:,} requests with retries), {t.from_cache:,} served "
            f"from the cache; tokens: {t.prompt_tokens:,} prompt + {t.completion_tokens:,} completion"
            + (f" ({t.cached_tokens:,} prompt tokens cached by the endpoint)" if t.cached_tokens else "")
            + "."
        )
        if t.cost is not None:
            lines.append(f"Cost: ${t.cost:,.4f} at the configured prices.")
    if run.failed_rows:
        lines.append(
            f"Rows that failed: {run.failed_rows:,} (reason in summary.csv, finding could_not_review)."
        )
    if run.files:
        lines.append("Outputs: " + ", ".join(str(p) for p in run.files))
    if run.stop_reason:
        why = {
            "interrupted": "Interrupted",
            "worker-died": f"Stopped: {run.detail}",
            "max-cost": f"Stopped: the LLM spend reached --max-cost {options.max_cost}",
            "max-tokens": f"Stopped: the tokens used reached --max-tokens {options.max_tokens:,}"
            if options.max_tokens
            else "Stopped",
        }[run.stop_reason]
        lines.append(f"{why}. Every finished note is saved; to finish the rest, run the same command again:")
        lines.append(f"  {options.command}")
    out.write("\n".join(lines) + "\n")
    out.flush()
