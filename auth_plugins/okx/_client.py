"""Signed OKX clients: ``make_client`` from credentials, ``client_from_env`` from the environment."""

from typing import Unpack

from okx_client import AuthenticatedClient

from auth_plugins._env import flag, require
from auth_plugins._factory import ClientOptions, build_client, options_from_env
from auth_plugins._secrets import MaskedKey, Secret
from auth_plugins.errors import ConfigurationError
from auth_plugins.okx._profile import PROFILE
from auth_plugins.okx._signer import OkxAuth

__all__ = ["client_from_env", "make_client"]


def make_client(
    *,
    api_key: str,
    api_secret: str,
    passphrase: str,
    demo: bool = False,
    **options: Unpack[ClientOptions],
) -> AuthenticatedClient:
    """An ``okx_client.AuthenticatedClient`` whose signed requests are signed by :class:`OkxAuth`.

    Live trading is the default; ``demo=True`` marks every request for OKX demo trading (same host; demo keys
    are separate keys). An answer whose ``code`` is not ``"0"`` raises, whatever its HTTP status. ``options``,
    failures and retries as in ``auth_plugins.backpack.make_client``.
    """
    api_key, api_secret, passphrase = MaskedKey(api_key), Secret(api_secret), Secret(passphrase)
    if not isinstance(demo, bool):
        raise ConfigurationError("demo must be True or False")
    try:
        auth = OkxAuth(api_key, api_secret, passphrase, demo=demo, clock=options.get("clock"))
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    return build_client(
        AuthenticatedClient, PROFILE, auth, api_key=api_key, secrets=(api_secret, passphrase), options=options
    )


def client_from_env(**options: Unpack[ClientOptions]) -> AuthenticatedClient:
    """:func:`make_client` from ``OKX_API_KEY``, ``OKX_API_SECRET``, ``OKX_PASSPHRASE`` and ``OKX_DEMO`` (0/1).
    ``base_url`` comes from ``OKX_BASE_URL`` when that is set and none is passed, and ``rate_limit`` from
    ``EXCHANGE_CLIENTS_RATE_LIMIT`` (``1``, ``0`` or a Redis URL), ``rate_limit_account`` and
    ``rate_limit_master_account`` from ``EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT`` and
    ``EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT``. :class:`~auth_plugins.ConfigurationError` names a missing or
    malformed variable, never its value."""
    credentials = {
        "api_key": require("OKX_API_KEY"),
        "api_secret": Secret(require("OKX_API_SECRET")),
        "passphrase": Secret(require("OKX_PASSPHRASE")),
    }
    demo = flag("OKX_DEMO")
    options = options_from_env("okx", options)
    return make_client(**credentials, demo=demo, **options)
