"""Backpack's error table, error-body shape and server time, for the request pipeline.

Error bodies are ``{"code": "<NAME>", "message": "..."}`` (Backpack changelog 2024-10-15: "Convert all error
responses to JSON and add a error code"); before that change they were plain text. An expired request has
no code of its own: Backpack answers 401, historically with the text "Request has expired" (GitHub issue
catsats/backpack_exchange#16), today ``UNAUTHORIZED`` with that message, as the sandbox does. So a 401
whose message mentions "expired" is a timestamp error, not an authentication error.
"""

from __future__ import annotations

from typing import Final

import httpx

from auth_plugins._generated import routes, server_url
from auth_plugins._profile import ExchangeProfile
from auth_plugins.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServiceUnavailableError,
    TimestampError,
)

__all__ = ["PROFILE", "error_class"]

_CODES: Final[dict[str, type[APIError]]] = {
    "UNAUTHORIZED": AuthenticationError,
    "INVALID_SIGNATURE": AuthenticationError,
    "FORBIDDEN": AuthenticationError,
    "TOO_MANY_REQUESTS": RateLimitError,
    "MAINTENANCE": ServiceUnavailableError,
}


def error_class(status: int, code: int | str | None, message: str) -> type[APIError] | None:
    """Backpack's table: expired requests, then the code (``INVALID_*`` are bad requests); ``None`` falls back
    on the HTTP status."""
    if status == 401 and code in ("UNAUTHORIZED", None) and "expired" in message.lower():
        return TimestampError
    if not isinstance(code, str):
        return None
    if code in _CODES:
        return _CODES[code]
    if code.startswith("INVALID_"):
        return BadRequestError
    return None


def _server_time(response: httpx.Response) -> int:
    text = response.text.strip()
    if not text.isdecimal() or not text.isascii():
        raise ValueError("server time is not a decimal number of milliseconds")
    return int(text)


PROFILE: Final = ExchangeProfile(
    name="Backpack",
    key="backpack",
    package="backpack_client",
    routes=routes("backpack_client"),
    server_url=server_url("backpack_client"),
    api_key_header="X-API-Key",
    error_table=error_class,
    message_key="message",
    success_code=None,
    server_time=("GET", "/api/v1/time"),
    parse_server_time=_server_time,
)
