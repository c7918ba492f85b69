"""Every exception a factory-made client raises: one tree for what the exchange or the network did, and a second
root for the caller's own mistakes, found before anything is sent.

::

    ExchangeError                    root of failures: catch this to catch everything below
    ├── SharedBudgetError            the shared rate-limit budget (Redis) is unreachable and
    │                                ``on_error="raise"``; nothing was sent
    ├── TransportError               no usable HTTP response (connection reset, dropped, protocol error)
    │   ├── ConnectError             could not connect; nothing was sent
    │   └── RequestTimeoutError      connect, write, read or pool timeout
    └── APIError                     an HTTP response that is not the documented success
        ├── AuthenticationError      bad key, signature, passphrase, permissions, IP whitelist
        ├── TimestampError           request timestamp outside the exchange's window (clock skew)
        ├── RateLimitError           429, 418 or a rate-limit code; ``retry_after`` when the server says
        ├── BadRequestError          the request itself is wrong (parameters, unknown route)
        ├── ServiceUnavailableError  503, maintenance, "system busy"
        ├── ServerError              any other 5xx, including non-standard ones such as Cloudflare's 520
        └── ResponseError            a response that breaks the contract: HTML, empty or truncated body,
                                     missing field, undocumented status, a body over the size cap

    UsageError                       root of programming errors (also ``ValueError``s); nothing was sent
    ├── InvalidParameterError        an argument breaks the operation's spec (a float for a decimal, ...)
    ├── UnknownOperationError        a route the signer's table does not know: refused, never sent unsigned
    └── ConfigurationError           a factory argument or environment variable that cannot work

An :class:`APIError` carries the HTTP ``status``, the exchange's own ``code`` exactly as the exchange sent
it (Binance ``int``, OKX and Backpack ``str``; ``None`` when the body had none), its ``message``, the
``operation`` (``"GET /api/v5/account/max-loan"``: method and path, never the query) and ``body_excerpt``,
the first :data:`BODY_EXCERPT_CHARS` characters of the body. Transport errors keep the original ``httpx``
exception as ``__cause__``. No message, ``str`` or ``repr`` of these exceptions includes a query string,
a header, or any registered secret or API key (see ``auth_plugins.RedactingFilter``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BODY_EXCERPT_CHARS",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConnectError",
    "ExchangeError",
    "InvalidParameterError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "ServiceUnavailableError",
    "SharedBudgetError",
    "TimestampError",
    "TransportError",
    "UnknownOperationError",
    "UsageError",
]

BODY_EXCERPT_CHARS = 256
"""The most characters of a response body an :class:`APIError` keeps."""


def _rebuild(cls: type[ExchangeError], state: dict[str, Any]) -> ExchangeError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    return error


class ExchangeError(Exception):
    """Root of every error a factory-made client raises for a failed request.

    ``operation`` names the request as ``"METHOD /path"``. Errors pickle (e.g. across a process pool).
    """

    operation: str

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation

    def __str__(self) -> str:
        return f"{self.operation}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(operation={self.operation!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), dict(self.__dict__)))


class SharedBudgetError(ExchangeError):
    """The shared rate-limit budget (``rate_limit="redis://..."``, ``on_error="raise"``) could not be
    reached, so the request was held back and never sent. Not retried: Redis is retried in the background,
    with backoff, and answers again once it is back. The message names the Redis URL with its password
    masked; the redis-py exception, if any, is the ``__cause__``."""


class TransportError(ExchangeError):
    """No usable HTTP response arrived: the connection failed, was dropped, or spoke broken HTTP.

    The ``httpx`` exception is the ``__cause__``. Retried for read-only operations.
    """


class ConnectError(TransportError):
    """The connection could not be opened (refused, DNS, TLS); the request was not sent."""


class RequestTimeoutError(TransportError):
    """A connect, write, read or pool timeout expired (the client's ``timeout``)."""


class APIError(ExchangeError):
    """An HTTP response other than the documented success; see the module docstring for the fields."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int,
        code: int | str | None = None,
        body_excerpt: str = "",
    ) -> None:
        super().__init__(message, operation=operation)
        self.status = status
        self.code = code
        self.body_excerpt = body_excerpt

    def __str__(self) -> str:
        code = "" if self.code is None else f", code {self.code!r}"
        return f"{self.operation} -> HTTP {self.status}{code}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation={self.operation!r}, status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class AuthenticationError(APIError):
    """The exchange rejected the credentials, the signature or the key's permissions. Never retried."""


class TimestampError(APIError):
    """The request's timestamp was outside the exchange's window: the local clock is off.

    A client re-syncs its clock once and retries once before raising this.
    """


class RateLimitError(APIError):
    """The exchange throttled the request. ``retry_after`` is the wait in seconds the server asked for, if any."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int,
        code: int | str | None = None,
        body_excerpt: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, operation=operation, status=status, code=code, body_excerpt=body_excerpt)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, retry_after={self.retry_after!r})"


class BadRequestError(APIError):
    """The request is wrong (a parameter, an unknown route, a business rule); sending it again will not help."""


class ServiceUnavailableError(APIError):
    """The exchange is unavailable, busy or in maintenance. Retried for read-only operations."""


class ServerError(APIError):
    """Any other 5xx, including statuses outside the IANA registry (Cloudflare's 52x).

    500, 502 and 504 are retried for read-only operations; others are not.
    """


class ResponseError(APIError):
    """A response that breaks the documented contract: non-JSON, empty or truncated body, a missing required
    field, an undocumented status. ``status`` is the HTTP status received."""


class UsageError(ValueError):
    """Root of the caller's mistakes: raised before anything is signed or sent, never retried. A ``ValueError``."""


class InvalidParameterError(UsageError):
    """A request argument breaks its operation's spec; raised before anything is signed or sent.

    ``parameter`` is the wire name (``instId``; a body field is ``borrowCcy`` or ``supCollateral[1].amt``, the
    body itself ``body``), ``python_name`` the generated argument where it differs, ``operation_id`` the
    operation, ``rule`` what was broken. The message names all of them and never repeats the value.
    """

    def __init__(self, operation_id: str, parameter: str, rule: str, python_name: str = "") -> None:
        alias = f" ({python_name})" if python_name and python_name != parameter else ""
        super().__init__(f"{operation_id}: parameter {parameter!r}{alias} {rule}")
        self.operation_id = operation_id
        self.parameter = parameter
        self.python_name = python_name
        self.rule = rule

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.operation_id, self.parameter, self.rule, self.python_name))


class UnknownOperationError(UsageError):
    """A request for a route that is not in the signer's table; refused before anything is sent."""


class ConfigurationError(UsageError):
    """A factory argument or environment variable that cannot work; the message names it and what is wrong,
    never its value."""
