"""Minimal request signers for tests that talk to the sandbox over plain httpx.

A second, independent reading of the exchanges' signing rules (/work/shared/reference/exchanges.md),
sharing no code with ``auth_plugins`` or with the sandbox's verifier. ``tamper=True`` signs a slightly
different message, which a correct server must reject.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from nacl.signing import SigningKey

__all__ = [
    "backpack_headers",
    "binance_signature",
    "ed25519_seed_from_pem",
    "okx_headers",
    "okx_timestamp",
]


def _tampered(message: bytes, tamper: bool) -> bytes:
    return message + b"!" if tamper else message


def backpack_headers(
    instruction: str,
    query: str,
    *,
    api_key: str,
    secret_b64: str,
    timestamp_ms: int,
    window_ms: int | None = None,
    tamper: bool = False,
) -> dict[str, str]:
    """X-API-Key/X-Signature/X-Timestamp (and X-Window if given) for a Backpack GET with raw ``query``.

    Signed string: ``instruction=<i>`` + the query's decoded pairs sorted by key + ``timestamp`` + ``window``
    (5000 when no X-Window is sent).
    """
    pairs = sorted(parse_qsl(query, keep_blank_values=True), key=lambda pair: pair[0])
    window = 5000 if window_ms is None else window_ms
    message = "&".join(
        [f"instruction={instruction}", *(f"{k}={v}" for k, v in pairs), f"timestamp={timestamp_ms}", f"window={window}"]
    )
    signature = SigningKey(base64.b64decode(secret_b64)).sign(_tampered(message.encode("utf-8"), tamper)).signature
    headers = {
        "X-API-Key": api_key,
        "X-Signature": base64.b64encode(signature).decode(),
        "X-Timestamp": str(timestamp_ms),
    }
    if window_ms is not None:
        headers["X-Window"] = str(window_ms)
    return headers


def ed25519_seed_from_pem(pem: str) -> bytes:
    """The 32-byte seed inside an unencrypted PKCS#8 Ed25519 PEM (DER prefix ``302e0201...0420``)."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    if der[:16] != bytes.fromhex("302e020100300506032b657004220420") or len(der) != 48:
        raise ValueError("not an unencrypted PKCS#8 Ed25519 key")
    return der[16:]


def binance_signature(
    payload: bytes, *, hmac_secret: str | None = None, ed25519_seed: bytes | None = None, tamper: bool = False
) -> str:
    """The ``signature`` value for Binance: hex HMAC-SHA256, or base64 Ed25519 percent-encoded for the URL."""
    message = _tampered(payload, tamper)
    if hmac_secret is not None:
        return hmac.new(hmac_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    if ed25519_seed is None:
        raise ValueError("give hmac_secret or ed25519_seed")
    return quote(base64.b64encode(SigningKey(ed25519_seed).sign(message).signature).decode(), safe="")


def okx_timestamp(timestamp_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as OK-ACCESS-TIMESTAMP wants it."""
    moment = datetime.fromtimestamp(timestamp_ms // 1000, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{timestamp_ms % 1000:03d}Z"


def okx_headers(
    method: str,
    target: str,
    body: bytes,
    *,
    api_key: str,
    secret: str,
    passphrase: str,
    timestamp: str,
    tamper: bool = False,
) -> dict[str, str]:
    """OK-ACCESS-* headers: base64 HMAC-SHA256 of timestamp + METHOD + target (path?query) + body."""
    prehash = _tampered(timestamp.encode() + method.upper().encode() + target.encode() + body, tamper)
    sign = base64.b64encode(hmac.new(secret.encode("utf-8"), prehash, hashlib.sha256).digest()).decode()
    return {
        "OK-ACCESS-KEY": api_key,
        "OK-ACCESS-SIGN": sign,
        "OK-ACCESS-TIMESTAMP": timestamp,
        "OK-ACCESS-PASSPHRASE": passphrase,
    }
