"""Client-side rate limiting from the specs' documented limits, shared by every client of one identity.

Each operation's ``rate_limit`` (from ``x-rate-limit``) is ``limit`` units of weight per sliding window of
``window_ms`` in the budget ``budget`` (a pool several operations share, or the operation's own), keyed on the
caller's address (``ip``), the API key, or the (master) account. The exchange counts a
request at the moment it receives it, which the client cannot see: it only knows that the moment lies
between writing the request and receiving the response headers, and that interval is long and uneven when
a server is busy or has a new connection to accept. So a request counts from the moment it is written,
all the while it is in flight, and for one window after its response arrived (or its transfer failed);
the window is taken slightly longer than documented (:data:`DEFAULT_MARGIN`) for the server's millisecond
rounding. Whatever the latency, the server never sees more than ``limit`` within a window. The price is
one round trip per window: the sustained rate is ``limit`` per ``window + round trip + margin``.

A request goes through two checks. When the gate sees it (:meth:`RateLimitGate.before_send`) it waits
until the budget will have room for it a moment from now (:data:`DEFAULT_LEAD`) and reserves that room.
Then, just before its first byte is written, an httpx ``trace`` hook the gate installed (calling any trace
already there) waits out whatever is left, so that time spent between the gate and the wire (signing,
opening a connection, a busy event loop) does not slow the sustained rate. A request whose transport
reports nothing (a mock transport) counts for one window from when the gate let it out. Operations whose
limit is undocumented pass straight through.

A budget is ``(exchange, budget, holder, limit, window_ms)``: ``budget`` is the pool's name or the operationId,
so that, as on the exchanges' side, two operations share a budget only when they name the same pool, never
because their numbers are equal; the holder (:func:`budget_holder`) is the scheme, host and port the request
goes to (``ip`` limits), a salted fingerprint of the API key, or the account label the user gave. Where the
exchange reports its own count in the answer (``used_weight_header``: Binance's ``X-MBX-USED-WEIGHT-1M``,
``X-SAPI-USED-IP-WEIGHT-1M``, ``X-SAPI-USED-UID-WEIGHT-1M``), the budget never counts less than it says, so
that another program spending the same IP's or account's budget slows this one down instead of getting it
banned.
Budgets live in a :class:`RateLimitRegistry`; the process-wide :data:`DEFAULT_REGISTRY` makes every client
built with the same credentials, sync or async, in any thread or event loop, share one budget. To share
budgets across processes and hosts, ``rate_limit="redis://..."`` keeps them in Redis instead
(:mod:`auth_plugins._ratelimit_redis`); :func:`rate_limit_gates` turns any ``rate_limit`` setting into the
gates a factory installs, and :func:`rate_limit_from_env` reads it from :data:`RATE_LIMIT_ENV`.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias
from urllib.parse import unquote, urlsplit

import httpx

from auth_plugins._deadline import extend_deadline
from auth_plugins.errors import ConfigurationError

if TYPE_CHECKING:
    from auth_plugins._gates import RequestGate
    from auth_plugins._ratelimit_redis import RedisRateLimit

__all__ = [
    "DEFAULT_LEAD",
    "DEFAULT_MARGIN",
    "DEFAULT_REGISTRY",
    "RATE_LIMIT_ACCOUNT_ENV",
    "RATE_LIMIT_ENV",
    "RATE_LIMIT_MASTER_ACCOUNT_ENV",
    "Charge",
    "RateLimitGate",
    "RateLimitOption",
    "RateLimitRegistry",
    "SlidingWindow",
    "budget_holder",
    "account_labels_from_env",
    "check_account_label",
    "rate_limit_gate",
    "rate_limit_from_env",
    "rate_limit_gates",
    "rate_limit_secrets",
    "reported_weight",
]

RATE_LIMIT_ENV: Final = "EXCHANGE_CLIENTS_RATE_LIMIT"
"""The environment variable ``client_from_env`` reads ``rate_limit`` from: ``1``/``0``, or a Redis URL."""
RATE_LIMIT_ACCOUNT_ENV: Final = "EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT"
"""The environment variable ``client_from_env`` reads ``rate_limit_account`` from (an account label)."""
RATE_LIMIT_MASTER_ACCOUNT_ENV: Final = "EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT"
"""The environment variable ``client_from_env`` reads ``rate_limit_master_account`` from (a master account label)."""

RateLimitOption: TypeAlias = "bool | str | RedisRateLimit"
"""What a factory's ``rate_limit`` accepts: on, off, a Redis URL, or :class:`RedisRateLimit` settings."""

