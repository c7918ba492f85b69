"""What every signer shares: masked reprs, the clock offset, fail-closed route tables, end-to-end async
against an independent verifier on 127.0.0.1."""

import asyncio
import time

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from auth_plugins import UnknownOperationError
from auth_plugins._clock import system_clock
from auth_plugins.backpack import BackpackAuth
from auth_plugins.binance import BinanceAuth
from auth_plugins.okx import OkxAuth
from auth_plugins.sandbox._signatures import verify_backpack, verify_binance_ed25519, verify_binance_hmac, verify_okx
from tests.signers._vectors import (
    BACKPACK_API_KEY,
    BACKPACK_BASE,
    BACKPACK_INSTRUCTIONS,
    BACKPACK_SECRET,
    BACKPACK_TIMESTAMP,
    BINANCE_API_KEY,
    BINANCE_ROUTES,
    BINANCE_SECRET,
    BINANCE_TIMESTAMP,
    OKX_API_KEY,
    OKX_BASE,
    OKX_PASSPHRASE,
    OKX_ROUTES,
    OKX_SECRET,
    OKX_TIMESTAMP_ISO,
    OKX_TIMESTAMP_MS,
    RFC8032_TEST1_PEM,
    RFC8032_TEST1_PUBLIC_HEX,
    RFC8032_TEST1_SEED_HEX,
    assert_backpack_signed,
    backpack,
    binance_hmac,
    frozen,
    lower_headers,
    okx,
    sign,
)

# --- Shared contract ----------------------------------------------------------------------------------------


def test_reprs_hide_secrets() -> None:
    backpack_repr = repr(backpack())
    binance_hmac_repr = repr(binance_hmac(recv_window_ms=5000))
    binance_ed_repr = repr(BinanceAuth(BINANCE_API_KEY, private_key=RFC8032_TEST1_PEM))
    okx_repr = repr(okx(demo=True))

    assert backpack_repr == ("BackpackAuth(api_key='11qY…URo=', window_ms=5000, operations=4)")
    assert binance_hmac_repr == "BinanceAuth(api_key='vmPU…Eh8A', method='hmac-sha256', recv_window_ms=5000)"
    assert binance_ed_repr == "BinanceAuth(api_key='vmPU…Eh8A', method='ed25519', recv_window_ms=None)"
    assert okx_repr == "OkxAuth(api_key='5f9c…3f40', demo=True)"

    forbidden = [
        BACKPACK_SECRET,
        RFC8032_TEST1_SEED_HEX,
        BINANCE_SECRET,
        BINANCE_API_KEY,
        RFC8032_TEST1_PEM.splitlines()[1],
        OKX_SECRET,
        OKX_PASSPHRASE,
        OKX_API_KEY,
    ]
    for text in (backpack_repr, binance_hmac_repr, binance_ed_repr, okx_repr):
        for secret in forbidden:
            assert secret not in text


def test_short_api_keys_are_fully_masked() -> None:
    assert repr(OkxAuth("short-key", OKX_SECRET, OKX_PASSPHRASE)) == "OkxAuth(api_key='…', demo=False)"


