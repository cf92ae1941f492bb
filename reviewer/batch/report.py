"""The batch outputs built from results.jsonl and the worklist store: summary.csv (one ranked
row per note) and report.html (the worklist page).

report.html is one self-contained file (no network: a Content-Security-Policy forbids it). The
top shows the totals per finding and the dollars at stake with an inline SVG chart; below, a
sortable, filterable table (vanilla JavaScript). Each row opens that note's own review page —
the single-note HTML of `reviewer.report.html.render_html`, evidence highlighted — which is
stored compressed (deflate, 25 pages per block, base64) and inflated in the browser only when
opened (DecompressionStream), so the file stays small for thousands of notes. The templates,
CSS and JavaScript are package data in reviewer/batch/templates/.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

import reviewer
from reviewer.batch.fees import load_fees
from reviewer.batch.results import iter_results
from reviewer.batch.rows import read_rows
from reviewer.batch.store import WorklistStore
from reviewer.batch.worklist import (
    FINDINGS,
    RISK_ORDER,
    FindingKind,
    WorklistItem,
    item_from_json,
    item_from_record,
)
from reviewer.report.templating import asset, environment

__all__ = ["write_outputs"]

BLOCK = 25  # single-note pages per compressed block
VERDICT_NAMES = {
    "supported": "Supported",
    "not_supported": "Not supported",
    "query": "Query",
    "error": "Not reviewed",
}


def write_outputs(
    out_dir: Path, results_path: Path, store: WorklistStore, input_path: Path
) -> tuple[dict[str, Any], int]:
    """Write summary.csv and report.html; return the totals and the number of failed rows."""
    items, missing = _items(results_path, store)
    if missing:
        _fill_missing_details(missing, results_path, input_path, store)
    items.sort(key=lambda it: it.rank_key(), reverse=True)
    columns = list(dict.fromkeys(k for it in items for k in it.columns))
    totals = _totals(items)
    _write_atomically(out_dir / "summary.csv", lambda fh: _write_summary(fh, items, columns))
    _write_atomically(out_dir / "report.html", lambda fh: _write_report(fh, items, columns, totals, store))
    return totals, sum(1 for it in items if it.verdict == "error")


def _items(results_path: Path, store: WorklistStore) -> tuple[list[WorklistItem], set[str]]:
    """Every note in results.jsonl, from the store (or from its line when the store lacks it)."""
    items: list[WorklistItem] = []
    missing: set[str] = set()
    for record in iter_results(results_path):
        note_id = str(record.get("id"))
        stored = store.get(note_id)
        if stored is not None:
            items.append(item_from_json(stored[0]))
            continue
        items.append(item_from_record(record))
        if "decision" in record:
            missing.add(note_id)
    return items, missing


def _fill_missing_details(
    missing: set[str], results_path: Path, input_path: Path, store: WorklistStore
) -> None:
    """A note whose page was lost (a killed run, a deleted store): render it again from its
    results line and the note text, read once more from the input."""
    from reviewer.batch.worklist import item_to_json
    from reviewer.pipeline import Review
    from reviewer.report.html import render_html

    texts: dict[str, str] = {}
    for row in read_rows(input_path):
        if row.id in missing and row.text is not None:
            texts[row.id] = row.text
    for record in iter_results(results_path):
        note_id = str(record.get("id"))
        if note_id not in missing or note_id not in texts:
            continue
        review = Review.model_validate(record)
        page = render_html(review, texts[note_id])
        store.put(note_id, item_to_json(item_from_record(record)), zlib.compress(page.encode("utf-8"), 6))


def _totals(items: list[WorklistItem]) -> dict[str, Any]:
    notes: Counter[str] = Counter()
    dollars: dict[str, float] = {}
    primary: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    for it in items:
        verdicts[it.verdict] += 1
        primary[it.primary.kind.value] += 1
        for kind in dict.fromkeys(f.kind for f in it.findings):
            notes[kind.value] += 1
        for f in it.findings:
            dollars[f.kind.value] = dollars.get(f.kind.value, 0.0) + f.dollars
    rows = []
    for kind, info in FINDINGS.items():
        if notes[kind.value] == 0:
            continue
        rows.append(
            {
                "kind": kind.value,
                "label": info.label,
                "explain": info.explain,
                "risk": info.risk.value,
                "notes": notes[kind.value],
                "primary": primary[kind.value],
                "dollars": round(dollars.get(kind.value, 0.0), 2),
            }
        )
    quiet = (FindingKind.no_action, FindingKind.no_claim)
    action = [it for it in items if it.primary.kind not in quiet]
    return {
        "notes": len(items),
        "needs_action": len(action),
        "dollars": round(sum(it.dollars for it in items), 2),
        "findings": rows,
        "verdicts": {VERDICT_NAMES.get(k, k): v for k, v in verdicts.items()},
        "errors": verdicts.get("error", 0),
    }


def _write_atomically(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


SUMMARY_COLUMNS = [
    "rank",
    "id",
    "verdict",
    "finding",
    "finding_label",
    "all_findings",
    "audit_risk",
    "dollars_at_stake",
    "recommended_codes",
    "claimed_codes",
    "reason",
    "date_of_service",
    "physician_query",
]


def _write_summary(fh: Any, items: list[WorklistItem], columns: list[str]) -> None:
    writer = csv.writer(fh)
    extra = [c for c in columns if c not in SUMMARY_COLUMNS]
    writer.writerow(SUMMARY_COLUMNS + extra)
    for rank, it in enumerate(items, 1):
        p = it.primary
        writer.writerow(
            [
                rank,
                it.id,
                it.verdict,
                p.kind.value,
                FINDINGS[p.kind].label,
                ";".join(dict.fromkeys(f.kind.value for f in it.findings)),
                p.risk.value,
                f"{it.dollars:.2f}",
                it.recommended,
                it.claimed,
                p.reason,
                it.date_of_service,
                it.query_text,
            ]
            + [it.columns.get(c, "") for c in extra]
        )


def _script_json(value: Any) -> Markup:
    """JSON safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _row_json(rank: int, it: WorklistItem, block: int, slot: int) -> dict[str, Any]:
    return {
        "n": rank,
        "id": it.id,
        "v": it.verdict,
        "f": it.primary.kind.value,
        "fs": list(dict.fromkeys(f.kind.value for f in it.findings)),
        "r": it.primary.risk.value,
        "ro": RISK_ORDER[it.primary.risk],
        "d": it.dollars,
        "rc": it.recommended,
        "cc": it.claimed,
        "why": it.primary.reason,
        "all": [{"k": f.kind.value, "why": f.reason, "d": f.dollars, "codes": f.codes} for f in it.findings],
        "q": it.query_text,
        "dos": it.date_of_service,
        "col": it.columns,
        "b": block,
        "s": slot,
    }


