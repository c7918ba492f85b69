"""Backpack Exchange: ED25519 request signing."""

from auth_plugins.backpack._client import client_from_env, make_client
from auth_plugins.backpack._signer import BackpackAuth

__all__ = ["BackpackAuth", "client_from_env", "make_client"]
