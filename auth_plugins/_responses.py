"""Turning an HTTP response into either a documented success or the right typed error.

A 2xx is a success only if it is a status the operation documents, an enveloped exchange's ``code`` says
success, a JSON body has the documented fields with their documented JSON types
(:mod:`auth_plugins._response_shapes`: the generated models check no types, so a JSON number would
become a ``float``), the body parses into the generated model (the generated endpoint module's own
``_parse_response`` is run on it), and, for the server-time operation, it holds a readable time. Anything
else becomes an :class:`~auth_plugins.errors.APIError` subclass, chosen by the exchange's table from its
own code first, then by the HTTP status. A JSON success body is decoded once for the envelope, the type
checks and the generated parser.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from types import ModuleType, SimpleNamespace
from typing import Any, Final

import httpx

from auth_plugins._profile import ExchangeProfile, OperationInfo
from auth_plugins._redaction import redact
from auth_plugins._response_shapes import ShapeMismatch, expected_shape
from auth_plugins._retry import parse_retry_after
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

__all__ = ["check_response", "describe", "status_class", "transport_error"]

_MESSAGE_CHARS: Final = 200
# Redact a bounded prefix only: a megabyte of HTML must not cost a megabyte of regex work.
_SCAN_CHARS: Final = 4096
# The generated parsers read ``client.raise_on_unexpected_status`` only for a status they do not document.
_LOUD_CLIENT: Final = SimpleNamespace(raise_on_unexpected_status=True)
_UNDECODED: Final = object()


def describe(request: httpx.Request) -> str:
    """``"METHOD /path"`` of ``request``: what errors and logs call the operation; never the query."""
    return f"{request.method} {request.url.path}"


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


def transport_error(error: httpx.RequestError, operation: str) -> TransportError:
    """The :class:`TransportError` for an ``httpx`` failure; the caller raises it ``from error``."""
    kind: type[TransportError] = TransportError
    if isinstance(error, httpx.TimeoutException):
        kind = RequestTimeoutError
    elif isinstance(error, httpx.ConnectError):
        kind = ConnectError
    detail = redact(str(error))[:_MESSAGE_CHARS] or "no detail"
    return kind(f"{type(error).__name__}: {detail}", operation=operation)


def check_response(profile: ExchangeProfile, operation: OperationInfo, response: httpx.Response) -> None:
    """Return if ``response`` is a documented, parseable success of ``operation``; raise the typed error if not.

    ``operation`` must be a generated ``operations.Operation``: its ``response`` fields are checked too.
    """
    status = response.status_code
    if not 200 <= status < 300:
        raise _error(profile, response, status_class(status))
    body: Any = _UNDECODED
    shape = expected_shape(operation, status)
    if shape is not None:
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError) as error:
            raise _contract_error(profile, response, operation, error) from None
    if profile.success_code is not None:
        envelope = _json(response) if body is _UNDECODED else body
        if isinstance(envelope, dict) and "code" in envelope and envelope["code"] != profile.success_code:
            # Enveloped exchanges report business errors in a 2xx; only the code can classify them.
            raise _error(profile, response, APIError)
    try:
        parse = _endpoint(profile.package, operation.tag, operation.operation_id)._parse_response
        if shape is None:
            parse(client=_LOUD_CLIENT, response=response)
        else:
            shape.check(body)
            parse(client=_LOUD_CLIENT, response=_Decoded(status, response.content, body))
            # The generated code parses the same body next: hand it the decoded JSON instead of decoding again
            # (the generated models copy what they keep, so sharing it is safe).
            response.json = _Decoded(status, response.content, body).json  # type: ignore[method-assign]
        if (operation.method, operation.path) == profile.server_time:
            profile.parse_server_time(response)
    except ShapeMismatch as mismatch:
        reason = f"body does not match the documented response of {operation.operation_id}: {mismatch}"
        raise ResponseError(
            reason, operation=describe(response.request), status=status, code=None, body_excerpt=_excerpt(response)
        ) from None
    except Exception as error:
        raise _contract_error(profile, response, operation, error) from None


class _Decoded:
    """What a generated ``_parse_response`` reads of a JSON success, with the body already decoded."""

    __slots__ = ("_body", "content", "status_code")

    def __init__(self, status_code: int, content: bytes, body: Any) -> None:
        self.status_code = status_code
        self.content = content
        self._body = body

    def json(self, **kwargs: Any) -> Any:
        """The decoded body (the generated models copy what they keep, so sharing it is safe)."""
        return self._body


@cache
def _endpoint(package: str, tag: str, operation_id: str) -> ModuleType:
    return importlib.import_module(f"{package}.api.{tag}.{operation_id}")


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _excerpt(response: httpx.Response) -> str:
    text = response.content[:_SCAN_CHARS].decode("utf-8", errors="replace")
    return redact(text)[:BODY_EXCERPT_CHARS]


def _code_and_message(profile: ExchangeProfile, response: httpx.Response) -> tuple[int | str | None, str]:
    body = _json(response)
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get(profile.message_key)
        kept = code if isinstance(code, int | str) and not isinstance(code, bool) else None
        return kept, message if isinstance(message, str) else ""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/plain":
        # Backpack answered in plain text before its 2024-10-15 change ("Request has expired").
        return None, response.content[:_SCAN_CHARS].decode("utf-8", errors="replace").strip()
    return None, ""


def _error(profile: ExchangeProfile, response: httpx.Response, fallback: type[APIError]) -> APIError:
    request = response.request
    status = response.status_code
    code, message = _code_and_message(profile, response)
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


def _contract_error(
    profile: ExchangeProfile, response: httpx.Response, operation: OperationInfo, error: Exception
) -> ResponseError:
    status = response.status_code
    if isinstance(error, importlib.import_module(f"{profile.package}.errors").UnexpectedStatus):
        reason = f"undocumented status {status} for {operation.operation_id}"
    elif not response.content.strip():
        reason = "empty body"
    else:
        detail = redact(str(error))[:_MESSAGE_CHARS]
        reason = f"body does not match the documented response ({type(error).__name__}: {detail})"
    return ResponseError(
        reason, operation=describe(response.request), status=status, code=None, body_excerpt=_excerpt(response)
    )
