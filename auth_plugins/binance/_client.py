"""Signed Binance clients: ``make_client`` from credentials, ``client_from_env`` from the environment."""

from pathlib import Path
from typing import Unpack

from binance_client import AuthenticatedClient

from auth_plugins._env import optional, require
from auth_plugins._factory import ClientOptions, build_client, options_from_env
from auth_plugins._keys import load_ed25519_pkcs8_pem
from auth_plugins._secrets import MaskedKey, Secret
from auth_plugins.binance._profile import PROFILE
from auth_plugins.binance._signer import BinanceAuth
from auth_plugins.errors import ConfigurationError

__all__ = ["client_from_env", "make_client"]


def _pem_text(private_key: str | bytes | None) -> Secret | None:
    if private_key is None:
        return None
    if isinstance(private_key, bytes):
        try:
            private_key = private_key.decode("ascii")
        except UnicodeDecodeError:
            raise ConfigurationError("private_key: PEM is not ASCII text") from None
    return Secret(private_key)


def make_client(
    *,
    api_key: str,
    api_secret: str | None = None,
    private_key: str | bytes | None = None,
    recv_window_ms: int | None = None,
    **options: Unpack[ClientOptions],
) -> AuthenticatedClient:
    """A ``binance_client.AuthenticatedClient`` whose signed requests are signed by :class:`BinanceAuth`.

    Give exactly one of ``api_secret`` (HMAC-SHA256) or ``private_key`` (an unencrypted PKCS#8 Ed25519 PEM, text
    or bytes). Public operations (server time) go out unsigned through the same client. ``options``, failures
    and retries as in ``auth_plugins.backpack.make_client``.
    """
    api_key = MaskedKey(api_key)
    secret = Secret(api_secret) if isinstance(api_secret, str) else api_secret
    pem = _pem_text(private_key)
    try:
        auth = BinanceAuth(
            api_key, api_secret=secret, private_key=pem, recv_window_ms=recv_window_ms, clock=options.get("clock")
        )
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    return build_client(AuthenticatedClient, PROFILE, auth, api_key=api_key, secrets=(secret, pem), options=options)


def client_from_env(**options: Unpack[ClientOptions]) -> AuthenticatedClient:
    """:func:`make_client` from ``BINANCE_API_KEY`` and one of ``BINANCE_API_SECRET`` (HMAC) or
    ``BINANCE_PRIVATE_KEY_FILE`` (path to an Ed25519 PEM); both at once is refused as ambiguous. ``base_url`` comes
    from ``BINANCE_BASE_URL`` when that is set and none is passed, and ``rate_limit`` from
    ``EXCHANGE_CLIENTS_RATE_LIMIT`` (``1``, ``0`` or a Redis URL), ``rate_limit_account`` and
    ``rate_limit_master_account`` from ``EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT`` and
    ``EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT``. :class:`~auth_plugins.ConfigurationError` names a missing or
    malformed variable, never its value."""
    api_key = require("BINANCE_API_KEY")
    secret, key_file = optional("BINANCE_API_SECRET"), optional("BINANCE_PRIVATE_KEY_FILE")
    if secret is None and key_file is None:
        raise ConfigurationError("environment variable BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE is not set")
    if secret is not None and key_file is not None:
        raise ConfigurationError("set only one of BINANCE_API_SECRET and BINANCE_PRIVATE_KEY_FILE")
    pem: Secret | None = None
    if key_file is not None:
        try:
            pem = Secret(Path(key_file).read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not ASCII text"
            raise ConfigurationError(
                f"environment variable BINANCE_PRIVATE_KEY_FILE: cannot read it ({reason})"
            ) from None
        try:
            load_ed25519_pkcs8_pem(pem)
        except ValueError as error:
            raise ConfigurationError(f"environment variable BINANCE_PRIVATE_KEY_FILE: {error}") from None
    options = options_from_env("binance", options)
    return make_client(api_key=api_key, api_secret=Secret(secret) if secret else None, private_key=pem, **options)
