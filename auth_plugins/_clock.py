"""Millisecond wall clock used by the signers, injectable for tests and clock-sync."""

import time
from collections.abc import Callable

Clock = Callable[[], int]
"""A zero-argument callable returning the current Unix epoch time in integer milliseconds."""


def system_clock() -> int:
    """Return the current Unix epoch time in integer milliseconds, from the system wall clock."""
    return time.time_ns() // 1_000_000
