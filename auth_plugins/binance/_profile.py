"""Binance's error table, error-body shape and server time, for the request pipeline.

Error bodies are ``{"code": <negative int>, "msg": "..."}``; codes from Binance's ``errors.md``
(binance-spot-api-docs), as summarised in exchanges.md section 2.3.
"""

from __future__ import annotations

from typing import Final

import httpx

from auth_plugins._generated import routes, server_url
from auth_plugins._profile import ExchangeProfile
from auth_plugins.errors import APIError, AuthenticationError, BadRequestError, RateLimitError, TimestampError

__all__ = ["PROFILE", "error_class"]

_CODES: Final[dict[int, type[APIError]]] = {
    -1003: RateLimitError,  # TOO_MANY_REQUESTS
    -1021: TimestampError,  # INVALID_TIMESTAMP: outside recvWindow, or 1000 ms ahead of the server
    -1022: AuthenticationError,  # INVALID_SIGNATURE
    -2014: AuthenticationError,  # BAD_API_KEY_FMT
    -2015: AuthenticationError,  # REJECTED_MBX_KEY: invalid key, IP or permissions
}


def error_class(status: int, code: int | str | None, message: str) -> type[APIError] | None:
    """Binance's table: the listed codes, then ``-1100..-1199`` (request issues) as bad requests; ``None`` falls
    back on the HTTP status."""
    if not isinstance(code, int):
        return None
    if code in _CODES:
        return _CODES[code]
    if -1199 <= code <= -1100:
        return BadRequestError
    return None


def _server_time(response: httpx.Response) -> int:
    value = response.json()["serverTime"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("serverTime is not an integer")
    return value


PROFILE: Final = ExchangeProfile(
    name="Binance",
    key="binance",
    package="binance_client",
    routes=routes("binance_client"),
    server_url=server_url("binance_client"),
    api_key_header="X-MBX-APIKEY",
    error_table=error_class,
    message_key="msg",
    success_code=None,
    server_time=("GET", "/api/v3/time"),
    parse_server_time=_server_time,
)
