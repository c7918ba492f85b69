"""``auth_plugins.capacity``: one call, sync or async, asks every venue at once and returns exact, typed results.

Figures come from answers the tests choose (tests/capacity/_helpers.py), never from the code under test. The
sandbox checks every signature; the tests check what each venue was asked, that only read-only operations went
out, and that one venue's failure stays in its own result.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import Any, Final

import httpx
import pytest
from backpack_client import AuthenticatedClient as PlainBackpackClient

from auth_plugins import (
    AuthenticationError,
    InvalidParameterError,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
    UsageError,
)
from auth_plugins._operation import OperationInfo
from auth_plugins.capacity import Capacity, amax_withdrawal, max_borrow, max_withdrawal
from auth_plugins.sandbox import ExchangeSandbox, Sandbox
from tests._exchanges import EXCHANGES, FAST, MODES, NAMES
from tests.capacity._helpers import EXPECTED, answer_everything, ask, figures, params, sandbox_clients

# The operation behind each result, in the results' order.
OPERATIONS: Final = [
    ("backpack", "get_max_borrow_quantity"),
    ("binance", "query_max_borrow"),
    ("binance", "query_max_borrow"),
    ("okx", "get_max_loan"),
    ("okx", "max_loan_amount"),
]


@pytest.mark.parametrize("mode", MODES)
def test_every_venue_answers_with_exact_decimals_and_documented_limits(sbx: Sandbox, mode: str) -> None:
    answer_everything(sbx)
    results = ask(mode, sandbox_clients(sbx), isolated_symbol="BTCUSDT")
    assert figures(results) == EXPECTED
    assert all(isinstance(r, Capacity) and r.ok and r.error is None and r.asset == "BTC" for r in results)
    assert [(r.exchange, r.operation.operation_id) for r in results] == OPERATIONS
    assert results[0].amount == Decimal("12.000000000000000001") != Decimal(float("12.000000000000000001"))
    assert results[0].to_dict()["amount"] == "12.000000000000000001"
    # The parsed answer is kept: OKX flexible loan's USD notional, say.
    assert results[4].response.data[0].notional_usd == Decimal("50000.1")


@pytest.mark.parametrize("mode", MODES)
def test_an_okx_account_without_a_flexible_loan_order_is_an_answer_without_an_amount(sbx: Sandbox, mode: str) -> None:
    answer_everything(sbx)
    # OKX's documented answer for an account without a flexible-loan order: empty data.
    sbx.respond("okx", "max_loan_amount", {"code": "0", "msg": "", "data": []})
    results = ask(mode, sandbox_clients(sbx), isolated_symbol="BTCUSDT")
    assert figures(results)[:4] == EXPECTED[:4]
    flexible = results[4]
    assert (flexible.exchange, flexible.product, flexible.operation.operation_id) == (
        "okx",
        "flexible-loan",
        "max_loan_amount",
    )
    assert flexible.amount is None and flexible.limit is None  # never 0
    assert flexible.error is None and flexible.ok  # never a ResponseError
    assert flexible.note == "no flexible-loan order"
    assert flexible.to_dict()["note"] == "no flexible-loan order" and flexible.to_dict()["amount"] is None
    assert "note='no flexible-loan order'" in repr(flexible)
    assert all(result.note is None for result in results[:4])


@pytest.mark.parametrize("mode", MODES)
def test_each_venue_is_asked_about_the_asset_with_validly_signed_read_only_calls(sbx: Sandbox, mode: str) -> None:
    answer_everything(sbx)
    ask(mode, sandbox_clients(sbx), "ETH", isolated_symbol="ETHUSDT")
    asked = {
        exchange: sorted((record.operation_id, sorted(params(record).items())) for record in sbx.requests(exchange))
        for exchange in NAMES
    }
    assert asked == {
        "backpack": [("get_max_borrow_quantity", [("symbol", "ETH")])],
        "binance": [
            ("query_max_borrow", [("asset", "ETH")]),
            ("query_max_borrow", [("asset", "ETH"), ("isolatedSymbol", "ETHUSDT")]),
        ],
        "okx": [("get_max_loan", [("ccy", "ETH"), ("mgnMode", "cross")]), ("max_loan_amount", [("borrowCcy", "ETH")])],
    }
    records = [record for exchange in NAMES for record in sbx.requests(exchange)]
    assert {record.auth for record in records} == {"ok"}
    operations = {op.operation_id: op for name in NAMES for op in EXCHANGES[name].operations}
    assert all(operations[record.operation_id or ""].read_only for record in records)


def test_without_an_isolated_symbol_binance_is_asked_for_cross_margin_only(sbx: Sandbox) -> None:
    answer_everything(sbx)
    results = ask("sync", sandbox_clients(sbx, ("binance",)))
    assert figures(results) == [EXPECTED[1]]
    assert [params(record) for record in sbx.requests("binance")] == [{"asset": "BTC"}]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("exchange", "operation_id", "failing"),
    [
        pytest.param("backpack", "get_max_borrow_quantity", [0], id="backpack"),
        pytest.param("binance", "query_max_borrow", [1, 2], id="binance"),
        pytest.param("okx", "get_max_loan", [3], id="okx-margin"),
        pytest.param("okx", "max_loan_amount", [4], id="okx-flexible-loan"),
    ],
)
def test_a_failing_venue_gives_its_typed_error_and_the_others_still_answer(
    sbx: Sandbox, mode: str, exchange: str, operation_id: str, failing: list[int]
) -> None:
    answer_everything(sbx)
    # Every attempt of every call of that operation (first try and two quick retries each) answers 503.
    sbx.fail(exchange, operation_id, 503, times=3 * len(failing))
    results = ask(mode, sandbox_clients(sbx), isolated_symbol="BTCUSDT")
    for index, (result, expected) in enumerate(zip(results, EXPECTED, strict=True)):
        if index in failing:
            assert isinstance(result.error, ServiceUnavailableError), result
            assert (result.exchange, result.product, result.amount, result.limit) == (*expected[:2], None, None)
            assert result.error.status == 503 and not result.ok
            assert result.to_dict()["error"] == {
                "class": "ServiceUnavailableError",
                "status": 503,
                "code": result.error.code,
                "message": result.error.message,
            }
        else:
            assert result.ok and figures((result,)) == [expected], result
    failed_attempts = [r for r in sbx.requests(exchange) if r.operation_id == operation_id]
    assert len(failed_attempts) == 3 * len(failing)


def test_an_authentication_failure_is_typed_too(sbx: Sandbox) -> None:
    clients = sandbox_clients(sbx, ("okx", "backpack"))
    clients["okx"] = EXCHANGES["okx"].client(sbx, api_secret="0" * 32)
    results = ask("sync", clients)
    assert [type(r.error) for r in results] == [type(None), AuthenticationError, AuthenticationError]


class _Barrier:
    """A request gate that lets no attempt go until ``parties`` attempts wait at once: sequential calls would
    never get there, so the test fails (after ``timeout_s``) unless the calls really run concurrently."""

    def __init__(self, parties: int, timeout_s: float = 10.0) -> None:
        self._sync = threading.Barrier(parties, timeout=timeout_s)
        self._parties = parties
        self._timeout_s = timeout_s
        self._async: asyncio.Barrier | None = None

    def before_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        self._sync.wait()

    async def abefore_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        if self._async is None:
            self._async = asyncio.Barrier(self._parties)
        await asyncio.wait_for(self._async.wait(), self._timeout_s)


@pytest.mark.parametrize("mode", MODES)
def test_the_venues_are_asked_concurrently(sbx: Sandbox, mode: str) -> None:
    answer_everything(sbx)
    barrier = _Barrier(parties=len(EXPECTED))
    results = ask(mode, sandbox_clients(sbx, gates=[barrier]), isolated_symbol="BTCUSDT")
    assert figures(results) == EXPECTED


class _Refusing:
    """A request gate that raises ``error`` for every attempt: a programming error inside one venue's call."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def before_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        raise self.error

    async def abefore_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        raise self.error


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "error",
    [InvalidParameterError("get_max_loan", "ccy", "is refused by this test"), RuntimeError("a bug")],
    ids=["usage-error", "bug"],
)
def test_an_error_that_is_not_the_exchanges_is_raised_once_the_other_venues_have_answered(
    sbx: Sandbox, mode: str, error: Exception
) -> None:
    answer_everything(sbx)
    clients = sandbox_clients(sbx)
    clients["okx"] = EXCHANGES["okx"].client(sbx, gates=[_Refusing(error)])
    with pytest.raises(type(error)) as raised:
        ask(mode, clients, isolated_symbol="BTCUSDT")
    assert raised.value is error
    # Nothing of OKX went out; the others were asked all the same, and their calls had ended.
    assert [len(sbx.requests(name)) for name in NAMES] == [1, 2, 0]
    assert {record.status for name in NAMES for record in sbx.requests(name)} == {200}


