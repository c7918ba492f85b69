"""Signed Binance clients: ``make_client`` from credentials, ``client_from_env`` from the environment."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from attrs import define, field
from binance_client import AuthenticatedClient
from binance_client.operations import SERVER_URL

from auth_plugins._clock import Clock
from auth_plugins._env import base_url_option, require
from auth_plugins._gates import RequestGate
from auth_plugins._options import DEFAULT_TIMEOUT_S, MaskedKey, client_options, pipeline
from auth_plugins._pipeline import Pipeline
from auth_plugins._ratelimit import RateLimitOption, rate_limit_option
from auth_plugins._retry import DEFAULT_RETRY
from auth_plugins._signed_client import PipelineClientMixin
from auth_plugins.binance._profile import PROFILE
from auth_plugins.binance._signer import BinanceAuth

__all__ = ["client_from_env", "make_client"]


@define
class _Client(PipelineClientMixin, AuthenticatedClient):
    _pipeline: Pipeline = field(kw_only=True, alias="pipeline", repr=False)


def make_client(
    api_key: str,
    *,
    api_secret: str | None = None,
    private_key: str | bytes | None = None,
    recv_window_ms: int | None = None,
    base_url: str = SERVER_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
    clock: Clock | None = None,
    max_retries: int = DEFAULT_RETRY.max_retries,
    backoff_base_s: float = DEFAULT_RETRY.backoff_base_s,
    backoff_cap_s: float = DEFAULT_RETRY.backoff_cap_s,
    retry_after_cap_s: float = DEFAULT_RETRY.retry_after_cap_s,
    gates: Sequence[RequestGate] = (),
    rate_limit: RateLimitOption = True,
    **options: Any,
) -> AuthenticatedClient:
    """Return a ``binance_client.AuthenticatedClient`` whose signed requests are signed by :class:`BinanceAuth`.

    Give exactly one of ``api_secret`` (HMAC-SHA256) or ``private_key`` (unencrypted PKCS#8 Ed25519 PEM);
    ``ValueError`` otherwise. Public operations (server time) go out unsigned through the same client. The
    client never follows redirects, times out after ``timeout`` seconds and serves both ``sync*`` and
    ``asyncio*`` calls. Failures, retries (``max_retries``, ``backoff_base_s``, ``backoff_cap_s``,
    ``retry_after_cap_s``), clock re-sync, validation, ``rate_limit`` and ``gates`` work as in
    ``auth_plugins.backpack.make_client``. ``options`` go to the generated client.
    """
    auth = BinanceAuth(
        api_key, api_secret=api_secret, private_key=private_key, recv_window_ms=recv_window_ms, clock=clock
    )
    pem = private_key.decode("ascii", "replace") if isinstance(private_key, bytes) else private_key
    return _Client(
        base_url=base_url,
        token=MaskedKey(api_key),
        prefix="",
        auth_header_name="X-MBX-APIKEY",
        pipeline=pipeline(
            PROFILE,
            auth,
            clock,
            secrets=(api_key, api_secret, pem),
            max_retries=max_retries,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            retry_after_cap_s=retry_after_cap_s,
            gates=gates,
            api_key=api_key,
            rate_limit=rate_limit,
        ),
        **client_options(auth, timeout, options),
    )


def client_from_env(**options: Any) -> AuthenticatedClient:
    """:func:`make_client` from ``BINANCE_API_KEY`` and one of ``BINANCE_API_SECRET`` or ``BINANCE_PRIVATE_KEY_FILE``.

    ``ValueError`` names the missing variable; setting both secret variables is refused as ambiguous.
    ``base_url`` comes from ``BINANCE_BASE_URL`` when that is set and none is passed, ``rate_limit`` from
    ``EXCHANGE_CLIENTS_RATE_LIMIT`` (``0``, ``1`` or a Redis URL) likewise.
    """
    base_url_option("BINANCE_BASE_URL", options)
    rate_limit_option(options)
    api_key = require("BINANCE_API_KEY")
    try:
        api_secret: str | None = require("BINANCE_API_SECRET")
    except ValueError:
        api_secret = None
    try:
        key_file: str | None = require("BINANCE_PRIVATE_KEY_FILE")
    except ValueError:
        key_file = None
    if api_secret is None and key_file is None:
        raise ValueError("environment variable BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE is not set")
    if api_secret is not None and key_file is not None:
        raise ValueError("set only one of BINANCE_API_SECRET and BINANCE_PRIVATE_KEY_FILE")
    private_key = Path(key_file).read_bytes() if key_file is not None else None
    return make_client(api_key, api_secret=api_secret, private_key=private_key, **options)
