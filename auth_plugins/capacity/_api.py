"""The public functions: :func:`max_borrow`, :func:`max_withdrawal` and their async twins.

Arguments are checked before anything is sent; a mistake raises :class:`~auth_plugins.UsageError` naming the
argument (never repeating its value). A venue's failure is never raised: it is the ``error`` of that venue's
result.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any, Final

from auth_plugins._clients import AsyncPipelineClient, SyncPipelineClient
from auth_plugins.capacity import _venues
from auth_plugins.capacity._results import Capacity
from auth_plugins.capacity._runner import Call, run, run_async
from auth_plugins.errors import UsageError

if TYPE_CHECKING:
    import backpack_client
    import binance_client
    import okx_client

__all__ = ["amax_borrow", "amax_withdrawal", "max_borrow", "max_withdrawal"]

# Currency codes and pairs as the three exchanges spell them (BTC, USDC.e, 1INCH, BTCUSDT): no separators a
# query or an OKX list could split on, no spaces.
_CODE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


def _code(value: object, name: str, example: str) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise UsageError(
            f"{name} must be a code such as {example!r}: 1 to 32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be True or False")
    return value


def _client(value: object, exchange: str, *, asynchronous: bool) -> Any:
    """``value`` if it is a factory-made client of ``exchange``, else :class:`UsageError`."""
    expected = importlib.import_module(f"{exchange}_client").AuthenticatedClient
    client: Any = value
    made = isinstance(client, expected)
    if made:
        http = client.get_async_httpx_client() if asynchronous else client.get_httpx_client()
        made = isinstance(http, AsyncPipelineClient if asynchronous else SyncPipelineClient)
    if not made:
        raise UsageError(
            f"{exchange}= must be a client from auth_plugins.{exchange}.make_client or client_from_env "
            f"(a {exchange}_client.AuthenticatedClient with the auth_plugins pipeline), not {type(value).__name__}"
        )
    return client


def _borrow_calls(
    asset: object,
    backpack: object,
    binance: object,
    okx: object,
    isolated_symbol: object,
    *,
    asynchronous: bool,
) -> list[Call]:
    checked = _code(asset, "asset", "BTC")
    symbol = None if isolated_symbol is None else _code(isolated_symbol, "isolated_symbol", "BTCUSDT")
    if backpack is None and binance is None and okx is None:
        raise UsageError("give at least one client: backpack=, binance= or okx=")
    if symbol is not None and binance is None:
        raise UsageError("isolated_symbol is Binance's isolated margin pair: it needs binance=")
    calls: list[Call] = []
    if backpack is not None:
        client = _client(backpack, "backpack", asynchronous=asynchronous)
        calls.append((_venues.backpack_margin(checked), client))
    if binance is not None:
        client = _client(binance, "binance", asynchronous=asynchronous)
        calls.append((_venues.binance_margin(checked), client))
        if symbol is not None:
            calls.append((_venues.binance_margin(checked, symbol), client))
    if okx is not None:
        client = _client(okx, "okx", asynchronous=asynchronous)
        calls.append((_venues.okx_margin(checked), client))
        calls.append((_venues.okx_flexible_loan(checked), client))
    return calls


def max_borrow(
    asset: str,
    *,
    backpack: backpack_client.AuthenticatedClient | None = None,
    binance: binance_client.AuthenticatedClient | None = None,
    okx: okx_client.AuthenticatedClient | None = None,
    isolated_symbol: str | None = None,
) -> tuple[Capacity, ...]:
    """How much of ``asset`` (``"BTC"``) the account can borrow now on each venue whose client is given.

    The clients come from ``auth_plugins.<exchange>.make_client`` or ``client_from_env``; the caller owns them
    (this function does not close them). Results, in this order, one per venue and product: Backpack
    ``"margin"``; Binance ``"cross-margin"``, then ``"isolated-margin"`` for the pair ``isolated_symbol``
    (``"BTCUSDT"``) when given; OKX ``"margin"`` (trading-account max loan of the currency) and
    ``"flexible-loan"``. The calls run concurrently, one thread each, through each client's own rate limits,
    retries and deadlines; this needs no event loop (it also works inside a running one: see
    :func:`amax_borrow` for the async twin). A venue that fails gives its
    :class:`~auth_plugins.ExchangeError` as its result's ``error``; the others still answer. Only reads.

    :class:`~auth_plugins.UsageError` before anything is sent for a malformed ``asset`` or
    ``isolated_symbol``, no client at all, ``isolated_symbol`` without ``binance``, or a client that is not a
    factory-made one of that exchange.
    """
    return run(_borrow_calls(asset, backpack, binance, okx, isolated_symbol, asynchronous=False))


async def amax_borrow(
    asset: str,
    *,
    backpack: backpack_client.AuthenticatedClient | None = None,
    binance: binance_client.AuthenticatedClient | None = None,
    okx: okx_client.AuthenticatedClient | None = None,
    isolated_symbol: str | None = None,
) -> tuple[Capacity, ...]:
    """Async twin of :func:`max_borrow`: the same results, the calls gathered on the running event loop over
    the clients' async side (``async with client`` closes it)."""
    return await run_async(_borrow_calls(asset, backpack, binance, okx, isolated_symbol, asynchronous=True))


def _withdrawal_call(
    asset: object, backpack: object, auto_borrow: object, auto_lend_redeem: object, *, asynchronous: bool
) -> list[Call]:
    query = _venues.backpack_withdrawal(
        _code(asset, "asset", "BTC"),
        auto_borrow=_flag(auto_borrow, "auto_borrow"),
        auto_lend_redeem=_flag(auto_lend_redeem, "auto_lend_redeem"),
    )
    return [(query, _client(backpack, "backpack", asynchronous=asynchronous))]


def max_withdrawal(
    asset: str,
    *,
    backpack: backpack_client.AuthenticatedClient,
    auto_borrow: bool = False,
    auto_lend_redeem: bool = False,
) -> Capacity:
    """How much of ``asset`` the Backpack account can withdraw now (product ``"withdrawal"``).

    ``auto_borrow`` counts what auto borrow would add, ``auto_lend_redeem`` what redeeming lent funds would;
    both are sent explicitly. A failure is the result's ``error``, never raised. :class:`~auth_plugins.UsageError`
    before anything is sent for a malformed ``asset``, a flag that is not a ``bool`` or a client that is not
    from ``auth_plugins.backpack.make_client`` / ``client_from_env``. Only reads.
    """
    (result,) = run(_withdrawal_call(asset, backpack, auto_borrow, auto_lend_redeem, asynchronous=False))
    return result


async def amax_withdrawal(
    asset: str,
    *,
    backpack: backpack_client.AuthenticatedClient,
    auto_borrow: bool = False,
    auto_lend_redeem: bool = False,
) -> Capacity:
    """Async twin of :func:`max_withdrawal`."""
    (result,) = await run_async(_withdrawal_call(asset, backpack, auto_borrow, auto_lend_redeem, asynchronous=True))
    return result
