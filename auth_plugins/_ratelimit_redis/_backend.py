"""One Redis server as seen from this process: its sync and async connections, the scripts, its health.

Every gate pointing at the same URL shares one :class:`RedisBackend` (:func:`shared_backend`), so one
process opens one connection pool per server and notices an outage once. redis-py's own retries are cut to
one immediate retry (enough to replace a pooled connection that died with a restarted server) and its
timeouts to a second, unless the URL says otherwise: a rate limiter that waits out redis-py's default
backoff would hold every request back for seconds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

try:
    import redis
    import redis.asyncio
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
    from redis.retry import Retry
except ImportError as missing:  # pragma: no cover - exercised only without the extra
    raise ImportError("rate_limit='redis://...' needs redis-py: pip install 'exchange-clients[redis]'") from missing

from auth_plugins._ratelimit_redis._scripts import ACQUIRE, RELEASE
from auth_plugins._ratelimit_redis._settings import RedisRateLimit
from auth_plugins._redaction import redact

__all__ = ["Budget", "RedisBackend", "Unavailable", "close_shared_backends", "shared_backend"]

logger = logging.getLogger("auth_plugins")

DEFAULT_SOCKET_TIMEOUT_S: Final = 1.0
MAX_PENDING: Final = 10_000
"""The most responses a process remembers while it cannot tell Redis about them (older ones are dropped)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """One shared budget: its two Redis keys, ``limit`` weight per ``window_ms`` (the effective window)."""

    keys: tuple[str, str]
    limit: int
    window_ms: int


class Unavailable(Exception):
    """Redis cannot be used for this call (it just failed, or the backend is waiting before reconnecting)."""


@dataclass(slots=True)
class _Pending:
    budget: Budget
    member: str
    settled: float  # time.monotonic() of its response


@dataclass(slots=True)
class _AsyncSide:
    client: Any
    acquire: Any
    release: Any
    closer: AsyncIterator[None]


