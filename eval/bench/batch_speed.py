"""Throughput and memory of `reviewer batch`, each against a baseline measured in the same run.

    .venv/bin/python eval/bench/batch_speed.py [--notes 2000] [--rss-notes 1000,10000] [--skip-rss]

1. Rules path: notes/second with all workers vs one worker, over --notes notes made from the
   gold set (each varied: an encounter header, another case's closing lines, changed spacing
   and case, so no two texts are the same). Both are real `reviewer batch` runs (subprocesses:
   each pays its start-up once); the steady rate excludes the start-up, measured on a 1-note run.
2. LLM path, against a local OpenAI-compatible test double (tests/llm_double.py, a separate
   process) with a fixed latency: achieved notes/second / the ceiling min(concurrency /
   latency, rate limit), once bound by concurrency and once by a requests-per-minute limit.
   In process, after a warm-up run, so the rate is the engine's and not the imports'.
3. The cached re-run: the same batch into a new folder with the first run's cache: LLM calls
   counted at the double (must be 0).
4. Peak RSS of the rules path at 1,000 and 10,000 notes (main process, largest worker, and the
   whole process tree): memory must not grow with the batch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reviewer.evaluate.cases import load_cases  # noqa: E402

REVIEWER = [sys.executable, "-m", "reviewer"]
CLAIMS = [["11004"], ["11004", "11043"], [], ["11005"], ["11008"], ["11004x2"], ["11004", "N49.3"], ["11043"]]


def make_notes(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n varied notes from the gold set (no two texts identical)."""
    rng = random.Random(seed)
    cases = load_cases(ROOT / "eval" / "gold")
    out = []
    for i in range(n):
        case = cases[i % len(cases)]
        other = cases[rng.randrange(len(cases))]
        tail = "\n".join(other.note.strip().splitlines()[-3:])
        text = case.note
        if rng.random() < 0.3:
            text = text.replace("  ", " ")
        if rng.random() < 0.15:
            text = text.upper()
        header = f"ENCOUNTER {100000 + i}  DATE OF SERVICE: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
        text = header + text + f"\n\nADDENDUM ({rng.randrange(1, 60)} min later):\n{tail}\n"
        out.append(
            {
                "id": f"b{i:06d}",
                "text": text,
                "sex": case.context.sex or "",
                "claimed_codes": CLAIMS[i % len(CLAIMS)],
                "encounter_id": f"E{i}",
            }
        )
    assert len({r["text"] for r in out}) == n
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


# --- process-tree memory sampling (Linux /proc) -----------------------------------------------


