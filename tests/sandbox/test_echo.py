"""Answers that reflect the request: the asked asset, instrument or currency in the documented example's place.

Expected bodies are written out literally from the documented examples (generated/<exchange>_client/openapi.yaml)
with the asked values in place; every answer is also checked against the spec by the sandbox (``sbx``).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from backpack_client.api.account import get_max_borrow_quantity, get_max_withdrawal_quantity
from backpack_client.models import MaxBorrowQuantity, MaxWithdrawalQuantity
from binance_client.api.margin import query_max_borrow
from okx_client.api.account import get_max_loan
from okx_client.api.flexible_loan import max_loan_amount
from okx_client.models import GetMaxLoanResponse, MaxLoanAmountRequest, MaxLoanAmountResponse, SupplementaryCollateral

from auth_plugins.sandbox import Sandbox
from auth_plugins.sandbox._echo import reflect
from tests.contract._cases import make_sandbox_client


def _loan(inst_id: str, ccy: str, side: str, max_loan: str, mgn_mode: str = "cross", mgn_ccy: str = "") -> Any:
    return {"instId": inst_id, "mgnMode": mgn_mode, "mgnCcy": mgn_ccy, "maxLoan": max_loan, "ccy": ccy, "side": side}


def test_backpack_echoes_the_asked_symbol_the_bug_report_case(sbx: Sandbox) -> None:
    """Defect (b): asking for ``symbol=BTC`` answered ``symbol: USDC``."""
    with make_sandbox_client("backpack", "ed25519", sbx.base_url("backpack")) as client:
        result = get_max_borrow_quantity.sync(client=client, symbol="BTC")
        withdrawal = get_max_withdrawal_quantity.sync(client=client, symbol="SOL", auto_borrow=False)
    assert isinstance(result, MaxBorrowQuantity) and isinstance(withdrawal, MaxWithdrawalQuantity)
    assert (result.symbol, result.max_borrow_quantity) == ("BTC", Decimal("1250.5"))
    assert withdrawal.to_dict() == {
        "symbol": "SOL",
        "maxWithdrawalQuantity": "310.25",
        "autoBorrow": False,  # asked
        "autoLendRedeem": False,  # not asked: the documented value
    }


def test_okx_max_loan_answers_each_asked_instrument_with_its_own_currencies(sbx: Sandbox) -> None:
    with make_sandbox_client("okx", "live", sbx.base_url("okx")) as client:
        result = get_max_loan.sync(client=client, mgn_mode="cross", inst_id="ETH-USDC,SOL-USDT")
    assert isinstance(result, GetMaxLoanResponse)
    assert [item.to_dict() for item in result.data] == [
        _loan("ETH-USDC", "ETH", "sell", "0.1"),
        _loan("ETH-USDC", "USDC", "buy", "0.2"),
        _loan("SOL-USDT", "SOL", "sell", "0.1"),
        _loan("SOL-USDT", "USDT", "buy", "0.2"),
    ]


def test_okx_max_loan_echoes_currency_margin_mode_and_margin_currency(sbx: Sandbox) -> None:
    with make_sandbox_client("okx", "live", sbx.base_url("okx")) as client:
        by_ccy = get_max_loan.sync(client=client, mgn_mode="cross", ccy="ETH")
        isolated = get_max_loan.sync(client=client, mgn_mode="isolated", inst_id="ETH-USDT", mgn_ccy="USDT")
    assert isinstance(by_ccy, GetMaxLoanResponse) and isinstance(isolated, GetMaxLoanResponse)
    assert [item.to_dict() for item in by_ccy.data] == [
        _loan("BTC-USDT", "ETH", "sell", "0.1"),
        _loan("BTC-USDT", "ETH", "buy", "0.2"),
    ]
    assert [item.to_dict() for item in isolated.data] == [
        _loan("ETH-USDT", "ETH", "sell", "0.1", "isolated", "USDT"),
        _loan("ETH-USDT", "USDT", "buy", "0.2", "isolated", "USDT"),
    ]


def test_okx_flexible_loan_echoes_the_body_borrow_currency(sbx: Sandbox) -> None:
    body = MaxLoanAmountRequest(borrow_ccy="ETH", sup_collateral=[SupplementaryCollateral(ccy="BTC", amt=Decimal("1"))])
    with make_sandbox_client("okx", "demo", sbx.base_url("okx")) as client:
        result = max_loan_amount.sync(client=client, body=body)
    assert isinstance(result, MaxLoanAmountResponse)
    assert [item.to_dict() for item in result.data] == [
        {"borrowCcy": "ETH", "maxLoan": "0.01113", "notionalUsd": "0.01113356", "remainingQuota": "3395000"}
    ]


def test_binance_has_no_asset_field_to_echo_and_answers_the_example(sbx: Sandbox) -> None:
    with make_sandbox_client("binance", "hmac", sbx.base_url("binance")) as client:
        result = query_max_borrow.sync(client=client, asset="ETH")
    assert result is not None
    assert result.to_dict() == {"amount": "1.69248805", "borrowLimit": "60"}


@pytest.mark.parametrize(
    ("example", "asked", "expected"),
    [
        pytest.param({"symbol": "USDC"}, {"symbol": "BTC", "other": "x"}, {"symbol": "BTC"}, id="flat"),
        pytest.param({"autoBorrow": True}, {"autoBorrow": "maybe"}, {"autoBorrow": True}, id="bad-bool-kept"),
        pytest.param({"symbol": 1}, {"symbol": "BTC"}, {"symbol": 1}, id="other-type-kept"),
        pytest.param({"ccy": "BTC"}, {"borrowCcy": "ETH"}, {"ccy": "BTC"}, id="unrelated"),
        pytest.param(
            {"data": [{"instId": "BTC-USDT", "ccy": "USDT"}]},
            {"instId": "ETH"},
            {"data": [{"instId": "ETH", "ccy": "USDT"}]},
            id="instrument-without-quote",
        ),
        pytest.param(
            {"data": [{"ccy": "BTC", "maxWd": "124"}, {"ccy": "ETH", "maxWd": "10"}]},
            {"ccy": "ETH,SOL,BTC"},
            {"data": [{"ccy": "ETH", "maxWd": "10"}, {"ccy": "SOL", "maxWd": "10"}, {"ccy": "BTC", "maxWd": "124"}]},
            id="currency-list-one-row-each",
        ),
        pytest.param({"ccy": "BTC"}, {"ccy": "BTC,ETH"}, {"ccy": "BTC"}, id="list-never-in-one-field"),
    ],
)
def test_reflect_rules(example: Any, asked: dict[str, str | bool], expected: Any) -> None:
    original = copy.deepcopy(example)
    assert reflect(example, asked) == expected
    assert example == original  # the documented example itself is never changed
