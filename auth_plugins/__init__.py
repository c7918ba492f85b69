"""Request signers and signed-client factories for exchange private REST APIs.

One subpackage per exchange (``auth_plugins.backpack``, ``auth_plugins.binance``, ``auth_plugins.okx``), each
exporting its ``httpx.Auth`` signer, ``make_client`` and ``client_from_env``. Every signer is pure: ``auth_flow``
does no I/O, signs the exact bytes that go on the wire, works with both ``httpx.Client`` and
``httpx.AsyncClient``, and fails closed: a route its table does not know raises :class:`UnknownOperationError`
before anything is sent.

Factory-made clients raise the typed errors of :mod:`auth_plugins.errors` for every failure (root
:class:`ExchangeError`; mistakes of the caller under :class:`UsageError`), bound every attempt by a deadline and
every body by a size cap, retry what is transient (:class:`RetryPolicy`), re-sync their clock on a timestamp
error (or on demand with :func:`resync_clock` / :func:`aresync_clock`), keep to the documented rate limits (per
process, or shared by every process and host on one Redis: ``rate_limit="redis://..."``, :class:`RedisRateLimit`,
:data:`RATE_LIMIT_ENV`), keep secrets out of logs (:class:`RedactingFilter`), and export OpenTelemetry traces and
metrics when ``auth_plugins.telemetry.ExchangeClientsInstrumentor`` is on (the ``otel`` extra).
"""

from typing import TYPE_CHECKING, Any

from auth_plugins._clock import aresync_clock, resync_clock
from auth_plugins._factory import ClientOptions
from auth_plugins._gates import RequestGate
from auth_plugins._ratelimit import RATE_LIMIT_ENV
from auth_plugins._redaction import RedactingFilter
from auth_plugins._retry import RetryPolicy
from auth_plugins.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConnectError,
    ExchangeError,
    InvalidParameterError,
    RateLimitError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    ServiceUnavailableError,
    SharedBudgetError,
    TimestampError,
    TransportError,
    UnknownOperationError,
    UsageError,
)

if TYPE_CHECKING:
    from auth_plugins._ratelimit_redis import RedisRateLimit

__all__ = [
    "RATE_LIMIT_ENV",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientOptions",
    "ConfigurationError",
    "ConnectError",
    "ExchangeError",
    "InvalidParameterError",
    "RateLimitError",
    "RedactingFilter",
    "RedisRateLimit",
    "RequestGate",
    "RequestTimeoutError",
    "ResponseError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "SharedBudgetError",
    "TimestampError",
    "TransportError",
    "UnknownOperationError",
    "UsageError",
    "aresync_clock",
    "resync_clock",
]


def __getattr__(name: str) -> Any:
    # RedisRateLimit is loaded on first use: clients without a shared budget need not pay its import.
    if name == "RedisRateLimit":
        from auth_plugins._ratelimit_redis import RedisRateLimit

        return RedisRateLimit
    raise AttributeError(f"module 'auth_plugins' has no attribute {name!r}")