DEFAULT_MARGIN: Final = 0.005
"""How much longer than documented a window is taken to be, as a fraction of it (and at least 10 ms)."""
DEFAULT_LEAD: Final = 0.05
"""How long before its turn a request may leave the gate, as a fraction of the window (at least 100 ms)."""
_MIN_MARGIN_S: Final = 0.01
_MIN_LEAD_S: Final = 0.1
_SALT: Final = os.urandom(16)
_SENDING_EVENT: Final = "send_request_headers.started"
_ANSWERED_EVENT: Final = "receive_response_headers.complete"
_SETTLING_EVENTS: Final = (_ANSWERED_EVENT, "response_closed.started", ".failed")
_USED_WEIGHT: Final = re.compile(rb"[0-9]{1,12}")
_LABEL: Final = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")


class Charge:
    """One request's weight in a :class:`SlidingWindow`, counted until ``until`` (``inf`` while unknown)."""

    __slots__ = ("counted", "until", "weight")

    def __init__(self, weight: int, until: float) -> None:
        self.weight = weight
        self.until = until
        self.counted = [True, True]  # in the gate's view (expires ``lead`` early) and in the wire's view


class SlidingWindow:
    """A client-side twin of a server's sliding-window limit: at most ``limit`` weight within any
    ``window_s`` (which should already include the margin). Thread-safe; its lock is held only for
    bookkeeping, never while waiting.

    It keeps two views of the same charges: the *wire* view, where a charge counts until ``until``, and the
    *gate* view, where it counts until ``until - lead_s``, so that a request can be let out of the gate
    ``lead_s`` before the wire has room for it (:meth:`reserve`) and then held just before sending
    (:meth:`admit`).
    """

    __slots__ = ("_charges", "_heaps", "_lock", "_order", "_used", "lead_s", "limit", "window_s")

    def __init__(self, limit: int, window_s: float, lead_s: float = 0.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.lead_s = lead_s
        self._lock = threading.Lock()
        self._charges: set[Charge] = set()
        self._used = [0, 0]
        self._heaps: tuple[list[tuple[float, int, Charge]], ...] = ([], [])  # lazy: stale entries are skipped
        self._order = itertools.count()

    def reserve(self, weight: int, now: float) -> tuple[Charge | None, float]:
        """Gate check: if the budget has room for ``weight`` ``lead_s`` from ``now``, charge it and return
        ``(charge, 0.0)``; otherwise charge nothing and return ``(None, seconds)``, the earliest moment room
        may appear (try again then). Unless :meth:`admit` anchors it, the charge counts for one window from
        ``now`` in the gate's view. ``ValueError`` if ``weight`` alone exceeds the limit.
        """
        if weight > self.limit:
            raise ValueError(f"a request of weight {weight} can never fit a limit of {self.limit}")
        with self._lock:
            self._expire(now)
            if self._used[0] + weight <= self.limit:
                charge = Charge(weight, math.inf)
                self._charges.add(charge)
                self._used[0] += weight
                self._used[1] += weight
                self._set_until(charge, now + self.window_s + self.lead_s, now)
                return charge, 0.0
            return None, self._wait(0, self._used[0] + weight - self.limit, now)

    def admit(self, charge: Charge, now: float) -> float:
        """Wire check, just before ``charge``'s request is written: return ``0.0`` if the wire view has room
        (the charge included) and count the charge until :meth:`settle`; otherwise change nothing and return
        the seconds to wait before asking again."""
        with self._lock:
            self._expire(now)
            if not charge.counted[1]:
                # Its reservation lapsed before it reached the wire (a long wait for a connection).
                excess = self._used[1] + charge.weight - self.limit
            else:
                excess = self._used[1] - self.limit
            if excess > 0:
                return self._wait(1, excess, now, exclude=charge)
            self._set_until(charge, math.inf, now)
            return 0.0

    def settle(self, charge: Charge, now: float) -> None:
        """The request's response arrived (or its transfer failed) at ``now``: count it one more window."""
        with self._lock:
            self._set_until(charge, now + self.window_s, now)

    def observe(self, used: int, now: float) -> None:
        """The exchange says ``used`` weight of this budget is spent at ``now`` (a used-weight header): from now
        on the budget never counts less. What it counts beyond its own charges is charged as one more request for
        one window from ``now`` (the exchange does not say when that weight was spent). A figure above the limit
        counts as the limit, so a hostile answer holds requests back for one window at most."""
        used = min(used, self.limit)
        with self._lock:
            self._expire(now)
            missing = used - self._used[1]
            if missing > 0:
                charge = Charge(missing, math.inf)
                charge.counted = [False, False]
                self._set_until(charge, now + self.window_s, now)

    def used(self, now: float) -> int:
        """The weight the wire view counts at ``now``."""
        with self._lock:
            self._expire(now)
            return self._used[1]

    def _set_until(self, charge: Charge, until: float, now: float) -> None:
        charge.until = until
        order = next(self._order)
        for view, expiry in enumerate((until - self.lead_s, until)):
            if not charge.counted[view] and expiry > now:
                charge.counted[view] = True
                self._charges.add(charge)
                self._used[view] += charge.weight
            if expiry != math.inf:
                heapq.heappush(self._heaps[view], (expiry, order, charge))

    def _expire(self, now: float) -> None:
        for view, heap in enumerate(self._heaps):
            shift = self.lead_s if view == 0 else 0.0
            while heap and heap[0][0] <= now:
                expiry, _, charge = heapq.heappop(heap)
                if charge.counted[view] and charge.until - shift == expiry:
                    charge.counted[view] = False
                    self._used[view] -= charge.weight
                    if not any(charge.counted):
                        self._charges.discard(charge)

    def _wait(self, view: int, excess: int, now: float, exclude: Charge | None = None) -> float:
        # A charge still in flight could be settled right now, so it leaves no earlier than a window away.
        shift = self.lead_s if view == 0 else 0.0
        horizon = now + self.window_s - shift
        leaving = sorted(
            (min(c.until - shift, horizon), c.weight) for c in self._charges if c.counted[view] and c is not exclude
        )
        for expiry, weight in leaving:
            excess -= weight
            if excess <= 0:
                return max(expiry - now, 1e-6)
        return self.window_s  # only the excluded charge stands in the way: it lapses within a window


class RateLimitRegistry:
    """The budgets of one process (or one test): created on first use, shared by every gate using it.

    ``clock`` is monotonic seconds (injectable for tests). Each window is taken to be
    ``max(window * margin, 10 ms)`` longer than documented; requests leave the gate up to
    ``max(window * lead, 100 ms)`` before their turn and wait out the rest just before they are written.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = DEFAULT_MARGIN,
        lead: float = DEFAULT_LEAD,
    ) -> None:
        self.clock = clock
        self.margin = margin
        self.lead = lead
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, SlidingWindow] = {}

    def bucket(self, key: Hashable, limit: int, window_ms: int) -> SlidingWindow:
        """The budget for ``key`` (which should include ``limit`` and ``window_ms``), created if new."""
        bucket = self._buckets.get(key)
        if bucket is None:
            window_s = window_ms / 1000
            effective = window_s + max(window_s * self.margin, _MIN_MARGIN_S)
            lead_s = max(window_s * self.lead, _MIN_LEAD_S)
            with self._lock:
                bucket = self._buckets.setdefault(key, SlidingWindow(limit, effective, lead_s))
        return bucket

    def clear(self) -> None:
        """Forget every budget (and so every charge)."""
        with self._lock:
            self._buckets.clear()


DEFAULT_REGISTRY: Final = RateLimitRegistry()
"""The process-wide registry every gate uses unless given another."""


def _fingerprint(api_key: str) -> str:
    return hashlib.blake2b(api_key.encode("utf-8"), digest_size=8, key=_SALT).hexdigest()


def reported_weight(header: bytes, info: Mapping[str, Any]) -> int | None:
    """The used weight an answer reports in ``header`` (lower-case bytes), from the ``info`` of httpcore's
    ``receive_response_headers.complete`` trace event; ``None`` when it sends none or not a plain whole number."""
    try:
        headers = info["return_value"][3]
        for name, value in headers:
            if name.lower() == header:
                return int(value) if _USED_WEIGHT.fullmatch(value.strip()) else None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    return None


class _Tracker:
    """Follows one request from its reservation through httpx's trace events: when it is about to be written,
    when it is done, and what its answer says of the budget (its used-weight header). What both gates' sides
    share; they only do the waiting."""

    __slots__ = ("bucket", "charge", "clock", "header", "state", "weight")

    def __init__(self, bucket: SlidingWindow, weight: int, header: bytes | None, clock: Callable[[], float]) -> None:
        self.bucket, self.weight, self.clock, self.header = bucket, weight, clock, header
        self.charge: Charge | None = None
        self.state = 0  # 0: reserved, 1: on the wire, 2: done

    def reserve(self) -> float | None:
        """Try to reserve room in the budget: ``None`` once reserved, else the seconds to wait before trying again."""
        charge, wait = self.bucket.reserve(self.weight, self.clock())
        if charge is None:
            return wait
        self.charge = charge
        return None

    def _reserved(self) -> Charge:
        charge = self.charge
        assert charge is not None, "a request is traced only after its reservation"
        return charge

    def sending(self, name: str, info: Mapping[str, Any]) -> bool:
        """Note the trace event ``name`` (``info``: its details); return whether the request is about to be
        written and must be admitted first."""
        if self.state == 2:
            return False
        if name.endswith(_SETTLING_EVENTS):
            self.state = 2
            now = self.clock()
            self.bucket.settle(self._reserved(), now)
            if self.header is not None and name.endswith(_ANSWERED_EVENT):
                used = reported_weight(self.header, info)
                if used is not None:
                    self.bucket.observe(used, now)
            return False
        return self.state == 0 and name.endswith(_SENDING_EVENT)

    def admit(self) -> float:
        """Ask the budget to let the request onto the wire now; the seconds to wait if it may not."""
        wait = self.bucket.admit(self._reserved(), self.clock())
        if wait == 0.0:
            self.state = 1
        return wait


def check_account_label(name: str, value: object) -> str | None:
    """``value`` if it is a valid account label (1-200 letters, digits or ``._:@/+=-``) or ``None``; else
    ``ValueError`` naming the option ``name``."""
    if value is None:
        return None
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise ValueError(f"{name} must be 1-200 letters, digits or ._:@/+=- (no spaces or braces)")
    return value


def budget_holder(
    keyed_on: str, key_id: str | None, account: str | None = None, master_account: str | None = None
) -> tuple[str, str] | None:
    """Whom a budget ``keyed_on`` counts for, as ``(kind, name)``; ``None`` for the caller's address (``ip``
    limits, and any limit of a client without a key, as the exchanges count anonymous calls).

    An account is known only by its key, so ``account`` and ``master-account`` budgets are per key
    (``("api-key", key_id)``) unless the user labels the account: ``account`` then counts for
    ``("account", account)`` and ``master-account`` for ``("master-account", master_account or account)``
    (an account with no master is its own), so that every key given the same label shares the budget.
    """
    if keyed_on == "ip" or key_id is None:
        return None
    if keyed_on == "account" and account:
        return ("account", account)
    if keyed_on == "master-account" and (master_account or account):
        return ("master-account", str(master_account or account))
    return ("api-key", key_id)


class RateLimitGate:
    """A :class:`~auth_plugins._gates.RequestGate` that holds each request back until its operation's
    documented rate limit has room for it; it never refuses one (see the module docstring for how).

    Each operation draws on the budget its ``rate_limit.budget`` names (a pool several operations share, or its
    own), counted for whom :func:`budget_holder` says: the destination host (``ip``), the API key, or the
    ``account`` / ``master_account`` label when given (several keys of one account then share the budget); the
    key is kept only as a salted fingerprint. Where an answer carries the budget's ``used_weight_header``, the
    budget never counts less than the exchange says (:meth:`SlidingWindow.observe`).
    ``registry`` defaults to :data:`DEFAULT_REGISTRY`; ``sleep``/``asleep`` (default ``time.sleep`` and
    ``asyncio.sleep``) are injectable for tests. The gate installs an httpx ``trace`` extension on each
    limited request, calling any trace already set.
    """

    __slots__ = ("_account", "_asleep", "_exchange", "_master", "_registry", "_sleep", "_user")

    def __init__(
        self,
        exchange: str,
        api_key: str | None = None,
        *,
        account: str | None = None,
        master_account: str | None = None,
        registry: RateLimitRegistry | None = None,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._exchange = exchange
        self._user = _fingerprint(api_key) if api_key else None
        self._account = check_account_label("rate_limit_account", account)
        self._master = check_account_label("rate_limit_master_account", master_account)
        self._registry = registry if registry is not None else DEFAULT_REGISTRY
        self._sleep = sleep
        self._asleep = asleep if asleep is not None else _asyncio_sleep

    def budget_key(self, operation: Any, request: httpx.Request) -> tuple[Hashable, ...] | None:
        """The identity of the budget ``request`` to ``operation`` draws on in this process, or ``None`` when
        its limit is undocumented: ``(exchange, budget, holder..., limit, window_ms)``."""
        rate = operation.rate_limit
        if rate is None:
            return None
        holder = budget_holder(rate.keyed_on, self._user, self._account, self._master)
        if holder is None:
            url = request.url
            scope: tuple[str, ...] = ("ip", url.scheme, url.host, str(url.port))
        else:
            scope = holder
        return (self._exchange, rate.budget, *scope, rate.limit, rate.window_ms)

    def _bucket(self, operation: Any, request: httpx.Request) -> tuple[SlidingWindow, int, bytes | None] | None:
        key = self.budget_key(operation, request)
        if key is None:
            return None
        rate = operation.rate_limit
        header = rate.used_weight_header.lower().encode("ascii") if rate.used_weight_header else None
        return self._registry.bucket(key, rate.limit, rate.window_ms), rate.weight, header

    def before_send(self, operation: Any, request: httpx.Request) -> None:
        """Block (``time.sleep``) until ``operation``'s limit will have room for ``request``, reserve it, and
        hook the request so that it also waits out the rest just before it is written."""
        found = self._bucket(operation, request)
        if found is None:
            return
        sleep, tracker = self._sleep, _Tracker(*found, self._registry.clock)
        while (wait := tracker.reserve()) is not None:
            sleep(wait)
        previous = request.extensions.get("trace")

        def trace(name: str, info: dict[str, Any]) -> None:
            if tracker.sending(name, info):
                while (wait := tracker.admit()) > 0:
                    sleep(wait)
                    extend_deadline(wait)  # the client's own wait: not the server's time
            if previous is not None:
                previous(name, info)

        request.extensions["trace"] = trace

    async def abefore_send(self, operation: Any, request: httpx.Request) -> None:
        """Async twin of :meth:`before_send`: waits with ``asyncio.sleep``, never blocking the event loop."""
        found = self._bucket(operation, request)
        if found is None:
            return
        asleep, tracker = self._asleep, _Tracker(*found, self._registry.clock)
        while (wait := tracker.reserve()) is not None:
            await asleep(wait)
        previous = request.extensions.get("trace")

        async def trace(name: str, info: dict[str, Any]) -> None:
            if tracker.sending(name, info):
                while (wait := tracker.admit()) > 0:
                    await asleep(wait)
                    extend_deadline(wait)  # the client's own wait: not the server's time
            if previous is not None:
                await previous(name, info)

        request.extensions["trace"] = trace

    def __repr__(self) -> str:
        scope = f"key {self._user[:6]}…" if self._user else "ip"
        account = f", account={self._account!r}" if self._account else ""
        return f"RateLimitGate(exchange={self._exchange!r}, scope={scope!r}{account})"


def rate_limit_gate(
    exchange: str, api_key: str | None = None, *, account: str | None = None, master_account: str | None = None
) -> RateLimitGate:
    """The gate a factory installs: ``exchange``'s documented limits, budgeted per ``api_key`` (or per
    ``account`` / ``master_account`` label, see :func:`budget_holder`) and per destination host (``ip``
    limits), shared process-wide with every other client built from the same credentials or label."""
    return RateLimitGate(exchange, api_key, account=account, master_account=master_account)


def rate_limit_gates(
    exchange: str,
    api_key: str | None,
    rate_limit: RateLimitOption,
    *,
    secrets: Sequence[str | None] = (),
    account: str | None = None,
    master_account: str | None = None,
) -> tuple[RequestGate, ...]:
    """The limiter gates a factory installs for ``rate_limit``: none for ``False``; the in-process gate
    (:func:`rate_limit_gate`) for ``True``; for a ``redis://``, ``rediss://`` or ``unix://`` URL (query
    parameters ``ip_scope`` and ``on_error`` allowed, see :class:`RedisRateLimit`) or a
    :class:`RedisRateLimit`, a gate drawing on the budget shared through that Redis, keyed on a fingerprint
    of ``api_key`` keyed with ``secrets`` (the client's secrets, in any order).

    Nothing connects here; a malformed URL raises ``ValueError`` naming what is wrong (password masked), a
    value of any other type ``TypeError``, and a URL without redis-py installed ``ImportError`` naming the
    ``redis`` extra. Call it when the client is built, so that all of these happen before anything is sent.
    """
    check_account_label("rate_limit_account", account)
    check_account_label("rate_limit_master_account", master_account)
    if isinstance(rate_limit, bool):
        return (
            (rate_limit_gate(exchange, api_key, account=account, master_account=master_account),) if rate_limit else ()
        )
    # Imported here: neither redis-py nor the shared gate is loaded unless a client asks for it.
    from auth_plugins._ratelimit_redis import RedisRateLimit

    if isinstance(rate_limit, str):
        settings = RedisRateLimit.from_url(rate_limit)
    elif isinstance(rate_limit, RedisRateLimit):
        settings = rate_limit
    else:
        raise TypeError("rate_limit must be True, False, a redis://, rediss:// or unix:// URL or RedisRateLimit")
    from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate

    return (
        SharedRateLimitGate(
            exchange, api_key, settings, secrets=secrets, account=account, master_account=master_account
        ),
    )


def rate_limit_from_env(environ: Mapping[str, str] | None = None) -> RateLimitOption | None:
    """For ``client_from_env``: the ``rate_limit`` :data:`RATE_LIMIT_ENV` asks for, or ``None`` when it is unset
    or empty (the factory's default then applies: on, in-process). ``1``/``true``/``yes``/``on`` and
    ``0``/``false``/``no``/``off`` switch the in-process limiter on or off; a Redis URL shares the budget
    (:func:`rate_limit_gates`). Anything else, or a malformed URL, raises ``ConfigurationError`` naming the
    variable and never showing a password."""
    value = (os.environ if environ is None else environ).get(RATE_LIMIT_ENV, "").strip()
    if not value:
        return None
    flag = value.lower()
    if flag in ("1", "true", "yes", "on"):
        return True
    if flag in ("0", "false", "no", "off"):
        return False
    if "://" in value:
        from auth_plugins._ratelimit_redis import RedisRateLimit

        try:
            return RedisRateLimit.from_url(value)
        except ValueError as error:
            raise ConfigurationError(f"environment variable {RATE_LIMIT_ENV}: {error}") from None
    raise ConfigurationError(
        f"environment variable {RATE_LIMIT_ENV} must be 1, 0 or a redis://, rediss:// or unix:// URL"
    )


def account_labels_from_env(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """For ``client_from_env``: the ``rate_limit_account`` and ``rate_limit_master_account`` labels that
    :data:`RATE_LIMIT_ACCOUNT_ENV` and :data:`RATE_LIMIT_MASTER_ACCOUNT_ENV` give, each ``None`` when its variable
    is unset or empty. A label the options would refuse (:func:`check_account_label`) raises
    ``ConfigurationError`` naming the variable, never its value."""
    env = os.environ if environ is None else environ
    labels: list[str | None] = []
    for name in (RATE_LIMIT_ACCOUNT_ENV, RATE_LIMIT_MASTER_ACCOUNT_ENV):
        try:
            labels.append(check_account_label(f"environment variable {name}", env.get(name) or None))
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
    return labels[0], labels[1]


def rate_limit_secrets(rate_limit: object) -> tuple[str, ...]:
    """What of a ``rate_limit`` setting is secret (a Redis URL's password), for the client's redactor."""
    url = rate_limit if isinstance(rate_limit, str) else getattr(rate_limit, "url", None)
    if not isinstance(url, str):
        return ()
    try:
        password = urlsplit(url).password
    except ValueError:
        return ()
    return (unquote(password),) if password else ()


async def _asyncio_sleep(seconds: float) -> None:
    # asyncio is imported on first use: importing it costs ~15 ms, which sync-only users should not pay.
    import asyncio

    await asyncio.sleep(seconds)
