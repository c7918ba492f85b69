"""Signature checks for Backpack, Binance and OKX, recomputed from the bytes a server received: pure functions.

Written from the exchanges' documentation (/work/shared/reference/exchanges.md) and deliberately independent of
the signers: this module imports nothing from ``auth_plugins`` (a test pins that), so a signer and a verifier
agree only when both follow the documented rules. The sandbox authenticates every signed request with them,
after its own key, timestamp and window checks (which give each exchange's error codes); the signer tests verify
with them. Each function takes the request as a server sees it (method, raw request target or query bytes, body
bytes, headers with lower-case names) and the credentials to check against, holds no state, and returns whether
the signature is valid. Freshness of the timestamp is not checked here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, unquote_to_bytes

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

__all__ = [
    "BACKPACK_DEFAULT_WINDOW",
    "backpack_signing_string",
    "split_binance_query",
    "verify_backpack",
    "verify_binance_ed25519",
    "verify_binance_hmac",
    "verify_okx",
]

BACKPACK_DEFAULT_WINDOW: Final = "5000"
"""The window Backpack assumes when a request sends no ``X-Window`` (ms)."""

_BINANCE_SIGNATURE: Final = b"&signature="
_BINANCE_FIRST_SIGNATURE: Final = b"signature="


def _backpack_value(value: object) -> str:
    if isinstance(value, str):
        return value
    # JSON literals, not Python's True/False/None: what every Backpack client signs.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def backpack_signing_string(instruction: str, query: bytes, body: bytes, timestamp: str, window: str) -> str | None:
    """``instruction=..&<sorted decoded query>&<sorted top-level body fields>&timestamp=..&window=..``.

    None when the body is present but is not a JSON object.
    """
    pairs = sorted(parse_qsl(query.decode("latin-1"), keep_blank_values=True), key=lambda pair: pair[0])
    fields: list[tuple[str, str]] = []
    if body.strip():
        try:
            decoded = json.loads(body)
        except ValueError:
            return None
        if not isinstance(decoded, dict):
            return None
        fields = sorted(((str(k), _backpack_value(v)) for k, v in decoded.items()), key=lambda pair: pair[0])
    parts = [f"instruction={instruction}", *(f"{k}={v}" for k, v in pairs + fields)]
    return "&".join([*parts, f"timestamp={timestamp}", f"window={window}"])


def verify_backpack(instruction: str, query: bytes, body: bytes, headers: Mapping[str, str], *, api_key: str) -> bool:
    """Check a Backpack request: ``x-api-key`` is ``api_key`` (the base64 Ed25519 public key) and ``x-signature``
    is its signature of :func:`backpack_signing_string` with ``x-timestamp`` and ``x-window`` (default 5000)."""
    timestamp, signature = headers.get("x-timestamp"), headers.get("x-signature")
    if headers.get("x-api-key") != api_key or not timestamp or not signature:
        return False
    message = backpack_signing_string(
        instruction, query, body, timestamp, headers.get("x-window", BACKPACK_DEFAULT_WINDOW)
    )
    if message is None:
        return False
    try:
        public_key = base64.b64decode(api_key, validate=True)
        VerifyKey(public_key).verify(message.encode("utf-8"), base64.b64decode(signature, validate=True))
    except (binascii.Error, ValueError, TypeError, BadSignatureError):
        return False
    return True


def split_binance_query(query: bytes) -> tuple[bytes, bytes] | None:
    """``(signed query, signature)`` of a Binance query whose last parameter is ``signature``, else None.

    What precedes ``&signature=`` is signed byte for byte (nothing, when the signature is the only parameter).
    """
    if query.startswith(_BINANCE_FIRST_SIGNATURE):
        signed, signature = b"", query[len(_BINANCE_FIRST_SIGNATURE) :]
    else:
        signed, found, signature = query.rpartition(_BINANCE_SIGNATURE)
        if not found:
            return None
    if not signature or b"&" in signature:
        return None
    return signed, signature


def verify_binance_hmac(query: bytes, body: bytes, api_secret: str) -> bool:
    """Check a Binance HMAC request: the hex HMAC-SHA256 of (the query before ``&signature=``) + body."""
    parts = split_binance_query(query)
    if parts is None:
        return False
    signed, signature = parts
    expected = hmac.new(api_secret.encode("utf-8"), signed + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.lower())


def verify_binance_ed25519(query: bytes, body: bytes, public_key: bytes) -> bool:
    """Check a Binance Ed25519 request: the percent-encoded base64 signature of (the query before it) + body.

    The value is form-decoded, as Binance's servers do: an unencoded ``+`` reads as a space, so it fails.
    """
    parts = split_binance_query(query)
    if parts is None:
        return False
    signed, signature = parts
    try:
        raw = base64.b64decode(unquote_to_bytes(signature.replace(b"+", b"%20")), validate=True)
        VerifyKey(public_key).verify(signed + body, raw)
    except (binascii.Error, ValueError, TypeError, BadSignatureError):
        return False
    return True


def verify_okx(
    method: str,
    raw_target: bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    api_key: str,
    api_secret: str,
    passphrase: str,
) -> bool:
    """Check an OKX v5 request: ``ok-access-key`` and ``ok-access-passphrase`` are the given ones and
    ``ok-access-sign`` is the base64 HMAC-SHA256 of ``ok-access-timestamp`` + METHOD + raw target + body.

    ``raw_target`` is the request target as sent on the request line (path plus ``?query``).
    """
    timestamp, signature = headers.get("ok-access-timestamp"), headers.get("ok-access-sign")
    sent_passphrase = headers.get("ok-access-passphrase", "").encode("utf-8")
    if headers.get("ok-access-key") != api_key or not hmac.compare_digest(sent_passphrase, passphrase.encode("utf-8")):
        return False
    if not timestamp or not signature:
        return False
    prehash = timestamp.encode("utf-8") + method.upper().encode("ascii") + raw_target + body
    expected = base64.b64encode(hmac.new(api_secret.encode("utf-8"), prehash, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode("utf-8"))
