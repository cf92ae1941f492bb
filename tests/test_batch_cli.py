"""`reviewer batch` end to end, as real subprocesses: outputs, error rows, pass-through columns,
a SIGKILL mid-run then a resume, and the LLM path's cache (against a local test double that
counts requests: tests/llm_double.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reviewer.evaluate.cases import load_cases
from tests.llm_double import llm_double

ROOT = Path(__file__).resolve().parents[1]
REVIEWER = [sys.executable, "-m", "reviewer"]
SEED = (ROOT / "eval/samples/seed-fournier.txt").read_text(encoding="utf-8")
DRAINAGE = (
    "OPERATIVE NOTE\nPREOPERATIVE DIAGNOSIS: Scrotal abscess.\nPOSTOPERATIVE DIAGNOSIS: Same.\n"
    "PROCEDURE: Incision and drainage of scrotal abscess.\nDESCRIPTION: A 3 cm fluctuant abscess of the left "
    "hemiscrotum was incised and 10 mL of pus was drained. The cavity was irrigated and packed. No necrotic "
    "tissue. No debridement was performed.\n"
)


def env(**extra: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    values.update(extra)
    return values


def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REVIEWER, "batch", *args], capture_output=True, text=True, cwd=ROOT, env=env(**extra), timeout=300
    )


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]


def sample_rows() -> list[dict[str, str]]:
    rows = [
        {
            "id": "seed-ok",
            "text": SEED,
            "sex": "M",
            "claimed_codes": "11004",
            "surgeon": "Dr A",
            "payer": "Medicare",
        },
        {
            "id": "seed-missed",
            "text": SEED,
            "sex": "M",
            "claimed_codes": "",
            "surgeon": "Dr A",
            "payer": "Aetna",
        },
        {
            "id": "drain-over",
            "text": DRAINAGE,
            "sex": "M",
            "claimed_codes": "11004",
            "surgeon": "Dr B",
            "payer": "Cigna",
        },
        {
            "id": "seed-bundled",
            "text": SEED,
            "sex": "M",
            "claimed_codes": "11004,11043",
            "surgeon": "Dr B",
            "payer": "X",
        },
        {"id": "empty", "text": " ", "sex": "M", "claimed_codes": "11004", "surgeon": "Dr C", "payer": "X"},
        {
            "id": "bad-sex",
            "text": SEED,
            "sex": "Q",
            "claimed_codes": "11004",
            "surgeon": "Dr C",
            "payer": "X",
        },
        {
            "id": "bad-code",
            "text": SEED,
            "sex": "M",
            "claimed_codes": "11004,??",
            "surgeon": "Dr C",
            "payer": "X",
        },
    ]
    for i, case in enumerate(load_cases(ROOT / "eval/gold")[:5]):
        rows.append(
            {
                "id": f"gold-{i}",
                "text": case.note,
                "sex": case.context.sex or "",
                "claimed_codes": "11004",
                "surgeon": "Dr D",
                "payer": "Medicare",
            }
        )
    return rows


@pytest.fixture(scope="module")
def notes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch-in") / "notes.csv"
    rows = sample_rows()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def local_run(notes_csv: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = notes_csv.parent / "out"
    return out, run(str(notes_csv), "--out", str(out), "--workers", "2")


def test_outputs_error_rows_and_pass_through_columns(local_run: tuple[Path, Any]) -> None:
    out, done = local_run
    assert done.returncode == 1, done.stderr  # some rows failed
    assert "Traceback" not in done.stderr
    records = lines(out / "results.jsonl")
    ids = [r["id"] for r in records]
    assert sorted(ids) == sorted(r["id"] for r in sample_rows()) and len(set(ids)) == len(ids)
    by_id = {r["id"]: r for r in records}
    for bad in ("empty", "bad-sex", "bad-code"):
        assert by_id[bad]["status"] == "error" and "\n" not in by_id[bad]["error"], bad
    assert by_id["seed-ok"]["decision"]["verdict"] == "supported"
    assert by_id["drain-over"]["decision"]["verdict"] == "not_supported"
    assert by_id["seed-ok"]["input"]["columns"] == {"surgeon": "Dr A", "payer": "Medicare"}
    assert by_id["seed-ok"]["note_sha256"] and by_id["seed-ok"]["schema_version"]

    with (out / "summary.csv").open(newline="", encoding="utf-8") as fh:
        summary = list(csv.DictReader(fh))
    assert [int(r["rank"]) for r in summary] == list(range(1, len(summary) + 1))
    rows = {r["id"]: r for r in summary}
    assert rows["drain-over"]["finding"] == "overcoding" and rows["drain-over"]["audit_risk"] == "high"
    assert rows["seed-missed"]["finding"] == "missed_revenue"
    assert rows["seed-bundled"]["finding"] == "bundled"
    assert rows["seed-ok"]["finding"] == "no_action" and rows["seed-ok"]["dollars_at_stake"] == "0.00"
    assert (
        rows["bad-sex"]["finding"] == "could_not_review" and "sex must be M or F" in rows["bad-sex"]["reason"]
    )
    assert (rows["drain-over"]["surgeon"], rows["drain-over"]["payer"]) == ("Dr B", "Cigna")
    assert float(rows["drain-over"]["dollars_at_stake"]) > 0
    # Ranked: high audit risk before nothing to do.
    assert int(rows["drain-over"]["rank"]) < int(rows["seed-ok"]["rank"])
    assert "Rows that failed: 3" in done.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "32.3465" in html and "CY2025" in html and "<script src" not in html


def _descendants(pid: int) -> set[int]:
    """Processes below `pid` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_ctrl_c_then_sigkill_mid_run_then_the_same_command_finishes_every_id_once(tmp_path: Path) -> None:
    cases = load_cases(ROOT / "eval/gold")
    n = 400
    source = tmp_path / "notes.jsonl"
    with source.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = cases[i % len(cases)].note + f"\nAddendum {i}: reviewed."
            fh.write(json.dumps({"id": f"k{i:04d}", "text": text, "claimed_codes": ["11004"]}) + "\n")
    out = tmp_path / "out"
    command = [*REVIEWER, "batch", str(source), "--out", str(out), "--workers", "2"]
    results = out / "results.jsonl"

    def start_and_wait_for(lines_at_least: int) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if results.exists() and results.read_bytes().count(b"\n") >= lines_at_least:
                break
            time.sleep(0.01)
        return proc

    # Ctrl-C (SIGINT to the whole process group, as a terminal sends it): a clean stop.
    proc = start_and_wait_for(10)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Interrupted. Every finished note is saved" in stdout and "Traceback" not in stderr
    assert f"--out {out} --workers 2" in stdout  # the command to resume with
    interrupted = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert 10 <= len(interrupted) < n

    # SIGKILL of the main process mid-run: its workers go too, and nothing is corrupted.
    proc = start_and_wait_for(len(interrupted) + 20)
    workers = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    for pipe in (proc.stdout, proc.stderr):
        assert pipe is not None
        pipe.close()  # orphaned workers may hold its other end a moment longer
    written = results.read_bytes().count(b"\n")
    assert len(interrupted) + 20 <= written < n, "the kill must land mid-run"
    assert workers, "the run had worker processes"
    stop = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < stop:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "workers outlived a killed parent"
    # A kill can tear the last line: simulate the worst case.
    with results.open("ab") as fh:
        fh.write(b'{"id": "k0001", "status": "ok", "deci')

    again = subprocess.run(command, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "torn last line" in again.stdout and f"{written:,} were done by an earlier run" in again.stdout
    raw = results.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in raw]  # every line parses
    counts = Counter(r["id"] for r in records)
    assert len(counts) == n and set(counts.values()) == {1}
    assert all(r["status"] == "ok" for r in records)


