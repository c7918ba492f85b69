"""Client-side request validation: bad input raises a clear error naming the parameter and never reaches the
network (the sandbox records no request), sync and async; valid input passes; and the validator agrees with
the sandbox's own spec validation (openapi-core) on which requests are bad."""

from __future__ import annotations

import asyncio
import copy
import importlib
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from okx_client.models.max_loan_amount_request import MaxLoanAmountRequest
from okx_client.models.supplementary_collateral import SupplementaryCollateral

from auth_plugins import InvalidParameterError
from auth_plugins._generated import routes
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS, Sandbox
from scripts.codegen._schemas import ConstraintError
from scripts.codegen.operations_table import render_operations_module
from tests._exchanges import EXCHANGES, NO_RETRY, sample
from tests._gated import gated_client
from tests._specs import load_bundle
from tests.contract._cases import contract_cases, representatives

PER_KIND: Final = list(dict.fromkeys((case.exchange, case.operation_id) for case in representatives(contract_cases())))
"""A valid request passing the validator is validator machinery: once per kind of operation. Every operation's
own sample call goes through the same validator in tests/contract/test_contract.py (factory clients always
validate)."""

SECRETS: Final = (
    BACKPACK_CREDENTIALS.api_secret,
    BINANCE_CREDENTIALS.hmac_api_key,
    BINANCE_CREDENTIALS.hmac_api_secret,
    OKX_CREDENTIALS.api_key,
    OKX_CREDENTIALS.api_secret,
    OKX_CREDENTIALS.passphrase,
)
SIX_INSTRUMENTS: Final = "BTC-USDT,ETH-USDT,SOL-USDT,XRP-USDT,DOGE-USDT,ADA-USDT"
GET_MAX_LOAN: Final = ("okx", "account", "get_max_loan")
MAX_LOAN_AMOUNT: Final = ("okx", "flexible_loan", "max_loan_amount")
QUERY_MAX_BORROW: Final = ("binance", "margin", "query_max_borrow")
MAX_WITHDRAWAL: Final = ("backpack", "account", "get_max_withdrawal_quantity")


def _collateral(amt: Any) -> MaxLoanAmountRequest:
    item = SupplementaryCollateral(ccy="BTC", amt=Decimal("0.5"))
    item.amt = amt  # what a caller ignoring the type hints could pass
    first = SupplementaryCollateral(ccy="ETH", amt=Decimal("1"))
    return MaxLoanAmountRequest(borrow_ccy="USDT", sup_collateral=[first, item])


# (operation, arguments, parameter named in the error, words the message must hold)
CASES: Final[list[tuple[tuple[str, str, str], Callable[[], dict[str, Any]], str, str]]] = [
    (GET_MAX_LOAN, lambda: {"mgn_mode": None}, "mgnMode", "(mgn_mode) is required"),
    (GET_MAX_LOAN, lambda: {"mgn_mode": ""}, "mgnMode", "must not be empty"),
    (GET_MAX_LOAN, lambda: {"mgn_mode": "portfolio"}, "mgnMode", "must be one of: isolated, cross"),
    (GET_MAX_LOAN, lambda: {"mgn_mode": "cross", "inst_id": SIX_INSTRUMENTS}, "instId", "at most 5 comma-separated"),
    (GET_MAX_LOAN, lambda: {"mgn_mode": "cross", "inst_id": "BTC-USDT,,ETH-USDT"}, "instId", "must match the pattern"),
    (GET_MAX_LOAN, lambda: {"mgn_mode": "cross", "ccy": ""}, "ccy", "must not be empty"),
    (QUERY_MAX_BORROW, lambda: {"asset": ""}, "asset", "must not be empty"),
    (QUERY_MAX_BORROW, lambda: {"asset": "BTC", "recv_window": "5s"}, "recvWindow", "(recv_window) must be an integer"),
    (QUERY_MAX_BORROW, lambda: {"asset": "BTC", "recv_window": 5000.5}, "recvWindow", "must be an integer"),
    (QUERY_MAX_BORROW, lambda: {"asset": "BTC", "recv_window": 60_001}, "recvWindow", "must be at most 60000"),
    (QUERY_MAX_BORROW, lambda: {"asset": "BTC", "recv_window": 0}, "recvWindow", "must be at least 1"),
    (MAX_WITHDRAWAL, lambda: {"symbol": None}, "symbol", "is required"),
    (MAX_WITHDRAWAL, lambda: {"symbol": "USDC", "auto_borrow": "yes"}, "autoBorrow", "must be true or false"),
    (MAX_LOAN_AMOUNT, lambda: {"body": MaxLoanAmountRequest(borrow_ccy="")}, "borrowCcy", "must not be empty"),
    (MAX_LOAN_AMOUNT, lambda: {"body": _collateral(0.5)}, "supCollateral[1].amt", "decimal string, not a number"),
    (MAX_LOAN_AMOUNT, lambda: {"body": _collateral("1e5")}, "supCollateral[1].amt", "must be a decimal string"),
    (MAX_LOAN_AMOUNT, lambda: {"body": _collateral("-1")}, "supCollateral[1].amt", "must match the pattern"),
]
CASE_IDS: Final = [f"{op[2]}-{parameter}-{index}" for index, (op, _, parameter, _) in enumerate(CASES)]

