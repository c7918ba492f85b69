"""The request gate that draws on a shared budget in Redis, with this process's own budget underneath."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import httpx

from auth_plugins._ratelimit import (
    _ANSWERED_EVENT,
    _MIN_MARGIN_S,
    _SETTLING_EVENTS,
    DEFAULT_MARGIN,
    RateLimitGate,
    _asyncio_sleep,
    budget_holder,
    check_account_label,
    reported_weight,
)
from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend, Unavailable, shared_backend
from auth_plugins._ratelimit_redis._settings import RedisRateLimit, budget_keys, shared_fingerprint
from auth_plugins.errors import SharedBudgetError

__all__ = ["SharedRateLimitGate", "effective_window_ms", "lease_ms"]

_TIMEOUTS: Final = ("connect", "write", "read", "pool")
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def effective_window_ms(window_ms: int) -> int:
    """The window a budget is kept over: the documented one plus the in-process limiter's margin (0.5 %, at
    least 10 ms), in whole milliseconds."""
    return window_ms + math.ceil(max(window_ms * DEFAULT_MARGIN, _MIN_MARGIN_S * 1000))


def lease_ms(request: httpx.Request, window_ms: int, floor_s: float) -> int:
    """How long a request that has not reported its response keeps counting, in milliseconds.

    At least ``floor_s``; when the request carries finite httpx timeouts, at least one window (the
    in-process budget may still hold it back after Redis let it through) plus its connect, write, read and
    pool timeouts, which bound the time to its response headers. A request with no timeout can stay in
    flight longer than its lease, and then stops counting.
    """
    lease_s = floor_s
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        values = [timeout.get(name) for name in _TIMEOUTS]
        finite = [float(value) for value in values if isinstance(value, int | float)]
        if len(finite) == len(values):
            lease_s = max(lease_s, window_ms / 1000 + sum(finite))
    return math.ceil(lease_s * 1000)


class _Claim:
    """One request's claim on a shared budget: the member that counts it in Redis, its weight and lease, the
    budget's used-weight header (lower-case, or ``None``), and whether its response has been reported yet. What
    both sides of the gate share; they only talk and wait."""

    __slots__ = ("budget", "header", "lease", "member", "settled", "weight")

    def __init__(self, budget: Budget, weight: int, lease: int, header: bytes | None = None) -> None:
        self.budget, self.weight, self.lease, self.header = budget, weight, lease, header
        self.member = f"{weight}:{os.urandom(9).hex()}"
        self.settled = False

    def settles(self, name: str) -> bool:
        """Note the trace event ``name``; true once, at the first one that settles the request (its response
        headers arrived or its transfer failed)."""
        if self.settled or not name.endswith(_SETTLING_EVENTS):
            return False
        self.settled = True
        return True

    def report(self, backend: RedisBackend, name: str, info: dict[str, Any]) -> None:
        """The request settled at trace event ``name`` (``info``: its details): note its response, and the
        exchange's own count of the budget if the answer reports one. No I/O: both ride on the next acquire."""
        backend.release(self.budget, self.member)
        if self.header is not None and name.endswith(_ANSWERED_EVENT):
            used = reported_weight(self.header, info)
            if used is not None:
                backend.report(self.budget, used)