def test_the_sync_twin_works_inside_a_running_event_loop(sbx: Sandbox) -> None:
    answer_everything(sbx)

    async def inside_a_loop() -> tuple[Capacity, ...]:
        return ask("sync", sandbox_clients(sbx), isolated_symbol="BTCUSDT")

    assert figures(asyncio.run(inside_a_loop())) == EXPECTED


def test_the_clients_own_rate_limits_still_apply(exchange_sandbox: ExchangeSandbox) -> None:
    # OKX documents 5 flexible-loan requests per 2 s per user; the sandbox enforces it and the client keeps to it
    # (waiting, not answered 429). The plugin's fixture: it turns enforcement off again for the next test.
    exchange_sandbox.enforce_rate_limits = True
    with exchange_sandbox.client("okx", rate_limit=True) as client:
        results = [result for _ in range(6) for result in max_borrow("BTC", okx=client)]
    assert all(result.ok for result in results), results
    assert exchange_sandbox.sandbox.rate_limited("okx") == 0
    assert len(exchange_sandbox.requests) == 12


def test_a_rate_limited_venue_reports_it(sbx: Sandbox) -> None:
    sbx.fail("binance", "query_max_borrow", 429, retry_after=60)
    (result,) = ask("sync", sandbox_clients(sbx, ("binance",)))
    assert isinstance(result.error, RateLimitError) and result.error.retry_after == 60


