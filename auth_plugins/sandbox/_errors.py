"""Each exchange's error answers: codes, HTTP statuses and body shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = ["Problem", "Rejection", "for_problem", "not_found", "rate_limited", "render"]

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
