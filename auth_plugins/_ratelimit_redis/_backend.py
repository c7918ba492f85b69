"""One Redis server as seen from this process: its sync and async connections, the scripts, its health, and
the responses it has yet to report.

Every gate pointing at the same URL shares one :class:`RedisBackend` (:func:`shared_backend`), so one
process opens one connection pool per server and notices an outage once. redis-py's own retries are cut to
one immediate retry (enough to replace a pooled connection that died with a restarted server) and its
timeouts to a second, unless the URL says otherwise: a rate limiter that waits out redis-py's default
backoff would hold every request back for seconds.

**One round trip per call.** A response is not reported on its own round trip: :meth:`RedisBackend.release`
only notes it (no I/O), and the process's next acquire of the same budget carries it, as a settlement the
script applies before it counts anything (:mod:`~auth_plugins._ratelimit_redis._scripts`). A settlement says
how long ago the response arrived, so however late it rides, the request stops counting exactly one window
after its response, as the counting rule says. Until it lands, the request keeps counting on its lease
(conservative: it counts at least as long as it should, and no longer as long as the settlement lands within a
window of the response; one that cannot, Redis being unreachable, over-counts until it lands or the lease
ends). What other processes can then get wrong is only the wait Redis tells them when the budget is full: they
take the unsettled request to leave at most a window after they ask, not a window after its response, so they
may sleep up to the settlement's delay too long. That delay is bounded: a background thread (one per backend,
started on the first response, parked while nothing is pending) sends whatever no acquire has carried within
:data:`SETTLE_AFTER_S` (50 ms) alone in a release round trip, off every caller's path;
:meth:`RedisBackend.close`, ``close_shared_backends`` and interpreter exit send the rest. So a busy process
pays one round trip per call, an idle one pays a second round trip in the background, and no response goes
unreported for more than 50 ms plus a round trip while Redis answers. The other way, sending the release
without waiting for its reply on the same connection, was not taken: redis-py has no such call, and pooled
connections shared by threads would need their own reply bookkeeping.

**What a call costs beyond the round trip.** A :class:`Budget` packs what its acquires send the same (the
``EVALSHA``, the keys, the limit and the window) and its hash once; a call packs its member, weight, lease
and settlements as strings, takes the lock only when something waits to be reported, and on
``redis.asyncio`` bounds the round trip with one timer instead of redis-py's per-read and per-write timeouts
(:mod:`~auth_plugins._ratelimit_redis._wire`); each event loop's connections are found without a weak
reference per call.

**The exchange's own count, shared.** A used-weight header (:meth:`RedisBackend.report`) travels the same way:
noted without I/O, carried by the next acquire of its budget (or the background sender, close and exit), and
applied by the script as "the budget counts at least this much until one window after the answer", so every
process on the budget is held back by what the exchange reported to one of them. A budget keeps one report
waiting: a newer one merges into it as the larger count until one window after the newer answer, which
counts no less than either and at most the report's delay (50 ms while Redis answers) longer.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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
from auth_plugins._ratelimit_redis._wire import Scripted, pack_tail
from auth_plugins._redaction import redact

__all__ = ["SETTLE_AFTER_S", "Budget", "RedisBackend", "Unavailable", "close_shared_backends", "shared_backend"]

logger = logging.getLogger("auth_plugins")

DEFAULT_SOCKET_TIMEOUT_S: Final = 1.0
MAX_PENDING: Final = 10_000
"""The most responses a process remembers while it cannot tell Redis about them (older ones are dropped)."""
SETTLE_AFTER_S: Final = 0.05
"""How long a response waits for an acquire of its budget to carry it before it is sent alone."""
MAX_CARRIED: Final = 512
"""The most settlements one script call carries (more wait for the next call, or go in the background)."""


_ACQUIRE: Final = Scripted(ACQUIRE)


@dataclass(frozen=True, slots=True)
class Budget:
    """One shared budget: its two Redis keys, ``limit`` weight per ``window_ms`` (the effective window).

    Built once per budget and gate; what every acquire of it sends the same (the ``EVALSHA``, the keys, the
    limit and window) is packed here, and its hash computed once (every call looks it up in a few dicts)."""

    keys: tuple[str, str]
    limit: int
    window_ms: int
    head: bytes = field(init=False, repr=False, compare=False)
    fixed: int = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        head, fixed = _ACQUIRE.head(self.keys, (self.limit, self.window_ms))
        object.__setattr__(self, "head", head)
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "_hash", hash((self.keys, self.limit, self.window_ms)))

    def __hash__(self) -> int:
        return self._hash


class Unavailable(Exception):
    """Redis cannot be used for this call (it just failed, or the backend is waiting before reconnecting)."""


@dataclass(slots=True)
class _AsyncSide:
    loop: weakref.ref[asyncio.AbstractEventLoop]
    client: Any
    closer: AsyncIterator[None]


Settled = list[tuple[str, float]]
"""A budget's unreported responses: member and ``time.monotonic()`` of its response, oldest first."""
Reported = tuple[int, float, float]
"""A budget's unreported used-weight report: the weight, ``time.monotonic()`` of the answer, and of the oldest
answer merged into it (when it has waited since, for the background sender)."""


