"""OKX v5: HMAC-SHA256 request signing."""

from auth_plugins.okx._client import client_from_env, make_client
from auth_plugins.okx._signer import OkxAuth

__all__ = ["OkxAuth", "client_from_env", "make_client"]
