"""When a failed attempt is tried again, and after how long."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final

from auth_plugins.errors import (
    ExchangeError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)

__all__ = ["DEFAULT_RETRY", "RetryPolicy", "parse_retry_after"]

# Of the 5xx answers, only the ones that mean "try again" (RFC 9110) are retried; a 501 or a 520 is not.
_RETRIED_SERVER_STATUSES: Final = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries for operations that only read (``operation.read_only``).

    Retried: transport errors (connect, timeout, dropped connection), :class:`RateLimitError` (429, 418,
    rate-limit codes), :class:`ServiceUnavailableError` and :class:`ServerError` with status 500, 502 or
    504; at most ``max_retries`` times. The wait before retry ``n`` (0-based) is the server's
    ``Retry-After`` when it sent one, else "full jitter": uniform in ``[0, min(backoff_cap_s,
    backoff_base_s * 2**n)]``. A ``Retry-After`` above ``retry_after_cap_s`` is not waited for: the error is
    raised at once, carrying ``retry_after``, since retrying early would only be throttled again (and a
    Binance 418 ban grows when requests continue). Every attempt is signed afresh. ``ValueError`` for a
    negative or non-numeric setting. Give one to a factory as ``retry=RetryPolicy(...)``.
    """

    max_retries: int = 2
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    retry_after_cap_s: float = 10.0

    def __post_init__(self) -> None:
        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError("max_retries must be an integer >= 0")
        for name in ("backoff_base_s", "backoff_cap_s", "retry_after_cap_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0")

    def delay_s(self, error: ExchangeError, retries_done: int, *, read_only: bool) -> float | None:
        """Seconds to wait before the next attempt after ``error``, or ``None`` if it must not be retried."""
        if not read_only or retries_done >= self.max_retries or not _is_transient(error):
            return None
        retry_after = error.retry_after if isinstance(error, RateLimitError) else None
        if retry_after is not None:
            return retry_after if retry_after <= self.retry_after_cap_s else None
        return random.uniform(0.0, min(self.backoff_cap_s, self.backoff_base_s * 2**retries_done))


DEFAULT_RETRY: Final = RetryPolicy()


def _is_transient(error: ExchangeError) -> bool:
    if isinstance(error, TransportError | RateLimitError | ServiceUnavailableError):
        return True
    return isinstance(error, ServerError) and error.status in _RETRIED_SERVER_STATUSES


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delay-seconds (decimals tolerated) or an HTTP date; else ``None``."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
