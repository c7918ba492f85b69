"""Signed Backpack clients: ``make_client`` from a secret, ``client_from_env`` from the environment."""

from typing import Any

import httpx
from backpack_client import AuthenticatedClient
from backpack_client.operations import SERVER_URL

from auth_plugins._clock import Clock
from auth_plugins._env import base_url_option, require
from auth_plugins._options import DEFAULT_TIMEOUT_S, MaskedKey, client_options
from auth_plugins.backpack._signer import BackpackAuth

__all__ = ["client_from_env", "make_client"]


def make_client(
    api_secret: str,
    *,
    base_url: str = SERVER_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
    window_ms: int = 5000,
    clock: Clock | None = None,
    **options: Any,
) -> AuthenticatedClient:
    """Return a ``backpack_client.AuthenticatedClient`` whose every request is signed by :class:`BackpackAuth`.

    ``api_secret`` is the base64 ED25519 seed (``ValueError`` if malformed). The client is loud
    (``raise_on_unexpected_status=True``), never follows redirects, times out after ``timeout`` seconds, and
    serves both ``sync*`` and ``asyncio*`` calls; use it as a context manager to close its connections.
    ``options`` go to the generated client (``headers``, ``verify_ssl``, ``httpx_args`` ...).
    """
    auth = BackpackAuth(api_secret, window_ms=window_ms, clock=clock)
    return AuthenticatedClient(
        base_url=base_url,
        token=MaskedKey(auth.api_key),
        prefix="",
        auth_header_name="X-API-Key",
        **client_options(auth, timeout, options),
    )


def client_from_env(**options: Any) -> AuthenticatedClient:
    """:func:`make_client` with the secret from ``BACKPACK_API_SECRET``; ``ValueError`` names it when missing.

    ``base_url`` comes from ``BACKPACK_BASE_URL`` when that is set and none is passed.
    """
    base_url_option("BACKPACK_BASE_URL", options)
    return make_client(require("BACKPACK_API_SECRET"), **options)
