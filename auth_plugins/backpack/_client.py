"""Signed Backpack clients: ``make_client`` from a secret, ``client_from_env`` from the environment."""

from collections.abc import Sequence
from typing import Any

import httpx
from attrs import define, field
from backpack_client import AuthenticatedClient
from backpack_client.operations import SERVER_URL

from auth_plugins._clock import Clock
from auth_plugins._env import base_url_option, require
from auth_plugins._gates import RequestGate
from auth_plugins._options import DEFAULT_TIMEOUT_S, MaskedKey, client_options, pipeline
from auth_plugins._pipeline import Pipeline
from auth_plugins._ratelimit import RateLimitOption, rate_limit_option
from auth_plugins._retry import DEFAULT_RETRY
from auth_plugins._signed_client import PipelineClientMixin
from auth_plugins.backpack._profile import PROFILE
from auth_plugins.backpack._signer import BackpackAuth

__all__ = ["client_from_env", "make_client"]


@define
class _Client(PipelineClientMixin, AuthenticatedClient):
    _pipeline: Pipeline = field(kw_only=True, alias="pipeline", repr=False)


def make_client(
    api_secret: str,
    *,
    base_url: str = SERVER_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
    window_ms: int = 5000,
    clock: Clock | None = None,
    max_retries: int = DEFAULT_RETRY.max_retries,
    backoff_base_s: float = DEFAULT_RETRY.backoff_base_s,
    backoff_cap_s: float = DEFAULT_RETRY.backoff_cap_s,
    retry_after_cap_s: float = DEFAULT_RETRY.retry_after_cap_s,
    gates: Sequence[RequestGate] = (),
    rate_limit: RateLimitOption = True,
    **options: Any,
) -> AuthenticatedClient:
    """Return a ``backpack_client.AuthenticatedClient`` whose every request is signed by :class:`BackpackAuth`.

    ``api_secret`` is the base64 ED25519 seed (``ValueError`` if malformed). The client never follows
    redirects, times out after ``timeout`` seconds, and serves both ``sync*`` and ``asyncio*`` calls; use it
    as a context manager to close its connections. Every failure raises an ``auth_plugins.ExchangeError``
    subclass, never an error body returned as data. Read-only operations are retried up to ``max_retries``
    times on transient failures (backoff ``backoff_base_s`` doubling up to ``backoff_cap_s``, with full
    jitter; a server's ``Retry-After`` up to ``retry_after_cap_s``); a timestamp error re-syncs the clock
    once. Requests are checked against the spec before anything is sent (``InvalidParameterError``) and held
    back to the documented rate limits unless ``rate_limit=False``: per process by default, or shared by
    every process and host on one Redis with ``rate_limit="redis://host:6379/0"`` (or ``RedisRateLimit``);
    ``gates`` run before every attempt.
    ``options`` go to the generated client (``headers``, ``verify_ssl``, ``httpx_args`` ...).
    """
    auth = BackpackAuth(api_secret, window_ms=window_ms, clock=clock)
    return _Client(
        base_url=base_url,
        token=MaskedKey(auth.api_key),
        prefix="",
        auth_header_name="X-API-Key",
        pipeline=pipeline(
            PROFILE,
            auth,
            clock,
            secrets=(api_secret, auth.api_key),
            max_retries=max_retries,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            retry_after_cap_s=retry_after_cap_s,
            gates=gates,
            api_key=auth.api_key,
            rate_limit=rate_limit,
        ),
        **client_options(auth, timeout, options),
    )


def client_from_env(**options: Any) -> AuthenticatedClient:
    """:func:`make_client` with the secret from ``BACKPACK_API_SECRET``; ``ValueError`` names it when missing.

    ``base_url`` comes from ``BACKPACK_BASE_URL`` when that is set and none is passed, ``rate_limit`` from
    ``EXCHANGE_CLIENTS_RATE_LIMIT`` (``0``, ``1`` or a Redis URL) likewise.
    """
    base_url_option("BACKPACK_BASE_URL", options)
    rate_limit_option(options)
    return make_client(require("BACKPACK_API_SECRET"), **options)
