"""Time for signed requests: the local clock, the offset to an exchange's clock, and re-syncing it.

Signed requests carry ``clock() + offset_ms``. A client re-syncs by itself on a timestamp error, and on demand
with :func:`resync_clock` / :func:`aresync_clock`: one call to the exchange's public server-time operation, and
the offset becomes *server time - midpoint of the round trip*.

A server time is only believed if a real exchange could have sent it (:func:`plausible_offset`): between
2020-01-01 and 2100-01-01, and within a day of the local clock. A day covers every real skew, a host clock set to
local time instead of UTC included (at most 14 hours), with room to spare; anything further off is a broken or
hostile answer, or a host clock so wrong that it must be fixed, not papered over. So no offset is installed that
makes a signer stamp 1970 or fail to format a timestamp, and a refused answer leaves the client as it was, ready
to re-sync at the next timestamp error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

from auth_plugins.errors import TimestampError

if TYPE_CHECKING:
    from auth_plugins._profile import ExchangeProfile

__all__ = [
    "EARLIEST_MS",
    "LATEST_MS",
    "MAX_OFFSET_MS",
    "Clock",
    "Signer",
    "SignerClock",
    "aresync_clock",
    "plausible_offset",
    "resync_clock",
    "system_clock",
]

Clock = Callable[[], int]
"""A zero-argument callable returning the current Unix epoch time in integer milliseconds."""

EARLIEST_MS: Final = 1_577_836_800_000
"""2020-01-01T00:00:00Z: no exchange answers with an earlier time."""
LATEST_MS: Final = 4_102_444_800_000
"""2100-01-01T00:00:00Z: nor with a later one."""
MAX_OFFSET_MS: Final = 86_400_000
"""One day: the largest offset to the local clock believed (see the module docstring)."""


def system_clock() -> int:
    """Return the current Unix epoch time in integer milliseconds, from the system wall clock."""
    return time.time_ns() // 1_000_000


class Signer(Protocol):
    """A signer whose timestamps are ``clock() + offset_ms``, like every ``auth_plugins`` signer."""

    offset_ms: int


class SignerClock:
    """Mixin: the time every ``auth_plugins`` signer stamps its requests with, ``clock() + offset_ms``.

    ``clock`` returns Unix epoch milliseconds (default :func:`system_clock`); ``offset_ms`` starts at 0 and is what
    a client's re-sync sets (a caller may change it at any time).
    """

    _clock: Clock
    offset_ms: int

    def _start_clock(self, clock: Clock | None) -> None:
        self._clock = clock if clock is not None else system_clock
        self.offset_ms = 0

    def _now_ms(self) -> int:
        """The timestamp of a request signed now: ``clock() + offset_ms``."""
        return self._clock() + self.offset_ms


def plausible_offset(profile: ExchangeProfile, server_ms: int, sent_ms: int, received_ms: int) -> int:
    """The offset ``server_ms - midpoint(sent_ms, received_ms)``, or :class:`TimestampError` naming the reason if
    ``server_ms`` is outside 2020..2100 or further than :data:`MAX_OFFSET_MS` from the local clock."""
    method, path = profile.server_time
    operation = f"{method} {path}"
    if not EARLIEST_MS <= server_ms < LATEST_MS:
        reason = "it is outside 2020-01-01..2100-01-01, so no real exchange sent it"
        raise TimestampError(f"refused the {profile.name} server time: {reason}", operation=operation, status=200)
    offset = server_ms - (sent_ms + received_ms) // 2
    if abs(offset) > MAX_OFFSET_MS:
        hours = abs(offset) // 3_600_000
        reason = f"it is {hours} hours away from the local clock (at most 24 are believed); check the host clock"
        raise TimestampError(f"refused the {profile.name} server time: {reason}", operation=operation, status=200)
    return offset


def _pipeline_client(client: Any, getter: str) -> Any:
    http = getattr(client, getter)() if hasattr(client, getter) else None
    if not hasattr(http, "resync_clock"):
        raise TypeError("resync_clock needs a client made by an auth_plugins factory (make_client, client_from_env)")
    return http


def resync_clock(client: Any) -> int:
    """Measure ``client``'s clock offset to the exchange, make its signer use it, and return it in ms.

    ``client`` is one made by an ``auth_plugins`` factory; the sync and async sides share the offset. One call to
    the exchange's public server-time operation (retried like any read). Raises ``TypeError`` for other clients,
    :class:`TimestampError` for an implausible server time, and another
    :class:`~auth_plugins.errors.ExchangeError` if the server time cannot be had; the offset is then unchanged.
    """
    result: int = _pipeline_client(client, "get_httpx_client").resync_clock()
    return result


async def aresync_clock(client: Any) -> int:
    """Async twin of :func:`resync_clock`, over the client's ``httpx.AsyncClient``."""
    result: int = await _pipeline_client(client, "get_async_httpx_client").resync_clock()
    return result
