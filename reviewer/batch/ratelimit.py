"""Client-side rate limits for an LLM endpoint: requests per minute and tokens per minute.

Two token buckets with reservations: a caller reserves what it is about to spend and waits
until the bucket has refilled to cover it, so calls leave evenly spaced at the configured rate
(a burst of at most one second's worth) instead of living on 429s. Tokens are reserved from an
estimate before a call and settled with the real usage after it; retries the extractor made on
its own (after a 429 or a timeout) are charged to the request bucket afterwards.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

__all__ = ["Bucket", "CallGate", "RateLimiter"]


class Bucket:
    """`rate` units per second, holding at most `burst` units. Reservations may drive the level
    below zero: the caller then waits until it is back at zero (first come, first served)."""

    def __init__(self, rate: float, burst: float) -> None:
        if rate <= 0:
            raise ValueError("a rate limit must be positive")
        self.rate = rate
        self.burst = max(burst, 1.0)
        self.level = self.burst
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def reserve(self, amount: float) -> float:
        """Take `amount` now; return how many seconds the caller must wait before spending it."""
        with self._lock:
            now = time.monotonic()
            self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
            self.stamp = now
            self.level -= amount
            return 0.0 if self.level >= 0 else -self.level / self.rate

    def adjust(self, amount: float) -> None:
        """Give back (positive) or charge (negative) units after the fact."""
        with self._lock:
            self.level = min(self.burst, self.level + amount)


@dataclass
class Reservation:
    tokens: float


class RateLimiter:
    """Requests/min and tokens/min limits (either may be None: not limited)."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.requests = Bucket(requests_per_minute / 60, 1.0) if requests_per_minute else None
        self.tokens = Bucket(tokens_per_minute / 60, tokens_per_minute / 60) if tokens_per_minute else None

    def _wait(self, tokens: float) -> float:
        wait = 0.0
        if self.requests is not None:
            wait = max(wait, self.requests.reserve(1))
        if self.tokens is not None:
            wait = max(wait, self.tokens.reserve(tokens))
        return wait

    async def acquire(self, tokens: float) -> Reservation:
        wait = self._wait(tokens)
        if wait > 0:
            await asyncio.sleep(wait)
        return Reservation(tokens)

    def acquire_blocking(self, tokens: float) -> Reservation:
        wait = self._wait(tokens)
        if wait > 0:
            time.sleep(wait)
        return Reservation(tokens)

    def settle(self, reservation: Reservation, used_tokens: float, attempts: int) -> None:
        """Correct the reservation with what the call really spent."""
        if self.tokens is not None:
            self.tokens.adjust(reservation.tokens - used_tokens)
        if self.requests is not None and attempts > 1:
            self.requests.adjust(-(attempts - 1))


class CallGate:
    """The limits applied around each HTTP attempt of an LLM client, from the client's own
    hooks (instructor's `completion:kwargs` before a request, `completion:response` and
    `completion:error` after it): at most `concurrency` requests in flight, and the rate
    limits, retries and re-asks included. The note's other work (prompt building, parsing,
    guardrails, the decision) runs outside the gate, so it never holds a call slot."""

    def __init__(self, concurrency: int, limiter: RateLimiter, completion_tokens: int = 1024) -> None:
        self.concurrency = concurrency
        self.limiter = limiter
        self._slots = threading.BoundedSemaphore(concurrency)
        self._local = threading.local()
        self._completion = float(completion_tokens)
        self._lock = threading.Lock()
        self._answers = 0

    def attach(self, client: object) -> None:
        """Register on an instructor client (`client.on(hook, handler)`)."""
        on = getattr(client, "on", None)
        if on is None:
            raise TypeError("the LLM client has no hooks to gate its requests with")
        on("completion:kwargs", self.before)
        on("completion:response", self.after_response)
        on("completion:error", self.after_error)

    def before(self, *args: object, **kwargs: object) -> None:
        self.release()  # a previous attempt of this thread that ended without a hook
        messages = kwargs.get("messages")
        chars = (
            sum(len(str(m.get("content", ""))) for m in messages if isinstance(m, dict))
            if isinstance(messages, list)
            else 0
        )
        self._slots.acquire()
        self._local.reservation = self.limiter.acquire_blocking(chars / 4 + self._completion)

    def after_response(self, response: object) -> None:
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        if completion:
            with self._lock:
                self._answers += 1
                self._completion += (completion - self._completion) / self._answers
        self.release(used_tokens=prompt + completion if usage is not None else None)

    def after_error(self, *args: object, **kwargs: object) -> None:
        self.release()

    def release(self, used_tokens: float | None = None) -> None:
        """Free this thread's slot, if it holds one (settling the tokens it reserved)."""
        reservation: Reservation | None = getattr(self._local, "reservation", None)
        if reservation is None:
            return
        self._local.reservation = None
        if used_tokens is not None:
            self.limiter.settle(reservation, used_tokens, attempts=1)
        self._slots.release()