def test_offset_ms_is_added_to_the_clock() -> None:
    bp = backpack(clock_ms=1_000_000)
    bp.offset_ms = 250
    signed = sign(bp, httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=USDC"))
    assert signed.headers["X-Timestamp"] == "1000250"
    assert_backpack_signed(signed, "instruction=maxBorrowQuantity&symbol=USDC&timestamp=1000250&window=5000")

    bn = binance_hmac(clock_ms=1_000_000)
    bn.offset_ms = -250
    signed = sign(bn, httpx.Request("GET", "https://api.binance.com/sapi/v1/margin/account"))
    assert signed.url.query.startswith(b"timestamp=999750&signature=")
    assert verify_binance_hmac(signed.url.query, b"", BINANCE_SECRET)

    ok = okx(clock_ms=OKX_TIMESTAMP_MS - 1_000)
    ok.offset_ms = 1_000
    signed = sign(ok, httpx.Request("GET", f"{OKX_BASE}/api/v5/account/balance?ccy=BTC"))
    assert signed.headers["OK-ACCESS-TIMESTAMP"] == OKX_TIMESTAMP_ISO
    assert signed.headers["OK-ACCESS-SIGN"] == "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="


def test_offset_defaults_to_zero_and_default_clock_is_system_clock() -> None:
    auths: list[BackpackAuth | BinanceAuth | OkxAuth] = [
        BackpackAuth(BACKPACK_SECRET, routes=BACKPACK_INSTRUCTIONS),
        BinanceAuth(BINANCE_API_KEY, api_secret=BINANCE_SECRET),
        OkxAuth(OKX_API_KEY, OKX_SECRET, OKX_PASSPHRASE),
    ]
    assert [auth.offset_ms for auth in auths] == [0, 0, 0]
    before = time.time_ns() // 1_000_000
    signed = sign(auths[0], httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=USDC"))
    after = time.time_ns() // 1_000_000
    assert before <= int(signed.headers["X-Timestamp"]) <= after


def test_system_clock_is_epoch_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    now = system_clock()
    after = time.time_ns() // 1_000_000
    assert isinstance(now, int) and before <= now <= after


# --- End to end, async, against an independent verifier on 127.0.0.1 ---------------------------------------


def verdict(ok: bool) -> Response:
    """The local server's answer: 200 when the signature verified, 401 otherwise."""
    return Response('{"ok":true}' if ok else '{"ok":false}', status=200 if ok else 401, content_type="application/json")


def test_backpack_async_end_to_end(httpserver_ipv4: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        ok = verify_backpack(
            "maxWithdrawalQuantity",
            request.query_string,
            request.get_data(),
            lower_headers(request),
            api_key=BACKPACK_API_KEY,
        )
        return verdict(ok)

    httpserver_ipv4.expect_request("/api/v1/account/limits/withdrawal").respond_with_handler(handler)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(auth=backpack(), trust_env=False) as client:
            return await client.get(
                httpserver_ipv4.url_for("/api/v1/account/limits/withdrawal"),
                params={"symbol": "USDC", "autoLendRedeem": False, "autoBorrow": True},
            )

    response = asyncio.run(call())
    assert response.status_code == 200, response.text
    assert len(httpserver_ipv4.log) == 1
    httpserver_ipv4.check_assertions()


def test_binance_async_end_to_end(httpserver_ipv4: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        return verdict(verify_binance_hmac(request.query_string, request.get_data(), BINANCE_SECRET))

    def ed_handler(request: Request) -> Response:
        public_key = bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX)
        return verdict(verify_binance_ed25519(request.query_string, request.get_data(), public_key))

    httpserver_ipv4.expect_request("/sapi/v1/margin/maxBorrowable").respond_with_handler(handler)
    httpserver_ipv4.expect_request("/api/v3/order", method="POST").respond_with_handler(ed_handler)
    ed_auth = BinanceAuth(BINANCE_API_KEY, private_key=RFC8032_TEST1_PEM, recv_window_ms=5000, routes=BINANCE_ROUTES)

    async def call() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(auth=binance_hmac(recv_window_ms=5000), trust_env=False) as client:
            first = await client.get(
                httpserver_ipv4.url_for("/sapi/v1/margin/maxBorrowable"),
                params={"asset": "BTC", "isolatedSymbol": "BTCUSDT"},
            )
            second = await client.post(
                httpserver_ipv4.url_for("/api/v3/order"),
                params={"symbol": "１２３４５６"},
                data={"side": "BUY", "quantity": "1"},
                auth=ed_auth,
            )
        return first, second

    first, second = asyncio.run(call())
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert len(httpserver_ipv4.log) == 2
    httpserver_ipv4.check_assertions()


def test_okx_async_end_to_end(httpserver_ipv4: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        raw_target = request.environ["RAW_URI"].encode("latin-1")
        ok = verify_okx(
            request.method,
            raw_target,
            request.get_data(),
            lower_headers(request),
            api_key=OKX_API_KEY,
            api_secret=OKX_SECRET,
            passphrase=OKX_PASSPHRASE,
        )
        return verdict(ok and request.headers.get("x-simulated-trading") == "1")

    httpserver_ipv4.expect_request("/api/v5/account/max-loan").respond_with_handler(handler)
    httpserver_ipv4.expect_request("/api/v5/finance/flexible-loan/max-loan").respond_with_handler(handler)

    async def call() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(auth=okx(demo=True, clock_ms=system_clock()), trust_env=False) as client:
            first = await client.get(
                httpserver_ipv4.url_for("/api/v5/account/max-loan"),
                params={"mgnMode": "cross", "instId": "BTC-USDT,ETH-USDT"},
            )
            second = await client.post(
                httpserver_ipv4.url_for("/api/v5/finance/flexible-loan/max-loan"),
                json={"borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "1"}]},
            )
        return first, second

    first, second = asyncio.run(call())
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert len(httpserver_ipv4.log) == 2
    httpserver_ipv4.check_assertions()


@pytest.mark.parametrize(
    "auth",
    [
        BinanceAuth(BINANCE_API_KEY, api_secret=BINANCE_SECRET, routes=BINANCE_ROUTES),
        OkxAuth(OKX_API_KEY, OKX_SECRET, OKX_PASSPHRASE, routes=OKX_ROUTES),
    ],
    ids=["binance", "okx"],
)
def test_unknown_routes_fail_closed_for_every_exchange(auth: httpx.Auth) -> None:
    flow = auth.sync_auth_flow(httpx.Request("GET", "https://api.example.invalid/api/v1/not-in-the-table"))
    with pytest.raises(UnknownOperationError, match="is not a known .* operation; refusing to send it"):
        next(flow)


def test_public_routes_pass_through_unsigned() -> None:
    bn = sign(binance_hmac(), httpx.Request("GET", "https://api.binance.com/api/v3/time"))
    assert bn.url.query == b"" and "X-MBX-APIKEY" not in bn.headers
    ok = sign(okx(), httpx.Request("GET", "https://www.okx.com/api/v5/public/time"))
    assert not any(name.lower().startswith("ok-access") for name in ok.headers)


def test_default_route_tables_come_from_the_generated_operations() -> None:
    bn = BinanceAuth(BINANCE_API_KEY, api_secret=BINANCE_SECRET, clock=frozen(BINANCE_TIMESTAMP))
    assert (
        b"signature="
        in sign(bn, httpx.Request("GET", "https://api.binance.com/sapi/v1/margin/maxBorrowable?asset=BTC")).url.query
    )
    assert sign(bn, httpx.Request("GET", "https://api.binance.com/api/v3/time")).url.query == b""
    with pytest.raises(UnknownOperationError):
        next(bn.sync_auth_flow(httpx.Request("GET", "https://api.binance.com/api/v3/order")))
    ok = OkxAuth(OKX_API_KEY, OKX_SECRET, OKX_PASSPHRASE, clock=frozen(OKX_TIMESTAMP_MS))
    assert (
        "OK-ACCESS-SIGN"
        in sign(ok, httpx.Request("GET", "https://www.okx.com/api/v5/account/max-loan?mgnMode=cross")).headers
    )
    with pytest.raises(UnknownOperationError):
        next(ok.sync_auth_flow(httpx.Request("GET", "https://www.okx.com/api/v5/account/balance")))
    bp = BackpackAuth(BACKPACK_SECRET, clock=frozen(BACKPACK_TIMESTAMP))
    assert (
        "X-Signature"
        in sign(bp, httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/borrow?symbol=USDC")).headers
    )
    assert "X-Signature" not in sign(bp, httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/time")).headers
