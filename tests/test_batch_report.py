"""The worklist page (report.html) in real headless Chromium (Debian's `chromium`, driven by
Playwright with executable_path): totals, filtering by finding, sorting, a row opening its
note's review with evidence highlighted, and the copyable physician query."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer.batch import BatchOptions, run_batch

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEED = Path("eval/samples/seed-fournier.txt").read_text(encoding="utf-8")
DRAINAGE = (
    "OPERATIVE NOTE\nPREOPERATIVE DIAGNOSIS: Scrotal abscess.\nPOSTOPERATIVE DIAGNOSIS: Same.\n"
    "PROCEDURE: Incision and drainage of scrotal abscess.\nDESCRIPTION: A 3 cm fluctuant abscess of the left "
    "hemiscrotum was incised and 10 mL of pus was drained. The cavity was irrigated and packed. No necrotic "
    "tissue. No debridement was performed.\n"
)
UNCLEAR = (
    "POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\nPROCEDURE: Debridement of the scrotum and perineum.\n"
    "DESCRIPTION: Necrotic tissue of the scrotum and perineum was debrided.\n"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("worklist")
    rows = [
        ("ok-1", SEED, "11004"),
        ("ok-2", SEED, "11004"),
        ("over-1", DRAINAGE, "11004"),
        ("over-2", DRAINAGE, "11004,11043"),
        ("missed-1", SEED, ""),
        ("query-1", UNCLEAR, "11004"),
        ("broken", "", "11004"),
    ]
    source = folder / "notes.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "sex", "claimed_codes", "payer"])
        for note_id, text, claim in rows:
            writer.writerow([note_id, text, "M", claim, f"payer-{note_id}"])
    run = run_batch(BatchOptions(input=source, out=folder / "out", workers=1, progress=False))
    assert run.totals["notes"] == len(rows)
    return folder / "out" / "report.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("Debian chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_worklist_shows_totals_filters_sorts_and_opens_a_review(report: Path, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())

    assert page.locator("#total-notes").inner_text() == "7"
    assert page.locator("#total-errors").inner_text() == "1"
    assert page.locator("#total-dollars").inner_text().startswith("$")
    over = page.locator("#finding-totals tr[data-kind=overcoding] td.count").inner_text()
    assert over == "2"
    body = page.locator("#notes-body tr")
    assert body.count() == 7
    assert page.locator("#notes-head th").filter(has_text="payer").count() == 1

    page.select_option("#f-finding", "overcoding")
    assert body.count() == 2
    assert sorted(body.nth(i).get_attribute("data-id") for i in range(2)) == ["over-1", "over-2"]
    assert "2 of 7 notes shown" in page.locator("#shown").inner_text()
    page.click("#f-clear")
    page.fill("#f-search", "payer-missed-1")
    assert body.count() == 1 and body.first.get_attribute("data-finding") == "missed_revenue"
    page.click("#f-clear")
    page.click("#finding-totals button[data-kind=needs_query]")  # a finding name is a filter too
    assert body.count() == 1 and body.first.get_attribute("data-id") == "query-1"

    body.first.click()
    dialog = page.locator("#detail")
    dialog.wait_for(state="visible")
    assert "query-1" in page.locator("#detail-title").inner_text()
    assert (
        page.locator("#query-text")
        .input_value()
        .startswith("Physician query about the operative note query-1")
    )
    frame = page.frame_locator("#detail-frame")
    frame.locator("h1.verdict-line").wait_for()
    assert "QUERY" in frame.locator("h1.verdict-line").inner_text()
    assert frame.locator("mark.ev").count() > 0  # the evidence is highlighted in the note
    page.click("#copy-query")
    page.locator("#copied", has_text="Copied.").wait_for()
    page.click("#detail-close")

    page.click("#f-clear")
    page.locator("#notes-head th[data-key=d]").click()  # sort by dollars at stake, highest first
    amounts = [
        float(t.replace("$", "").replace(",", "").replace("\u2013", "0"))
        for t in page.locator("#notes-body tr td:nth-child(5)").all_inner_texts()
    ]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] > 0
    assert errors == []
    assert all(url.startswith(("file:", "about:", "data:")) for url in requests)  # nothing from the network
    context.close()


def test_report_size_stays_small_per_note(report: Path) -> None:
    # Each note's page is embedded compressed, not as a raw page (a raw page is ~15-20 KB).
    assert report.stat().st_size < 7 * 12_000


def test_a_lost_worklist_store_is_rebuilt_from_the_results_and_the_input(tmp_path: Path) -> None:
    source = tmp_path / "notes.jsonl"
    source.write_text(
        '{"id": "a", "text": ' + json.dumps(SEED) + ', "claimed_codes": ["11043"]}\n'
        '{"id": "b", "text": ' + json.dumps(DRAINAGE) + ', "claimed_codes": ["11004"]}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    first = run_batch(BatchOptions(input=source, out=out, workers=1, progress=False))
    before = (out / "summary.csv").read_text(encoding="utf-8")
    (out / ".worklist.sqlite").unlink()
    again = run_batch(BatchOptions(input=source, out=out, workers=1, progress=False))
    assert again.tally.reviewed == 0 and again.totals == first.totals
    assert (out / "summary.csv").read_text(encoding="utf-8") == before
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('type="application/octet-stream"') == 1  # both pages are back, in one block
