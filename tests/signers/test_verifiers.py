"""The verifiers the sandbox and the signer tests share (auth_plugins/sandbox/_signatures.py), held to known answers.

Every accepted request below is a literal: the documentation's Binance HMAC vectors, RFC 8032's Ed25519 vectors,
and the Backpack and OKX vectors that independent clients (ccxt, bpx-py, python-okx) agree on (exchanges.md
1.3, 2.2, 3.1). No signer of ours computes any of them, so a verifier that drifts from the documented rules
fails here, and a signer test that passes through it means the signer follows those rules too.
"""

from __future__ import annotations

import ast
import base64
import sys
from pathlib import Path
from urllib.parse import quote_from_bytes

import httpx
import pytest

import auth_plugins.sandbox._signatures as signatures
from auth_plugins.sandbox._signatures import (
    backpack_signing_string,
    split_binance_query,
    verify_backpack,
    verify_binance_ed25519,
    verify_binance_hmac,
    verify_okx,
)
from tests.signers._vectors import (
    BACKPACK_API_KEY,
    BACKPACK_BASE,
    BINANCE_SECRET,
    OKX_API_KEY,
    OKX_BASE,
    OKX_PASSPHRASE,
    OKX_SECRET,
    OKX_TIMESTAMP_ISO,
    RFC8032_TEST1_EMPTY_MESSAGE_SIGNATURE_HEX,
    RFC8032_TEST1_PUBLIC_HEX,
    RFC8032_TEST2_MESSAGE,
    RFC8032_TEST2_PUBLIC_HEX,
    RFC8032_TEST2_SIGNATURE_HEX,
    backpack,
    binance_hmac,
    okx,
    sign,
)