# Requests the generated functions cannot build, sent through the same client: (method, path, httpx arguments).
RAW_CASES: Final[list[tuple[str, str, dict[str, Any], str, str]]] = [
    ("GET", "/api/v5/account/max-loan", {"params": {"mgnMode": "cross", "foo": "1"}}, "foo", "not a query parameter"),
    ("GET", "/api/v5/account/max-loan", {"params": [("mgnMode", "cross"), ("mgnMode", "isolated")]}, "mgnMode", "one"),
    ("POST", "/api/v5/finance/flexible-loan/max-loan", {"json": {}}, "borrowCcy", "is required"),
    ("POST", "/api/v5/finance/flexible-loan/max-loan", {"json": [1]}, "body", "must be an object"),
    ("POST", "/api/v5/finance/flexible-loan/max-loan", {"content": b"{"}, "body", "must be JSON"),
    (
        "POST",
        "/api/v5/finance/flexible-loan/max-loan",
        {"json": {"borrowCcy": "USDT", "supCollateral": [{"amt": "1"}]}},
        "supCollateral[0].ccy",
        "is required",
    ),
    (
        "POST",
        "/api/v5/finance/flexible-loan/max-loan",
        {"json": {"borrowCcy": "USDT", "supCollateral": {"ccy": "BTC"}}},
        "supCollateral",
        "must be a list",
    ),
]


def _module(tag: str, operation_id: str, exchange: str) -> Any:
    return importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")


def _validated(sbx: Sandbox, exchange: str) -> Any:
    """A factory-made client, as users get it: the validator is always in its pipeline."""
    return EXCHANGES[exchange].client(sbx, **NO_RETRY)


def _assert_refused(error: InvalidParameterError, parameter: str, words: str) -> None:
    message = str(error)
    assert error.parameter == parameter and isinstance(error, ValueError)
    assert f"'{parameter}'" in message and words in message, message
    assert not any(secret in message for secret in SECRETS)
    copy = pickle.loads(pickle.dumps(error))  # e.g. across a process pool
    assert (str(copy), copy.parameter, copy.rule) == (message, error.parameter, error.rule)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("operation", "arguments", "parameter", "words"), CASES, ids=CASE_IDS)
def test_bad_input_is_refused_naming_the_parameter_and_nothing_is_sent(
    sbx: Sandbox,
    mode: str,
    operation: tuple[str, str, str],
    arguments: Callable[[], dict[str, Any]],
    parameter: str,
    words: str,
) -> None:
    exchange, tag, operation_id = operation
    module, client = _module(tag, operation_id, exchange), _validated(sbx, exchange)
    with pytest.raises(InvalidParameterError) as caught:
        if mode == "sync":
            module.sync_detailed(client=client, **arguments())
        else:
            asyncio.run(module.asyncio_detailed(client=client, **arguments()))
    _assert_refused(caught.value, parameter, words)
    assert sbx.requests(exchange) == []


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("method", "path", "arguments", "parameter", "words"), RAW_CASES)
def test_requests_built_by_hand_are_checked_too(
    sbx: Sandbox, mode: str, method: str, path: str, arguments: dict[str, Any], parameter: str, words: str
) -> None:
    client = _validated(sbx, "okx")
    with pytest.raises(InvalidParameterError) as caught:
        if mode == "sync":
            client.get_httpx_client().request(method, path, **arguments)
        else:
            asyncio.run(client.get_async_httpx_client().request(method, path, **arguments))
    _assert_refused(caught.value, parameter, words)
    assert sbx.requests("okx") == []


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("exchange", "operation_id"), PER_KIND)
def test_valid_requests_pass_the_validator_and_the_sandbox(
    sbx: Sandbox, mode: str, exchange: str, operation_id: str
) -> None:
    entry = EXCHANGES[exchange].operation(operation_id)
    module, client = _module(entry.tag, operation_id, exchange), _validated(sbx, exchange)
    arguments = sample(exchange, operation_id)
    if mode == "sync":
        response = module.sync_detailed(client=client, **arguments)
    else:
        response = asyncio.run(module.asyncio_detailed(client=client, **arguments))
    assert response.status_code == 200
    [record] = sbx.requests(exchange)
    assert record.verdict == "ok"


# --- the validator and the sandbox agree --------------------------------------------------------------------

