"""Known-answer and contract tests for the Backpack, Binance and OKX request signers.

Expected values are literals copied from /work/shared/reference/exchanges.md (section cited next to each) or
from RFC 8032; none is computed by the code under test. Flows are driven directly with ``sync_auth_flow``
(as httpx's own auth tests do), and end to end through httpx clients against a local server on 127.0.0.1.
"""

import asyncio
import base64
import time
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

import httpx
import pytest
from nacl.signing import SigningKey, VerifyKey
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from auth_plugins import UnknownOperationError
from auth_plugins._clock import system_clock
from auth_plugins._keys import decode_ed25519_seed_b64, load_ed25519_pkcs8_pem
from auth_plugins.backpack import BackpackAuth
from auth_plugins.binance import BinanceAuth
from auth_plugins.okx import OkxAuth
from tests._verifiers import verify_backpack, verify_binance_ed25519, verify_binance_hmac, verify_okx

# --- Key material and vectors -----------------------------------------------------------------------------

# exchanges.md 2.2: official HMAC known-answer key pair from Binance's rest-api.md.
BINANCE_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BINANCE_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
BINANCE_TIMESTAMP = 1499827319559

# RFC 8032 section 7.1, TEST 1.
RFC8032_TEST1_SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_TEST1_PUBLIC_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC8032_TEST1_EMPTY_MESSAGE_SIGNATURE_HEX = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
    "224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
# The TEST 1 seed wrapped as PKCS#8 (DER prefix 302e020100300506032b657004220420 + seed), written out by hand.
RFC8032_TEST1_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
"""
PKCS8_ED25519_PREFIX_HEX = "302e020100300506032b657004220420"

# Written by `openssl genpkey -algorithm ed25519` (OpenSSL 3.0.19); seed as printed by `openssl pkey -text`.
OPENSSL_ED25519_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJjNTegwpMX++XakB804RiDRGUOyM/JrZMYCXeFLuK7v
-----END PRIVATE KEY-----
"""
OPENSSL_ED25519_SEED_HEX = "98cd4de830a4c5fef976a407cd384620d11943b233f26b64c6025de14bb8aeef"
OPENSSL_ED25519_PUBLIC_HEX = "255995f8c6dd8d67dbc3e10b1458be4d74bc9db2efb2147a3cf829f4dee41b91"

