"""What the capacity tests share: sandbox answers with known figures, clients, and the requests the sandbox saw."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from auth_plugins.capacity import Capacity, amax_borrow, max_borrow
from auth_plugins.sandbox import RequestRecord, Sandbox
from tests._exchanges import EXCHANGES, FAST, NAMES

__all__ = [
    "ANSWERS",
    "EXPECTED",
    "answer_everything",
    "ask",
    "figures",
    "params",
    "sandbox_clients",
]

# Chosen answers (decimal strings as the exchanges send them), so every expected figure below is written here by
# hand and not taken from the code under test. Backpack's has more digits than a float holds.
ANSWERS: Final[dict[tuple[str, str], Any]] = {
    ("backpack", "get_max_borrow_quantity"): {"maxBorrowQuantity": "12.000000000000000001", "symbol": "BTC"},
    ("binance", "query_max_borrow"): {"amount": "0.00000001", "borrowLimit": "250"},
    ("okx", "get_max_loan"): {
        "code": "0",
        "msg": "",
        "data": [{"instId": "", "mgnMode": "cross", "mgnCcy": "", "maxLoan": "3.5", "ccy": "BTC", "side": ""}],
    },
    ("okx", "max_loan_amount"): {
        "code": "0",
        "msg": "",
        "data": [{"borrowCcy": "BTC", "maxLoan": "0.75", "notionalUsd": "50000.1", "remainingQuota": "1000000"}],
    },
}

EXPECTED: Final = [
    ("backpack", "margin", None, Decimal("12.000000000000000001"), None),
    ("binance", "cross-margin", None, Decimal("0.00000001"), Decimal("250")),
    ("binance", "isolated-margin", "BTCUSDT", Decimal("0.00000001"), Decimal("250")),
    ("okx", "margin", None, Decimal("3.5"), None),
    ("okx", "flexible-loan", None, Decimal("0.75"), Decimal("1000000")),
]
"""``(exchange, product, symbol, amount, limit)`` for BTC with the isolated pair BTCUSDT, after ANSWERS."""


_AUTH_PARAMETERS: Final = frozenset({"timestamp", "signature", "recvWindow"})


def answer_everything(sbx: Sandbox) -> None:
    """Make the sandbox answer every capacity operation with :data:`ANSWERS`."""
    for (exchange, operation_id), body in ANSWERS.items():
        sbx.respond(exchange, operation_id, body)


def figures(results: tuple[Capacity, ...]) -> list[tuple[str, str, str | None, Decimal | None, Decimal | None]]:
    """The results as :data:`EXPECTED` writes them."""
    return [(r.exchange, r.product, r.symbol, r.amount, r.limit) for r in results]


def sandbox_clients(sbx: Sandbox, names: tuple[str, ...] = NAMES, **options: Any) -> dict[str, Any]:
    """One client per exchange in ``names``, on the sandbox, with quick retries unless ``options`` say otherwise."""
    return {name: EXCHANGES[name].client(sbx, **{**FAST, **options}) for name in names}


def ask(mode: str, clients: Mapping[str, Any], asset: str = "BTC", **kwargs: Any) -> tuple[Capacity, ...]:
    """``max_borrow`` (``mode`` ``"sync"``) or ``amax_borrow`` (``"async"``) with ``clients`` entered and closed."""
    if mode == "sync":
        with contextlib.ExitStack() as stack:
            for client in clients.values():
                stack.enter_context(client)
            return max_borrow(asset, **clients, **kwargs)

    async def run() -> tuple[Capacity, ...]:
        async with contextlib.AsyncExitStack() as stack:
            for client in clients.values():
                await stack.enter_async_context(client)
            return await amax_borrow(asset, **clients, **kwargs)

    return asyncio.run(run())


def params(record: RequestRecord) -> dict[str, Any]:
    """What a recorded request asked: its query (without the auth parameters) and, for a JSON body, its fields."""
    query = parse_qsl(urlsplit(record.target).query)
    asked: dict[str, Any] = {name: value for name, value in query if name not in _AUTH_PARAMETERS}
    if record.body:
        asked.update(json.loads(record.body))
    return asked
