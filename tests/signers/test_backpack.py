"""The Backpack signer: exchanges.md vectors, sorting, body rendering, windows, the fail-closed table."""

import httpx
import pytest
from pytest_httpserver import HTTPServer

from auth_plugins import UnknownOperationError
from auth_plugins.backpack import BackpackAuth
from tests.signers._vectors import (
    BACKPACK_API_KEY,
    BACKPACK_BASE,
    BACKPACK_INSTRUCTIONS,
    BACKPACK_SECRET,
    BACKPACK_TIMESTAMP,
    SEED_64_BYTES_B64,
    assert_backpack_signed,
    backpack,
    frozen,
    sign,
)

# --- Backpack -----------------------------------------------------------------------------------------------


def test_backpack_max_borrow_vector() -> None:
    # exchanges.md 1.3, first vector.
    signed = sign(backpack(), httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=USDC"))
    assert signed.headers["X-API-Key"] == BACKPACK_API_KEY
    assert signed.headers["X-Signature"] == (
        "5tdke7XD2ViYol1Z2oxcyJEP7B5uytN/gandaawQLlVMpVaJPvKCujvxp7Ou2JhJuj+GGGZRFcZ1JGWIYS1lBQ=="
    )
    assert signed.headers["X-Timestamp"] == "1614550000000"
    assert signed.headers["X-Window"] == "5000"
    assert signed.url.query == b"symbol=USDC"


def test_backpack_max_withdrawal_vector_sorts_unsorted_query() -> None:
    # exchanges.md 1.3, second vector; the query is deliberately sent unsorted and must stay as sent.
    request = httpx.Request(
        "GET", f"{BACKPACK_BASE}/api/v1/account/limits/withdrawal?symbol=USDC&autoLendRedeem=false&autoBorrow=true"
    )
    signed = sign(backpack(), request)
    assert signed.headers["X-Signature"] == (
        "0mySfFFi5+gR4Otlge7IbPfrF1LwwAnxTNuOAt4KXnkFs8V91bZvEwii8+Y5O5lHjwtRszyOIinYX9ToJbmgBA=="
    )
    assert signed.url.query == b"symbol=USDC&autoLendRedeem=false&autoBorrow=true"


def test_backpack_documented_body_example() -> None:
    # exchanges.md 1.2: body {orderId: 28, symbol: "BTC_USDT"} signs as the documented string below.
    request = httpx.Request("DELETE", f"{BACKPACK_BASE}/api/v1/order", json={"symbol": "BTC_USDT", "orderId": 28})
    signed = sign(backpack(), request)
    assert_backpack_signed(
        signed, "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000"
    )


def test_backpack_body_value_rendering() -> None:
    content = b'{"z":"a b","flag":true,"off":false,"n":null,"qty":1.5,"count":3,"nested":{"b":[1,"x"],"a":"\xc3\xa9"}}'
    request = httpx.Request("DELETE", f"{BACKPACK_BASE}/api/v1/order", content=content)
    signed = sign(backpack(), request)
    assert_backpack_signed(
        signed,
        'instruction=orderCancel&count=3&flag=true&n=null&nested={"b":[1,"x"],"a":"é"}&off=false&qty=1.5&z=a b'
        "&timestamp=1614550000000&window=5000",
    )


def test_backpack_query_pairs_come_before_body_pairs_and_are_decoded() -> None:
    request = httpx.Request(
        "DELETE", f"{BACKPACK_BASE}/api/v1/order?zeta=A%2BB&alpha=x+y&empty=", json={"beta": "1", "aaa": "2"}
    )
    signed = sign(backpack(), request)
    assert_backpack_signed(
        signed,
        "instruction=orderCancel&alpha=x y&empty=&zeta=A+B&aaa=2&beta=1&timestamp=1614550000000&window=5000",
    )


def test_backpack_sort_is_stable_for_repeated_keys() -> None:
    request = httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=B&a=1&symbol=A")
    signed = sign(backpack(), request)
    assert_backpack_signed(
        signed, "instruction=maxBorrowQuantity&a=1&symbol=B&symbol=A&timestamp=1614550000000&window=5000"
    )


def test_backpack_custom_window() -> None:
    signed = sign(
        backpack(window_ms=60000), httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=USDC")
    )
    assert signed.headers["X-Window"] == "60000"
    assert_backpack_signed(signed, "instruction=maxBorrowQuantity&symbol=USDC&timestamp=1614550000000&window=60000")


def test_backpack_public_route_is_sent_unsigned() -> None:
    signed = sign(backpack(), httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/time"))
    for header in ("X-API-Key", "X-Signature", "X-Timestamp", "X-Window"):
        assert header not in signed.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/account"),
        ("POST", "/api/v1/account/limits/borrow"),
        ("GET", "/api/v1/account/limits/borrow/"),
        ("GET", "/API/v1/account/limits/borrow"),
    ],
)
def test_backpack_unknown_operation_fails_closed(method: str, path: str) -> None:
    flow = backpack().sync_auth_flow(httpx.Request(method, f"{BACKPACK_BASE}{path}"))
    with pytest.raises(UnknownOperationError, match="not a known Backpack operation"):
        next(flow)
    assert issubclass(UnknownOperationError, ValueError)