TOKENS: Final = st.sampled_from(["BTC-USDT", "ETH-USDT", "", "X", "BTC USDT"])
AGREEMENT: Final = {
    GET_MAX_LOAN: st.fixed_dictionaries(
        {
            "mgn_mode": st.sampled_from(["cross", "isolated", "", "Cross", "portfolio", None]),
            "inst_id": st.none() | st.lists(TOKENS, min_size=1, max_size=7).map(",".join),
            "ccy": st.sampled_from([None, "", "BTC"]),
        }
    ),
    QUERY_MAX_BORROW: st.fixed_dictionaries(
        {
            "asset": st.sampled_from(["BTC", "", None]),
            "isolated_symbol": st.sampled_from([None, "", "BTCUSDT"]),
            # Below about 100 ms a valid window would expire in transit: a timestamp error, not bad input.
            "recv_window": st.none()
            | st.integers(-3, 0)
            | st.integers(59_998, 60_002)
            | st.sampled_from(["5000", "5e3", "abc", "", 1.5, True]),
        }
    ),
    MAX_WITHDRAWAL: st.fixed_dictionaries(
        {
            "symbol": st.sampled_from(["USDC", "", None]),
            "auto_borrow": st.sampled_from([None, True, False, "yes", "true", "False", 1]),
        }
    ),
}


@pytest.mark.parametrize("operation", list(AGREEMENT), ids=[op[2] for op in AGREEMENT])
def test_the_validator_refuses_exactly_what_the_sandbox_refuses(
    sandbox: Sandbox, operation: tuple[str, str, str]
) -> None:
    exchange, tag, operation_id = operation
    module = _module(tag, operation_id, exchange)
    validated = _validated(sandbox, exchange)
    unchecked = gated_client(exchange, sandbox.base_url(exchange), [])
    unexpected = importlib.import_module(f"{exchange}_client.errors").UnexpectedStatus
    verdicts: set[bool] = set()

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(arguments=AGREEMENT[operation])
    def agree(arguments: dict[str, Any]) -> None:
        sandbox.reset()
        try:
            module.sync_detailed(client=validated, **arguments)
            refused = False
        except InvalidParameterError:
            refused = True
        try:
            status = module.sync_detailed(client=unchecked, **arguments).status_code
        except unexpected as answer:
            status = answer.status_code
        assert refused == (status == 400), (arguments, status)
        assert not sandbox.violations
        verdicts.add(refused)

    agree()
    assert verdicts == {True, False}  # both kinds of example were drawn


# --- the operations table ------------------------------------------------------------------------------------


def test_the_operations_table_carries_each_parameters_constraints() -> None:
    okx: Any = routes("okx_client")
    mgn_mode, inst_id, *_ = okx[("GET", "/api/v5/account/max-loan")].params
    assert (mgn_mode.name, mgn_mode.python_name, mgn_mode.required, mgn_mode.enum) == (
        "mgnMode",
        "mgn_mode",
        True,
        ("isolated", "cross"),
    )
    assert (inst_id.pattern, inst_id.max_list_items, inst_id.required) == ("^[^,]+(,[^,]+){0,4}$", 5, False)
    flexible = okx[("POST", "/api/v5/finance/flexible-loan/max-loan")]
    assert (flexible.body.name, flexible.body.type, flexible.body.required) == ("body", "object", True)
    fields = {param.name: param for param in flexible.params}
    assert list(fields) == [
        "borrowCcy",
        "ordId",
        "supCollateral",
        *(f"supCollateral[]{part}" for part in ("", ".ccy", ".amt")),
    ]
    assert (fields["ordId"].python_name, fields["ordId"].required, fields["ordId"].min_length) == ("ord_id", False, 1)
    assert (fields["borrowCcy"].min_length, fields["supCollateral"].type) == (1, "array")
    ccy, amt = fields["supCollateral[].ccy"], fields["supCollateral[].amt"]
    assert (ccy.required, ccy.min_length, amt.format, amt.pattern) == (True, 1, "decimal", "^[0-9]+(\\.[0-9]+)?$")
    assert amt.python_name == "sup_collateral[].amt"
    binance = routes("binance_client")
    *_, recv_window = binance[("GET", "/sapi/v1/margin/maxBorrowable")].params
    assert (recv_window.type, recv_window.minimum, recv_window.maximum) == ("integer", 1, 60_000)


def test_a_schema_keyword_the_client_cannot_enforce_stops_generation() -> None:
    bundle = copy.deepcopy(load_bundle("binance"))
    schema = bundle["paths"]["/sapi/v1/margin/maxBorrowable"]["get"]["parameters"][2]["schema"]
    schema["exclusiveMaximum"] = 60_001
    with pytest.raises(
        ConstraintError, match=r"GET /sapi/v1/margin/maxBorrowable parameter 'recvWindow'.*exclusiveMax"
    ):
        render_operations_module(bundle, "specs/binance")