# Other keys written by OpenSSL 3.0.19, none of which may be accepted as an Ed25519 signing key.
OPENSSL_ED25519_ENCRYPTED_PEM = """-----BEGIN ENCRYPTED PRIVATE KEY-----
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhvzAbRjwPmQAICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEN/n3KoUcTZR2O/81v4vQgEEQHDc
Da/9zjZAPCFPOGBCQpk7abH5ih6EFVlStWldwSPEyU6zzuA6+xkbuTTj5vJARaSu
x3CdXu+tqThIVYMcryg=
-----END ENCRYPTED PRIVATE KEY-----
"""
OPENSSL_EC_P256_PKCS8_PEM = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTBjlEYo4Hvz1D0gw
+1BRPTFYZwlLkMWC5uiGTlfwK8ahRANCAARH8K/rOjYdl0CsvqYMkUZ1tw2c6YH9
IFwF/KxsIveL40nXTfpKl8iTzLoGsqKJ6OQtk+uZHCsdo4JJNvhly7q6
-----END PRIVATE KEY-----
"""
OPENSSL_EC_P256_TRADITIONAL_PEM = """-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIEwY5RGKOB789Q9IMPtQUT0xWGcJS5DFgubohk5X8CvGoAoGCCqGSM49
AwEHoUQDQgAER/Cv6zo2HZdArL6mDJFGdbcNnOmB/SBcBfysbCL3i+NJ1036SpfI
k8y6BrKiiejkLZPrmRwrHaOCSTb4Zcu6ug==
-----END EC PRIVATE KEY-----
"""
OPENSSL_RSA_512_PKCS8_PEM = """-----BEGIN PRIVATE KEY-----
MIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEAps0B9U1zcTmb/ust
Letg8aT9Wtge6qB0wcd07JrM1RNun1e6YO4OniOomtSC3f5aNdzwQb19TcZ/IgWK
RmZ34QIDAQABAkATeQ2IeMFIb6RRj10X5knMDCnzyBVb6N2YndN9p9jP6yOO8W/M
hUx+uTiC5fAbti61Lev4PJdo50ojPxMzToqNAiEA1tZyZVQvRgsJhDrGobb+dEWD
5dbM1yRdi9VVslqs7lcCIQDGwmeiAisxPFnGSFmIGCrQHG02Pp7irHtI8DsN4OR4
hwIhALjgL+9M46WF5/mXTslpHU1XaOrHztyxGaM0wZtK9pffAiEAvt47lNmOTtbM
w1wBFm9W1ckmm3vhKn5GWhHQNBCudosCIQCRs4k2/Dq0PWcwvjIKk/T4ojGfruxY
SCE/bxs+KK6JoQ==
-----END PRIVATE KEY-----
"""
OPENSSL_RSA_TRADITIONAL_HEADER_PEM = """-----BEGIN RSA PRIVATE KEY-----
MIIBPAIBAAJBAKbNAfVNc3E5m/7rLS3rYPGk/VrYHuqgdMHHdOyazNUTbp9XumDu
-----END RSA PRIVATE KEY-----
"""
OPENSSL_X25519_PKCS8_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VuBCIEIFhgFShQjT0lRfkk85j8/F08GKB7hVmZqtVRm4gvq0Z3
-----END PRIVATE KEY-----
"""
OPENSSL_ED25519_PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJVmV+MbdjWfbw+ELFFi+TXS8nbLvshR6PPgp9N7kG5E=
-----END PUBLIC KEY-----
"""
LEGACY_ENCRYPTED_PEM = (
    "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
)

# exchanges.md 1.3: RFC 8032 TEST 1 seed as a Backpack secret, its X-API-Key, timestamp and window.
BACKPACK_SECRET = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
BACKPACK_API_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
BACKPACK_TIMESTAMP = 1614550000000
BACKPACK_BASE = "https://api.backpack.exchange"
BACKPACK_INSTRUCTIONS: dict[tuple[str, str], str | None] = {
    # exchanges.md 1.1 / 1.2: instruction names used by the clients.
    ("GET", "/api/v1/account/limits/borrow"): "maxBorrowQuantity",
    ("GET", "/api/v1/account/limits/withdrawal"): "maxWithdrawalQuantity",
    # exchanges.md 1.2: the documentation's body example uses orderCancel.
    ("DELETE", "/api/v1/order"): "orderCancel",
    # exchanges.md 4: public, sent unsigned.
    ("GET", "/api/v1/time"): None,
}

# Routes the Binance vectors use (exchanges.md 2.2 signs /api/v3/order examples); True means signed.
BINANCE_ROUTES: dict[tuple[str, str], bool] = {
    ("GET", "/api/v3/order"): True,
    ("POST", "/api/v3/order"): True,
    ("GET", "/sapi/v1/margin/maxBorrowable"): True,
    ("GET", "/sapi/v1/margin/account"): True,
    ("GET", "/x"): True,
    ("GET", "/api/v3/time"): False,
}
OKX_ROUTES: dict[tuple[str, str], bool] = {
    ("GET", "/api/v5/account/balance"): True,
    ("GET", "/api/v5/account/max-loan"): True,
    ("POST", "/api/v5/finance/flexible-loan/max-loan"): True,
    ("GET", "/api/v5/public/time"): False,
}

# exchanges.md 3.1: the documentation's example secret and timestamp.
OKX_API_KEY = "5f9cbd1f-2d3c-4a8e-9f2a-0b7c1d2e3f40"
OKX_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
OKX_PASSPHRASE = "correct horse battery staple"
OKX_TIMESTAMP_ISO = "2020-12-08T09:08:57.715Z"
OKX_TIMESTAMP_MS = 1607418537715
OKX_BASE = "https://www.okx.com"


def frozen(ms: int) -> Callable[[], int]:
    """A clock that always returns ``ms``."""
    return lambda: ms


def sign(auth: httpx.Auth, request: httpx.Request) -> httpx.Request:
    """Run one auth flow to its single yielded request, and check it yields no more than one."""
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200, request=signed))
    return signed


def binance_hmac(recv_window_ms: int | None = None, clock_ms: int = BINANCE_TIMESTAMP) -> BinanceAuth:
    """An HMAC BinanceAuth with the official documentation key pair and a frozen clock."""
    return BinanceAuth(
        BINANCE_API_KEY,
        api_secret=BINANCE_SECRET,
        recv_window_ms=recv_window_ms,
        clock=frozen(clock_ms),
        routes=BINANCE_ROUTES,
    )


def backpack(clock_ms: int = BACKPACK_TIMESTAMP, window_ms: int = 5000) -> BackpackAuth:
    """A BackpackAuth with the RFC 8032 TEST 1 seed, the test instruction table and a frozen clock."""
    return BackpackAuth(
        BACKPACK_SECRET, window_ms=window_ms, clock=frozen(clock_ms), instructions=BACKPACK_INSTRUCTIONS
    )


def okx(demo: bool = False, clock_ms: int = OKX_TIMESTAMP_MS) -> OkxAuth:
    """An OkxAuth with the documentation secret and a frozen clock."""
    return OkxAuth(OKX_API_KEY, OKX_SECRET, OKX_PASSPHRASE, demo=demo, clock=frozen(clock_ms), routes=OKX_ROUTES)


def lower_headers(request: Request) -> dict[str, str]:
    """The headers a server received, with lower-case names, as the verifiers expect."""
    return {name.lower(): value for name, value in request.headers.items()}


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


# --- Ed25519 key loading ------------------------------------------------------------------------------------


def test_rfc8032_pem_literal_is_prefix_plus_seed() -> None:
    body = RFC8032_TEST1_PEM.splitlines()[1]
    assert base64.b64decode(body) == bytes.fromhex(PKCS8_ED25519_PREFIX_HEX + RFC8032_TEST1_SEED_HEX)


def test_pem_loading_reproduces_rfc8032_test1_known_answer() -> None:
    # RFC 8032 7.1 TEST 1: the signature of the empty message and the public key.
    seed = load_ed25519_pkcs8_pem(RFC8032_TEST1_PEM)
    assert seed == bytes.fromhex(RFC8032_TEST1_SEED_HEX)
    key = SigningKey(seed)
    assert bytes(key.verify_key) == bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX)
    assert key.sign(b"").signature == bytes.fromhex(RFC8032_TEST1_EMPTY_MESSAGE_SIGNATURE_HEX)


def test_pem_loading_matches_openssl() -> None:
    seed = load_ed25519_pkcs8_pem(OPENSSL_ED25519_PEM)
    assert seed == bytes.fromhex(OPENSSL_ED25519_SEED_HEX)
    assert bytes(SigningKey(seed).verify_key) == bytes.fromhex(OPENSSL_ED25519_PUBLIC_HEX)


def test_pem_loading_ignores_text_around_the_block_and_crlf() -> None:
    pem = "Key for tests\r\n" + RFC8032_TEST1_PEM.replace("\n", "\r\n") + "trailing note\r\n"
    assert load_ed25519_pkcs8_pem(pem) == bytes.fromhex(RFC8032_TEST1_SEED_HEX)


def test_seed_b64_decodes_rfc8032_seed() -> None:
    assert decode_ed25519_seed_b64(BACKPACK_SECRET) == bytes.fromhex(RFC8032_TEST1_SEED_HEX)


SEED_31_BYTES_B64 = base64.b64encode(bytes(range(31))).decode()
SEED_64_BYTES_B64 = base64.b64encode(bytes(range(64))).decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "not valid base64"),  # padding missing
        ("nWGxne/9WmC6hEr0kuwsxERJ xWl7MmkZcDusAxyuf2A=", "not valid base64"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", "not valid base64"),
        ("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", "not valid base64"),  # url-safe alphabet
        ("ñWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", "not valid base64"),
        (SEED_31_BYTES_B64, "exactly 32 bytes, got 31"),
        (SEED_64_BYTES_B64, "exactly 32 bytes, got 64"),
    ],
)
def test_bad_seed_b64(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        decode_ed25519_seed_b64(value)
    if value:
        assert value not in str(excinfo.value) and value.strip() not in repr(excinfo.value)
    assert excinfo.value.__cause__ is None


PEM_BODY_NOT_BASE64 = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v!!!!guoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
"""


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("", "PEM is empty"),
        (b"", "PEM is empty"),
        ("   \n", "PEM is empty"),
        ("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", "no '-----BEGIN"),
        ("garbage\x00\xff", "no '-----BEGIN"),
        (b"\xff\xfe-----BEGIN PRIVATE KEY-----", "not ASCII"),
        (OPENSSL_ED25519_ENCRYPTED_PEM, "encrypted"),
        (LEGACY_ENCRYPTED_PEM, "encrypted"),
        (OPENSSL_RSA_512_PKCS8_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_RSA_TRADITIONAL_HEADER_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_EC_P256_PKCS8_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_EC_P256_TRADITIONAL_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_X25519_PKCS8_PEM, "not an Ed25519 PKCS#8 private key"),
        (OPENSSL_ED25519_PUBLIC_PEM, "not an Ed25519 PKCS#8 private key"),
        (RFC8032_TEST1_PEM.replace("-----END PRIVATE KEY-----", ""), "no matching '-----END PRIVATE KEY-----'"),
        (PEM_BODY_NOT_BASE64, "not valid base64"),
    ],
)
def test_bad_pem(pem: str | bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        load_ed25519_pkcs8_pem(pem)
    text = pem.decode("latin-1") if isinstance(pem, bytes) else pem
    for line in text.splitlines():
        if len(line) >= 16 and not line.startswith("-----"):
            assert line not in str(excinfo.value)
    assert excinfo.value.__cause__ is None


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


def assert_backpack_signed(signed: httpx.Request, expected_signing_string: str) -> None:
    """Assert X-Signature is the RFC 8032 TEST 1 key's signature of exactly ``expected_signing_string``."""
    signature = base64.b64decode(signed.headers["X-Signature"])
    VerifyKey(bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX)).verify(expected_signing_string.encode("utf-8"), signature)


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
        instructions={("get", "/api/v1/account/limits/borrow"): "maxBorrowQuantity"},
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
        BackpackAuth(BACKPACK_SECRET, window_ms=window_ms, instructions={})
    assert BACKPACK_SECRET not in str(excinfo.value)


