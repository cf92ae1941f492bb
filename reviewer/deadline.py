"""A deadline for a whole HTTP request to the LLM endpoint.

httpx's read timeout restarts with every chunk received, so a server that trickles one byte every
half second holds a request for as long as it likes. Here every socket read and write of a request
is given at most the time left until the request's deadline (set when the request starts), and
fails with a read timeout once it has passed: headers and body together finish in time or not at
all. The deadline lives in a context variable, so requests on other threads keep their own.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

_deadline: ContextVar[float | None] = ContextVar("reviewer_http_deadline", default=None)


def start(seconds: float) -> None:
    """The request about to be sent on this thread must be done within `seconds`."""
    _deadline.set(time.monotonic() + seconds)


def _left(timeout: float | None) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        import httpcore

        raise httpcore.ReadTimeout("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._inner.read(max_bytes, _left(timeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> Any:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend:
    """httpcore network backend whose streams keep to the current request's deadline."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        return _Stream(self._inner.connect_tcp(host, port, _left(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        return _Stream(self._inner.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound(client: Any, seconds: float) -> Any:
    """Make every request of an httpx.Client (and of its proxy mounts) finish within `seconds`."""
    import httpx

    client.event_hooks = {
        **client.event_hooks,
        "request": [*client.event_hooks["request"], _starter(seconds)],
    }
    # httpx keeps no public list of its transports (one, plus one per proxy from the environment)
    transports = [t for t in [client._transport, *client._mounts.values()] if t is not None]
    for transport in transports:
        pool = getattr(transport, "_pool", None) if isinstance(transport, httpx.HTTPTransport) else None
        if pool is None or not hasattr(pool, "_network_backend"):
            raise RuntimeError("cannot bound this HTTP transport: the request deadline would not hold")
        if not isinstance(pool._network_backend, _Backend):
            pool._network_backend = _Backend(pool._network_backend)
    return client


def _starter(seconds: float) -> Any:
    def hook(request: Any) -> None:
        start(seconds)

    return hook
