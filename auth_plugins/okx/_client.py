"""Signed OKX clients: ``make_client`` from credentials, ``client_from_env`` from the environment."""

from collections.abc import Sequence
from typing import Any

import httpx
from attrs import define, field
from okx_client import AuthenticatedClient
from okx_client.operations import SERVER_URL

from auth_plugins._clock import Clock
from auth_plugins._env import base_url_option, flag, require
from auth_plugins._gates import RequestGate
from auth_plugins._options import DEFAULT_TIMEOUT_S, MaskedKey, client_options, pipeline
from auth_plugins._pipeline import Pipeline
from auth_plugins._ratelimit import RateLimitOption, rate_limit_option
from auth_plugins._retry import DEFAULT_RETRY
from auth_plugins._signed_client import PipelineClientMixin
from auth_plugins.okx._profile import PROFILE
from auth_plugins.okx._signer import OkxAuth

__all__ = ["client_from_env", "make_client"]


@define
class _Client(PipelineClientMixin, AuthenticatedClient):
    _pipeline: Pipeline = field(kw_only=True, alias="pipeline", repr=False)


def make_client(
    api_key: str,
    api_secret: str,
    passphrase: str,
    *,
    demo: bool = False,
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
    """Return an ``okx_client.AuthenticatedClient`` whose signed requests are signed by :class:`OkxAuth`.

    Live trading is the default; ``demo=True`` marks every request for OKX demo trading (same host). The
    client never follows redirects, times out after ``timeout`` seconds and serves both ``sync*`` and
    ``asyncio*`` calls. An answer whose ``code`` is not ``"0"`` raises, whatever its HTTP status. Failures,
    retries (``max_retries``, ``backoff_base_s``, ``backoff_cap_s``, ``retry_after_cap_s``), clock re-sync,
    validation, ``rate_limit`` and ``gates`` work as in ``auth_plugins.backpack.make_client``. ``options`` go
    to the generated client.
    """
    auth = OkxAuth(api_key, api_secret, passphrase, demo=demo, clock=clock)
    return _Client(
        base_url=base_url,
        token=MaskedKey(api_key),
        prefix="",
        auth_header_name="OK-ACCESS-KEY",
        pipeline=pipeline(
            PROFILE,
            auth,
            clock,
            secrets=(api_key, api_secret, passphrase),
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
    """:func:`make_client` from ``OKX_API_KEY``, ``OKX_API_SECRET``, ``OKX_PASSPHRASE`` and ``OKX_DEMO`` (0/1).

    ``ValueError`` names the first missing variable. ``base_url`` comes from ``OKX_BASE_URL`` when that is set and none
    is passed, ``rate_limit`` from ``EXCHANGE_CLIENTS_RATE_LIMIT`` (``0``, ``1`` or a Redis URL) likewise.
    """
    base_url_option("OKX_BASE_URL", options)
    rate_limit_option(options)
    return make_client(
        require("OKX_API_KEY"),
        require("OKX_API_SECRET"),
        require("OKX_PASSPHRASE"),
        demo=flag("OKX_DEMO"),
        **options,
    )
