"""The Binance signer: the documentation's HMAC vectors, Ed25519 over RFC 8032 keys, refusals."""

import base64
from urllib.parse import unquote_to_bytes

import httpx
import pytest
from nacl.signing import VerifyKey

from auth_plugins.binance import BinanceAuth
from auth_plugins.sandbox._signatures import verify_binance_ed25519, verify_binance_hmac
from tests.signers._vectors import (
    BINANCE_API_KEY,
    BINANCE_ROUTES,
    BINANCE_SECRET,
    BINANCE_TIMESTAMP,
    OPENSSL_ED25519_ENCRYPTED_PEM,
    OPENSSL_RSA_512_PKCS8_PEM,
    RFC8032_TEST1_PEM,
    RFC8032_TEST1_PUBLIC_HEX,
    binance_hmac,
    frozen,
    sign,
)

# --- Binance ------------------------------------------------------------------------------------------------


def test_binance_official_hmac_vector() -> None:
    # exchanges.md 2.2, first official payload (recvWindow is already part of the caller's query).
    request = httpx.Request(
        "GET",
        "https://api.binance.com/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1"
        "&price=0.1&recvWindow=5000",
    )
    signed = sign(binance_hmac(), request)
    assert signed.url.query == (
        b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
        b"&timestamp=1499827319559"
        b"&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    assert signed.headers["X-MBX-APIKEY"] == BINANCE_API_KEY


def test_binance_official_hmac_vector_non_ascii() -> None:
    # exchanges.md 2.2, second official payload: symbol "１２３４５６" percent-encoded before signing.
    request = httpx.Request(
        "GET",
        "https://api.binance.com/api/v3/order?symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
        "&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000",
    )
    signed = sign(binance_hmac(), request)
    assert signed.url.query == (
        b"symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
        b"&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        b"&signature=e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
    )


def test_binance_non_ascii_params_are_encoded_by_httpx_before_signing() -> None:
    # Same vector as above, but the caller passes the raw symbol and lets httpx percent-encode it.
    request = httpx.Request(
        "GET",
        "https://api.binance.com/api/v3/order",
        params={
            "symbol": "１２３４５６",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": 1,
            "price": 0.1,
            "recvWindow": 5000,
        },
    )
    signed = sign(binance_hmac(), request)
    assert signed.url.query.endswith(b"&signature=e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3")


def test_binance_max_borrowable_vector_with_recv_window() -> None:
    # exchanges.md 2.2, self-computed maxBorrowable payload (binance-connector order: recvWindow, timestamp).
    request = httpx.Request(
        "GET", "https://api.binance.com/sapi/v1/margin/maxBorrowable?asset=BTC&isolatedSymbol=BTCUSDT"
    )
    signed = sign(binance_hmac(recv_window_ms=5000), request)
    assert signed.url.query == (
        b"asset=BTC&isolatedSymbol=BTCUSDT&recvWindow=5000&timestamp=1499827319559"
        b"&signature=121f794ce979a4303ceb54f444aef9a8801c927d7483b17add6283907faf1b56"
    )
    assert signed.url.raw_path.startswith(b"/sapi/v1/margin/maxBorrowable?asset=BTC&")


def test_binance_empty_query_has_no_leading_ampersand() -> None:
    signed = sign(binance_hmac(), httpx.Request("GET", "https://api.binance.com/sapi/v1/margin/account"))
    query = signed.url.query
    assert query.startswith(b"timestamp=1499827319559&signature=")
    assert len(query.rpartition(b"&signature=")[2]) == 64
    assert verify_binance_hmac(query, b"", BINANCE_SECRET)


def test_binance_body_is_signed_after_query() -> None:
    body = b"symbol=LTCBTC&side=BUY&type=LIMIT"
    request = httpx.Request(
        "POST",
        "https://api.binance.com/api/v3/order?quantity=1",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    signed = sign(binance_hmac(recv_window_ms=5000), request)
    assert signed.content == body
    assert signed.url.query.startswith(b"quantity=1&recvWindow=5000&timestamp=1499827319559&signature=")
    assert verify_binance_hmac(signed.url.query, body, BINANCE_SECRET)
    assert not verify_binance_hmac(signed.url.query, b"", BINANCE_SECRET)


@pytest.mark.parametrize(
    ("query", "recv_window_ms"),
    [("timestamp=1", None), ("a=1&signature=abc", None), ("recvWindow=5000", 5000)],
)
def test_binance_refuses_params_it_adds_itself(query: str, recv_window_ms: int | None) -> None:
    flow = binance_hmac(recv_window_ms).sync_auth_flow(httpx.Request("GET", f"https://api.binance.com/x?{query}"))
    with pytest.raises(ValueError, match="already contains"):
        next(flow)


def test_binance_ed25519_signature_verifies_with_rfc8032_public_key() -> None:
    auth = BinanceAuth(
        BINANCE_API_KEY,
        private_key=RFC8032_TEST1_PEM,
        recv_window_ms=5000,
        clock=frozen(BINANCE_TIMESTAMP),
        routes=BINANCE_ROUTES,
    )
    request = httpx.Request(
        "GET", "https://api.binance.com/sapi/v1/margin/maxBorrowable?asset=BTC&isolatedSymbol=BTCUSDT"
    )
    signed = sign(auth, request)
    payload, _, encoded = signed.url.query.rpartition(b"&signature=")
    assert payload == b"asset=BTC&isolatedSymbol=BTCUSDT&recvWindow=5000&timestamp=1499827319559"
    assert b"+" not in encoded and b"/" not in encoded and b"=" not in encoded  # percent-encoded base64
    signature = base64.b64decode(unquote_to_bytes(encoded), validate=True)
    assert len(signature) == 64
    VerifyKey(bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX)).verify(payload, signature)
    assert signed.headers["X-MBX-APIKEY"] == BINANCE_API_KEY


def test_binance_ed25519_accepts_pem_bytes() -> None:
    auth = BinanceAuth(
        BINANCE_API_KEY, private_key=RFC8032_TEST1_PEM.encode("ascii"), clock=frozen(1), routes=BINANCE_ROUTES
    )
    signed = sign(auth, httpx.Request("GET", "https://api.binance.com/sapi/v1/margin/account?asset=BTC"))
    assert verify_binance_ed25519(signed.url.query, b"", bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of api_secret or private_key"),
        ({"api_secret": BINANCE_SECRET, "private_key": RFC8032_TEST1_PEM}, "not both"),
        ({"api_secret": ""}, "api_secret is empty"),
        ({"private_key": ""}, "PEM is empty"),
        ({"private_key": OPENSSL_RSA_512_PKCS8_PEM}, "not an Ed25519 PKCS#8 private key"),
        ({"private_key": OPENSSL_ED25519_ENCRYPTED_PEM}, "encrypted"),
        ({"api_secret": BINANCE_SECRET, "recv_window_ms": 0}, "recv_window_ms"),
        ({"api_secret": BINANCE_SECRET, "recv_window_ms": 60001}, "recv_window_ms"),
    ],
)
def test_binance_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        BinanceAuth(BINANCE_API_KEY, **kwargs)  # type: ignore[arg-type]
    assert BINANCE_SECRET not in str(excinfo.value)
    assert "MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8" not in str(excinfo.value)


def test_binance_empty_api_key() -> None:
    with pytest.raises(ValueError, match="api_key is empty"):
        BinanceAuth("", api_secret=BINANCE_SECRET)


def test_binance_recv_window_bounds_are_inclusive() -> None:
    assert BinanceAuth(BINANCE_API_KEY, api_secret=BINANCE_SECRET, recv_window_ms=1).recv_window_ms == 1
    assert BinanceAuth(BINANCE_API_KEY, api_secret=BINANCE_SECRET, recv_window_ms=60000).recv_window_ms == 60000
