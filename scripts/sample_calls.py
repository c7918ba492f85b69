"""One representative, spec-valid set of arguments per operation, for the demo and the contract tests.

Keys are ``(exchange, operationId)``; values build the keyword arguments of the generated functions
(everything but ``client``). A test asserts this table covers every operation in the bundles, so a new
endpoint cannot be forgotten here.
"""

from collections.abc import Callable
from typing import Any

from okx_client.models.max_loan_amount_request import MaxLoanAmountRequest
from okx_client.models.supplementary_collateral import SupplementaryCollateral

__all__ = ["SAMPLE_CALLS"]


def _okx_flexible_max_loan() -> dict[str, Any]:
    collateral = [SupplementaryCollateral(ccy="BTC", amt="0.5")]
    return {"body": MaxLoanAmountRequest(borrow_ccy="USDT", sup_collateral=collateral)}


SAMPLE_CALLS: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
    ("backpack", "get_max_borrow_quantity"): lambda: {"symbol": "USDC"},
    ("backpack", "get_max_withdrawal_quantity"): lambda: {
        "symbol": "USDC",
        "auto_borrow": True,
        "auto_lend_redeem": False,
    },
    ("backpack", "get_server_time"): dict,
    ("binance", "query_max_borrow"): lambda: {"asset": "BTC", "isolated_symbol": "BTCUSDT", "recv_window": 5000},
    ("binance", "get_server_time"): dict,
    ("okx", "get_max_loan"): lambda: {"mgn_mode": "cross", "inst_id": "BTC-USDT,ETH-USDT"},
    ("okx", "max_loan_amount"): _okx_flexible_max_loan,
    ("okx", "get_server_time"): dict,
}