def test_backpack_unknown_operation_is_never_sent(httpserver_ipv4: HTTPServer) -> None:
    httpserver_ipv4.expect_request("/api/v1/capital").respond_with_json({})
    with httpx.Client(auth=backpack(), trust_env=False) as client:
        with pytest.raises(UnknownOperationError):
            client.get(httpserver_ipv4.url_for("/api/v1/capital"))
    assert httpserver_ipv4.log == []


def test_backpack_method_lookup_is_case_insensitive_in_table() -> None:
    auth = BackpackAuth(
        BACKPACK_SECRET,
        clock=frozen(BACKPACK_TIMESTAMP),
        routes={("get", "/api/v1/account/limits/borrow"): "maxBorrowQuantity"},
    )
    signed = sign(auth, httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=USDC"))
    assert signed.headers["X-Signature"].startswith("5tdke7XD2ViYol1Z")


@pytest.mark.parametrize("content", [b"[1,2]", b"not json", b'"text"'])
def test_backpack_refuses_body_that_is_not_a_json_object(content: bytes) -> None:
    flow = backpack().sync_auth_flow(httpx.Request("DELETE", f"{BACKPACK_BASE}/api/v1/order", content=content))
    with pytest.raises(ValueError, match="JSON"):
        next(flow)


@pytest.mark.parametrize("window_ms", [0, -1, 60001, True])
def test_backpack_bad_window(window_ms: int) -> None:
    with pytest.raises(ValueError, match="window_ms") as excinfo:
        BackpackAuth(BACKPACK_SECRET, window_ms=window_ms, routes={})
    assert BACKPACK_SECRET not in str(excinfo.value)


@pytest.mark.parametrize("instruction", ["", 3])
def test_backpack_bad_instruction_table(instruction: object) -> None:
    with pytest.raises(ValueError, match="non-empty string or None"):
        BackpackAuth(BACKPACK_SECRET, routes={("GET", "/x"): instruction})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", "empty"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "not valid base64"),
        (SEED_64_BYTES_B64, "exactly 32 bytes"),
    ],
)
def test_backpack_bad_secret(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        BackpackAuth(secret, routes=BACKPACK_INSTRUCTIONS)
    if secret:
        assert secret not in str(excinfo.value)


def test_backpack_instruction_table_is_copied() -> None:
    table: dict[tuple[str, str], str | None] = {("GET", "/api/v1/account/limits/borrow"): "maxBorrowQuantity"}
    auth = BackpackAuth(BACKPACK_SECRET, clock=frozen(BACKPACK_TIMESTAMP), routes=table)
    table[("GET", "/api/v1/account")] = "accountQuery"
    with pytest.raises(UnknownOperationError):
        next(auth.sync_auth_flow(httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account")))
