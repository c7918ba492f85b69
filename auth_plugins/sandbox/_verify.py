"""Server-side authentication of signed requests: the sandbox's keys, freshness rules and error codes.

Each exchange's checks run in the order its servers run them, so that each failure gets the code the exchange
answers with; the signature itself is recomputed from the raw request bytes by the pure verifiers in
:mod:`auth_plugins.sandbox._signatures`, which the signer tests share.
"""

from __future__ import annotations

import calendar
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import parse_qsl

from ._credentials import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS
from ._errors import Rejection
from ._signatures import (
    BACKPACK_DEFAULT_WINDOW,
    verify_backpack,
    verify_binance_ed25519,
    verify_binance_hmac,
    verify_okx,
)
from ._spec import Operation
from ._wire import RawRequest

__all__ = ["API_KEY_HEADERS", "AuthResult", "authenticate"]

API_KEY_HEADERS: Final = {"backpack": "x-api-key", "binance": "x-mbx-apikey", "okx": "ok-access-key"}
"""The header that names the API key, per exchange (lower case); also whom key and account limits count for."""

BACKPACK_MAX_WINDOW_MS: Final = 60000
BINANCE_DEFAULT_RECV_WINDOW_MS: Final = 5000
BINANCE_MAX_AHEAD_MS: Final = 1000
OKX_MAX_SKEW_MS: Final = 30000

_OKX_TIMESTAMP: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


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
    window_text = headers.get("x-window", BACKPACK_DEFAULT_WINDOW)
    window = _int(window_text)
    if window is None or not 0 < window <= BACKPACK_MAX_WINDOW_MS:
        return AuthResult(Rejection(400, "INVALID_CLIENT_REQUEST", "Invalid X-Window header"), timestamp)
    if abs(now_ms - timestamp) > window:
        # Backpack's historical plain-text answer was "401 Request has expired"; it now wraps it as JSON.
        return AuthResult(Rejection(401, "UNAUTHORIZED", "Request has expired"), timestamp)
    if not verify_backpack(operation.instruction or "", raw.query, raw.body, headers, api_key=api_key):
        return AuthResult(Rejection(401, "INVALID_SIGNATURE", "Invalid signature"), timestamp)
    return AuthResult(None, timestamp)


def _binance_signature_ok(api_key: str, raw: RawRequest) -> bool:
    # The signature must be the last parameter; what precedes it, byte for byte, plus the body is signed.
    if api_key == BINANCE_CREDENTIALS.hmac_api_key:
        return verify_binance_hmac(raw.query, raw.body, BINANCE_CREDENTIALS.hmac_api_secret)
    return verify_binance_ed25519(raw.query, raw.body, BINANCE_CREDENTIALS.ed25519_public_key)


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
    if not _binance_signature_ok(api_key, raw):
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
    secret, expected_passphrase = OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase
    if not verify_okx(
        raw.method, raw.target, raw.body, headers, api_key=api_key, api_secret=secret, passphrase=expected_passphrase
    ):
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
