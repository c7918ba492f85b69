"""Request signers and signed-client factories for exchange private REST APIs.

One subpackage per exchange (``auth_plugins.backpack``, ``auth_plugins.binance``, ``auth_plugins.okx``), each
exporting its ``httpx.Auth`` signer, ``make_client`` and ``client_from_env``. Every signer is pure:
``auth_flow`` does no I/O, signs the exact bytes that go on the wire, works unchanged with both
``httpx.Client`` and ``httpx.AsyncClient``, and fails closed: a route its table does not know raises
:class:`UnknownOperationError` before anything is sent.

Factory-made clients raise the typed errors of :mod:`auth_plugins.errors` (root :class:`ExchangeError`)
for every failure, retry what is transient, re-sync their clock on a timestamp error (or on demand with
:func:`sync_clock` / :func:`async_sync_clock`), and keep secrets out of logs (:class:`RedactingFilter`).
"""

from auth_plugins._clock_sync import async_sync_clock, sync_clock
from auth_plugins._gates import RequestGate
from auth_plugins._redaction import RedactingFilter
from auth_plugins._routes import UnknownOperationError
from auth_plugins._validation import InvalidParameterError
from auth_plugins.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    ExchangeError,
    RateLimitError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
    ServiceUnavailableError,
    TimestampError,
    TransportError,
)

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConnectError",
    "ExchangeError",
    "InvalidParameterError",
    "RateLimitError",
    "RedactingFilter",
    "RequestGate",
    "RequestTimeoutError",
    "ResponseError",
    "ServerError",
    "ServiceUnavailableError",
    "TimestampError",
    "TransportError",
    "UnknownOperationError",
    "async_sync_clock",
    "sync_clock",
]