@pytest.mark.parametrize("instruction", ["", 3])
def test_backpack_bad_instruction_table(instruction: object) -> None:
    with pytest.raises(ValueError, match="non-empty string or None"):
        BackpackAuth(BACKPACK_SECRET, instructions={("GET", "/x"): instruction})  # type: ignore[dict-item]


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
        BackpackAuth(secret, instructions=BACKPACK_INSTRUCTIONS)
    if secret:
        assert secret not in str(excinfo.value)


def test_backpack_instruction_table_is_copied() -> None:
    table: dict[tuple[str, str], str | None] = {("GET", "/api/v1/account/limits/borrow"): "maxBorrowQuantity"}
    auth = BackpackAuth(BACKPACK_SECRET, clock=frozen(BACKPACK_TIMESTAMP), instructions=table)
    table[("GET", "/api/v1/account")] = "accountQuery"
    with pytest.raises(UnknownOperationError):
        next(auth.sync_auth_flow(httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account")))


# --- OKX ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "content", "expected"),
    [
        # exchanges.md 3.1, self-computed vectors with the documentation's secret and timestamp.
        ("GET", "/api/v5/account/balance?ccy=BTC", b"", "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="),
        (
            "GET",
            "/api/v5/account/max-loan?mgnMode=cross&instId=BTC-USDT",
            b"",
            "Uyu5/rQqrtG7A1xadsKi5zXjQcUcx9LculIQTWE6vvU=",
        ),
        (
            "POST",
            "/api/v5/finance/flexible-loan/max-loan",
            b'{"borrowCcy":"USDT","supCollateral":[{"ccy":"BTC","amt":"1"}]}',
            "nNe8LdAyJardVE0p8OnIXVMikmqthCEVagWvKet2zmQ=",
        ),
        (
            "POST",
            "/api/v5/finance/flexible-loan/max-loan",
            b'{"borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "1"}]}',
            "kSgFyIXm8wKvY26RzHhV2gxRLrZA7eYGjX0YzLbmpUk=",
        ),
    ],
)
def test_okx_vectors(method: str, url: str, content: bytes, expected: str) -> None:
    signed = sign(okx(), httpx.Request(method, f"{OKX_BASE}{url}", content=content))
    assert signed.headers["OK-ACCESS-SIGN"] == expected
    assert signed.headers["OK-ACCESS-TIMESTAMP"] == OKX_TIMESTAMP_ISO
    assert signed.headers["OK-ACCESS-KEY"] == OKX_API_KEY
    assert signed.headers["OK-ACCESS-PASSPHRASE"] == OKX_PASSPHRASE
    assert signed.content == content


def test_okx_compact_json_from_httpx_matches_vector() -> None:
    # httpx 0.28 serialises json= compactly, which is the exchanges.md 3.1 compact-body vector.
    body = {"borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "1"}]}
    signed = sign(okx(), httpx.Request("POST", f"{OKX_BASE}/api/v5/finance/flexible-loan/max-loan", json=body))
    assert signed.headers["OK-ACCESS-SIGN"] == "nNe8LdAyJardVE0p8OnIXVMikmqthCEVagWvKet2zmQ="


def test_okx_demo_header() -> None:
    url = f"{OKX_BASE}/api/v5/account/balance?ccy=BTC"
    assert sign(okx(demo=True), httpx.Request("GET", url)).headers["x-simulated-trading"] == "1"
    assert "x-simulated-trading" not in sign(okx(), httpx.Request("GET", url)).headers
    stray = httpx.Request("GET", url, headers={"x-simulated-trading": "1"})
    assert "x-simulated-trading" not in sign(okx(), stray).headers


@pytest.mark.parametrize(
    ("ms", "iso"),
    [
        (OKX_TIMESTAMP_MS, OKX_TIMESTAMP_ISO),
        (0, "1970-01-01T00:00:00.000Z"),
        (1607418537001, "2020-12-08T09:08:57.001Z"),
        (1607418537999, "2020-12-08T09:08:57.999Z"),
        (1709251199999, "2024-02-29T23:59:59.999Z"),
    ],
)
def test_okx_timestamp_format(ms: int, iso: str) -> None:
    signed = sign(okx(clock_ms=ms), httpx.Request("GET", f"{OKX_BASE}/api/v5/account/balance"))
    assert signed.headers["OK-ACCESS-TIMESTAMP"] == iso


@pytest.mark.parametrize("argument", ["api_key", "api_secret", "passphrase"])
def test_okx_empty_arguments(argument: str) -> None:
    values = {"api_key": OKX_API_KEY, "api_secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE}
    values[argument] = ""
    with pytest.raises(ValueError, match=f"^{argument} is empty$") as excinfo:
        OkxAuth(values["api_key"], values["api_secret"], values["passphrase"])
    for secret in (OKX_SECRET, OKX_PASSPHRASE):
        assert secret not in str(excinfo.value)


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
        BackpackAuth(BACKPACK_SECRET, instructions=BACKPACK_INSTRUCTIONS),
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
            public_key_b64=BACKPACK_API_KEY,
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


def test_verifiers_reject_tampering() -> None:
    # The end-to-end tests only mean something if the verifiers can say no.
    signed = sign(binance_hmac(), httpx.Request("GET", "https://api.binance.com/sapi/v1/margin/account?asset=BTC"))
    assert verify_binance_hmac(signed.url.query, b"", BINANCE_SECRET)
    assert not verify_binance_hmac(signed.url.query.replace(b"asset=BTC", b"asset=ETH"), b"", BINANCE_SECRET)
    assert not verify_binance_hmac(signed.url.query, b"", BINANCE_SECRET[::-1])

    request = httpx.Request("GET", f"{BACKPACK_BASE}/api/v1/account/limits/withdrawal?symbol=USDC&autoBorrow=true")
    signed = sign(backpack(), request)
    headers = {name.lower(): value for name, value in signed.headers.items()}
    assert verify_backpack("maxWithdrawalQuantity", signed.url.query, b"", headers, public_key_b64=BACKPACK_API_KEY)
    assert not verify_backpack("maxBorrowQuantity", signed.url.query, b"", headers, public_key_b64=BACKPACK_API_KEY)
    assert not verify_backpack(
        "maxWithdrawalQuantity", b"symbol=USDC&autoBorrow=false", b"", headers, public_key_b64=BACKPACK_API_KEY
    )

    signed = sign(okx(), httpx.Request("GET", f"{OKX_BASE}/api/v5/account/balance?ccy=BTC"))
    headers = {name.lower(): value for name, value in signed.headers.items()}
    creds = {"api_key": OKX_API_KEY, "api_secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE}
    assert verify_okx("GET", signed.url.raw_path, b"", headers, **creds)
    assert not verify_okx("GET", b"/api/v5/account/balance?ccy=ETH", b"", headers, **creds)
    assert not verify_okx("POST", signed.url.raw_path, b"", headers, **creds)


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
