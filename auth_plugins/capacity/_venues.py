"""The question each venue is asked: which generated operation, with which arguments, and how its answer reads.

A :class:`Query` is one call of one generated read-only operation; :meth:`Query.answer` turns the parsed answer
into a :class:`Capacity`. Every operation here only reads (``read_only`` in the generated table; checked when a
query is built), so nothing in this package can place, move or withdraw anything. The generated packages are
imported when a query for their exchange is built, not with this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any

from auth_plugins._generated import endpoint
from auth_plugins._generated import operation as generated_entry
from auth_plugins._operation import OperationInfo
from auth_plugins.capacity._results import Capacity
from auth_plugins.errors import ExchangeError, ResponseError

__all__ = [
    "NO_FLEXIBLE_LOAN_ORDER",
    "NoFigure",
    "Query",
    "backpack_margin",
    "backpack_withdrawal",
    "binance_margin",
    "okx_flexible_loan",
    "okx_margin",
]

Reader = Callable[["Query", Any], tuple[Decimal, Decimal | None]]
"""Reads ``(amount, limit)`` from a parsed answer; raises :class:`NoFigure` when the answer is that there is none,
:class:`ResponseError` when it does not say."""

NO_FLEXIBLE_LOAN_ORDER = "no flexible-loan order"
"""The note of an OKX flexible-loan result for an account without an order: OKX then answers with empty ``data``."""


class NoFigure(Exception):
    """A reader's way to say the venue answered, and its answer is that there is no figure; ``note`` says why."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


def _operation(exchange: str, operation_id: str) -> OperationInfo:
    entry = generated_entry(f"{exchange}_client", operation_id)
    if not entry.read_only:
        # Fail closed: a capacity query must never be an operation that changes anything.
        raise RuntimeError(f"{exchange} {operation_id} is not read-only; auth_plugins.capacity only reads")
    return entry


@dataclass(frozen=True, slots=True)
class Query:
    """One call of a read-only generated operation on one venue, and how to read its answer."""

    exchange: str
    product: str
    asset: str
    operation: OperationInfo
    arguments: Mapping[str, Any]
    reader: Reader
    symbol: str | None = None
    module: ModuleType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "module", endpoint(f"{self.exchange}_client", self.operation))

    @property
    def described(self) -> str:
        """``"METHOD /path"``, as errors name the operation."""
        return f"{self.operation.method} {self.operation.path}"

    def unreadable(self, reason: str) -> ResponseError:
        """The :class:`ResponseError` for a success answer that does not say what was asked (``reason``)."""
        return ResponseError(reason, operation=self.described, status=200)

    def answer(self, parsed: Any) -> Capacity:
        """The result for the parsed success answer: its figures, or no figure and a ``note`` saying why (OKX
        flexible loan without an order); :class:`ResponseError` if it does not answer the question."""
        try:
            amount, limit = self.reader(self, parsed)
        except NoFigure as none:
            return Capacity(
                self.exchange,
                self.product,
                self.asset,
                None,
                None,
                self.operation,
                None,
                self.symbol,
                parsed,
                none.note,
            )
        return Capacity(
            self.exchange, self.product, self.asset, amount, limit, self.operation, None, self.symbol, parsed
        )

    def failed(self, error: ExchangeError) -> Capacity:
        """The result carrying ``error``."""
        return Capacity(self.exchange, self.product, self.asset, None, None, self.operation, error, self.symbol)


def _same(answered: str, asked: str) -> bool:
    return answered.upper() == asked.upper()


def _echoed(query: Query, answered: str) -> None:
    """An answer for another asset than the one asked is a mix-up, never a figure to report."""
    if not _same(answered, query.asset):
        raise query.unreadable(f"answered for another asset than the one asked ({query.asset})")


