"""A test double of an OpenAI-compatible chat-completions server, for fault injection only
(429 with Retry-After, 500, timeouts, a server that trickles its answer byte by byte, malformed
JSON, truncated answers, answers computed from the request). Real LLM behaviour is tested with
cassettes recorded from a real server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0  # seconds between bytes sent (0: all at once)
    trickle_headers: bool = False  # trickle from the status line on, not only the body


def completion(
    arguments: str, *, finish_reason: str = "tool_calls", prompt: int = 100, completion: int = 20
) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "test-double",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish_reason,
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
                "prompt_tokens_details": {"cached_tokens": 7},
            },
        }
    )


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many client threads connect at once: none is refused


class FakeServer:
    def __init__(
        self, replies: list[Reply], respond: Callable[[dict[str, Any]], Reply] | None = None
    ) -> None:
        self.replies = list(replies)
        self.respond = respond  # when set, each reply is computed from its request
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(request)
                    if server.respond is not None:
                        reply = server.respond(request)
                    elif server.replies:
                        reply = server.replies.pop(0)
                    else:
                        reply = Reply(status=500, body={"error": "no reply left"})
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body or {})
                data = payload.encode()
                if reply.trickle:
                    self._trickle(reply, data)
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _trickle(self, reply: Reply, data: bytes) -> None:
                head = (
                    f"HTTP/1.1 {reply.status} OK\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(data)}\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                    + "\r\n"
                ).encode()
                try:
                    if not reply.trickle_headers:
                        self.wfile.write(head)
                        self.wfile.flush()
                        head = b""
                    for i in range(len(head + data)):
                        self.wfile.write((head + data)[i : i + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@contextmanager
def fake_llm(
    replies: list[Reply], respond: Callable[[dict[str, Any]], Reply] | None = None
) -> Iterator[FakeServer]:
    server = FakeServer(replies, respond)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
