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

__all__ = ["Bucket", "RateLimiter"]


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
