"""Key material, known-answer vectors and frozen-clock signers shared by the signer tests.

Expected values are literals copied from /work/shared/reference/exchanges.md (section cited next to each) or
from RFC 8032; none is computed by the code under test.
"""

import base64
from collections.abc import Callable

import httpx
import pytest
from nacl.signing import VerifyKey
from werkzeug import Request

from auth_plugins.backpack import BackpackAuth
from auth_plugins.binance import BinanceAuth
from auth_plugins.okx import OkxAuth

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
# RFC 8032 section 7.1, TEST 2: the one-byte message 0x72.
RFC8032_TEST2_PUBLIC_HEX = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
RFC8032_TEST2_MESSAGE = b"\x72"
RFC8032_TEST2_SIGNATURE_HEX = (
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
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
    return BackpackAuth(BACKPACK_SECRET, window_ms=window_ms, clock=frozen(clock_ms), routes=BACKPACK_INSTRUCTIONS)


def okx(demo: bool = False, clock_ms: int = OKX_TIMESTAMP_MS) -> OkxAuth:
    """An OkxAuth with the documentation secret and a frozen clock."""
    return OkxAuth(OKX_API_KEY, OKX_SECRET, OKX_PASSPHRASE, demo=demo, clock=frozen(clock_ms), routes=OKX_ROUTES)


def lower_headers(request: Request) -> dict[str, str]:
    """The headers a server received, with lower-case names, as the verifiers expect."""
    return {name.lower(): value for name, value in request.headers.items()}


SEED_64_BYTES_B64 = base64.b64encode(bytes(range(64))).decode()


def assert_backpack_signed(signed: httpx.Request, expected_signing_string: str) -> None:
    """Assert X-Signature is the RFC 8032 TEST 1 key's signature of exactly ``expected_signing_string``."""
    signature = base64.b64decode(signed.headers["X-Signature"])
    VerifyKey(bytes.fromhex(RFC8032_TEST1_PUBLIC_HEX)).verify(expected_signing_string.encode("utf-8"), signature)