BINANCE_ORDER = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
BINANCE_ORDER_NON_ASCII = (
    b"symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96"
    b"&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
)
# exchanges.md 2.2: the official payloads and their signatures.
BINANCE_HMAC_VECTORS = [
    (
        BINANCE_ORDER + b"&timestamp=1499827319559",
        b"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
    ),
    (
        BINANCE_ORDER_NON_ASCII + b"&timestamp=1499827319559",
        b"e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
    ),
]
OKX_CREDENTIALS = {"api_key": OKX_API_KEY, "api_secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE}
# exchanges.md 3.1: (METHOD, request target, body, OK-ACCESS-SIGN) at the documentation's timestamp.
OKX_VECTORS = [
    ("GET", b"/api/v5/account/balance?ccy=BTC", b"", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
    (
        "GET",
        b"/api/v5/account/max-loan?mgnMode=cross&instId=BTC-USDT",
        b"",
        "Uyu5/rQqrtG7A1xadsKi5zXjQcUcx9LculIQTWE6vvU=",
    ),
    (
        "POST",
        b"/api/v5/finance/flexible-loan/max-loan",
        b'{"borrowCcy":"USDT","supCollateral":[{"ccy":"BTC","amt":"1"}]}',
        "nNe8LdAyJardVE0p8OnIXVMikmqthCEVagWvKet2zmQ=",
    ),
    (
        "POST",
        b"/api/v5/finance/flexible-loan/max-loan",
        b'{"borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "1"}]}',
        "kSgFyIXm8wKvY26RzHhV2gxRLrZA7eYGjX0YzLbmpUk=",
    ),
]
# exchanges.md 1.3: (instruction, query as sent, X-Signature) at timestamp 1614550000000, window 5000.
BACKPACK_VECTORS = [
    (
        "maxBorrowQuantity",
        b"symbol=USDC",
        "5tdke7XD2ViYol1Z2oxcyJEP7B5uytN/gandaawQLlVMpVaJPvKCujvxp7Ou2JhJuj+GGGZRFcZ1JGWIYS1lBQ==",
    ),
    (
        "maxWithdrawalQuantity",
        b"symbol=USDC&autoLendRedeem=false&autoBorrow=true",
        "0mySfFFi5+gR4Otlge7IbPfrF1LwwAnxTNuOAt4KXnkFs8V91bZvEwii8+Y5O5lHjwtRszyOIinYX9ToJbmgBA==",
    ),
]


def _okx_headers(signature: str, **changes: str) -> dict[str, str]:
    headers = {
        "ok-access-key": OKX_API_KEY,
        "ok-access-passphrase": OKX_PASSPHRASE,
        "ok-access-timestamp": OKX_TIMESTAMP_ISO,
        "ok-access-sign": signature,
    }
    return {**headers, **changes}


def _backpack_headers(signature: str, **changes: str) -> dict[str, str]:
    headers = {
        "x-api-key": BACKPACK_API_KEY,
        "x-timestamp": "1614550000000",
        "x-window": "5000",
        "x-signature": signature,
    }
    return {**headers, **changes}


def _ed25519_query(signature_hex: str) -> bytes:
    """``signature=<percent-encoded base64>`` alone: the signed query is empty, so only the body is signed."""
    return b"signature=" + quote_from_bytes(base64.b64encode(bytes.fromhex(signature_hex)), safe="").encode()


@pytest.mark.parametrize(("payload", "signature"), BINANCE_HMAC_VECTORS, ids=["ascii", "non-ascii"])
def test_binance_hmac_accepts_the_documented_vectors_and_nothing_else(payload: bytes, signature: bytes) -> None:
    query = payload + b"&signature=" + signature
    assert verify_binance_hmac(query, b"", BINANCE_SECRET)
    assert verify_binance_hmac(payload + b"&signature=" + signature.upper(), b"", BINANCE_SECRET)  # hex case
    # The same bytes split between query and body sign alike (the body follows the query).
    head, _, tail = payload.partition(b"&side=")
    assert verify_binance_hmac(head + b"&signature=" + signature, b"&side=" + tail, BINANCE_SECRET)
    assert not verify_binance_hmac(query, b"x", BINANCE_SECRET)
    assert not verify_binance_hmac(query.replace(b"quantity=1", b"quantity=2"), b"", BINANCE_SECRET)
    assert not verify_binance_hmac(query, b"", BINANCE_SECRET[:-1] + "k")
    assert not verify_binance_hmac(payload, b"", BINANCE_SECRET)  # no signature at all
    assert not verify_binance_hmac(query + b"&recvWindow=1", b"", BINANCE_SECRET)  # signature not last


def test_binance_ed25519_accepts_the_rfc8032_vectors_and_nothing_else() -> None:
    empty = _ed25519_query(RFC8032_TEST1_EMPTY_MESSAGE_SIGNATURE_HEX)
    assert verify_binance_ed25519(empty, b"", bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX))
    assert not verify_binance_ed25519(empty, b"x", bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX))
    assert not verify_binance_ed25519(empty, b"", bytes.fromhex(RFC8032_TEST2_PUBLIC_HEX))

    one_byte = _ed25519_query(RFC8032_TEST2_SIGNATURE_HEX)
    assert verify_binance_ed25519(one_byte, RFC8032_TEST2_MESSAGE, bytes.fromhex(RFC8032_TEST2_PUBLIC_HEX))
    assert not verify_binance_ed25519(one_byte, b"\x73", bytes.fromhex(RFC8032_TEST2_PUBLIC_HEX))
    # Binance form-decodes the value: base64's '+' must arrive percent-encoded, or it reads as a space.
    unencoded = one_byte.replace(b"%2B", b"+")
    assert unencoded != one_byte
    assert not verify_binance_ed25519(unencoded, RFC8032_TEST2_MESSAGE, bytes.fromhex(RFC8032_TEST2_PUBLIC_HEX))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"a=1&signature=ff", (b"a=1", b"ff")),
        (b"signature=ff", (b"", b"ff")),
        (b"a=1", None),
        (b"a=1&signature=", None),
        (b"a=1&signature=ff&b=2", None),
    ],
)
def test_the_binance_signature_is_the_last_parameter(query: bytes, expected: tuple[bytes, bytes] | None) -> None:
    assert split_binance_query(query) == expected


@pytest.mark.parametrize(("method", "target", "body", "signature"), OKX_VECTORS, ids=["get", "list", "post", "spaced"])
def test_okx_accepts_the_documented_vectors_and_nothing_else(
    method: str, target: bytes, body: bytes, signature: str
) -> None:
    headers = _okx_headers(signature)
    assert verify_okx(method, target, body, headers, **OKX_CREDENTIALS)
    assert verify_okx(method.lower(), target, body, headers, **OKX_CREDENTIALS)
    assert not verify_okx("PUT", target, body, headers, **OKX_CREDENTIALS)
    assert not verify_okx(method, target + b"&x=1", body, headers, **OKX_CREDENTIALS)
    assert not verify_okx(method, target, body + b" ", headers, **OKX_CREDENTIALS)
    later = _okx_headers(signature, **{"ok-access-timestamp": "2020-12-08T09:08:57.716Z"})
    assert not verify_okx(method, target, body, later, **OKX_CREDENTIALS)
    assert not verify_okx(method, target, body, headers, **{**OKX_CREDENTIALS, "api_secret": OKX_SECRET.lower()})
    assert not verify_okx(method, target, body, headers, **{**OKX_CREDENTIALS, "api_key": "another-key"})
    assert not verify_okx(method, target, body, headers, **{**OKX_CREDENTIALS, "passphrase": "another"})