# --- Reading the answers ------------------------------------------------------------------------------------


def _okx_loan(ccy: str, max_loan: str, side: str = "") -> dict[str, str]:
    return {"instId": "", "mgnMode": "cross", "mgnCcy": "", "maxLoan": max_loan, "ccy": ccy, "side": side}


def test_okx_margin_reads_the_entry_of_the_asked_currency_and_never_overstates_it(sbx: Sandbox) -> None:
    entries = [_okx_loan("USDT", "900"), _okx_loan("BTC", "0.4", "buy"), _okx_loan("BTC", "0.3", "sell")]
    sbx.respond("okx", "get_max_loan", {"code": "0", "msg": "", "data": entries})
    margin, _ = ask("sync", sandbox_clients(sbx, ("okx",)))
    assert margin.amount == Decimal("0.3") and margin.limit is None


@pytest.mark.parametrize(
    ("exchange", "operation_id", "body"),
    [
        pytest.param(
            "okx", "get_max_loan", {"code": "0", "msg": "", "data": [_okx_loan("ETH", "1")]}, id="okx-other-ccy"
        ),
        pytest.param("okx", "get_max_loan", {"code": "0", "msg": "", "data": []}, id="okx-empty"),
        pytest.param(
            "okx",
            "max_loan_amount",
            {
                "code": "0",
                "msg": "",
                "data": [{"borrowCcy": "ETH", "maxLoan": "1", "notionalUsd": "1", "remainingQuota": "1"}],
            },
            id="okx-flexible-other-ccy",
        ),
        pytest.param(
            "backpack", "get_max_borrow_quantity", {"maxBorrowQuantity": "1", "symbol": "ETH"}, id="backpack-other"
        ),
    ],
)
def test_an_answer_about_another_asset_is_a_response_error_not_a_figure(
    sbx: Sandbox, exchange: str, operation_id: str, body: Any
) -> None:
    sbx.respond(exchange, operation_id, body)
    results = ask("sync", sandbox_clients(sbx, (exchange,)))
    (result,) = [r for r in results if r.operation.operation_id == operation_id]
    assert isinstance(result.error, ResponseError) and result.amount is None
    assert "BTC" in result.error.message and result.error.status == 200


def test_the_asset_is_matched_whatever_its_case(sbx: Sandbox) -> None:
    answer_everything(sbx)
    results = ask("sync", sandbox_clients(sbx), "btc")
    assert [r.amount for r in results] == [EXPECTED[i][3] for i in (0, 1, 3, 4)]


