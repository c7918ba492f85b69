"""How much each exchange lets the account borrow or withdraw right now, for one asset, in one call.

:func:`max_borrow` asks every venue whose factory-made client it is given, at once, and returns one typed
:class:`Capacity` per venue and product: Backpack margin borrow, Binance cross margin (and isolated margin for a
pair), OKX trading-account max loan (``ccy`` mode) and OKX flexible loan. :func:`max_withdrawal` asks Backpack's
max withdrawal. Amounts are exact ``Decimal`` s; a venue that fails carries its typed
:class:`~auth_plugins.ExchangeError` in its own result while the others still answer. A venue whose answer is
that there is no figure has no amount and a ``note`` saying why (:data:`NO_FLEXIBLE_LOAN_ORDER`).
:func:`amax_borrow` and :func:`amax_withdrawal` are the async twins. Every call only reads. Example::

    from auth_plugins import backpack, binance, okx
    from auth_plugins.capacity import max_borrow

    with backpack.client_from_env() as bp, binance.client_from_env() as bn, okx.client_from_env() as ok:
        for result in max_borrow("BTC", backpack=bp, binance=bn, okx=ok, isolated_symbol="BTCUSDT"):
            print(result.exchange, result.product, result.amount, result.limit, result.error)

The ``exchange-clients max-borrow`` command prints the same as a table or JSON.
"""

from auth_plugins.capacity._api import amax_borrow, amax_withdrawal, max_borrow, max_withdrawal
from auth_plugins.capacity._results import Capacity
from auth_plugins.capacity._venues import NO_FLEXIBLE_LOAN_ORDER

__all__ = ["NO_FLEXIBLE_LOAN_ORDER", "Capacity", "amax_borrow", "amax_withdrawal", "max_borrow", "max_withdrawal"]
