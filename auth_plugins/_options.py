"""The keyword arguments every factory gives a generated client: safe, loud defaults around the signer."""

from collections.abc import Sequence
from typing import Any

import httpx

from auth_plugins._clock import Clock, system_clock
from auth_plugins._gates import RequestGate
from auth_plugins._pipeline import Pipeline, Signer
from auth_plugins._profile import ExchangeProfile
from auth_plugins._ratelimit import RateLimitOption, rate_limit_gates
from auth_plugins._redaction import install_log_redaction, register_secrets
from auth_plugins._retry import RetryPolicy
from auth_plugins._validation import RequestValidator

__all__ = ["DEFAULT_TIMEOUT_S", "MaskedKey", "client_options", "pipeline"]

DEFAULT_TIMEOUT_S = 10.0


class MaskedKey(str):
    """An API key that reprs masked: the generated client's attrs ``repr`` shows its ``token`` field."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'…'" if len(self) < 16 else f"'{self[:4]}…{self[-4:]}'"


def client_options(auth: httpx.Auth, timeout: float | httpx.Timeout, options: dict[str, Any]) -> dict[str, Any]:
    """Return generated-client keyword arguments: ``auth`` plugged in through ``httpx_args``, a real timeout
    (the generator's default is none at all), ``raise_on_unexpected_status=True`` and
    ``follow_redirects=False`` (httpx strips only ``Authorization`` on a cross-origin redirect, not exchange
    key headers). ``options`` are the caller's extra client arguments and win over these defaults, except that
    ``httpx_args["auth"]`` is refused: the signer is the factory's job.
    """
    httpx_args = dict(options.pop("httpx_args", {}))
    if "auth" in httpx_args:
        raise TypeError("httpx_args['auth'] is set by the factory; pass credentials to make_client instead")
    httpx_args["auth"] = auth
    defaults: dict[str, Any] = {
        "timeout": timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        "raise_on_unexpected_status": True,
        "follow_redirects": False,
    }
    return {**defaults, **options, "httpx_args": httpx_args}


def pipeline(
    profile: ExchangeProfile,
    auth: Signer,
    clock: Clock | None,
    *,
    secrets: Sequence[str | None],
    max_retries: int,
    backoff_base_s: float,
    backoff_cap_s: float,
    retry_after_cap_s: float,
    gates: Sequence[RequestGate],
    api_key: str,
    rate_limit: RateLimitOption,
) -> Pipeline:
    """The :class:`~auth_plugins._pipeline.Pipeline` of a new client; also registers ``secrets`` (secrets,
    passphrases, API keys) for redaction and installs the log filter (once per process).

    Before every attempt the pipeline runs, in this order: the request validator (a request that breaks its
    operation's spec raises ``InvalidParameterError`` and is never sent, nor counted against a limit), the
    client-side rate limiter for ``profile.name`` that ``rate_limit`` asks for (``True``: budgets shared
    process-wide by every client with the same ``api_key``, and per destination host for ``ip`` limits; a
    Redis URL or ``RedisRateLimit``: shared through Redis, see ``rate_limit_gates``), then ``gates``.

    ``ValueError`` for a negative or non-numeric retry setting.
    """
    retry = RetryPolicy(
        max_retries=max_retries,
        backoff_base_s=backoff_base_s,
        backoff_cap_s=backoff_cap_s,
        retry_after_cap_s=retry_after_cap_s,
    )
    register_secrets(*secrets)
    install_log_redaction()
    limiter = rate_limit_gates(profile.name, api_key, rate_limit, secrets=secrets)
    all_gates = (_VALIDATOR, *limiter, *gates)
    return Pipeline(profile, auth, clock if clock is not None else system_clock, retry, all_gates)


_VALIDATOR = RequestValidator()