def _blocks(items: list[WorklistItem], store: WorklistStore) -> tuple[list[tuple[int, int]], list[list[str]]]:
    """Where each item's page is: (block, slot), (-1, -1) when it has none; and the id lists
    of the blocks, for the streaming writer."""
    where: list[tuple[int, int]] = []
    blocks: list[list[str]] = []
    for it in items:
        stored = store.get(it.id)
        if stored is None or stored[1] is None:
            where.append((-1, -1))
            continue
        if not blocks or len(blocks[-1]) >= BLOCK:
            blocks.append([])
        where.append((len(blocks) - 1, len(blocks[-1])))
        blocks[-1].append(it.id)
    return where, blocks


def _encoded_blocks(blocks: list[list[str]], store: WorklistStore) -> Iterator[tuple[int, str]]:
    for i, ids in enumerate(blocks):
        pages = []
        for note_id in ids:
            stored = store.get(note_id)
            detail = stored[1] if stored is not None else None
            pages.append(zlib.decompress(detail).decode("utf-8") if detail else "")
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = packer.compress(json.dumps(pages, ensure_ascii=False).encode("utf-8")) + packer.flush()
        yield i, base64.b64encode(raw).decode("ascii")


def _chart(totals: dict[str, Any]) -> list[dict[str, Any]]:
    """Bars of the chart: dollars per finding (notes when no finding has dollars)."""
    quiet = (FindingKind.no_action.value, FindingKind.no_claim.value)
    rows = [r for r in totals["findings"] if r["kind"] not in quiet]
    top = max((r["dollars"] for r in rows), default=0.0)
    bars = []
    for i, r in enumerate(rows):
        share = r["dollars"] / top if top else 0.0
        bars.append({**r, "y": i * 30, "width": round(max(share * 100, 0.5 if r["dollars"] else 0), 2)})
    return bars


def _write_report(
    fh: Any, items: list[WorklistItem], columns: list[str], totals: dict[str, Any], store: WorklistStore
) -> None:
    where, blocks = _blocks(items, store)
    rows = [_row_json(rank, it, *where[rank - 1]) for rank, it in enumerate(items, 1)]
    fees = load_fees()
    template = environment("reviewer.batch").get_template("worklist.html.j2")
    stream = template.generate(
        totals=totals,
        bars=_chart(totals),
        findings={
            k.value: {"label": v.label, "explain": v.explain, "risk": v.risk.value}
            for k, v in FINDINGS.items()
        },
        verdicts=VERDICT_NAMES,
        rows_json=_script_json(rows),
        findings_json=_script_json(
            {
                k.value: {"label": v.label, "explain": v.explain, "risk": v.risk.value}
                for k, v in FINDINGS.items()
            }
        ),
        verdicts_json=_script_json(VERDICT_NAMES),
        columns_json=_script_json(columns),
        blocks=_encoded_blocks(blocks, store),
        fees_note=fees.describe(),
        css=asset("reviewer.batch", "worklist.css"),
        script=asset("reviewer.batch", "worklist.js"),
        version=reviewer.__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    for piece in stream:
        fh.write(piece)
