"""Server-side authentication of signed requests, recomputed from the raw request bytes.

Written from the exchanges' documentation (see /work/shared/reference/exchanges.md) and deliberately
independent of ``auth_plugins``, so that a client and the sandbox agree only when both follow the rules.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import parse_qsl, unquote_to_bytes

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ._credentials import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS
from ._errors import Rejection
from ._spec import Operation
from ._wire import RawRequest

__all__ = ["API_KEY_HEADERS", "AuthResult", "authenticate"]

API_KEY_HEADERS: Final = {"backpack": "x-api-key", "binance": "x-mbx-apikey", "okx": "ok-access-key"}
"""The header that names the API key, per exchange (lower case); also what ``keyed-on: user`` limits key on."""

BACKPACK_DEFAULT_WINDOW_MS: Final = 5000
BACKPACK_MAX_WINDOW_MS: Final = 60000
BINANCE_DEFAULT_RECV_WINDOW_MS: Final = 5000
BINANCE_MAX_AHEAD_MS: Final = 1000
OKX_MAX_SKEW_MS: Final = 30000

_OKX_TIMESTAMP: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_BINANCE_SIGNATURE: Final = b"&signature="


@dataclass(frozen=True)
class AuthResult:
    """Outcome of authenticating one request: ``rejection`` is None when it passes.

    ``timestamp_ms`` is the request's own timestamp when it carried a readable one, whatever the outcome.
    """

    rejection: Rejection | None
    timestamp_ms: int | None

    @property
    def verdict(self) -> str:
        """``"ok"`` or the rejection's code."""
        return "ok" if self.rejection is None else self.rejection.verdict


def _int(text: str | None) -> int | None:
    if text is None or not re.fullmatch(r"-?\d{1,19}", text):
        return None
    return int(text)


def _backpack_value(value: object) -> str:
    if isinstance(value, str):
        return value
    # JSON literals, not Python's True/False/None: what every Backpack client signs.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def backpack_signing_string(instruction: str, raw: RawRequest, timestamp: str, window: str) -> str | None:
    """``instruction=..&<sorted decoded query>&<sorted top-level body fields>&timestamp=..&window=..``.

    None when the body is present but is not a JSON object.
    """
    query = sorted(parse_qsl(raw.query.decode("latin-1"), keep_blank_values=True), key=lambda pair: pair[0])
    fields: list[tuple[str, str]] = []
    if raw.body.strip():
        try:
            decoded = json.loads(raw.body)
        except ValueError:
            return None
        if not isinstance(decoded, dict):
            return None
        fields = sorted(((str(k), _backpack_value(v)) for k, v in decoded.items()), key=lambda pair: pair[0])
    parts = [f"instruction={instruction}", *(f"{k}={v}" for k, v in query + fields)]
    return "&".join([*parts, f"timestamp={timestamp}", f"window={window}"])


def _backpack(operation: Operation, raw: RawRequest, now_ms: int) -> AuthResult:
    headers = raw.headers
    api_key = headers.get("x-api-key")
    timestamp_text = headers.get("x-timestamp")
    timestamp = _int(timestamp_text)
    if not api_key:
        return AuthResult(Rejection(401, "UNAUTHORIZED", "Missing X-API-Key header"), timestamp)
    if api_key != BACKPACK_CREDENTIALS.api_key:
        return AuthResult(Rejection(401, "UNAUTHORIZED", "Invalid API key"), timestamp)
    signature = headers.get("x-signature")
    if not signature:
        return AuthResult(Rejection(401, "UNAUTHORIZED", "Missing X-Signature header"), timestamp)
    if timestamp_text is None or timestamp is None:
        return AuthResult(Rejection(401, "UNAUTHORIZED", "Missing or invalid X-Timestamp header"), timestamp)
    window_text = headers.get("x-window", str(BACKPACK_DEFAULT_WINDOW_MS))
    window = _int(window_text)
    if window is None or not 0 < window <= BACKPACK_MAX_WINDOW_MS:
        return AuthResult(Rejection(400, "INVALID_CLIENT_REQUEST", "Invalid X-Window header"), timestamp)
    if abs(now_ms - timestamp) > window:
        # Backpack's historical plain-text answer was "401 Request has expired"; it now wraps it as JSON.
        return AuthResult(Rejection(401, "UNAUTHORIZED", "Request has expired"), timestamp)
    message = backpack_signing_string(operation.instruction or "", raw, timestamp_text, window_text)
    try:
        if message is None:
            raise ValueError("body is not a JSON object")
        VerifyKey(BACKPACK_CREDENTIALS.public_key).verify(
            message.encode("utf-8"), base64.b64decode(signature, validate=True)
        )
    except (binascii.Error, ValueError, BadSignatureError):
        return AuthResult(Rejection(401, "INVALID_SIGNATURE", "Invalid signature"), timestamp)
    return AuthResult(None, timestamp)


def _binance_signature_ok(api_key: str, signed: bytes, signature: bytes) -> bool:
    if api_key == BINANCE_CREDENTIALS.hmac_api_key:
        secret = BINANCE_CREDENTIALS.hmac_api_secret.encode("utf-8")
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest().encode("ascii")
        return hmac.compare_digest(expected, signature.lower())
    try:
        # Query values are form-decoded, as Binance's servers do: an unencoded '+' reads as a space.
        raw_signature = base64.b64decode(unquote_to_bytes(signature.replace(b"+", b"%20")), validate=True)
        VerifyKey(BINANCE_CREDENTIALS.ed25519_public_key).verify(signed, raw_signature)
    except (binascii.Error, ValueError, BadSignatureError):
        return False
    return True


