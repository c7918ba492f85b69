"""Signed OKX clients: ``make_client`` from credentials, ``client_from_env`` from the environment."""

from typing import Any

import httpx
from okx_client import AuthenticatedClient
from okx_client.operations import SERVER_URL

from auth_plugins._clock import Clock
from auth_plugins._env import base_url_option, flag, require
from auth_plugins._options import DEFAULT_TIMEOUT_S, MaskedKey, client_options
from auth_plugins.okx._signer import OkxAuth

__all__ = ["client_from_env", "make_client"]


def make_client(
    api_key: str,
    api_secret: str,
    passphrase: str,
    *,
    demo: bool = False,
    base_url: str = SERVER_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
    clock: Clock | None = None,
    **options: Any,
) -> AuthenticatedClient:
    """Return an ``okx_client.AuthenticatedClient`` whose signed requests are signed by :class:`OkxAuth`.

    Live trading is the default; ``demo=True`` marks every request for OKX demo trading (same host). The
    client is loud (``raise_on_unexpected_status=True``), never follows redirects, times out after
    ``timeout`` seconds and serves both ``sync*`` and ``asyncio*`` calls. ``options`` go to the generated
    client.
    """
    auth = OkxAuth(api_key, api_secret, passphrase, demo=demo, clock=clock)
    return AuthenticatedClient(
        base_url=base_url,
        token=MaskedKey(api_key),
        prefix="",
        auth_header_name="OK-ACCESS-KEY",
        **client_options(auth, timeout, options),
    )


def client_from_env(**options: Any) -> AuthenticatedClient:
    """:func:`make_client` from ``OKX_API_KEY``, ``OKX_API_SECRET``, ``OKX_PASSPHRASE`` and ``OKX_DEMO`` (0/1).

    ``ValueError`` names the first missing variable. ``base_url`` comes from ``OKX_BASE_URL`` when that is set and none
    is passed.
    """
    base_url_option("OKX_BASE_URL", options)
    return make_client(
        require("OKX_API_KEY"),
        require("OKX_API_SECRET"),
        require("OKX_PASSPHRASE"),
        demo=flag("OKX_DEMO"),
        **options,
    )