def _tree(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = {pid}
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.main = 0
        self.worker = 0
        self.total = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            pids = _tree(self.pid)
            sizes = {p: _rss_kb(p) for p in pids}
            self.main = max(self.main, sizes.get(self.pid, 0))
            others = [v for p, v in sizes.items() if p != self.pid]
            self.worker = max([self.worker, *others])
            self.total = max(self.total, sum(sizes.values()))
            time.sleep(0.2)


def cli_run(source: Path, out: Path, *args: str, sample: bool = False) -> tuple[float, Sampler | None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWER_")}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*REVIEWER, "batch", str(source), "--out", str(out), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = Sampler(proc.pid) if sample else None
    if sampler:
        sampler.start()
    _stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    if sampler:
        sampler.running = False
        sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"reviewer batch failed ({proc.returncode}): {stderr.strip()[-500:]}")
    return seconds, sampler


def rules_path(tmp: Path, n: int) -> dict[str, float]:
    cores = len(os.sched_getaffinity(0))
    source = write_jsonl(tmp / "rules.jsonl", make_notes(n))
    one_note = write_jsonl(tmp / "one.jsonl", make_notes(1))
    start_1, _ = cli_run(one_note, tmp / "start-1", "--workers", "1")
    start_n, _ = cli_run(one_note, tmp / "start-n", "--workers", str(cores))
    wall_1, _ = cli_run(source, tmp / "rules-1", "--workers", "1")
    wall_n, _ = cli_run(source, tmp / "rules-n", "--workers", str(cores))
    same = _verdicts(tmp / "rules-1") == _verdicts(tmp / "rules-n")
    return {
        "cores": cores,
        "notes": n,
        "wall_1": wall_1,
        "wall_n": wall_n,
        "start_1": start_1,
        "start_n": start_n,
        "rate_1": n / wall_1,
        "rate_n": n / wall_n,
        "steady_1": n / max(wall_1 - start_1, 1e-9),
        "steady_n": n / max(wall_n - start_n, 1e-9),
        "same_results": float(same),
        "report_mb": (tmp / "rules-n" / "report.html").stat().st_size / 1e6,
    }


def _verdicts(out: Path) -> dict[str, Any]:
    with (out / "results.jsonl").open(encoding="utf-8") as fh:
        return {r["id"]: (r.get("decision") or {}).get("verdict") for r in map(json.loads, fh)}


def memory(tmp: Path, counts: list[int]) -> list[dict[str, float]]:
    cores = len(os.sched_getaffinity(0))
    rows = []
    for n in counts:
        source = write_jsonl(tmp / f"rss-{n}.jsonl", make_notes(n, seed=n))
        seconds, sampler = cli_run(source, tmp / f"rss-{n}", "--workers", str(cores), sample=True)
        assert sampler is not None
        rows.append(
            {
                "notes": n,
                "seconds": seconds,
                "main_mb": sampler.main / 1024,
                "worker_mb": sampler.worker / 1024,
                "total_mb": sampler.total / 1024,
            }
        )
    return rows


# --- the LLM path -------------------------------------------------------------------------------


def start_double(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "llm_double.py"), "--latency", str(latency)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().split()[1]
    return proc, f"http://127.0.0.1:{port}"


def double_requests(url: str) -> int:
    with urllib.request.urlopen(url + "/stats", timeout=5) as response:
        return int(json.loads(response.read())["requests"])


def llm_run(source: Path, out: Path, concurrency: int, rpm: float | None, cache: Path | None = None) -> Any:
    from reviewer.batch import BatchOptions, run_batch
    from reviewer.batch.local import LlmLimits

    options = BatchOptions(
        input=source,
        out=out,
        extractor="llm",
        cache=cache,
        limits=LlmLimits(concurrency=concurrency, requests_per_minute=rpm),
        progress=False,
    )
    return run_batch(options)


def llm_path(tmp: Path, latency: float, n_conc: int, n_rate: int) -> dict[str, Any]:
    proc, url = start_double(latency)
    os.environ.update(
        {"REVIEWER_LLM_BASE_URL": url + "/v1", "REVIEWER_LLM_MODEL": "double", "REVIEWER_LLM_TIMEOUT": "30"}
    )
    try:
        warm = write_jsonl(tmp / "llm-warm.jsonl", make_notes(16, seed=1))
        llm_run(warm, tmp / "llm-warm", 8, None)  # imports and the rules data, once
        results: dict[str, Any] = {"latency": latency}
        scenarios = [
            ("concurrency", 4, None, n_conc),
            ("rate limit", 16, 1200.0, n_rate),
            ("concurrency (CPU-bound here)", 8, None, n_conc),
        ]
        for name, concurrency, rpm, n in scenarios:
            source = write_jsonl(tmp / f"llm-{concurrency}.jsonl", make_notes(n, seed=concurrency))
            before = double_requests(url)
            run = llm_run(source, tmp / f"llm-{concurrency}", concurrency, rpm)
            calls = double_requests(url) - before
            ceiling = min(concurrency / latency, (rpm or float("inf")) / 60)
            achieved = run.tally.reviewed / run.review_seconds
            results[name] = {
                "notes": n,
                "concurrency": concurrency,
                "rpm": rpm,
                "calls": calls,
                "seconds": run.review_seconds,
                "achieved": achieved,
                "ceiling": ceiling,
                "ratio": achieved / ceiling,
            }
        source = tmp / "llm-4.jsonl"
        before = double_requests(url)
        cached = llm_run(source, tmp / "llm-4-again", 8, None, cache=tmp / "llm-4" / "cache.sqlite")
        results["cached"] = {
            "notes": cached.tally.reviewed,
            "calls": double_requests(url) - before,
            "from_cache": cached.tally.from_cache,
            "seconds": cached.review_seconds,
        }
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def print_rules(r: dict[str, float]) -> None:
    print(f"1. rules path, {r['notes']:,} varied notes from the gold set, {r['cores']:.0f} cores")
    print(f"   one worker:  {r['wall_1']:7.1f} s  {r['rate_1']:7.1f} notes/s  (steady {r['steady_1']:.1f})")
    print(f"   all workers: {r['wall_n']:7.1f} s  {r['rate_n']:7.1f} notes/s  (steady {r['steady_n']:.1f})")
    print(f"   start-up (1-note run): one worker {r['start_1']:.1f} s, all workers {r['start_n']:.1f} s")
    print(
        f"   ratio all/one: {r['rate_n'] / r['rate_1']:.2f} end to end, {r['steady_n'] / r['steady_1']:.2f} steady"
    )
    print(f"   same verdicts on both: {bool(r['same_results'])}")
    print(f"   report.html for {r['notes']:,} notes: {r['report_mb']:.1f} MB")
    print(f"   per hour on this machine (all workers, steady): {r['steady_n'] * 3600:,.0f} notes", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--rss-notes", default="1000,10000")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--skip-rules", action="store_true")
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as name:
        tmp = Path(name)
        if not args.skip_rules:
            print_rules(rules_path(tmp, args.notes))
        llm = llm_path(tmp, args.latency, n_conc=400, n_rate=400)
        print(f"2. LLM path against the test double, {llm['latency'] * 1000:.0f} ms per request")
        for name in ("concurrency", "rate limit", "concurrency (CPU-bound here)"):
            s = llm[name]
            limit = f", {s['rpm']:.0f} requests/min" if s["rpm"] else ""
            print(
                f"   bound by {name}: {s['notes']} notes, concurrency {s['concurrency']}{limit}: "
                f"{s['achieved']:.1f} notes/s of a ceiling of {s['ceiling']:.1f} -> ratio {s['ratio']:.2f} "
                f"({s['calls']} LLM calls, {s['achieved'] * 3600:,.0f} notes/hour)"
            )
        c = llm["cached"]
        print(
            f"3. cached re-run: {c['notes']} notes, {c['calls']} LLM calls, {c['from_cache']} served from the "
            f"cache, {c['notes'] / c['seconds']:.1f} notes/s"
        )
        if not args.skip_rss:
            counts = [int(x) for x in args.rss_notes.split(",")]
            rows = memory(tmp, counts)
            print("4. peak RSS, rules path, all workers")
            for row in rows:
                print(
                    f"   {row['notes']:>6,} notes ({row['seconds']:.0f} s): main {row['main_mb']:.0f} MB, "
                    f"largest worker {row['worker_mb']:.0f} MB, whole tree {row['total_mb']:.0f} MB"
                )
            if len(rows) >= 2:
                print(
                    f"   ratio tree peak {rows[-1]['notes']:,} / {rows[0]['notes']:,} notes: "
                    f"{rows[-1]['total_mb'] / rows[0]['total_mb']:.2f}"
                )


if __name__ == "__main__":
    main()
