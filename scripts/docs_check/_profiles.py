"""What each exchange's spec files share that no single page states: where errors are documented, which
parameters the auth hook adds, and the budgets behind a page's weight (facts from each exchange's general
pages, ../shared/doc-samples/general). Data only; scripts/docs_check/_draft.py writes it into drafts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PROFILES", "Profile", "binance_rate_limit"]


@dataclass(frozen=True)
class Profile:
    """One exchange as the spec files write it.

    ``error_docs`` is the page documenting the 401 and 429 answers (``x-documented-on``); ``auth_parameters``
    are the page parameters the auth hook adds (written to ``x-signing.auth-parameters``, not
    ``parameters``); ``envelope`` the key holding the documented items of a success body (OKX's ``data``);
    ``tags`` maps a source URL's section to the tag (the import path). ``errors`` are the statuses the
    exchange answers any request with (400 and 401 only signed ones), as ``(status, description)``: the
    sandbox answers them too, so every endpoint documents them. ``parameter_facts`` are schema keywords of
    a parameter that the exchange's general pages state once for all endpoints.
    """

    error_docs: str
    errors: tuple[tuple[str, str], ...] = ()
    auth_parameters: tuple[str, ...] = ()
    envelope: str | None = None
    media_type: str = "application/json"
    parameter_facts: dict[str, dict[str, int]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "backpack": Profile(
        error_docs="https://docs.backpack.exchange/#section/Authentication",
        errors=(
            ("400", "Bad request (INVALID_CLIENT_REQUEST)."),
            ("401", "Missing or invalid signature, API key or timestamp (UNAUTHORIZED)."),
            ("429", "Too many requests."),
            ("500", "Internal server error."),
            ("503", "Service unavailable."),
        ),
        auth_parameters=("X-API-KEY", "X-SIGNATURE", "X-TIMESTAMP", "X-WINDOW"),
        media_type="application/json; charset=utf-8",
    ),
    "binance": Profile(
        error_docs="https://developers.binance.com/docs/binance-spot-api-docs/errors",
        errors=(
            ("400", "Malformed or rejected request (for example -1021, -1022, -11xx)."),
            ("401", "Invalid API key, IP, or permissions for action (-2014, -2015)."),
            ("429", "Request weight limit exceeded (-1003); `Retry-After` gives the wait in seconds."),
            ("500", "Internal error; the execution status is unknown."),
            ("503", "Service unavailable; the execution status is unknown."),
        ),
        auth_parameters=("timestamp", "signature"),
        # recvWindow is a positive number of milliseconds (general info); pages state only its maximum.
        parameter_facts={"recvWindow": {"minimum": 1}},
        tags={"margin_trading": "margin", "wallet": "wallet", "sub_account": "sub_account", "convert": "convert"},
    ),
    "okx": Profile(
        error_docs="https://www.okx.com/docs-v5/en/#error-code-rest-api",
        errors=(
            ("400", "Bad request (for example 51000 parameter error, 50014 parameter empty)."),
            (
                "401",
                "Authentication failed (50101-50114, for example 50102 timestamp expired, 50113 invalid signature).",
            ),
            ("429", "Too many requests (50011, 50013)."),
            ("500", "Internal server error (50026)."),
            ("503", "Service temporarily unavailable (50001)."),
        ),
        envelope="data",
        tags={
            "trading-account": "account",
            "financial-product-flexible-loan": "flexible_loan",
            "financial-product-savings": "savings",
            "public-data": "public_data",
            "funding-account": "funding",
            "sub-account": "sub_account",
            "order-book-trading-trade": "trade",
            "order-book-trading-market-data": "market",
        },
    ),
}

# Binance's general info: every /sapi/* endpoint has its own budget, 12,000 weight a minute per IP or
# 180,000 per UID (account), counted in these response headers; /api/* endpoints share one IP pool.
_SAPI = {
    "ip": {"limit": 12000, "window-ms": 60000, "keyed-on": "ip", "used-weight-header": "X-SAPI-USED-IP-WEIGHT-1M"},
    "account": {
        "limit": 180000,
        "window-ms": 60000,
        "keyed-on": "account",
        "used-weight-header": "X-SAPI-USED-UID-WEIGHT-1M",
    },
}
API_POOL = "api-ip-weight"


def binance_rate_limit(path: str, keyed_on: str, weight: int) -> dict[str, Any]:
    """The ``x-rate-limit`` of a Binance endpoint whose page states ``weight`` keyed on ``keyed_on``."""
    if path.startswith("/sapi/") and keyed_on in _SAPI:
        budget = _SAPI[keyed_on]
        return {"limit": budget["limit"], "window-ms": budget["window-ms"], "keyed-on": keyed_on, "weight": weight,
                "used-weight-header": budget["used-weight-header"]}  # fmt: skip
    return {"pool": API_POOL, "weight": weight}
