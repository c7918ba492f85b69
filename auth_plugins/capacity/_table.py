"""Results as an aligned plain-text table, amounts exact and lined up on the decimal point."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from auth_plugins.capacity._results import Capacity, decimal_text
from auth_plugins.errors import APIError, ExchangeError

__all__ = ["describe_error", "render_table"]

_HEADERS: Final = ("exchange", "product", "asset", "amount", "limit", "result")


def describe_error(error: ExchangeError) -> str:
    """One line naming the error's class, HTTP status and exchange code where there are some, and its message."""
    details = []
    if isinstance(error, APIError):
        details.append(f"HTTP {error.status}")
        if error.code is not None:
            details.append(f"code {error.code}")
    where = f" ({', '.join(details)})" if details else ""
    return f"{type(error).__name__}{where}: {error.message}"


def _decimal_column(values: Sequence[Decimal | None]) -> list[str]:
    """Each value's exact text, padded so that the decimal points (or the ends of whole numbers) line up."""
    parts = []
    for value in values:
        text = decimal_text(value)
        whole, point, fraction = ("-", "", "") if text is None else text.partition(".")
        parts.append((whole, point + fraction))
    whole_width = max((len(whole) for whole, _ in parts), default=0)
    fraction_width = max((len(fraction) for _, fraction in parts), default=0)
    return [whole.rjust(whole_width) + fraction.ljust(fraction_width) for whole, fraction in parts]


def _product(result: Capacity) -> str:
    return result.product if result.symbol is None else f"{result.product} {result.symbol}"


def render_table(results: Sequence[Capacity]) -> str:
    """``results`` as a table with a header line: exchange, product (with the isolated pair), asset, amount,
    limit (``-`` where none is sent) and ``ok``, the note saying why there is no amount, or the error
    (:func:`describe_error`)."""
    amounts = _decimal_column([result.amount for result in results])
    limits = _decimal_column([result.limit for result in results])
    rows = [
        (
            result.exchange,
            _product(result),
            result.asset,
            amount,
            limit,
            describe_error(result.error) if result.error is not None else (result.note or "ok"),
        )
        for result, amount, limit in zip(results, amounts, limits, strict=True)
    ]
    table = [_HEADERS, *rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(_HEADERS) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[-1]]) for line in table]
    return "\n".join(line.rstrip() for line in lines)
