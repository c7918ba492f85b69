"""What an ``x-rate-limit`` says: which budget a call draws on, keyed on what, and what one call costs.

The shape (``RATE-LIMIT-CONTRACT``, README "Rate limits"), read by the bundler (which refuses a bad one, naming
the file), the operations-table generator and the sandbox, so that all three read it one way:

- ``{documented: false}``: the page gives no limit (all of Backpack);
- ``{pool: <name>, weight: N}``: the call draws ``N`` on a budget shared by every endpoint naming the pool,
  defined once per exchange under ``x-rate-limit-pools`` in ``_base.yaml`` (Binance ``/api/*`` IP weight);
- ``{limit, window-ms, keyed-on, weight, used-weight-header?}``: the endpoint's own budget, shared with no other
  endpoint even when the numbers are equal (Binance ``/sapi/*``, every OKX endpoint).

``keyed-on`` is one of :data:`KEYED_ON`. ``used-weight-header`` names the response header in which the exchange
reports its own count of the budget (Binance ``X-MBX-USED-WEIGHT-1M``, ``X-SAPI-USED-UID-WEIGHT-1M``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["KEYED_ON", "POOLS_EXTENSION", "RateLimitShapeError", "ResolvedRateLimit", "check_pools", "resolve"]

POOLS_EXTENSION: Final = "x-rate-limit-pools"
"""The ``_base.yaml`` (and bundle) key that defines an exchange's named shared pools."""

KEYED_ON: Final = ("ip", "api-key", "account", "master-account")
"""What a budget is counted per: the caller's address, the API key, the account (Binance UID, OKX User ID), or the
master account (OKX "Master Account User ID": sub-accounts share it with their master)."""

_OWN_KEYS: Final = frozenset({"limit", "window-ms", "keyed-on", "weight", "used-weight-header"})
_POOL_KEYS: Final = frozenset({"limit", "window-ms", "keyed-on", "used-weight-header"})
_HEADER: Final = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")
_POOL_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class RateLimitShapeError(ValueError):
    """An ``x-rate-limit`` or ``x-rate-limit-pools`` entry that does not follow the shape; says what is wrong."""


@dataclass(frozen=True, slots=True)
class ResolvedRateLimit:
    """One operation's budget with the pool resolved: ``limit`` weight per ``window_ms``, keyed on ``keyed_on``;
    a call costs ``weight``. ``budget`` is the budget's identity within the exchange (the pool's name, or the
    operationId for an endpoint's own budget); ``used_weight_header`` the exchange's count of it, or ``None``."""

    limit: int
    window_ms: int
    keyed_on: str
    weight: int
    budget: str
    used_weight_header: str | None


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RateLimitShapeError(f"{what} must be a positive whole number, not {value!r}")
    return value


def _numbers(value: Mapping[str, Any], where: str) -> tuple[int, int, str, str | None]:
    missing = [key for key in ("limit", "window-ms", "keyed-on") if key not in value]
    if missing:
        raise RateLimitShapeError(f"{where} has no {', '.join(missing)}")
    keyed_on = value["keyed-on"]
    if keyed_on not in KEYED_ON:
        raise RateLimitShapeError(f"{where} has unknown keyed-on {keyed_on!r} (one of: {', '.join(KEYED_ON)})")
    header = value.get("used-weight-header")
    if header is not None and (not isinstance(header, str) or not _HEADER.fullmatch(header)):
        raise RateLimitShapeError(f"{where} has used-weight-header {header!r}, which is no HTTP header name")
    return (
        _positive(value["limit"], f"{where} limit"),
        _positive(value["window-ms"], f"{where} window-ms"),
        str(keyed_on),
        header,
    )


def check_pools(pools: Any) -> dict[str, ResolvedRateLimit]:
    """The pools an ``x-rate-limit-pools`` mapping defines, by name (``weight`` 1 as a placeholder);
    :class:`RateLimitShapeError` naming the pool and what is wrong with it."""
    if pools is None:
        return {}
    if not isinstance(pools, Mapping):
        raise RateLimitShapeError(f"{POOLS_EXTENSION} must map pool names to their limits")
    checked = {}
    for name, value in pools.items():
        where = f"{POOLS_EXTENSION} pool {name!r}"
        if not isinstance(name, str) or not _POOL_NAME.fullmatch(name):
            raise RateLimitShapeError(f"{where}: a pool name is lower-case letters, digits and dashes")
        if not isinstance(value, Mapping):
            raise RateLimitShapeError(f"{where} must be a mapping (limit, window-ms, keyed-on)")
        unknown = sorted(set(value) - _POOL_KEYS)
        if unknown:
            raise RateLimitShapeError(f"{where} has unknown key(s) {', '.join(unknown)}")
        limit, window_ms, keyed_on, header = _numbers(value, where)
        checked[name] = ResolvedRateLimit(limit, window_ms, keyed_on, 1, name, header)
    return checked


def resolve(value: Any, pools: Any, operation_id: str) -> ResolvedRateLimit | None:
    """``operation_id``'s ``x-rate-limit`` ``value`` resolved against the exchange's ``pools`` (the
    ``x-rate-limit-pools`` mapping, or ``None``); ``None`` when the limit is not documented.
    :class:`RateLimitShapeError` saying what is wrong: an unknown pool or ``keyed-on``, a missing number, a
    weight above the limit, a key the shape does not have."""
    defined = check_pools(pools)
    if not isinstance(value, Mapping):
        raise RateLimitShapeError("x-rate-limit must be a mapping")
    if "documented" in value:
        if value["documented"] is not False or len(value) != 1:
            raise RateLimitShapeError("x-rate-limit: `documented` only appears as {documented: false}, alone")
        return None
    weight = _positive(value.get("weight", 1), "x-rate-limit weight")
    if "pool" in value:
        name = value["pool"]
        unknown = sorted(set(value) - {"pool", "weight"})
        if unknown:
            raise RateLimitShapeError(
                f"x-rate-limit names pool {name!r} and also {', '.join(unknown)}: a pool's numbers live in _base.yaml"
            )
        pool = defined.get(name) if isinstance(name, str) else None
        if pool is None:
            known = ", ".join(sorted(defined)) or "none"
            raise RateLimitShapeError(
                f"x-rate-limit names unknown pool {name!r} ({POOLS_EXTENSION} in _base.yaml defines: {known})"
            )
        resolved = ResolvedRateLimit(
            pool.limit, pool.window_ms, pool.keyed_on, weight, pool.budget, pool.used_weight_header
        )
    else:
        unknown = sorted(set(value) - _OWN_KEYS)
        if unknown:
            raise RateLimitShapeError(f"x-rate-limit has unknown key(s) {', '.join(unknown)}")
        limit, window_ms, keyed_on, header = _numbers(value, "x-rate-limit")
        resolved = ResolvedRateLimit(limit, window_ms, keyed_on, weight, operation_id, header)
    if resolved.weight > resolved.limit:
        raise RateLimitShapeError(f"x-rate-limit weight {resolved.weight} can never fit its limit {resolved.limit}")
    return resolved
