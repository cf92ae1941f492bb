"""Bounded load test of `reviewer serve` on loopback: concurrent clients post the gold-set notes
to POST /api/review (rules path) for a fixed time, then latency percentiles, throughput and errors
are printed, next to a baseline measured in the same run: the same notes reviewed in-process
(no HTTP, one thread), so the ratio shows what serving costs.

    .venv/bin/python eval/bench/web_load.py [--clients 20] [--seconds 30] [--workers 2]
    .venv/bin/python eval/bench/web_load.py --url http://127.0.0.1:8000   # a server already running

Goal (issue 10): p95 < 200 ms and 0 errors with 20 clients. Only loopback addresses are accepted;
every loop is bounded in time. Nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold"


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def count_error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def gold_requests() -> list[bytes]:
    from reviewer.evaluate.cases import load_cases

    bodies = []
    for case in load_cases(GOLD):
        payload = {
            "text": case.note,
            "sex": case.context.sex,
            "claimed_codes": list(case.context.claimed_codes),
        }
        bodies.append(json.dumps(payload).encode("utf-8"))
    return bodies


def run_load(url: str, bodies: list[bytes], *, clients: int, seconds: float) -> Result:
    """`clients` threads, each with one keep-alive connection, posting round-robin until the deadline."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    _require_loopback(host)
    path = (parts.path.rstrip("/") or "") + "/api/review"
    result = Result()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        i = index
        while time.monotonic() < deadline:
            body = bodies[i % len(bodies)]
            i += clients
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                took = time.perf_counter() - started
                with lock:
                    if response.status == 200:
                        result.latencies.append(took)
                    else:
                        result.count_error(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    result.count_error(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    result.elapsed = time.monotonic() - started
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def in_process_baseline(bodies: list[bytes]) -> float:
    """Median seconds to review one note in-process (rules, warmed), JSON out."""
    from reviewer.extract import get_extractor
    from reviewer.pipeline import review_with

    extractor = get_extractor("rules")
    payloads = [json.loads(b) for b in bodies]
    review_with(extractor, payloads[0]["text"])
    times = []
    for p in payloads:
        started = time.perf_counter()
        review_with(extractor, p["text"], sex=p["sex"], claimed_codes=p["claimed_codes"]).model_dump_json()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _stat(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # gone, or not Linux


def _cpu_seconds(root: int) -> float | None:
    """User + system CPU seconds of a process and its descendants so far (Linux /proc), or None."""
    if _stat(root) is None:
        return None
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        fields = _stat(entry) if entry.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        fields = _stat(pid)
        if fields is not None:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            todo.extend(children.get(pid, []))
    return total


def _require_loopback(host: str) -> None:
    address = socket.gethostbyname(host)
    if not address.startswith("127."):
        raise SystemExit(
            f"web_load: {host} is not a loopback address; this benchmark only targets 127.0.0.0/8"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWER_LLM_", "OPENAI_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewer", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("web_load: reviewer serve exited at start-up")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                # every worker warms itself before it accepts a request; give the others a moment
                time.sleep(3.0 * (workers - 1))
                return proc, url
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise SystemExit("web_load: reviewer serve did not start in 120 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the server started here")
    parser.add_argument("--url", help="an already running server on loopback (default: start one)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 200:
        raise SystemExit("web_load: --seconds must be in (0, 600] and --clients in (0, 200]")

    bodies = gold_requests()
    baseline = in_process_baseline(bodies)
    proc = None
    url = args.url
    if url is None:
        proc, url = _start_server(args.workers)
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds(proc.pid) if proc is not None else None
    client_cpu = time.process_time()
    try:
        result = run_load(url, bodies, clients=args.clients, seconds=args.seconds)
        client_cpu = time.process_time() - client_cpu
        cpu_after = _cpu_seconds(proc.pid) if proc is not None else None
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)

    ok = result.latencies
    errors = sum(result.errors.values())
    print(f"notes: {len(bodies)} gold notes; {args.clients} clients for {args.seconds:g} s against {url}")
    if proc is not None:
        print(f"server: reviewer serve --workers {args.workers} (rules), on {os.cpu_count()} cores")
    print(f"machine load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"requests: {len(ok) + errors} ({len(ok)} ok, {errors} errors {result.errors or ''})".rstrip())
    print(f"throughput: {len(ok) / result.elapsed:.1f} requests/s")
    if ok:
        p50, p95, p99 = (percentile(ok, q) * 1000 for q in (50, 95, 99))
        print(f"latency ms: p50 {p50:.0f}  p95 {p95:.0f}  p99 {p99:.0f}  max {max(ok) * 1000:.0f}")
        print(
            f"baseline: in-process review (no HTTP, one at a time): {baseline * 1000:.1f} ms median per note"
        )
        print(f"ratio p50 over HTTP under load / in-process: {p50 / (baseline * 1000):.1f}")
        if cpu_before is not None and cpu_after is not None:
            per_request = (cpu_after - cpu_before) / len(ok)
            print(
                f"server CPU per request: {per_request * 1000:.1f} ms "
                f"(capacity on {os.cpu_count()} idle cores: about {(os.cpu_count() or 1) / per_request:.0f} requests/s); "
                f"load generator CPU per request: {client_cpu / len(ok) * 1000:.1f} ms"
            )
        print(f"goal p95 < 200 ms and 0 errors: {'met' if p95 < 200 and errors == 0 else 'NOT met'}")


if __name__ == "__main__":
    main()