def _optional_decimal(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _read_backpack_borrow(query: Query, parsed: Any) -> tuple[Decimal, Decimal | None]:
    _echoed(query, parsed.symbol)
    amount: Decimal = parsed.max_borrow_quantity
    return amount, None


def _read_backpack_withdrawal(query: Query, parsed: Any) -> tuple[Decimal, Decimal | None]:
    _echoed(query, parsed.symbol)
    amount: Decimal = parsed.max_withdrawal_quantity
    return amount, None


def _read_binance(query: Query, parsed: Any) -> tuple[Decimal, Decimal | None]:
    amount: Decimal = parsed.amount
    return amount, _optional_decimal(parsed.borrow_limit)


def _entries(query: Query, items: list[Any], currency: Callable[[Any], str]) -> list[Any]:
    found = [item for item in items if _same(currency(item), query.asset)]
    if not found:
        raise query.unreadable(f"the answer has no entry for {query.asset}")
    return found


def _read_okx_margin(query: Query, parsed: Any) -> tuple[Decimal, Decimal | None]:
    # In ccy mode OKX answers one entry for the currency; should it send several, the smallest is what can
    # certainly be borrowed, so the figure never overstates the capacity.
    entries = _entries(query, parsed.data, lambda item: item.ccy)
    amount: Decimal = min(item.max_loan for item in entries)
    return amount, None


def _read_okx_flexible(query: Query, parsed: Any) -> tuple[Decimal, Decimal | None]:
    if not parsed.data:
        # Documented: without ordId OKX answers for the account's oldest order, and with empty data when there is
        # none. That is an answer (nothing to borrow against), never an amount of 0 nor a malformed response.
        raise NoFigure(NO_FLEXIBLE_LOAN_ORDER)
    entries = _entries(query, parsed.data, lambda item: item.borrow_ccy)
    smallest = min(entries, key=lambda item: item.max_loan)
    return smallest.max_loan, smallest.remaining_quota


def backpack_margin(asset: str) -> Query:
    """Backpack margin borrow: ``get_max_borrow_quantity`` (``maxBorrowQuantity``; no limit is sent)."""
    operation = _operation("backpack", "get_max_borrow_quantity")
    return Query("backpack", "margin", asset, operation, {"symbol": asset}, _read_backpack_borrow)


def backpack_withdrawal(asset: str, *, auto_borrow: bool, auto_lend_redeem: bool) -> Query:
    """Backpack max withdrawal: ``get_max_withdrawal_quantity`` with both flags sent explicitly."""
    operation = _operation("backpack", "get_max_withdrawal_quantity")
    arguments = {"symbol": asset, "auto_borrow": auto_borrow, "auto_lend_redeem": auto_lend_redeem}
    return Query("backpack", "withdrawal", asset, operation, arguments, _read_backpack_withdrawal)


def binance_margin(asset: str, isolated_symbol: str | None = None) -> Query:
    """Binance ``query_max_borrow``: cross margin, or the isolated pair ``isolated_symbol`` (``amount``, and
    ``borrowLimit`` as the limit)."""
    operation = _operation("binance", "query_max_borrow")
    if isolated_symbol is None:
        return Query("binance", "cross-margin", asset, operation, {"asset": asset}, _read_binance)
    arguments = {"asset": asset, "isolated_symbol": isolated_symbol}
    return Query("binance", "isolated-margin", asset, operation, arguments, _read_binance, isolated_symbol)


def okx_margin(asset: str) -> Query:
    """OKX trading-account max loan of one currency: ``get_max_loan`` with ``mgnMode=cross&ccy=<asset>`` (the
    documented per-currency form, for manual borrowing in Spot mode); no limit is sent."""
    operation = _operation("okx", "get_max_loan")
    return Query("okx", "margin", asset, operation, {"mgn_mode": "cross", "ccy": asset}, _read_okx_margin)


def okx_flexible_loan(asset: str) -> Query:
    """OKX flexible loan: ``max_loan_amount`` with ``borrowCcy=<asset>`` (a POST that only reads), for the account's
    oldest order; the limit is ``remainingQuota``. An account without an order gets no amount and the note
    :data:`NO_FLEXIBLE_LOAN_ORDER`."""
    operation = _operation("okx", "max_loan_amount")
    request = importlib.import_module("okx_client.models").MaxLoanAmountRequest(borrow_ccy=asset)
    return Query("okx", "flexible-loan", asset, operation, {"body": request}, _read_okx_flexible)