@pytest.mark.parametrize(("instruction", "query", "signature"), BACKPACK_VECTORS, ids=["borrow", "withdrawal"])
def test_backpack_accepts_the_documented_vectors_and_nothing_else(
    instruction: str, query: bytes, signature: str
) -> None:
    headers = _backpack_headers(signature)
    assert verify_backpack(instruction, query, b"", headers, api_key=BACKPACK_API_KEY)
    without_window = {name: value for name, value in headers.items() if name != "x-window"}
    assert verify_backpack(instruction, query, b"", without_window, api_key=BACKPACK_API_KEY)  # 5000 by default
    assert not verify_backpack("orderCancel", query, b"", headers, api_key=BACKPACK_API_KEY)
    assert not verify_backpack(instruction, query + b"&x=1", b"", headers, api_key=BACKPACK_API_KEY)
    assert not verify_backpack(instruction, query, b'{"x":1}', headers, api_key=BACKPACK_API_KEY)
    for changed in ({"x-window": "6000"}, {"x-timestamp": "1614550000001"}, {"x-api-key": "AAAA"}):
        assert not verify_backpack(instruction, query, b"", {**headers, **changed}, api_key=BACKPACK_API_KEY)


def test_the_backpack_signing_string_is_the_documented_one() -> None:
    # exchanges.md 1.2: body {orderId: 28, symbol: "BTC_USDT"} signs as this string.
    built = backpack_signing_string("orderCancel", b"", b'{"symbol":"BTC_USDT","orderId":28}', "1614550000000", "5000")
    assert built == "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000"
    assert backpack_signing_string("orderCancel", b"", b"[1]", "1", "5000") is None
    assert backpack_signing_string("orderCancel", b"", b"{", "1", "5000") is None


def test_the_verifiers_reject_tampering_with_what_our_signers_send() -> None:
    # The end-to-end tests only mean something if the verifiers can say no to our own signers' requests too.
    signed = sign(binance_hmac(), httpx.Request("GET", "https://api.binance.com/sapi/v1/margin/account?asset=BTC"))
    assert verify_binance_hmac(signed.url.query, b"", BINANCE_SECRET)
    assert not verify_binance_hmac(signed.url.query.replace(b"asset=BTC", b"asset=ETH"), b"", BINANCE_SECRET)
    assert not verify_binance_hmac(signed.url.query, b"", BINANCE_SECRET[::-1])

    request = httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/withdrawal?symbol=USDC&autoBorrow=true")
    signed = sign(backpack(), request)
    headers = {name.lower(): value for name, value in signed.headers.items()}
    assert verify_backpack("maxWithdrawalQuantity", signed.url.query, b"", headers, api_key=BACKPACK_API_KEY)
    assert not verify_backpack("maxBorrowQuantity", signed.url.query, b"", headers, api_key=BACKPACK_API_KEY)
    assert not verify_backpack(
        "maxWithdrawalQuantity", b"symbol=USDC&autoBorrow=false", b"", headers, api_key=BACKPACK_API_KEY
    )

    signed = sign(okx(), httpx.Request("GET", f"{OKX_BASE}/api/v5/account/balance?ccy=BTC"))
    headers = {name.lower(): value for name, value in signed.headers.items()}
    assert verify_okx("GET", signed.url.raw_path, b"", headers, **OKX_CREDENTIALS)
    assert not verify_okx("GET", b"/api/v5/account/balance?ccy=ETH", b"", headers, **OKX_CREDENTIALS)
    assert not verify_okx("POST", signed.url.raw_path, b"", headers, **OKX_CREDENTIALS)


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def test_the_verifiers_share_no_code_with_the_signers() -> None:
    # Independence is what makes them a check: only the standard library and pynacl, nothing of ours.
    source = Path(signatures.__file__)
    tops = {name.split(".")[0] for name in _imported_modules(source)}
    assert sorted(top for top in tops if top not in sys.stdlib_module_names and top != "nacl") == []
