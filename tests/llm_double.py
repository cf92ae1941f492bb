"""A test double of an OpenAI-compatible chat-completions endpoint for batch tests and the
batch benchmark: a fixed latency per request, a request counter, and a valid `LlmExtraction`
tool call built from the note in the prompt (each quote is a phrase found in the note). It is
not a model: real LLM behaviour is tested with cassettes recorded from a real server.

    python tests/llm_double.py [--latency 0.2]   # prints "PORT <n>", serves until killed
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# phrase -> (list in LlmExtraction, item without its quote)
_PHRASES: list[tuple[str, str, dict[str, Any]]] = [
    ("fournier's gangrene", "infections", {"type": "fournier", "status": "present"}),
    ("necrotizing fasciitis", "infections", {"type": "necrotizing_fasciitis", "status": "present"}),
    ("necrotizing soft tissue infection", "infections", {"type": "nsti", "status": "present"}),
    ("scrotum", "sites", {"region": "scrotum", "side": "none", "debrided": True}),
    ("perineum", "sites", {"region": "perineum", "side": "none", "debrided": True}),
    ("vulva", "sites", {"region": "vulva", "side": "none", "debrided": True}),
    ("labia", "sites", {"region": "labia", "side": "none", "debrided": True}),
    ("excised", "techniques", {"kind": "excisional"}),
    ("excisional debridement", "techniques", {"kind": "excisional"}),
    ("incision and drainage", "techniques", {"kind": "incision_drainage"}),
    ("fascia", "layers", {"layer": "fascia", "removed": True}),
]
_NOTE = re.compile(r"<<<NOTE\n(.*)\nNOTE>>>", re.S)


def extraction_for(note: str) -> dict[str, Any]:
    """A valid LlmExtraction for `note`: the listed phrases it contains, quoted verbatim."""
    out: dict[str, list[dict[str, Any]]] = {}
    low = note.lower()
    for phrase, key, item in _PHRASES:
        at = low.find(phrase)
        if at >= 0:
            out.setdefault(key, []).append({"quote": note[at : at + len(phrase)], **item})
    return out


def _reply(request: dict[str, Any]) -> dict[str, Any]:
    user = next((m.get("content") or "" for m in request.get("messages", []) if m.get("role") == "user"), "")
    found = _NOTE.search(user)
    arguments = json.dumps(extraction_for(found.group(1) if found else user))
    prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 4
    completion = len(arguments) // 4 + 1
    return {
        "id": "chatcmpl-double",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "test-double"),
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "LlmExtraction", "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


class LlmDouble:
    """The server: `latency` seconds per request, `requests` counted, `times` of arrival kept."""

    def __init__(self, latency: float = 0.0, port: int = 0) -> None:
        self.latency = latency
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.times: list[float] = []
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                with double._lock:
                    double.requests += 1
                    double.in_flight += 1
                    double.max_in_flight = max(double.max_in_flight, double.in_flight)
                    double.times.append(time.monotonic())
                if double.latency:
                    time.sleep(double.latency)
                with double._lock:
                    double.in_flight -= 1
                data = json.dumps(_reply(request)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # /stats: how many requests so far
                data = json.dumps({"requests": double.requests}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.daemon_threads = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


@contextmanager
def llm_double(latency: float = 0.0) -> Iterator[LlmDouble]:
    server = LlmDouble(latency)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = LlmDouble(args.latency, args.port)
    print(f"PORT {server.port}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(f"REQUESTS {server.requests}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
