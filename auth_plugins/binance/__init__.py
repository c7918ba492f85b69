"""Binance: HMAC-SHA256 or Ed25519 request signing."""

from auth_plugins.binance._client import client_from_env, make_client
from auth_plugins.binance._signer import BinanceAuth

__all__ = ["BinanceAuth", "client_from_env", "make_client"]
