"""Each exchange's error answers: codes, HTTP statuses and body shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "DEFAULT_FAILURES",
    "Problem",
    "Rejection",
    "failure",
    "for_problem",
    "internal_error",
    "not_found",
    "rate_limited",
    "render",
]

ProblemKind = Literal["missing", "empty", "invalid", "unknown", "duplicate", "malformed_body"]

_DEFAULT_CONTENT_TYPE: Final = {
    "backpack": "application/json; charset=utf-8",
    "binance": "application/json",
    "okx": "application/json",
}


@dataclass(frozen=True)
class Problem:
    """One way a request deviates from its operation's spec, before any exchange wording.

    ``name`` is the parameter or body field concerned (empty for a body that cannot be read at all).
    """

    kind: ProblemKind
    name: str
    detail: str


@dataclass(frozen=True)
class Rejection:
    """An error answer: HTTP ``status``, the exchange's ``code`` and ``message``, and extra ``headers``."""

    status: int
    code: int | str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """The code as the request log records it."""
        return str(self.code)


def render(exchange: str, rejection: Rejection) -> tuple[bytes, str]:
    """The body bytes and default content type of ``rejection`` in ``exchange``'s error shape.

    Backpack ``{"code": "<NAME>", "message"}``; Binance ``{"code": <negative int>, "msg"}``;
    OKX ``{"code": "<digits>", "msg", "data": []}``.
    """
    body: dict[str, object]
    if exchange == "backpack":
        body = {"code": rejection.code, "message": rejection.message}
    elif exchange == "binance":
        body = {"code": rejection.code, "msg": rejection.message}
    else:
        body = {"code": rejection.code, "msg": rejection.message, "data": []}
    return json.dumps(body, separators=(",", ":")).encode("utf-8"), _DEFAULT_CONTENT_TYPE[exchange]


def for_problem(exchange: str, problem: Problem) -> Rejection:
    """The 400 answer ``exchange`` gives for a request that deviates from the spec as ``problem`` says."""
    name, kind = problem.name, problem.kind
    if exchange == "backpack":
        return Rejection(400, "INVALID_CLIENT_REQUEST", problem.detail)
    if exchange == "binance":
        if kind in ("missing", "empty"):
            return Rejection(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
        if kind == "duplicate":
            return Rejection(400, -1101, f"Duplicate values for a parameter detected: '{name}'.")
        if kind == "unknown":
            return Rejection(400, -1104, f"Not all sent parameters were read; unknown parameter '{name}'.")
        return Rejection(400, -1100, f"Illegal characters found in parameter '{name or 'body'}'.")
    if kind == "malformed_body":
        return Rejection(400, "50002", "Json data format error")
    if kind in ("missing", "empty"):
        return Rejection(400, "50014", f"Parameter {name} can not be empty")
    return Rejection(400, "51000", f"Parameter {name} error")


def not_found(exchange: str, method: str, path: str) -> Rejection:
    """The 404 answer for a method and path the spec does not serve."""
    if exchange == "backpack":
        return Rejection(404, "RESOURCE_NOT_FOUND", f"No route for {method} {path}")
    if exchange == "binance":
        # Binance documents no code for an unknown endpoint; -1000 is its generic UNKNOWN error.
        return Rejection(404, -1000, f"No route for {method} {path}")
    return Rejection(404, "404", "Not Found")


def rate_limited(exchange: str, retry_after_ms: int) -> Rejection:
    """The 429 answer for a request over its documented rate limit; Binance adds ``Retry-After`` (seconds)."""
    if exchange == "backpack":
        return Rejection(429, "TOO_MANY_REQUESTS", "Too many requests")
    if exchange == "binance":
        seconds = max(1, -(-retry_after_ms // 1000))
        return Rejection(
            429,
            -1003,
            "Too much request weight used; current limit exceeded. Please use WebSocket Streams for live updates.",
            {"Retry-After": str(seconds)},
        )
    return Rejection(429, "50011", "Too Many Requests")


DEFAULT_FAILURES: Final[dict[str, dict[int, tuple[int | str, str]]]] = {
    # Backpack's ApiErrorCode names (exchanges.md 1.1); messages as its servers word them.
    "backpack": {
        400: ("INVALID_CLIENT_REQUEST", "Invalid request"),
        401: ("UNAUTHORIZED", "Unauthorized"),
        403: ("FORBIDDEN", "Forbidden"),
        404: ("RESOURCE_NOT_FOUND", "Resource not found"),
        429: ("TOO_MANY_REQUESTS", "Too many requests"),
        500: ("SERVER_ERROR", "Internal server error"),
        503: ("MAINTENANCE", "Service unavailable"),
        504: ("TIMEOUT", "Request timed out"),
    },
    # Binance's errors.md (exchanges.md 2.3).
    "binance": {
        400: (-1100, "Illegal characters found in a parameter."),
        401: (-2015, "Invalid API-key, IP, or permissions for action."),
        418: (-1003, "Way too much request weight used; IP banned until further notice."),
        429: (
            -1003,
            "Too much request weight used; current limit exceeded. Please use WebSocket Streams for live updates.",
        ),
        500: (-1001, "Internal error; unable to process your request. Please try again."),
        503: (-1008, "Server is currently overloaded with other requests. Please try again in a few minutes."),
        504: (
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        ),
    },
    # OKX's "REST API Error Code 50000-59999" (exchanges.md 3.4).
    "okx": {
        400: ("51000", "Parameter error"),
        401: ("50113", "Invalid Sign"),
        405: ("50115", "Invalid request method."),
        429: ("50011", "Too Many Requests"),
        500: ("50026", "System error. Try again later."),
        503: ("50001", "Service temporarily unavailable. Try again later."),
    },
}
"""The code and message ``failure`` answers with per exchange and HTTP status when the caller gives none."""


def failure(exchange: str, status: int, code: int | str | None = None, message: str | None = None) -> Rejection:
    """A ``status`` error of ``exchange`` with ``code`` and ``message``, defaulting to ``DEFAULT_FAILURES``.

    The code must have the exchange's type: Backpack a non-empty name, Binance a negative ``int``, OKX a string
    of digits (an ``int`` is turned into one). ``ValueError`` for a status outside 400-599, a code of the wrong
    type, or a status without a default when no ``code`` is given.
    """
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"status {status!r} is not an HTTP error status (400-599)")
    defaults = DEFAULT_FAILURES[exchange]
    if code is None:
        if status not in defaults:
            known = ", ".join(str(s) for s in defaults)
            raise ValueError(
                f"{exchange} has no default error code for HTTP {status} (defaults for {known}); pass code="
            )
        code, default_message = defaults[status]
    else:
        default_message = next((m for c, m in defaults.values() if c == code), f"HTTP {status}")
    if exchange == "binance":
        if isinstance(code, bool) or not isinstance(code, int) or code >= 0:
            raise ValueError(f"a Binance error code is a negative int, not {code!r}")
    elif exchange == "okx":
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code.isascii() or not code.isdecimal():
            raise ValueError(f"an OKX error code is a string of digits such as '50011', not {code!r}")
    elif not isinstance(code, str) or not code:
        raise ValueError(f"a Backpack error code is a name such as 'TOO_MANY_REQUESTS', not {code!r}")
    if message is not None and not isinstance(message, str):
        raise ValueError(f"message must be a string, not {type(message).__name__}")
    return Rejection(status, code, default_message if message is None else message)


def internal_error(exchange: str) -> Rejection:
    """The 500 answer for a request the sandbox itself failed on (a sandbox bug, also kept as a violation)."""
    return failure(exchange, 500)
