"""Turning an HTTP response into either a documented success or the right typed error.

A 2xx is a success only if it is the status the operation documents, an enveloped exchange's ``code`` says
success, a JSON body has the documented fields with their documented JSON types
(:mod:`auth_plugins._response_shapes`: what the generated models need to parse it, so their parsing cannot
fail), and, for the server-time operation, it holds a readable time. Anything else becomes an
:class:`~auth_plugins.errors.APIError` subclass, chosen by the exchange's table from its own code first, then by
the HTTP status. A JSON body is decoded once; :class:`CheckedResponse` hands that decoding to the generated code.
No body a server can send makes this raise anything but an ``APIError``: deep nesting, huge numbers and bad
UTF-8 are undecodable bodies like any other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

import httpx

from auth_plugins._operation import OperationInfo
from auth_plugins._profile import ExchangeProfile
from auth_plugins._redaction import redact
from auth_plugins._response_shapes import ShapeMismatch, expected_shape
from auth_plugins._retry import parse_retry_after
from auth_plugins._undocumented import notice
from auth_plugins.errors import (
    BODY_EXCERPT_CHARS,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    RateLimitError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)

__all__ = [
    "CheckedResponse",
    "Observer",
    "check_response",
    "decode_json",
    "describe",
    "observing",
    "status_class",
    "transport_error",
]

_MESSAGE_CHARS: Final = 200
# Redact a bounded prefix only: a megabyte of HTML must not cost a megabyte of regex work.
_SCAN_CHARS: Final = 4096
UNDECODABLE: Final = object()

Observer = Callable[[OperationInfo, httpx.Response], None]
"""Called with every response (body read) before it is checked: how ``exchange-clients check-live`` sees an
answer the client then refuses."""
_OBSERVER: ContextVar[Observer | None] = ContextVar("auth_plugins_response_observer", default=None)


@contextmanager
def observing(observer: Observer) -> Iterator[None]:
    """Hand ``observer`` every response the factory clients receive in this thread or task while in the block
    (it runs while the receiving client's redactor is active, so :func:`redact` scrubs that client's secrets).
    The observer reports what it finds: undocumented fields are not also logged while it watches."""
    token = _OBSERVER.set(observer)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


def describe(request: httpx.Request) -> str:
    """``"METHOD /path"`` of ``request``: what errors and logs call the operation; never the query."""
    return f"{request.method} {request.url.path}"


def decode_json(content: bytes) -> Any:
    """The decoded JSON of ``content``, or :data:`UNDECODABLE` for anything that is not JSON (bad UTF-8, nesting
    too deep for the parser, integers too long to convert, truncated text...)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return UNDECODABLE


class CheckedResponse(httpx.Response):
    """A response the pipeline checked; ``json()`` returns the body it already decoded (the generated models copy
    what they keep, so sharing it is safe)."""

    _decoded: Any = UNDECODABLE

    def json(self, **kwargs: Any) -> Any:
        """The decoded JSON body (decoded once, by the pipeline)."""
        if self._decoded is UNDECODABLE or kwargs:
            return super().json(**kwargs)
        return self._decoded


def status_class(status: int) -> type[APIError]:
    """The error class for an HTTP status when the exchange's code does not decide it.

    400 and other 4xx: bad request; 401, 403: authentication; 418, 429: rate limit; 503: service
    unavailable; other 5xx (also non-IANA ones such as 520): server error; anything else: response error.
    """
    if status in (401, 403):
        return AuthenticationError
    if status in (418, 429):
        return RateLimitError
    if 400 <= status < 500:
        return BadRequestError
    if status == 503:
        return ServiceUnavailableError
    if 500 <= status < 600:
        return ServerError
    return ResponseError


def transport_error(error: BaseException, operation: str) -> TransportError:
    """The :class:`TransportError` for a failure to get a response (httpcore's, httpx's, or anything a transport
    raised); the caller raises it ``from error``."""
    import httpcore  # here: only a failure needs it, and importing it costs tens of milliseconds

    kind: type[TransportError] = TransportError
    if isinstance(error, httpcore.TimeoutException | httpx.TimeoutException):
        kind = RequestTimeoutError
    elif isinstance(error, httpcore.ConnectError | httpx.ConnectError):
        kind = ConnectError
    detail = redact(str(error))[:_MESSAGE_CHARS] or "no detail"
    return kind(f"{type(error).__name__}: {detail}", operation=operation)


