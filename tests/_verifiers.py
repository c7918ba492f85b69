"""Server-side signature checks for Backpack, Binance and OKX, written from the exchanges' documentation.

They are deliberately independent of ``auth_plugins`` (nothing is imported from it), so that a signer and
its verifier only agree when both follow the documented rules. Each function takes the request as a server
sees it (method, raw request target or query bytes, body bytes, headers with lower-case names) and returns
whether the signature is valid. Freshness of the timestamp is not checked here.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote_to_bytes

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

__all__ = [
    "backpack_signing_string",
    "verify_backpack",
    "verify_binance_ed25519",
    "verify_binance_hmac",
    "verify_okx",
]

_BINANCE_SIGNATURE = b"&signature="


def _split_binance_query(query: bytes) -> tuple[bytes, bytes] | None:
    signed, found, signature = query.rpartition(_BINANCE_SIGNATURE)
    if not found or not signature or b"&" in signature:
        return None
    return signed, signature


def verify_binance_hmac(query: bytes, body: bytes, api_secret: str) -> bool:
    """Check a Binance HMAC request: hex HMAC-SHA256 of (query before ``&signature=``) + body."""
    parts = _split_binance_query(query)
    if parts is None:
        return False
    signed, signature = parts
    expected = hmac.new(api_secret.encode("utf-8"), signed + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.lower())


def verify_binance_ed25519(query: bytes, body: bytes, public_key: bytes) -> bool:
    """Check a Binance Ed25519 request: percent-encoded base64 signature of (query before it) + body."""
    parts = _split_binance_query(query)
    if parts is None:
        return False
    signed, signature = parts
    try:
        raw = base64.b64decode(unquote_to_bytes(signature), validate=True)
        VerifyKey(public_key).verify(signed + body, raw)
    except (binascii.Error, ValueError, BadSignatureError):
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
    """Check an OKX v5 request: base64 HMAC-SHA256 of timestamp + METHOD + path?query + body, and the key headers.

    ``raw_target`` is the request target as sent on the request line (path plus ``?query``).
    """
    if headers.get("ok-access-key") != api_key or headers.get("ok-access-passphrase") != passphrase:
        return False
    timestamp = headers.get("ok-access-timestamp")
    signature = headers.get("ok-access-sign")
    if not timestamp or not signature:
        return False
    prehash = timestamp.encode("utf-8") + method.upper().encode("ascii") + raw_target + body
    expected = base64.b64encode(hmac.new(api_secret.encode("utf-8"), prehash, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode("ascii"))


def _backpack_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def backpack_signing_string(instruction: str, query: bytes, body: bytes, timestamp: str, window: str) -> str:
    """Rebuild the string Backpack signs: instruction, sorted decoded query, sorted body fields, timestamp, window."""
    query_pairs = sorted(parse_qsl(query.decode("ascii"), keep_blank_values=True), key=lambda kv: kv[0])
    body_pairs: list[tuple[str, str]] = []
    if body:
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("body is not a JSON object")
        body_pairs = sorted(((k, _backpack_value(v)) for k, v in decoded.items()), key=lambda kv: kv[0])
    fields = [f"instruction={instruction}"]
    fields += [f"{k}={v}" for k, v in query_pairs + body_pairs]
    fields += [f"timestamp={timestamp}", f"window={window}"]
    return "&".join(fields)


def verify_backpack(
    instruction: str,
    query: bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    public_key_b64: str,
) -> bool:
    """Check a Backpack request: ED25519 signature over the rebuilt signing string, by the registered key.

    A missing ``x-window`` header means the documented default window of 5000 ms.
    """
    if headers.get("x-api-key") != public_key_b64:
        return False
    timestamp = headers.get("x-timestamp")
    signature = headers.get("x-signature")
    if not timestamp or not signature:
        return False
    window = headers.get("x-window", "5000")
    try:
        message = backpack_signing_string(instruction, query, body, timestamp, window)
        VerifyKey(base64.b64decode(public_key_b64)).verify(
            message.encode("utf-8"), base64.b64decode(signature, validate=True)
        )
    except (binascii.Error, ValueError, BadSignatureError):
        return False
    return True