class RedisBackend:
    """The acquire and release round trips of :mod:`auth_plugins._ratelimit_redis`, sync and async, with the
    outage policy's bookkeeping: after a failure, calls raise :class:`Unavailable` at once until the
    reconnect backoff has passed; then one call at a time probes Redis. The first failure of an outage logs
    one WARNING, the recovery one INFO. Responses that could not be reported are kept (at most
    :data:`MAX_PENDING`) and reported on recovery, so other processes learn of them while they still count.

    Construction connects to nothing; it only builds redis-py clients, so a URL redis-py cannot use raises
    ``ValueError`` here. Thread-safe. Async connections are per event loop and closed when ``asyncio.run``
    (or anything calling ``loop.shutdown_asyncgens()``) finishes that loop.
    """

    def __init__(self, settings: RedisRateLimit) -> None:
        self.settings = settings
        self._sync: Any = redis.Redis.from_url(
            settings.url,
            socket_timeout=DEFAULT_SOCKET_TIMEOUT_S,
            socket_connect_timeout=DEFAULT_SOCKET_TIMEOUT_S,
            retry=Retry(NoBackoff(), 1),
        )
        _check_connection_arguments(self._sync, settings)
        self._acquire = self._sync.register_script(ACQUIRE)
        self._release = self._sync.register_script(RELEASE)
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncSide] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = settings.reconnect_min_s
        self._pending: deque[_Pending] = deque(maxlen=MAX_PENDING)

    # --- health -------------------------------------------------------------------------------------------

    @property
    def down(self) -> bool:
        """Whether the last call failed and no call has succeeded since."""
        return self._down_since is not None

    def _enter(self) -> bool | None:
        """Whether a call may go to Redis now: ``None`` if not (down, and the backoff has not passed),
        ``True`` if it is the reconnect probe (the next one is due a backoff later, whatever becomes of this
        one), ``False`` for an ordinary call."""
        if self._down_since is None:
            return False
        with self._lock:
            now = time.monotonic()
            if self._down_since is None:
                return False
            if now < self._retry_at:
                return None
            self._retry_at = now + self._backoff
            return True

    def _failed(self, error: BaseException, probe: bool) -> None:
        with self._lock:
            now = time.monotonic()
            if self._down_since is None:
                self._down_since = now
                self._backoff = self.settings.reconnect_min_s
                what = (
                    "each process now keeps to its own budget"
                    if self.settings.on_error == "local"
                    else "requests are refused with SharedBudgetError"
                )
                logger.warning(
                    "shared rate-limit budget at %s unreachable (%s); %s until it answers again, reconnecting "
                    "with backoff from %.1f s",
                    self.settings.masked_url,
                    _describe(error),
                    what,
                    self._backoff,
                )
            elif probe:
                self._backoff = min(self._backoff * 2, self.settings.reconnect_max_s)
                logger.debug("shared rate-limit budget still unreachable (%s)", _describe(error))
            self._retry_at = max(self._retry_at, now + self._backoff)

    def _succeeded(self) -> list[_Pending]:
        """Note a success; return the responses to report now (non-empty only on recovery)."""
        if self._down_since is None and not self._pending:
            return []
        with self._lock:
            pending = [item for item in self._pending if _ago_ms(item) < item.budget.window_ms]
            self._pending.clear()
            if self._down_since is not None:
                logger.info(
                    "shared rate-limit budget at %s reachable again after %.1f s; reporting the %d responses "
                    "received meanwhile that still count",
                    self.settings.masked_url,
                    time.monotonic() - self._down_since,
                    len(pending),
                )
            self._down_since = None
            self._backoff = self.settings.reconnect_min_s
            return pending

    def remember(self, budget: Budget, member: str, settled: float) -> None:
        """Keep a response Redis could not be told about (``settled``: its ``time.monotonic()``)."""
        with self._lock:
            self._pending.append(_Pending(budget, member, settled))

    @property
    def pending(self) -> int:
        """How many responses wait to be reported."""
        return len(self._pending)

    # --- sync ---------------------------------------------------------------------------------------------

    def acquire(self, budget: Budget, member: str, weight: int, lease_ms: int) -> float:
        """Count ``member`` (of ``weight``) in ``budget`` until ``lease_ms`` from now (Redis time) if there is
        room and return 0.0; otherwise count nothing and return the seconds to wait before asking again.
        :class:`Unavailable` if Redis cannot be used now."""
        probe = self._enter()
        if probe is None:
            raise Unavailable(self.settings.masked_url)
        try:
            taken, wait_ms = self._acquire(
                keys=budget.keys, args=(member, weight, budget.limit, lease_ms, budget.window_ms)
            )
        except RedisError as error:
            self._failed(error, probe)
            raise Unavailable(self.settings.masked_url) from error
        self._report(self._succeeded())
        return 0.0 if int(taken) else int(wait_ms) / 1000

    def release(self, budget: Budget, member: str) -> None:
        """``member``'s response arrived: count it one window from now. Never raises (it runs inside httpx's
        trace callback, mid-request): when Redis cannot be told, or anything else goes wrong, the response is
        remembered and reported on recovery."""
        settled = time.monotonic()
        probe = self._enter()
        if probe is None:
            self.remember(budget, member, settled)
            return
        try:
            self._release(keys=budget.keys, args=(budget.window_ms, member, 0))
        except Exception as error:
            self._failed(error, probe)
            self.remember(budget, member, settled)
            return
        self._report(self._succeeded())

    def _report(self, pending: list[_Pending]) -> None:
        calls = _replays(pending)
        if not calls:
            return
        pipe = self._sync.pipeline(transaction=False)
        for keys, args in calls:
            self._release(keys=keys, args=args, client=pipe)
        try:
            pipe.execute()
        except Exception as error:
            self._failed(error, False)
            for item in pending:
                self.remember(item.budget, item.member, item.settled)

    # --- async --------------------------------------------------------------------------------------------

    async def _side(self) -> _AsyncSide:
        loop = asyncio.get_running_loop()
        side = self._loops.get(loop)
        if side is None:
            client: Any = redis.asyncio.Redis.from_url(
                self.settings.url,
                socket_timeout=DEFAULT_SOCKET_TIMEOUT_S,
                socket_connect_timeout=DEFAULT_SOCKET_TIMEOUT_S,
                retry=AsyncRetry(NoBackoff(), 1),
            )
            closer = self._closer(loop, client)
            await anext(closer)  # registered with the loop: shutdown_asyncgens() closes the client
            side = _AsyncSide(client, client.register_script(ACQUIRE), client.register_script(RELEASE), closer)
            with self._lock:
                side = self._loops.setdefault(loop, side)
        return side

    async def _closer(self, loop: asyncio.AbstractEventLoop, client: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            with self._lock:
                self._loops.pop(loop, None)
            await client.aclose()

    async def aacquire(self, budget: Budget, member: str, weight: int, lease_ms: int) -> float:
        """Async twin of :meth:`acquire`, on this event loop's own connections."""
        probe = self._enter()
        if probe is None:
            raise Unavailable(self.settings.masked_url)
        try:
            side = await self._side()
            taken, wait_ms = await side.acquire(
                keys=budget.keys, args=(member, weight, budget.limit, lease_ms, budget.window_ms)
            )
        except RedisError as error:
            self._failed(error, probe)
            raise Unavailable(self.settings.masked_url) from error
        await self._areport(side, self._succeeded())
        return 0.0 if int(taken) else int(wait_ms) / 1000

    async def arelease(self, budget: Budget, member: str) -> None:
        """Async twin of :meth:`release`; never raises."""
        settled = time.monotonic()
        probe = self._enter()
        if probe is None:
            self.remember(budget, member, settled)
            return
        try:
            side = await self._side()
            await side.release(keys=budget.keys, args=(budget.window_ms, member, 0))
        except Exception as error:
            self._failed(error, probe)
            self.remember(budget, member, settled)
            return
        await self._areport(side, self._succeeded())

    async def _areport(self, side: _AsyncSide, pending: list[_Pending]) -> None:
        calls = _replays(pending)
        if not calls:
            return
        pipe = side.client.pipeline(transaction=False)
        for keys, args in calls:
            await side.release(keys=keys, args=args, client=pipe)
        try:
            await pipe.execute()
        except Exception as error:
            self._failed(error, False)
            for item in pending:
                self.remember(item.budget, item.member, item.settled)

    # --- lifetime -----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connections (async ones close with their event loop). The backend stays usable."""
        self._sync.close()

    def __repr__(self) -> str:
        return f"RedisBackend({self.settings.masked_url!r}, down={self.down})"


def _ago_ms(item: _Pending) -> int:
    return int((time.monotonic() - item.settled) * 1000)


def _replays(pending: Sequence[_Pending]) -> list[tuple[tuple[str, str], list[Any]]]:
    """One release call per budget for the responses still inside their window, with how long ago each was."""
    grouped: dict[Budget, list[Any]] = {}
    for item in pending:
        ago_ms = _ago_ms(item)
        if ago_ms < item.budget.window_ms:
            grouped.setdefault(item.budget, [item.budget.window_ms]).extend((item.member, ago_ms))
    return [(budget.keys, args) for budget, args in grouped.items()]


def _describe(error: BaseException) -> str:
    return redact(f"{type(error).__name__}: {error}")


def _check_connection_arguments(client: Any, settings: RedisRateLimit) -> None:
    """Build (not open) one connection, so that a URL query parameter redis-py does not know is refused now."""
    pool = client.connection_pool
    try:
        pool.connection_class(**pool.connection_kwargs)
    except TypeError as error:
        # "... unexpected keyword argument 'x'", to which Python 3.13 adds ". Did you mean 'y'?"
        name = str(error).rpartition("argument ")[2].partition("'")[2].partition("'")[0] or str(error)
        raise ValueError(
            f"rate_limit URL {settings.masked_url}: redis-py does not know the query parameter {name!r}"
        ) from None


_backends: dict[tuple[str, float, float, str], RedisBackend] = {}
_backends_lock = threading.Lock()


def shared_backend(settings: RedisRateLimit) -> RedisBackend:
    """The process's backend for ``settings``' URL (and reconnect and error policy), created on first use."""
    key = (settings.url, settings.reconnect_min_s, settings.reconnect_max_s, settings.on_error)
    backend = _backends.get(key)
    if backend is None:
        with _backends_lock:
            backend = _backends.get(key)
            if backend is None:
                backend = _backends[key] = RedisBackend(settings)
    return backend


def close_shared_backends() -> None:
    """Close and forget every shared backend: the next gate built starts afresh (for tests and benchmarks)."""
    with _backends_lock:
        backends = list(_backends.values())
        _backends.clear()
    for backend in backends:
        backend.close()