class RedisBackend:
    """The round trips of :mod:`auth_plugins._ratelimit_redis`, sync and async, with the outage policy's
    bookkeeping and the responses not yet reported.

    After a failure, calls raise :class:`Unavailable` at once until the reconnect backoff has passed; then
    one call at a time probes Redis. The first failure of an outage logs one WARNING, the recovery one INFO.
    Responses (:meth:`release`) wait to ride on the next acquire of their budget, or at most ``settle_after_s``
    (default :data:`SETTLE_AFTER_S`) for a background thread to send them; while Redis is unreachable they
    are kept (at most :data:`MAX_PENDING`) and reported on recovery, so other processes learn of them while
    they still count.

    Construction connects to nothing and starts no thread; it only builds redis-py clients, so a URL
    redis-py cannot use raises ``ValueError`` here. Thread-safe. Async connections are per event loop and
    closed when ``asyncio.run`` (or anything calling ``loop.shutdown_asyncgens()``) finishes that loop.
    """

    def __init__(self, settings: RedisRateLimit, *, settle_after_s: float | None = None) -> None:
        self.settings = settings
        self.settle_after_s = SETTLE_AFTER_S if settle_after_s is None else settle_after_s
        self._sync: Any = redis.Redis.from_url(
            settings.url,
            socket_timeout=DEFAULT_SOCKET_TIMEOUT_S,
            socket_connect_timeout=DEFAULT_SOCKET_TIMEOUT_S,
            retry=Retry(NoBackoff(), 1),
        )
        _check_connection_arguments(self._sync, settings)
        # What bounds an async round trip (the URL may set it): one timer around it, see _wire.Scripted.arun.
        self._timeout: float | None = self._sync.connection_pool.connection_kwargs.get("socket_timeout")
        self._acquire = _ACQUIRE
        self._release = self._sync.register_script(RELEASE)
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncSide] = weakref.WeakKeyDictionary()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = settings.reconnect_min_s
        self._start_fresh()
        _living.add(self)

    def _start_fresh(self) -> None:
        """The lock, the responses not yet reported and the background sender, as in a new backend (also
        in the child after a fork, where the parent's lock may be held and its responses are its own)."""
        self._lock = threading.Lock()
        self._last_side: _AsyncSide | None = None  # the last loop's, found without a weakref per call
        self._wakeup = threading.Condition(self._lock)
        self._pending: dict[Budget, Settled] = {}
        self._pending_count = 0
        self._reports: dict[Budget, Reported] = {}
        self._sender: threading.Thread | None = None
        self._sender_parked = False

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

    def _succeeded(self, budget: Budget, carried: Settled) -> None:
        """Note a success (of a call that carried ``carried`` of ``budget``); on recovery, log it and have the
        background sender report every other response kept meanwhile at once."""
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            now = time.monotonic()
            counting = _still_counting(budget, carried, now)
            counting += sum(_still_counting(b, items, now) for b, items in self._pending.items())
            logger.info(
                "shared rate-limit budget at %s reachable again after %.1f s; reporting the %d responses "
                "received meanwhile that still count",
                self.settings.masked_url,
                now - self._down_since,
                counting,
            )
            self._down_since = None
            self._backoff = self.settings.reconnect_min_s
            self._wakeup.notify()

    # --- responses not yet reported ----------------------------------------------------------------------

    def remember(self, budget: Budget, member: str, settled: float) -> None:
        """Keep ``member``'s response (``settled``: its ``time.monotonic()``) until a call reports it. No I/O."""
        with self._lock:
            self._keep(budget, [(member, settled)])

    def _keep(self, budget: Budget, items: Settled, *, first: bool = False) -> None:
        """Queue ``items`` (under the lock) last, or ``first`` when a failed call puts them back, dropping the
        oldest past :data:`MAX_PENDING`."""
        queued = self._pending.get(budget)
        if queued is None:
            queued = self._pending[budget] = []
        if first:
            queued[:0] = items
        else:
            queued.extend(items)
        self._pending_count += len(items)
        while self._pending_count > MAX_PENDING:
            oldest = min(self._pending, key=lambda b: self._pending[b][0][1])
            del self._pending[oldest][0]
            if not self._pending[oldest]:
                del self._pending[oldest]
            self._pending_count -= 1

    def _take(self, budget: Budget, limit: int = MAX_CARRIED) -> Settled:
        """Remove and return (under the lock) up to ``limit`` of ``budget``'s oldest queued responses."""
        taken = self._pending.pop(budget, None)
        if taken is None:
            return []
        if len(taken) > limit:
            taken, self._pending[budget] = taken[:limit], taken[limit:]
        self._pending_count -= len(taken)
        return taken

    def release(self, budget: Budget, member: str) -> None:
        """``member``'s response arrived now: it is to count one window from now. No I/O and never raises (it
        runs inside httpx's trace callback, mid-request, sync or async): the next acquire of ``budget``
        reports it, or the background sender within ``settle_after_s``."""
        settled = time.monotonic()
        with self._lock:
            queued = self._pending.get(budget)
            if queued is None:
                self._pending[budget] = [(member, settled)]
            else:
                queued.append((member, settled))
            self._pending_count += 1
            if self._pending_count > MAX_PENDING:
                self._keep(budget, [])  # drops the oldest
            if self._sender is None or self._sender_parked:  # (a running sender needs no wake-up)
                self._wake_sender()

    def report(self, budget: Budget, used: int) -> None:
        """An answer that arrived now says the exchange counts ``used`` weight of ``budget`` (its used-weight
        header): every process on the budget is to count at least that much (at most the limit) until one window
        from now. No I/O and never raises, like :meth:`release`; it rides on the next acquire of ``budget``."""
        now = time.monotonic()
        with self._lock:
            waiting = self._reports.get(budget)
            # One report waits per budget: the larger count, until a window after the later answer.
            self._reports[budget] = (
                (min(used, budget.limit), now, now)
                if waiting is None
                else (max(waiting[0], min(used, budget.limit)), now, waiting[2])
            )
            self._wake_sender()

    def _wake_sender(self) -> None:
        """Start the background sender, or wake it if parked (under the lock)."""
        if self._sender is None:
            self._start_sender()
        elif self._sender_parked:
            self._sender_parked = False
            self._wakeup.notify()

    @property
    def pending(self) -> int:
        """How many responses and used-weight reports wait to be reported."""
        return self._pending_count + len(self._reports)

    def _carry(self, budget: Budget) -> tuple[Settled, Reported | None]:
        """Take (under the lock) what the next call on ``budget`` carries: its oldest responses and its report."""
        return self._take(budget), self._reports.pop(budget, None)

    @staticmethod
    def _settlements(items: Settled, reported: Reported | None = None) -> list[str]:
        """``items`` as the scripts take them: member, then how many ms ago its response arrived; then the
        report, as ``#<used>:<token>`` and how many ms ago its answer arrived."""
        now = time.monotonic()
        # Rounded down: the request then counts a fraction of a millisecond longer, never shorter.
        values = [value for member, settled in items for value in (member, str(max(0, int((now - settled) * 1000))))]
        if reported is not None:
            values += (f"#{reported[0]}:{os.urandom(6).hex()}", str(max(0, int((now - reported[1]) * 1000))))
        return values

    def _command(
        self, budget: Budget, member: str, weight: int, lease_ms: int
    ) -> tuple[bytes, Settled, Reported | None]:
        """The packed acquire of ``member``, carrying what waits to be reported on ``budget`` (taken from the
        queue: returned, so that a failed call can put it back)."""
        args = [member, str(weight), str(lease_ms)]
        if not self._pending and not self._reports:  # nothing waits anywhere: no lock
            return pack_tail(budget.head, budget.fixed, args), [], None
        with self._lock:
            carried, reported = self._carry(budget)
        args += self._settlements(carried, reported)
        return pack_tail(budget.head, budget.fixed, args), carried, reported

    # --- sync ---------------------------------------------------------------------------------------------

    def acquire(self, budget: Budget, member: str, weight: int, lease_ms: int) -> float:
        """Count ``member`` (of ``weight``) in ``budget`` until ``lease_ms`` from now (Redis time) if there is
        room and return 0.0; otherwise count nothing and return the seconds to wait before asking again.
        In the same round trip, report ``budget``'s responses not yet reported. :class:`Unavailable` if Redis
        cannot be used now."""
        probe = self._enter()
        if probe is None:
            raise Unavailable(self.settings.masked_url)
        packed, carried, reported = self._command(budget, member, weight, lease_ms)
        try:
            wait_ms = self._acquire.run(self._sync, packed)
        except RedisError as error:
            self._put_back(budget, carried, reported)
            self._failed(error, probe)
            raise Unavailable(self.settings.masked_url) from error
        if self._down_since is not None:
            self._succeeded(budget, carried)
        return int(wait_ms) / 1000

    def _put_back(self, budget: Budget, carried: Settled, reported: Reported | None = None) -> None:
        if carried or reported is not None:
            with self._lock:
                if carried:
                    self._keep(budget, carried, first=True)
                if reported is not None:
                    waiting = self._reports.get(budget)
                    if waiting is not None:  # a newer one came meanwhile: merge, as report() does
                        reported = (max(waiting[0], reported[0]), waiting[1], min(waiting[2], reported[2]))
                    self._reports[budget] = reported

    def _report(self, budget: Budget) -> bool:
        """Send ``budget``'s responses not yet reported, one release round trip per :data:`MAX_CARRIED`, on the
        sync connection; whether all went (on failure the rest are kept and the outage noted)."""
        while True:
            probe = self._enter()
            if probe is None:
                return False
            with self._lock:
                carried, reported = self._carry(budget)
            if not carried and reported is None:
                return True
            try:
                self._release(keys=budget.keys, args=(budget.window_ms, *self._settlements(carried, reported)))
            except Exception as error:
                self._put_back(budget, carried, reported)
                self._failed(error, probe)
                return False
            if self._down_since is not None:
                self._succeeded(budget, carried)

    def flush(self) -> None:
        """Report every response not yet reported, now, from this thread; never raises. What remains when
        Redis cannot be reached stays queued."""
        with self._lock:
            budgets = list(dict.fromkeys([*self._pending, *self._reports]))
        for budget in budgets:
            if not self._report(budget):
                return

    # --- the background sender ----------------------------------------------------------------------------

    def _start_sender(self) -> None:
        """Start the sender (under the lock). Where no thread can start (at interpreter exit, out of threads),
        the responses still ride on the next acquire, or go at close and exit."""
        sender = threading.Thread(target=self._send_late, name="exchange-clients-redis-settle", daemon=True)
        self._sender_parked = False
        self._sender = sender
        try:
            sender.start()
        except RuntimeError:
            self._sender = None
            logger.debug("shared rate-limit budget: no background sender (no thread could start)", exc_info=True)

    def _send_late(self) -> None:
        """The sender's loop: report each budget's responses once the oldest has waited ``settle_after_s``;
        while Redis is down, wait for the reconnect backoff; park while nothing is pending."""
        wakeup, me = self._wakeup, threading.current_thread()
        while True:
            with self._lock:
                if self._sender is not me:  # closed (or forked): another sender, if any, has taken over
                    return
                if not self._pending and not self._reports:
                    self._sender_parked = True
                    wakeup.wait()
                    continue
                now = time.monotonic()
                oldest = {budget: items[0][1] for budget, items in self._pending.items()}
                for budget, (_, _, since) in self._reports.items():
                    oldest[budget] = min(oldest.get(budget, since), since)
                due_at = min(oldest.values()) + self.settle_after_s
                if self._down_since is not None:
                    due_at = max(due_at, self._retry_at)
                if now < due_at:
                    wakeup.wait(due_at - now)
                    continue
                late = [budget for budget, first in oldest.items() if first + self.settle_after_s <= now]
            for budget in late:
                try:
                    if not self._report(budget):
                        break
                except Exception:  # pragma: no cover - _report catches what the round trip raises
                    logger.debug("shared rate-limit budget: reporting responses failed", exc_info=True)
                    break

    # --- async --------------------------------------------------------------------------------------------

    async def _side(self) -> _AsyncSide:
        loop = asyncio.get_running_loop()
        side = self._loops.get(loop)
        if side is None:
            client: Any = redis.asyncio.Redis.from_url(
                self.settings.url,
                socket_timeout=None,  # unless the URL sets one: the acquire has its own (self._timeout)
                socket_connect_timeout=DEFAULT_SOCKET_TIMEOUT_S,
                retry=AsyncRetry(NoBackoff(), 1),
            )
            closer = self._closer(loop, client)
            await anext(closer)  # registered with the loop: shutdown_asyncgens() closes the client
            side = _AsyncSide(weakref.ref(loop), client, closer)
            with self._lock:
                side = self._loops.setdefault(loop, side)
        self._last_side = side
        return side

    async def _closer(self, loop: asyncio.AbstractEventLoop, client: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            with self._lock:
                side = self._loops.pop(loop, None)
                if side is not None and self._last_side is side:
                    self._last_side = None
            await client.aclose()

    async def aacquire(self, budget: Budget, member: str, weight: int, lease_ms: int) -> float:
        """Async twin of :meth:`acquire`, on this event loop's own connections."""
        probe = self._enter()
        if probe is None:
            raise Unavailable(self.settings.masked_url)
        packed, carried, reported = self._command(budget, member, weight, lease_ms)
        try:
            side = self._last_side
            if side is None or side.loop() is not asyncio.get_running_loop():
                side = await self._side()
            wait_ms = await self._acquire.arun(side.client, packed, self._timeout)
        except RedisError as error:
            self._put_back(budget, carried, reported)
            self._failed(error, probe)
            raise Unavailable(self.settings.masked_url) from error
        except BaseException:
            # Cancelled: whether it reached Redis is unknown, and settling (or reporting) twice is harmless.
            self._put_back(budget, carried, reported)
            raise
        if self._down_since is not None:
            self._succeeded(budget, carried)
        return int(wait_ms) / 1000

    # --- lifetime -----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the background sender, report what is pending (while Redis answers) and close the sync
        connections (async ones close with their event loop). The backend stays usable."""
        with self._lock:
            sender, self._sender = self._sender, None
            self._wakeup.notify()
        if sender is not None and sender is not threading.current_thread():
            sender.join(timeout=2 * DEFAULT_SOCKET_TIMEOUT_S + 1)
        self.flush()
        self._sync.close()

    def __repr__(self) -> str:
        return f"RedisBackend({self.settings.masked_url!r}, down={self.down}, pending={self.pending})"


def _still_counting(budget: Budget, items: Settled, now: float) -> int:
    return sum(1 for _, settled in items if (now - settled) * 1000 < budget.window_ms)


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
_living: weakref.WeakSet[RedisBackend] = weakref.WeakSet()


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
    """Close and forget every shared backend (reporting what they hold): the next gate built starts afresh
    (for tests and benchmarks)."""
    with _backends_lock:
        backends = list(_backends.values())
        _backends.clear()
    for backend in backends:
        backend.close()


def _report_at_exit() -> None:
    # The sender is a daemon thread: without this, responses of the last 50 ms would count until their
    # leases end.
    for backend in list(_living):
        backend.flush()


def _forget_in_child() -> None:
    for backend in list(_living):
        backend._start_fresh()


atexit.register(_report_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
