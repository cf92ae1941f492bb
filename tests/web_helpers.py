"""A real uvicorn server on a free loopback port, in a thread or as `reviewer serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "eval" / "samples" / "seed-fournier.txt"

# A simple not-supported note: incision and drainage of a scrotal wall abscess, nothing excised.
ABSCESS_NOTE = """PROCEDURE NOTE
PREOPERATIVE DIAGNOSIS: Left scrotal wall abscess.
POSTOPERATIVE DIAGNOSIS: Same.
PROCEDURE: Incision and drainage of left scrotal wall abscess.
INDICATIONS: 41-year-old man with three days of scrotal wall swelling and fluctuance. No crepitus,
no skin necrosis, no evidence of necrotizing infection. Testis and epididymis normal on ultrasound.
DESCRIPTION: Under local anesthesia a 2 cm incision was made over the fluctuance through skin and
subcutaneous tissue. Purulent fluid was expressed and cultured. Loculations were broken with a
hemostat. The cavity was irrigated and packed. No tissue was excised.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """uvicorn serving an app object in a background thread (shares the test's process)."""

    def __init__(self, app: Any, root_path: str = "") -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="info", lifespan="off", root_path=root_path)
        )
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


class ProcessServer:
    """`reviewer serve` in a subprocess, as a user starts it; its log is kept for inspection."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.args = [sys.executable, "-m", "reviewer", "serve", "--port", str(self.port), *args]
        self.env = {**os.environ, **(env or {})}

    def __enter__(self) -> ProcessServer:
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"reviewer serve exited: {self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("reviewer serve did not start in 90 s")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text("utf-8", errors="replace")
