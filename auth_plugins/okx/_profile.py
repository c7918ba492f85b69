"""OKX's error table, envelope and server time, for the request pipeline.

Every answer is ``{"code": "<digits>", "msg": "...", "data": [...]}``; ``code`` is ``"0"`` on success, and
business errors usually arrive with HTTP 200. Codes from OKX's "REST API Error Code 50000-59999"
(exchanges.md section 3.4).
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
    "50001": ServiceUnavailableError,  # service temporarily unavailable (HTTP 503)
    # Endpoint request timeout: "does not indicate success or failure"; documented with HTTP 400.
    "50004": ServiceUnavailableError,
    "50011": RateLimitError,  # rate limit reached (HTTP 200 or 429)
    "50013": RateLimitError,  # systems are busy (HTTP 429)
    "50014": BadRequestError,  # parameter can not be empty
    "50061": RateLimitError,  # sub-account order rate limit (HTTP 200)
    "50102": TimestampError,  # timestamp request expired
    "50112": TimestampError,  # invalid OK-ACCESS-TIMESTAMP
    "51000": BadRequestError,  # parameter error
    # 50101..50114 but 50102 and 50112: key, passphrase, IP whitelist, signature, environment (HTTP 401).
    **{str(code): AuthenticationError for code in range(50101, 50115) if code not in (50102, 50112)},
}


def error_class(status: int, code: int | str | None, message: str) -> type[APIError] | None:
    """OKX's table, keyed on the string code; ``None`` falls back on the HTTP status (for a 2xx: plain
    :class:`~auth_plugins.errors.APIError`)."""
    return _CODES.get(code) if isinstance(code, str) else None


def _server_time(response: httpx.Response) -> int:
    value = response.json()["data"][0]["ts"]
    if not isinstance(value, str) or not value.isdecimal() or not value.isascii():
        raise ValueError("data[0].ts is not a decimal string of milliseconds")
    return int(value)


PROFILE: Final = ExchangeProfile(
    name="OKX",
    key="okx",
    package="okx_client",
    routes=routes("okx_client"),
    server_url=server_url("okx_client"),
    api_key_header="OK-ACCESS-KEY",
    error_table=error_class,
    message_key="msg",
    success_code="0",
    server_time=("GET", "/api/v5/public/time"),
    parse_server_time=_server_time,
)
