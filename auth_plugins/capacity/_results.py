"""What one venue answered: :class:`Capacity`, a frozen, typed result per exchange and product."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from auth_plugins._operation import OperationInfo
from auth_plugins.errors import APIError, ExchangeError

__all__ = ["Capacity", "decimal_text"]


def decimal_text(value: Decimal | None) -> str | None:
    """``value`` as an exact plain decimal string (``"12.000000000000000001"``, never ``"1.2E+1"``), or ``None``."""
    return None if value is None else format(value, "f")


@dataclass(frozen=True, slots=True)
class Capacity:
    """How much of ``asset`` the account can take out of one venue and product right now.

    - ``exchange``: ``"backpack"``, ``"binance"`` or ``"okx"``.
    - ``product``: ``"margin"`` (Backpack margin borrow; OKX trading-account max loan in ``ccy`` mode),
      ``"cross-margin"`` and ``"isolated-margin"`` (Binance), ``"flexible-loan"`` (OKX) or ``"withdrawal"``
      (Backpack max withdrawal).
    - ``asset``: the currency asked about, as asked; ``symbol``: the isolated margin pair (``"BTCUSDT"``) for
      ``"isolated-margin"``, else ``None``.
    - ``amount``: the exchange's figure, exact (``Decimal``); ``None`` exactly when ``error`` or ``note`` is set.
    - ``limit``: the documented limit or quota the exchange sends with it, where it sends one: Binance's
      ``borrowLimit`` (the account level's cap), OKX flexible loan's ``remainingQuota``; else ``None``.
    - ``operation``: the generated operation used, its table entry (``<exchange>_client.entries.<operationId>``)
      (``operation_id``, ``method``, ``path``, ``tag``, ``read_only`` ...).
    - ``error``: the typed :class:`~auth_plugins.ExchangeError` when this venue failed (the other venues of the
      same call still answer), else ``None``.
    - ``note``: why a venue that answered gave no figure, else ``None``: ``"no flexible-loan order"`` (OKX
      answers an account without a flexible-loan order with empty ``data``). Never an amount of 0, never an error.
    - ``response``: the parsed answer (the generated model, e.g. ``binance_client.models.MaxBorrowable``) when
      there is one; left out of comparisons and of the ``repr``.
    """

    exchange: str
    product: str
    asset: str
    amount: Decimal | None
    limit: Decimal | None
    operation: OperationInfo
    error: ExchangeError | None = None
    symbol: str | None = None
    response: Any = field(default=None, compare=False, repr=False)
    note: str | None = None

    def __repr__(self) -> str:
        # The operation by its id: the whole table entry (parameters, response fields) would drown the figures.
        return (
            f"Capacity(exchange={self.exchange!r}, product={self.product!r}, asset={self.asset!r}, "
            f"amount={self.amount!r}, limit={self.limit!r}, operation={self.operation.operation_id!r}, "
            f"error={self.error!r}, symbol={self.symbol!r}{'' if self.note is None else f', note={self.note!r}'})"
        )

    @property
    def ok(self) -> bool:
        """Whether the venue answered (``error`` is not set; ``amount`` is, unless ``note`` says why not)."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``exchange``, ``product``, ``asset``, ``symbol``, ``amount`` and ``limit`` (exact
        decimal strings or ``None``), ``operation`` (its operationId), ``error``: ``None``, or ``class``,
        ``status`` (HTTP, ``None`` for a transport failure), ``code`` (the exchange's, as sent) and ``message``, and
        ``note`` (why there is no amount, or ``None``)."""
        error: dict[str, Any] | None = None
        if self.error is not None:
            api = self.error if isinstance(self.error, APIError) else None
            error = {
                "class": type(self.error).__name__,
                "status": None if api is None else api.status,
                "code": None if api is None else api.code,
                "message": self.error.message,
            }
        return {
            "exchange": self.exchange,
            "product": self.product,
            "asset": self.asset,
            "symbol": self.symbol,
            "amount": decimal_text(self.amount),
            "limit": decimal_text(self.limit),
            "operation": self.operation.operation_id,
            "error": error,
            "note": self.note,
        }