def test_llm_path_budget_stop_resume_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In process (the rules data is loaded once for the test session): the runner's API."""
    from reviewer.batch import BatchOptions, run_batch
    from reviewer.batch.local import LlmLimits
    from reviewer.batch.progress import Prices
    from reviewer.batch.summary import print_summary

    source = tmp_path / "notes.jsonl"
    notes = [SEED, DRAINAGE] + [c.note for c in load_cases(ROOT / "eval/gold")[:6]]
    with source.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(notes):
            fh.write(json.dumps({"id": f"L{i}", "text": text, "sex": "M", "claimed_codes": ["11004"]}) + "\n")
    out = tmp_path / "out"
    with llm_double(latency=0.05) as server:
        for key, value in {"BASE_URL": server.base_url, "MODEL": "double", "TIMEOUT": "10"}.items():
            monkeypatch.setenv(f"REVIEWER_LLM_{key}", value)

        def options(**extra: Any) -> BatchOptions:
            base = {"out": out, "extractor": "llm", "limits": LlmLimits(concurrency=2), "progress": False}
            return BatchOptions(input=source, command="again", **{**base, **extra})

        stopped = run_batch(options(max_tokens=1, prices=Prices(input=1.0, output=2.0)))
        assert (stopped.stop_reason, stopped.exit_code) == ("max-tokens", 4)
        first = len(lines(out / "results.jsonl"))
        assert 1 <= first < len(notes) and server.requests == first == stopped.tally.llm_calls
        assert stopped.tally.cost is not None and stopped.tally.cost > 0
        text = io.StringIO()
        print_summary(stopped, options(max_tokens=1), text)
        assert "Stopped: the tokens used reached --max-tokens 1" in text.getvalue()
        assert "run the same command again:\n  again" in text.getvalue()

        finished = run_batch(options())
        assert finished.exit_code == 0 and finished.tally.llm_calls == len(notes) - first
        records = lines(out / "results.jsonl")
        assert sorted(r["id"] for r in records) == sorted(f"L{i}" for i in range(len(notes)))
        assert server.requests == len(notes)  # nothing asked twice
        assert all(r["extractor"]["name"] == "llm" and r["extractor"]["model"] == "double" for r in records)
        verdicts = {r["id"]: r["decision"]["verdict"] for r in records}

        # A new ruleset: every result is decided again, from the cached findings, with no LLM call.
        stale = [{**r, "ruleset_version": "0.0-old"} for r in records]
        (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in stale), encoding="utf-8")
        redecided = run_batch(options())
        assert redecided.exit_code == 0 and redecided.resume.redo_stale == len(notes)
        assert server.requests == len(notes)
        assert (redecided.tally.llm_calls, redecided.tally.from_cache) == (0, len(notes))
        again = lines(out / "results.jsonl")
        assert {r["id"]: r["decision"]["verdict"] for r in again} == verdicts
        assert all(r["ruleset_version"] != "0.0-old" for r in again)

        # Another output folder sharing the cache: the same batch again, still no LLM call.
        other = run_batch(options(out=tmp_path / "out2", cache=out / "cache.sqlite"))
        assert other.tally.from_cache == len(notes) and server.requests == len(notes)