# --- Max withdrawal -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("auto_borrow", "auto_lend_redeem"), [(False, False), (True, False), (True, True)])
def test_max_withdrawal_sends_both_flags_and_reads_the_exact_amount(
    sbx: Sandbox, mode: str, auto_borrow: bool, auto_lend_redeem: bool
) -> None:
    answer = {"maxWithdrawalQuantity": "7.123456789012345678", "symbol": "USDC", "autoBorrow": auto_borrow}
    sbx.respond("backpack", "get_max_withdrawal_quantity", answer)
    flags = {"auto_borrow": auto_borrow, "auto_lend_redeem": auto_lend_redeem}
    with EXCHANGES["backpack"].client(sbx) as client:
        if mode == "sync":
            result = max_withdrawal("USDC", backpack=client, **flags)
        else:
            result = asyncio.run(amax_withdrawal("USDC", backpack=client, **flags))
    assert (result.exchange, result.product, result.asset) == ("backpack", "withdrawal", "USDC")
    assert result.amount == Decimal("7.123456789012345678") and result.limit is None and result.ok
    assert result.operation.operation_id == "get_max_withdrawal_quantity"
    (record,) = sbx.requests("backpack")
    assert params(record) == {
        "symbol": "USDC",
        "autoBorrow": str(auto_borrow).lower(),
        "autoLendRedeem": str(auto_lend_redeem).lower(),
    }


def test_a_failed_withdrawal_query_is_its_result(sbx: Sandbox) -> None:
    sbx.fail("backpack", "get_max_withdrawal_quantity", 503, times=3)
    with EXCHANGES["backpack"].client(sbx, **FAST) as client:
        result = max_withdrawal("USDC", backpack=client)
    assert isinstance(result.error, ServiceUnavailableError) and result.amount is None


# --- Mistakes of the caller: raised before anything is sent --------------------------------------------------


def _bad_calls(clients: dict[str, Any]) -> list[tuple[Any, str]]:
    backpack, binance, okx = clients["backpack"], clients["binance"], clients["okx"]
    return [
        (lambda: max_borrow("", backpack=backpack), "asset"),
        (lambda: max_borrow("BTC,ETH", okx=okx), "asset"),
        (lambda: max_borrow("B TC", binance=binance), "asset"),
        (lambda: max_borrow(b"BTC", backpack=backpack), "asset"),  # type: ignore[arg-type]
        (lambda: max_borrow("BTC"), "at least one client"),
        (lambda: max_borrow("BTC", okx=okx, isolated_symbol="BTCUSDT"), "needs binance="),
        (lambda: max_borrow("BTC", binance=binance, isolated_symbol="BTC USDT"), "isolated_symbol"),
        (lambda: max_borrow("BTC", backpack=binance), "backpack= must be a client"),
        (lambda: max_borrow("BTC", okx="https://www.okx.com"), "okx= must be a client"),  # type: ignore[arg-type]
        (lambda: max_withdrawal("USDC", backpack=backpack, auto_borrow=1), "auto_borrow"),  # type: ignore[arg-type]
        (lambda: max_withdrawal("USDC", backpack=okx), "backpack= must be a client"),
    ]


def test_mistakes_raise_usage_errors_before_anything_is_sent(sbx: Sandbox) -> None:
    clients = sandbox_clients(sbx)
    for call, words in _bad_calls(clients):
        with pytest.raises(UsageError, match=words):
            call()
    assert [record for name in NAMES for record in sbx.requests(name)] == []


def test_a_generated_client_without_the_pipeline_is_refused(sbx: Sandbox) -> None:
    plain = PlainBackpackClient(sbx.base_url("backpack"), token="key")
    with pytest.raises(UsageError, match="make_client or client_from_env"):
        max_borrow("BTC", backpack=plain)
    assert sbx.requests("backpack") == []


def test_results_are_frozen_and_their_repr_names_the_operation(sbx: Sandbox) -> None:
    answer_everything(sbx)
    result = ask("sync", sandbox_clients(sbx, ("binance",)))[0]
    with pytest.raises(AttributeError):
        result.amount = Decimal(0)  # type: ignore[misc]
    assert repr(result) == (
        "Capacity(exchange='binance', product='cross-margin', asset='BTC', amount=Decimal('1E-8'), "
        "limit=Decimal('250'), operation='query_max_borrow', error=None, symbol=None)"
    )
    assert result.to_dict() == {
        "exchange": "binance",
        "product": "cross-margin",
        "asset": "BTC",
        "symbol": None,
        "amount": "0.00000001",
        "limit": "250",
        "operation": "query_max_borrow",
        "error": None,
        "note": None,
    }
