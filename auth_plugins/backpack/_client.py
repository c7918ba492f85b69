"""Signed Backpack clients: ``make_client`` from a secret, ``client_from_env`` from the environment."""

from typing import Unpack

from backpack_client import AuthenticatedClient

from auth_plugins._env import optional, require
from auth_plugins._factory import ClientOptions, build_client, options_from_env
from auth_plugins._keys import decode_ed25519_seed_b64
from auth_plugins._secrets import Secret
from auth_plugins.backpack._profile import PROFILE
from auth_plugins.backpack._signer import BackpackAuth
from auth_plugins.errors import ConfigurationError

__all__ = ["client_from_env", "make_client"]


def make_client(
    *,
    api_secret: str,
    api_key: str | None = None,
    window_ms: int = 5000,
    **options: Unpack[ClientOptions],
) -> AuthenticatedClient:
    """A ``backpack_client.AuthenticatedClient`` whose every request is signed by :class:`BackpackAuth`.

    ``api_secret`` is the base64 of the 32-byte ED25519 seed; the API key is derived from it (``api_key``, when
    given, must equal it: a check that the two belong together). ``window_ms`` (1..60000) is sent as
    ``X-Window``. ``options`` are :class:`~auth_plugins._factory.ClientOptions` (``base_url``, ``timeout``,
    ``retry``, ``rate_limit`` ...). Every failure raises an ``auth_plugins.ExchangeError``, never an error body
    returned as data; bad arguments raise ``auth_plugins.ConfigurationError`` here and
    ``auth_plugins.InvalidParameterError`` at call time, before anything is sent. Use the client as a context
    manager (``with`` or ``async with``) to close its connections.
    """
    api_secret = Secret(api_secret) if isinstance(api_secret, str) else api_secret
    try:
        auth = BackpackAuth(api_secret, window_ms=window_ms, clock=options.get("clock"))
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    if api_key is not None and api_key != auth.api_key:
        raise ConfigurationError("api_key is not the public key of api_secret (Backpack derives it from the seed)")
    return build_client(
        AuthenticatedClient, PROFILE, auth, api_key=auth.api_key, secrets=(api_secret,), options=options
    )


def client_from_env(**options: Unpack[ClientOptions]) -> AuthenticatedClient:
    """:func:`make_client` with the secret from ``BACKPACK_API_SECRET`` (and, if set, ``BACKPACK_API_KEY`` as the
    check). ``base_url`` comes from ``BACKPACK_BASE_URL`` when that is set and none is passed, and ``rate_limit``
    from ``EXCHANGE_CLIENTS_RATE_LIMIT`` (``1``, ``0`` or a Redis URL), ``rate_limit_account`` and
    ``rate_limit_master_account`` from ``EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT`` and
    ``EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT``. :class:`~auth_plugins.ConfigurationError` names a missing or
    malformed variable, never its value."""
    secret = Secret(require("BACKPACK_API_SECRET", decode_ed25519_seed_b64))
    options = options_from_env("backpack", options)
    return make_client(api_secret=secret, api_key=optional("BACKPACK_API_KEY"), **options)
