"""Typed errors: every way a response can be wrong becomes one ``auth_plugins.errors`` class, chosen from the
exchange's table by its own code first and the HTTP status second, sync and async, over real HTTP."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Final

import pytest

from auth_plugins import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ExchangeError,
    RateLimitError,
    ResponseError,
    ServerError,
    ServiceUnavailableError,
    TimestampError,
    TransportError,
    UnknownOperationError,
)
from auth_plugins.errors import BODY_EXCERPT_CHARS
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, Sandbox
from tests._exchanges import EXCHANGES, MODES, NAMES, NO_RETRY, Exchange, call, sample

# (exchange, HTTP status, the exchange's code, message, the class the client must raise)
TABLE: Final[list[tuple[str, int, int | str | None, str, type[APIError]]]] = [
    ("binance", 400, -1102, "Mandatory parameter 'asset' was not sent, was empty/null, or malformed.", BadRequestError),
    ("binance", 400, -1100, "Illegal characters found in parameter 'asset'.", BadRequestError),
    ("binance", 400, -1022, "Signature for this request is not valid.", AuthenticationError),
    ("binance", 401, -2014, "API-key format invalid.", AuthenticationError),
    ("binance", 401, -2015, "Invalid API-key, IP, or permissions for action.", AuthenticationError),
    ("binance", 429, -1003, "Too much request weight used; current limit exceeded.", RateLimitError),
    ("binance", 418, -1003, "Way too much request weight used; IP banned until 1700000000000.", RateLimitError),
    ("binance", 500, -1001, "Internal error; unable to process your request. Please try again.", ServerError),
    ("binance", 404, -1000, "No route", BadRequestError),
    ("okx", 200, "50011", "Rate limit reached. Please refer to API documentation.", RateLimitError),
    ("okx", 429, "50011", "Too Many Requests", RateLimitError),
    ("okx", 429, "50013", "Systems are busy. Please try again later.", RateLimitError),
    ("okx", 200, "50061", "Sub-account rate limit exceeded.", RateLimitError),
    ("okx", 401, "50101", "APIKey does not match current environment.", AuthenticationError),
    ("okx", 401, "50105", "Request header OK-ACCESS-PASSPHRASE incorrect.", AuthenticationError),
    ("okx", 401, "50111", "Invalid OK-ACCESS-KEY.", AuthenticationError),
    ("okx", 401, "50113", "Invalid Sign", AuthenticationError),
    ("okx", 401, "50114", "Invalid authorization.", AuthenticationError),
    ("okx", 400, "51000", "Parameter mgnMode error", BadRequestError),
    ("okx", 400, "50014", "Parameter mgnMode can not be empty", BadRequestError),
    ("okx", 200, "51000", "Parameter instId error", BadRequestError),
    ("okx", 503, "50001", "Service temporarily unavailable. Please try again later.", ServiceUnavailableError),
    (
        "okx",
        400,
        "50004",
        "API endpoint request timeout (does not mean that the request was successful or failed)",
        ServiceUnavailableError,
    ),
    ("okx", 500, "50026", "System error. Try again later.", ServerError),
    ("okx", 200, "1", "Operation failed.", APIError),
    ("backpack", 401, "UNAUTHORIZED", "Invalid API key", AuthenticationError),
    ("backpack", 401, "INVALID_SIGNATURE", "Invalid signature", AuthenticationError),
    ("backpack", 403, "FORBIDDEN", "Forbidden", AuthenticationError),
    ("backpack", 429, "TOO_MANY_REQUESTS", "Too many requests", RateLimitError),
    ("backpack", 400, "INVALID_CLIENT_REQUEST", "Invalid symbol", BadRequestError),
    ("backpack", 400, "INVALID_ASSET", "Invalid asset", BadRequestError),
    ("backpack", 400, "BORROW_LIMIT", "Borrow limit reached", BadRequestError),
    ("backpack", 503, "MAINTENANCE", "Exchange is in maintenance", ServiceUnavailableError),
    ("backpack", 500, "SERVER_ERROR", "Internal server error", ServerError),
]

# (exchange, HTTP status, code, message, content type): timestamp errors, which re-sync the clock once first.
TIMESTAMP: Final[list[tuple[str, int, int | str | None, str, str]]] = [
    ("binance", 400, -1021, "Timestamp for this request is outside of the recvWindow.", "application/json"),
    ("okx", 401, "50102", "Timestamp request expired.", "application/json"),
    ("okx", 401, "50112", "Invalid OK-ACCESS-TIMESTAMP.", "application/json"),
    ("backpack", 401, "UNAUTHORIZED", "Request has expired", "application/json"),
    ("backpack", 401, None, "Request has expired", "text/plain"),
]

TRUNCATED: Final = {
    "backpack": b'{"maxBorrowQuantity": "1250.5", "sym',
    "binance": b'{"amount": "1.69248805", "borrowLi',
    "okx": b'{"code":"0","msg":"","data":[{"instId":"BTC-USDT","mgnMode":"isolated","mgnCcy":"","maxLoan":"0.',
}
MISSING_FIELD: Final[dict[str, Any]] = {
    "backpack": {"symbol": "USDC"},
    "binance": {"borrowLimit": "60"},
    "okx": {"code": "0", "msg": "", "data": [{"instId": "BTC-USDT", "mgnMode": "cross", "ccy": "BTC", "side": "buy"}]},
}
HTML: Final = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"

# (case, status, body, content type, headers, the class the client must raise)
BROKEN: Final[list[tuple[str, int, Any, str | None, dict[str, str], type[APIError]]]] = [
    ("html-200", 200, HTML, "text/html", {}, ResponseError),
    ("empty-200", 200, b"", None, {}, ResponseError),
    ("json-array-200", 200, [], None, {}, ResponseError),
    ("undocumented-204", 204, b"", None, {}, ResponseError),
    ("undocumented-202", 202, {"status": "accepted"}, None, {}, ResponseError),
    ("redirect-302", 302, b"", None, {"Location": "http://127.0.0.2/elsewhere"}, ResponseError),
    ("cloudflare-520", 520, HTML, "text/html", {}, ServerError),
    ("html-502", 502, HTML, "text/html", {}, ServerError),
    ("html-503", 503, HTML, "text/html", {}, ServiceUnavailableError),
    ("html-403", 403, HTML, "text/html", {}, AuthenticationError),
    ("empty-404", 404, b"", None, {}, BadRequestError),
    ("empty-501", 501, b"", None, {}, ServerError),
]


def _raised(sbx: Sandbox, exchange: str, mode: str, **options: Any) -> ExchangeError:
    with pytest.raises(ExchangeError) as info:
        EXCHANGES[exchange].invoke(sbx, mode, **options)
    return info.value


def _check_common(error: APIError, exchange: str, status: int) -> None:
    assert error.status == status
    assert error.operation == f"GET {EXCHANGES[exchange].path}"
    assert "?" not in str(error) and "?" not in repr(error)
    for text in (str(error), repr(error), error.message, error.body_excerpt):
        assert "signature=" not in text.lower(), text
    assert len(error.body_excerpt) <= BODY_EXCERPT_CHARS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("exchange", "status", "code", "message", "expected"),
    TABLE,
    ids=[f"{row[0]}-{row[1]}-{row[2]}" for row in TABLE],
)
def test_each_code_raises_the_class_its_table_names(
    sbx: Sandbox, mode: str, exchange: str, status: int, code: int | str, message: str, expected: type[APIError]
) -> None:
    facts = EXCHANGES[exchange]
    sbx.script(exchange, status=status, body=facts.error_body(code, message), operation_id=facts.signed[1])
    error = _raised(sbx, exchange, mode, **NO_RETRY)
    assert type(error) is expected
    assert isinstance(error, APIError)
    _check_common(error, exchange, status)
    assert error.code == code and type(error.code) is type(code)
    assert error.message == message
    assert code is not None and str(code) in str(error)
    if isinstance(error, RateLimitError):
        assert error.retry_after is None
    assert len(facts.attempts(sbx)) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("exchange", "status", "code", "message", "content_type"),
    TIMESTAMP,
    ids=[f"{row[0]}-{row[2]}-{row[4]}" for row in TIMESTAMP],
)
def test_timestamp_codes_raise_timestamp_error_after_one_resync(
    sbx: Sandbox, mode: str, exchange: str, status: int, code: int | str | None, message: str, content_type: str
) -> None:
    facts = EXCHANGES[exchange]
    body: Any = message if content_type == "text/plain" else facts.error_body(code, message)
    operation_id = facts.signed[1]
    sbx.script(exchange, times=2, status=status, body=body, content_type=content_type, operation_id=operation_id)
    error = _raised(sbx, exchange, mode, **NO_RETRY)
    assert type(error) is TimestampError
    _check_common(error, exchange, status)
    assert error.code == code
    assert [record.operation_id for record in sbx.requests(exchange)] == [operation_id, "get_server_time", operation_id]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
@pytest.mark.parametrize(
    ("case", "status", "body", "content_type", "headers", "expected"), BROKEN, ids=[row[0] for row in BROKEN]
)
def test_a_response_outside_the_contract_is_a_typed_error(
    sbx: Sandbox,
    mode: str,
    exchange: str,
    case: str,
    status: int,
    body: Any,
    content_type: str | None,
    headers: dict[str, str],
    expected: type[APIError],
) -> None:
    facts = EXCHANGES[exchange]
    sbx.script(
        exchange, status=status, body=body, content_type=content_type, headers=headers, operation_id=facts.signed[1]
    )
    # Default retries: 520, 501, 403, 404 and contract breaches must not be retried; 502 and 503 are (and
    # then succeed, which is tested in test_retries), so they run without retries here.
    retries = (
        {} if expected in (ResponseError, AuthenticationError, BadRequestError) or status in (501, 520) else NO_RETRY
    )
    error = _raised(sbx, exchange, mode, **retries)
    assert type(error) is expected
    assert isinstance(error, APIError)
    _check_common(error, exchange, status)
    assert error.code is None
    assert len(facts.attempts(sbx)) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
@pytest.mark.parametrize("case", ["truncated", "missing-field"])
def test_a_truncated_body_or_a_missing_required_field_is_a_response_error(
    sbx: Sandbox, mode: str, exchange: str, case: str
) -> None:
    body = TRUNCATED[exchange] if case == "truncated" else MISSING_FIELD[exchange]
    facts = EXCHANGES[exchange]
    sbx.script(exchange, status=200, body=body, content_type="application/json", operation_id=facts.signed[1])
    error = _raised(sbx, exchange, mode)
    assert type(error) is ResponseError
    _check_common(error, exchange, 200)
    assert "documented response" in error.message or "not JSON" in error.message
    assert len(facts.attempts(sbx)) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("body", "content_type"), [(HTML, "text/html"), ("not-a-time", "text/plain"), ("", None)])
def test_a_backpack_server_time_that_is_not_a_number_is_a_response_error(
    sbx: Sandbox, mode: str, body: str, content_type: str | None
) -> None:
    sbx.script("backpack", status=200, body=body.encode(), content_type=content_type, operation_id="get_server_time")
    error = _raised(sbx, "backpack", mode, operation_id="get_server_time")
    assert type(error) is ResponseError and error.operation == "GET /api/v1/time"


@pytest.mark.parametrize("mode", MODES)
def test_the_plain_functions_raise_too_instead_of_returning_an_error_model(
    sbx: Sandbox, mode: str, exchange: Exchange
) -> None:
    sbx.script(exchange.name, status=400, body=exchange.error_body("X", "bad"), operation_id=exchange.signed[1])
    with pytest.raises(BadRequestError):
        exchange.invoke(sbx, mode, detailed=False)


WRONG_SECRET: Final[dict[str, str]] = {"backpack": "A" * 43 + "=", "binance": "0" * 64, "okx": "0" * 32}
# What the sandbox answers a wrong secret with: Backpack derives the key from the secret, so the key is unknown.
WRONG_SECRET_ANSWER: Final = {"backpack": (401, "UNAUTHORIZED"), "binance": (400, -1022), "okx": (401, "50113")}


def test_the_exchanges_own_rejection_of_a_wrong_secret_is_an_authentication_error(
    sbx: Sandbox, exchange: Exchange
) -> None:
    client = exchange.client(sbx, api_secret=WRONG_SECRET[exchange.name])
    with pytest.raises(AuthenticationError) as info:
        call(client, exchange.module(), "sync", sample(exchange.name, exchange.signed[1]))
    assert (info.value.status, info.value.code) == WRONG_SECRET_ANSWER[exchange.name]
    assert [record.verdict for record in sbx.requests(exchange.name)] == [str(WRONG_SECRET_ANSWER[exchange.name][1])]
    assert BACKPACK_CREDENTIALS.api_secret not in repr(info.value)


def test_errors_pickle_and_keep_their_fields() -> None:
    error = RateLimitError("slow down", operation="GET /x", status=429, code=-1003, body_excerpt="{}", retry_after=1.5)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RateLimitError
    assert (copy.status, copy.code, copy.message, copy.operation, copy.retry_after) == (
        429,
        -1003,
        "slow down",
        "GET /x",
        1.5,
    )
    assert str(copy) == str(error) == "GET /x -> HTTP 429, code -1003: slow down"
    transport = pickle.loads(pickle.dumps(TransportError("ReadError: reset", operation="GET /y")))
    assert str(transport) == "GET /y: ReadError: reset"


@pytest.mark.parametrize("mode", MODES)
def test_a_route_no_spec_knows_is_refused_before_anything_is_sent(sbx: Sandbox, mode: str) -> None:
    client = EXCHANGES["binance"].client(sbx)
    if mode == "sync":
        with client, pytest.raises(UnknownOperationError):
            client.get_httpx_client().get("/sapi/v1/asset/transfer", params={"asset": "BTC"})
    else:

        async def run() -> None:
            async with client:
                await client.get_async_httpx_client().post("/sapi/v1/margin/loan")

        with pytest.raises(UnknownOperationError):
            asyncio.run(run())
    assert sbx.requests("binance") == []