def _binance(raw: RawRequest, now_ms: int) -> AuthResult:
    params = dict(parse_qsl(raw.query.decode("latin-1"), keep_blank_values=True))
    timestamp = _int(params.get("timestamp"))
    api_key = raw.headers.get("x-mbx-apikey", "")
    if not api_key:
        return AuthResult(Rejection(401, -2014, "API-key format invalid."), timestamp)
    if api_key not in (BINANCE_CREDENTIALS.hmac_api_key, BINANCE_CREDENTIALS.ed25519_api_key):
        return AuthResult(Rejection(401, -2015, "Invalid API-key, IP, or permissions for action."), timestamp)
    if timestamp is None:
        message = "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
        return AuthResult(Rejection(400, -1102, message), timestamp)
    recv_window = _int(params.get("recvWindow", str(BINANCE_DEFAULT_RECV_WINDOW_MS)))
    if recv_window is None:
        message = "Mandatory parameter 'recvWindow' was not sent, was empty/null, or malformed."
        return AuthResult(Rejection(400, -1102, message), timestamp)
    if timestamp >= now_ms + BINANCE_MAX_AHEAD_MS:
        message = "Timestamp for this request was 1000ms ahead of the server's time."
        return AuthResult(Rejection(400, -1021, message), timestamp)
    if now_ms - timestamp > recv_window:
        return AuthResult(Rejection(400, -1021, "Timestamp for this request is outside of the recvWindow."), timestamp)

    # The signature must be the last parameter; what precedes it, byte for byte, plus the body is signed.
    if raw.query.startswith(b"signature="):
        signed_query, signature = b"", raw.query[len(b"signature=") :]
    else:
        signed_query, found, signature = raw.query.rpartition(_BINANCE_SIGNATURE)
        if not found:
            signature = b""
    if not signature or b"&" in signature or not _binance_signature_ok(api_key, signed_query + raw.body, signature):
        return AuthResult(Rejection(400, -1022, "Signature for this request is not valid."), timestamp)
    return AuthResult(None, timestamp)


def _okx_timestamp_ms(text: str) -> int | None:
    if not _OKX_TIMESTAMP.fullmatch(text):
        return None
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return None
    return calendar.timegm(moment.timetuple()) * 1000 + moment.microsecond // 1000


def _okx(raw: RawRequest, now_ms: int) -> AuthResult:
    headers = raw.headers
    timestamp_text = headers.get("ok-access-timestamp", "")
    timestamp = _okx_timestamp_ms(timestamp_text)
    api_key = headers.get("ok-access-key", "")

    def reject(code: str, message: str) -> AuthResult:
        return AuthResult(Rejection(401, code, message), timestamp)

    if not api_key:
        return reject("50103", "Request header OK-ACCESS-KEY can not be empty.")
    if api_key not in (OKX_CREDENTIALS.api_key, OKX_CREDENTIALS.demo_api_key):
        return reject("50111", "Invalid OK-ACCESS-KEY.")
    demo_request = headers.get("x-simulated-trading") == "1"
    if demo_request != (api_key == OKX_CREDENTIALS.demo_api_key):
        return reject("50101", "APIKey does not match current environment.")
    passphrase = headers.get("ok-access-passphrase", "")
    if not passphrase:
        return reject("50104", "Request header OK-ACCESS-PASSPHRASE can not be empty.")
    if not hmac.compare_digest(passphrase.encode("utf-8"), OKX_CREDENTIALS.passphrase.encode("utf-8")):
        return reject("50105", "Request header OK-ACCESS-PASSPHRASE incorrect.")
    signature = headers.get("ok-access-sign", "")
    if not signature:
        return reject("50106", "Request header OK-ACCESS-SIGN can not be empty.")
    if not timestamp_text:
        return reject("50107", "Request header OK-ACCESS-TIMESTAMP can not be empty.")
    if timestamp is None:
        return reject("50112", "Invalid OK-ACCESS-TIMESTAMP.")
    if abs(now_ms - timestamp) > OKX_MAX_SKEW_MS:
        return reject("50102", "Timestamp request expired.")
    prehash = timestamp_text.encode("utf-8") + raw.method.encode("ascii") + raw.target + raw.body
    secret = OKX_CREDENTIALS.api_secret.encode("utf-8")
    expected = base64.b64encode(hmac.new(secret, prehash, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.encode("utf-8")):
        return reject("50113", "Invalid Sign")
    return AuthResult(None, timestamp)


def authenticate(exchange: str, operation: Operation, raw: RawRequest, now_ms: int) -> AuthResult:
    """Check API key, timestamp freshness and signature of a request to a signed ``operation``.

    ``now_ms`` is the sandbox's current time. Rules: Backpack ED25519 over the sorted, decoded parameters
    (``|now - X-Timestamp| <= X-Window``); Binance HMAC-SHA256 hex or Ed25519 base64 over the query before
    ``&signature=`` plus the body (``timestamp < now + 1000`` and ``now - timestamp <= recvWindow``); OKX
    base64 HMAC-SHA256 over timestamp + METHOD + raw target + raw body (``|now - timestamp| <= 30 s``).
    """
    if exchange == "backpack":
        return _backpack(operation, raw, now_ms)
    if exchange == "binance":
        return _binance(raw, now_ms)
    if exchange == "okx":
        return _okx(raw, now_ms)
    raise ValueError(f"unknown exchange {exchange!r}")