def test_the_resume_command_is_the_same_command_without_fresh() -> None:
    from reviewer.batch.runner import resume_command

    args = ["notes dir", "--out", "out", "--fresh", "--workers", "2"]
    assert resume_command(args) == "reviewer batch 'notes dir' --out out --workers 2"
    assert resume_command(["in.csv", "--out", "o"]) == "reviewer batch in.csv --out o"


def test_ctrl_c_on_the_llm_path_finishes_the_calls_in_flight_and_records_them(tmp_path: Path) -> None:
    source = tmp_path / "notes.jsonl"
    n = 40
    with source.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"c{i:02d}", "text": SEED + f"\nAddendum {i}.", "sex": "M"}) + "\n")
    out = tmp_path / "out"
    results = out / "results.jsonl"
    with llm_double(latency=0.2) as server:
        llm = {"REVIEWER_LLM_BASE_URL": server.base_url, "REVIEWER_LLM_MODEL": "double"}
        proc = subprocess.Popen(
            [*REVIEWER, "batch", str(source), "--out", str(out), "--extractor", "llm", "--concurrency", "2"],
            cwd=ROOT,
            env=env(**llm),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            results.exists() and results.read_bytes().count(b"\n") >= 2
        ):
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        recorded = lines(results)
        requests = server.requests
    assert proc.returncode == 130, stderr
    assert "stopping: finishing the LLM calls in flight (Ctrl-C again to abandon them)" in stderr
    assert "Interrupted. Every finished note is saved" in stdout and "Traceback" not in stderr
    # Every call made (and paid for) is in results.jsonl; the rest is left for the resume.
    assert 2 <= len(recorded) == requests < n
    assert all(r["status"] == "ok" for r in recorded)
