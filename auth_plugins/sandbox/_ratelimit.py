"""Sliding-window rate limiting by weight, as the specs' ``x-rate-limit`` describe it."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["Decision", "SlidingWindowLimiter"]


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass; ``used`` is the window's weight after it, ``retry_after_ms`` the wait if not."""

    allowed: bool
    used: int
    retry_after_ms: int


class SlidingWindowLimiter:
    """Weight counters over a sliding window, one per bucket; thread-safe.

    A bucket is any hashable naming one counter; the sandbox uses (budget, kind, holder): the pool or operation
    whose budget it is and whom it counts for (address, key or account), so that operations share a counter only
    when they name the same pool. Rejected requests are not charged.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._charges: dict[Hashable, deque[tuple[int, int]]] = {}

    def charge(self, bucket: Hashable, *, limit: int, window_ms: int, weight: int, now_ms: int) -> Decision:
        """Charge ``weight`` to ``bucket`` at ``now_ms`` if the last ``window_ms`` leave room under ``limit``."""
        with self._lock:
            charges = self._charges.setdefault(bucket, deque())
            while charges and charges[0][0] <= now_ms - window_ms:
                charges.popleft()
            used = sum(cost for _, cost in charges)
            if used + weight <= limit:
                charges.append((now_ms, weight))
                return Decision(True, used + weight, 0)
            # Wait until enough of the oldest charges leave the window to make room for this one.
            freed, wait_until = used, now_ms
            for at, cost in charges:
                freed -= cost
                wait_until = at + window_ms
                if freed + weight <= limit:
                    break
            return Decision(False, used, max(1, wait_until - now_ms))

    def clear(self) -> None:
        """Forget every charge."""
        with self._lock:
            self._charges.clear()
