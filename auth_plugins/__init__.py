"""Request signers and signed-client factories for exchange private REST APIs.

One subpackage per exchange (``auth_plugins.backpack``, ``auth_plugins.binance``, ``auth_plugins.okx``), each
exporting its ``httpx.Auth`` signer, ``make_client`` and ``client_from_env``. Every signer is pure: ``auth_flow``
does no I/O, signs the exact bytes that go on the wire, works with both ``httpx.Client`` and
``httpx.AsyncClient``, and fails closed: a route its table does not know raises :class:`UnknownOperationError`
before anything is sent.

Factory-made clients raise the typed errors of :mod:`auth_plugins.errors` for every failure (root
:class:`ExchangeError`; mistakes of the caller under :class:`UsageError`), bound every attempt by a deadline and
every body by a size cap, retry what is transient (:class:`RetryPolicy`), re-sync their clock on a timestamp
error (or on demand with :func:`resync_clock` / :func:`aresync_clock`), keep to the documented rate limits, and
keep secrets out of logs (:class:`RedactingFilter`).
"""

from auth_plugins._clock import aresync_clock, resync_clock
from auth_plugins._factory import ClientOptions
from auth_plugins._gates import RequestGate
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
    TimestampError,
    TransportError,
    UnknownOperationError,
    UsageError,
)

__all__ = [
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
    "RequestGate",
    "RequestTimeoutError",
    "ResponseError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "TimestampError",
    "TransportError",
    "UnknownOperationError",
    "UsageError",
    "aresync_clock",
    "resync_clock",
]
