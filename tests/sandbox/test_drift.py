"""The sandbox drifting on purpose: ``respond(..., drift=True)`` answers what a live exchange that drifted from its
docs would (undocumented fields, new enum values, even missing fields and amounts as numbers), without counting
it as a sandbox violation; without ``drift=True`` it keeps refusing every answer that is not as documented."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import pytest
from binance_client.api.margin import query_max_borrow
from okx_client.api.account import get_max_loan

from auth_plugins import ResponseError
from auth_plugins.sandbox import ExchangeSandbox

_ITEM: Final = {"instId": "BTC-USDT", "mgnMode": "cross", "mgnCcy": "", "maxLoan": "1", "ccy": "BTC", "side": "buy"}


def _loan(**changes: Any) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": [{**_ITEM, **changes}]}


DRIFT: Final = [
    pytest.param("binance", "query_max_borrow", {"amount": "1", "interestRate": "0.1"}, "interestRate", id="top"),
    pytest.param("okx", "get_max_loan", _loan(interestRate="0.1"), r"data\[\]\.interestRate", id="nested"),
    pytest.param("okx", "get_max_loan", _loan(side="borrow"), r"data\[\]\.side: value 'borrow'", id="enum"),
]


@pytest.mark.parametrize(("exchange", "operation_id", "body", "named"), DRIFT)
def test_without_drift_an_undocumented_field_or_value_is_refused_naming_it(
    exchange_sandbox: ExchangeSandbox, exchange: str, operation_id: str, body: Any, named: str
) -> None:
    with pytest.raises(ValueError, match=f"refused success body: {named}.*pass drift=True"):
        exchange_sandbox.respond(exchange, operation_id, body)


def test_drift_answers_undocumented_fields_and_values_as_given(exchange_sandbox: ExchangeSandbox) -> None:
    top = {"amount": "1.5", "interestRate": "0.1"}
    exchange_sandbox.respond("binance", "query_max_borrow", top, drift=True)
    exchange_sandbox.respond("okx", "get_max_loan", _loan(side="borrow", extra={"nested": [1]}), drift=True)
    with exchange_sandbox.client("binance") as binance, exchange_sandbox.client("okx") as okx:
        answer = query_max_borrow.sync(client=binance, asset="BTC")
        loan = get_max_loan.sync(client=okx, mgn_mode="cross", inst_id="BTC-USDT")
    assert answer is not None and answer.amount == Decimal("1.5")
    assert answer.additional_properties == {"interestRate": "0.1"}
    assert loan is not None and loan.data[0].side == "borrow"
    assert exchange_sandbox.violations == []  # on purpose: not the sandbox's fault


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param({"borrowLimit": "1"}, "amount is required", id="missing-required"),
        pytest.param({"amount": 2.5}, "amount must be a decimal string", id="amount-as-number"),
    ],
)
def test_drift_even_sends_what_breaks_the_spec_and_the_client_refuses_it(
    exchange_sandbox: ExchangeSandbox, body: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        exchange_sandbox.respond("binance", "query_max_borrow", body)  # refused unless asked
    exchange_sandbox.respond("binance", "query_max_borrow", body, drift=True)
    with exchange_sandbox.client("binance") as client, pytest.raises(ResponseError, match=named):
        query_max_borrow.sync(client=client, asset="BTC")
    assert exchange_sandbox.violations == []


def test_asking_once_is_not_asking_forever(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.respond("binance", "query_max_borrow", {"amount": 1}, drift=True)
    with pytest.raises(ValueError, match="amount must be a decimal string"):
        exchange_sandbox.respond("binance", "query_max_borrow", {"amount": 2})
    with pytest.raises(ValueError, match="not JSON"):
        exchange_sandbox.respond("binance", "query_max_borrow", {"amount": {1, 2}}, drift=True)
    app = exchange_sandbox.sandbox._apps["binance"]  # white box: whether its answers are still checked
    assert app._is_drifted("query_max_borrow")
    exchange_sandbox.respond("binance", "query_max_borrow", {"amount": "2"})
    assert not app._is_drifted("query_max_borrow")  # a documented answer is checked again
    exchange_sandbox.reset()
    with exchange_sandbox.client("binance") as client:
        answer = query_max_borrow.sync(client=client, asset="BTC")  # the documented example again
    assert answer is not None and answer.additional_properties == {}