def check_response(profile: ExchangeProfile, operation: OperationInfo, response: CheckedResponse) -> None:
    """Return if ``response`` (body read) is a documented, parseable success of ``operation``, keeping its decoded
    JSON for ``json()``; raise the typed error otherwise. Undocumented fields are accepted and noticed once
    (:mod:`auth_plugins._undocumented`)."""
    observer = _OBSERVER.get()
    if observer is not None:
        observer(operation, response)
    status = response.status_code
    if not 200 <= status < 300:
        raise _error(profile, response, status_class(status))
    if status != operation.response_status:
        raise _contract_error(response, f"undocumented status {status} for {operation.operation_id}")
    shape = expected_shape(operation, status)
    body: Any = UNDECODABLE
    if shape is not None or profile.success_code is not None:
        body = decode_json(response.content)
    if profile.success_code is not None:
        if isinstance(body, dict) and "code" in body and body["code"] != profile.success_code:
            if type(body["code"]) is not type(profile.success_code):
                # Not a code the exchange could send (null, a float that overflowed, an integer for a string...).
                raise _contract_error(response, "the envelope's code is not of the documented type")
            # Enveloped exchanges report business errors in a 2xx; only the code can classify them.
            raise _error(profile, response, APIError, body)
    if shape is not None:
        if body is UNDECODABLE:
            reason = "empty body" if not response.content.strip() else "the body is not JSON"
            raise _contract_error(response, reason)
        try:
            extras = shape.check(body)
        except ShapeMismatch as mismatch:
            raise _contract_error(
                response, f"body does not match the documented response of {operation.operation_id}: {mismatch}"
            ) from None
        if extras and observer is None:  # an observer (check-live) reports them itself
            notice(operation, extras)
        response._decoded = body
    if (operation.method, operation.path) == profile.server_time:
        try:
            profile.parse_server_time(response)
        except (ValueError, TypeError, KeyError, IndexError):
            raise _contract_error(response, "the server time is not a number of milliseconds") from None


def _excerpt(response: httpx.Response) -> str:
    text = response.content[:_SCAN_CHARS].decode("utf-8", errors="replace")
    return redact(text)[:BODY_EXCERPT_CHARS]


def _code_and_message(profile: ExchangeProfile, response: httpx.Response, body: Any) -> tuple[int | str | None, str]:
    if body is UNDECODABLE:
        body = decode_json(response.content)
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get(profile.message_key)
        kept = code if isinstance(code, int | str) and not isinstance(code, bool) else None
        if isinstance(kept, str):
            kept = kept[:_MESSAGE_CHARS]
        return kept, message if isinstance(message, str) else ""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/plain":
        # Backpack answered in plain text before its 2024-10-15 change ("Request has expired").
        return None, response.content[:_SCAN_CHARS].decode("utf-8", errors="replace").strip()
    return None, ""


def _error(
    profile: ExchangeProfile, response: httpx.Response, fallback: type[APIError], body: Any = UNDECODABLE
) -> APIError:
    request = response.request
    status = response.status_code
    code, message = _code_and_message(profile, response, body)
    kind = profile.error_table(status, code, message) or fallback
    text = redact(message)[:_MESSAGE_CHARS] or response.reason_phrase or "no message"
    common: dict[str, Any] = {
        "operation": describe(request),
        "status": status,
        "code": code,
        "body_excerpt": _excerpt(response),
    }
    if issubclass(kind, RateLimitError):
        return kind(text, retry_after=parse_retry_after(response.headers.get("retry-after")), **common)
    return kind(text, **common)


def _contract_error(response: httpx.Response, reason: str) -> ResponseError:
    return ResponseError(
        reason,
        operation=describe(response.request),
        status=response.status_code,
        code=None,
        body_excerpt=_excerpt(response),
    )