class SharedRateLimitGate:
    """A :class:`~auth_plugins._gates.RequestGate` that holds each request back until the budget shared
    through Redis by every process and host on ``settings.url`` has room for it, then until this process's
    own budget (:class:`~auth_plugins._ratelimit.RateLimitGate`) has room too.

    A request counts in Redis from the moment the gate lets it out, while it is in flight (a lease of
    :func:`lease_ms`, after which a process that died stops holding it), and for one window after its
    response headers arrive or its transfer fails, as reported by the httpx ``trace`` extension the gate
    installs (calling any trace already set). That report costs no round trip of its own: it rides on this
    process's next acquire of the budget, or goes in the background within
    :data:`~auth_plugins._ratelimit_redis._backend.SETTLE_AFTER_S` (see the backend's docstring). The
    in-process budget underneath costs microseconds and keeps this process within the documented rate by
    itself, so that when it has to go on alone (Redis unreachable) it does not burst; it cannot know what the
    other processes send meanwhile.

    Each operation draws on the budget its ``rate_limit.budget`` names, held by whom
    :func:`~auth_plugins._ratelimit.budget_holder` says: :func:`shared_fingerprint` of ``api_key`` and ``secrets``
    (``api-key`` limits, and ``account`` / ``master-account`` ones unless labelled), the ``account`` /
    ``master_account`` label (every process and key given it shares the budget), or, for ``ip`` limits,
    ``settings.ip_scope`` and the destination's scheme, host and port. The exchange's own count (a used-weight
    header) is honoured by the shared budget, so that every process on it is held back by what the exchange
    reported to one (riding on the next acquire, like the response's settlement), and by the in-process budget
    underneath. When Redis fails, ``settings.on_error``
    decides: ``"local"`` goes on with the in-process budget alone, ``"raise"`` refuses the request with
    :class:`~auth_plugins.errors.SharedBudgetError` before anything is sent. ``backend`` (default: the
    process's shared one for the URL), ``local``, ``sleep`` and ``asleep`` are injectable for tests.
    """

    __slots__ = (
        "_account",
        "_asleep",
        "_backend",
        "_budgets",
        "_exchange",
        "_local",
        "_master",
        "_settings",
        "_sleep",
        "_user",
    )

    def __init__(
        self,
        exchange: str,
        api_key: str | None,
        settings: RedisRateLimit,
        *,
        secrets: Sequence[str | None] = (),
        account: str | None = None,
        master_account: str | None = None,
        backend: RedisBackend | None = None,
        local: RateLimitGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if backend is None:
            backend = shared_backend(settings)
        self._exchange = exchange
        self._settings = settings
        self._backend = backend
        self._user = shared_fingerprint(api_key, secrets) if api_key else None
        self._account = check_account_label("rate_limit_account", account)
        self._master = check_account_label("rate_limit_master_account", master_account)
        if local is None:
            local = RateLimitGate(
                exchange, api_key, account=account, master_account=master_account, sleep=sleep, asleep=asleep
            )
        self._local = local
        self._sleep = sleep
        self._asleep = asleep if asleep is not None else _asyncio_sleep
        self._budgets: dict[tuple[Any, ...], Budget] = {}

    def _budget(self, operation: Any, request: httpx.Request) -> tuple[Budget, int] | None:
        rate = operation.rate_limit
        if rate is None:
            return None
        url = request.url
        holder = budget_holder(rate.keyed_on, self._user, self._account, self._master)
        where = holder if holder is not None else (url.scheme, url.host, url.port)
        cache_key = (rate.budget, rate.limit, rate.window_ms, *where)
        budget = self._budgets.get(cache_key)
        if budget is None:
            if holder is not None:
                scope: tuple[str, ...] = holder
            else:
                port = url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme, 0)
                scope = ("ip", self._settings.ip_scope, url.scheme, url.host, str(port))
            keys = budget_keys(
                self._settings.key_prefix, self._exchange, rate.budget, scope, rate.limit, rate.window_ms
            )
            budget = self._budgets[cache_key] = Budget(keys, rate.limit, effective_window_ms(rate.window_ms))
        if rate.weight > rate.limit:
            raise ValueError(f"a request of weight {rate.weight} can never fit a limit of {rate.limit}")
        return budget, rate.weight

    def _refuse(self, operation: Any) -> SharedBudgetError:
        return SharedBudgetError(
            f"the shared rate-limit budget at {self._settings.masked_url} is unreachable; nothing was sent",
            operation=f"{operation.method} {operation.path}",
        )

    def _claim(self, operation: Any, request: httpx.Request) -> _Claim | None:
        found = self._budget(operation, request)
        if found is None:
            return None
        budget, weight = found
        header = operation.rate_limit.used_weight_header
        return _Claim(
            budget,
            weight,
            lease_ms(request, budget.window_ms, self._settings.lease_s),
            header.lower().encode("ascii") if header else None,
        )

    def _unreachable(self, operation: Any, failure: Unavailable) -> None:
        """Redis failed: refuse the request when ``on_error="raise"``, else return (the local budget goes on)."""
        if self._settings.on_error == "raise":
            raise self._refuse(operation) from failure.__cause__

    def before_send(self, operation: Any, request: httpx.Request) -> None:
        """Block (``time.sleep``) until the shared budget has room for ``request`` and count it there, then
        pass it through the in-process gate; hook it so that its response is reported. ``SharedBudgetError``
        when Redis fails and ``on_error="raise"``."""
        claim = self._claim(operation, request)
        if claim is None:
            return
        backend = self._backend
        try:
            while (wait := backend.acquire(claim.budget, claim.member, claim.weight, claim.lease)) != 0.0:
                self._sleep(wait)
        except Unavailable as failure:
            self._unreachable(operation, failure)
        self._local.before_send(operation, request)
        previous = request.extensions.get("trace")

        def trace(name: str, info: dict[str, Any]) -> None:
            if claim.settles(name):
                claim.report(backend, name, info)  # no I/O: it rides on the next acquire
            if previous is not None:
                previous(name, info)

        request.extensions["trace"] = trace

    async def abefore_send(self, operation: Any, request: httpx.Request) -> None:
        """Async twin of :meth:`before_send`: waits with ``asyncio.sleep`` and talks to Redis through
        ``redis.asyncio``, never blocking the event loop."""
        claim = self._claim(operation, request)
        if claim is None:
            return
        backend = self._backend
        try:
            while (wait := await backend.aacquire(claim.budget, claim.member, claim.weight, claim.lease)) != 0.0:
                await self._asleep(wait)
        except Unavailable as failure:
            self._unreachable(operation, failure)
        await self._local.abefore_send(operation, request)
        previous = request.extensions.get("trace")

        async def trace(name: str, info: dict[str, Any]) -> None:
            if claim.settles(name):
                claim.report(backend, name, info)  # no I/O: it rides on the next acquire
            if previous is not None:
                await previous(name, info)

        request.extensions["trace"] = trace

    def __repr__(self) -> str:
        scope = f"key {self._user[:6]}…" if self._user else "ip"
        if self._account:
            scope += f", account {self._account}"
        return (
            f"SharedRateLimitGate(exchange={self._exchange!r}, scope={scope!r}, redis={self._settings.masked_url!r}, "
            f"on_error={self._settings.on_error!r})"
        )
