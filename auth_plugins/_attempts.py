"""The attempt loop every factory-made request runs, written once, without I/O.

:func:`attempts` is a generator in the shape of ``httpx.Auth.auth_flow``: it yields the steps a request needs and
receives their outcomes, and the sync and async drivers (:mod:`auth_plugins._clients`) only carry them out:

- :class:`Gate`: run the client's gates (validation, rate limiting) on the unsigned request;
- :class:`Send`: send the signed request and read its body (an :class:`Exchange` or a :class:`Failed` comes back);
- :class:`Sleep`: wait before a retry;
- :class:`Resync`: re-sync the clock (the new offset or a :class:`Failed` comes back).

The loop signs each attempt afresh from the request as the generated code built it (signers change requests in
place), checks every answer (:func:`~auth_plugins._responses.check_response`), retries as the client's
:class:`~auth_plugins._retry.RetryPolicy` says, and on a timestamp error re-syncs once and tries once more. It
returns the successful :class:`Exchange` or raises the typed error.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

from auth_plugins._clock import Clock, Signer, plausible_offset
from auth_plugins._gates import RequestGate
from auth_plugins._operation import OperationInfo
from auth_plugins._profile import ExchangeProfile
from auth_plugins._redaction import Redactor
from auth_plugins._requests import QuietRequest
from auth_plugins._responses import CheckedResponse, check_response
from auth_plugins._retry import RetryPolicy
from auth_plugins._secrets import Unpicklable
from auth_plugins.errors import APIError, ExchangeError, TimestampError

__all__ = [
    "Exchange",
    "Failed",
    "Gate",
    "Pipeline",
    "Resync",
    "Send",
    "Sleep",
    "Step",
    "apply_server_time",
    "attempts",
]

logger = logging.getLogger("auth_plugins")


@dataclass(frozen=True, slots=True, eq=False)
class Pipeline(Unpicklable):
    """Everything a client's requests go through besides the connection itself; shared by its sync and async sides.

    ``auth`` signs (its ``offset_ms`` is what a re-sync sets); ``clock`` is the clock it reads (Unix ms, without the
    offset); ``gates`` run before every attempt, in order; ``redactor`` scrubs this client's secrets from what it
    logs and raises; ``timeout_s`` bounds each attempt from connecting to the last byte; ``max_response_bytes``
    caps each body, raw and decoded.
    """

    profile: ExchangeProfile
    auth: httpx.Auth
    clock: Clock
    retry: RetryPolicy
    gates: tuple[RequestGate, ...]
    redactor: Redactor
    timeout_s: float
    max_response_bytes: int

    @property
    def signer(self) -> Signer:
        """The signer's clock-offset side."""
        signer: Signer = self.auth  # type: ignore[assignment]
        return signer

    def __repr__(self) -> str:
        return f"Pipeline(exchange={self.profile.name!r}, auth={self.auth!r})"


@dataclass(frozen=True, slots=True)
class Exchange:
    """A response with its body read, and the local clock when the attempt started and ended (ms)."""

    response: CheckedResponse
    sent_ms: int
    received_ms: int


@dataclass(frozen=True, slots=True)
class Failed:
    """A step that failed: the typed ``error``, and the exception that caused it (raised ``from`` it)."""

    error: ExchangeError
    cause: BaseException | None = None


@dataclass(frozen=True, slots=True)
class Gate:
    """Run every gate on ``request`` (unsigned); they may wait, or raise to refuse it."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class Send:
    """Send the signed ``request`` within one attempt's deadline; answer an :class:`Exchange` or a :class:`Failed`."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` before the next attempt; ``after`` is the error the last attempt ended with."""

    seconds: float
    after: ExchangeError | None = None


@dataclass(frozen=True, slots=True)
class Resync:
    """Re-sync the clock after ``after`` (a timestamp error); answer the new offset (ms) or a :class:`Failed`."""

    after: ExchangeError | None = None


Step = Gate | Send | Sleep | Resync


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The request as the generated code built it, before any signer touched it (its ``repr`` is the method and
    path only: the headers hold the API key)."""

    method: str
    url: httpx.URL
    headers: tuple[tuple[bytes, bytes], ...]
    content: bytes
    extensions: dict[str, Any]

    def __repr__(self) -> str:
        return f"_Snapshot({self.method} {self.url.path})"

    def fresh(self) -> httpx.Request:
        # An empty body is left out so that no Content-Length appears that the original did not have.
        return QuietRequest(
            self.method,
            self.url,
            headers=list(self.headers),
            content=self.content or None,
            extensions=dict(self.extensions),
        )


def _sign(auth: httpx.Auth, request: httpx.Request) -> httpx.Request:
    # Signers are pure single-request flows: the first request the flow yields is the one to send.
    return next(auth.auth_flow(request))


def _summary(error: ExchangeError) -> str:
    if isinstance(error, APIError):
        code = "" if error.code is None else f" {error.code}"
        return f"{type(error).__name__} HTTP {error.status}{code}"
    return type(error).__name__


def attempts(
    pipeline: Pipeline, operation: OperationInfo, request: httpx.Request
) -> Generator[Step, Exchange | Failed | int | None, Exchange]:
    """The steps of one call of ``operation`` (see the module docstring); returns its successful exchange."""
    snapshot = _Snapshot(
        request.method, request.url, tuple(request.headers.raw), request.content, dict(request.extensions)
    )
    # The first attempt sends the request itself; only a retry pays for rebuilding it from the snapshot.
    attempt, retries, resynced = request, 0, False
    while True:
        yield Gate(attempt)
        outcome = yield Send(_sign(pipeline.auth, attempt))
        if isinstance(outcome, Exchange):
            try:
                check_response(pipeline.profile, operation, outcome.response)
                return outcome
            except APIError as refused:
                outcome = Failed(refused)
        assert isinstance(outcome, Failed)
        error = outcome.error
        server_time = (operation.method, operation.path) == pipeline.profile.server_time
        if isinstance(error, TimestampError) and not resynced and not server_time:
            resynced = True
            logger.info("%s failed (%s); re-syncing the clock and retrying once", error.operation, _summary(error))
            resync = yield Resync(error)
            if isinstance(resync, Failed):
                raise error from resync.error
        else:
            delay = pipeline.retry.delay_s(error, retries, read_only=operation.read_only)
            if delay is None:
                raise error from outcome.cause
            logger.info(
                "%s failed (%s); retry %d of %d in %.3f s",
                error.operation,
                _summary(error),
                retries + 1,
                pipeline.retry.max_retries,
                delay,
            )
            yield Sleep(delay, error)
            retries += 1
        attempt = snapshot.fresh()


def apply_server_time(pipeline: Pipeline, exchange: Exchange) -> int:
    """Install the clock offset a checked server-time answer gives, if plausible; return it in ms.

    :class:`~auth_plugins.errors.TimestampError` (offset unchanged) for a time no real exchange could send.
    """
    server_ms = pipeline.profile.parse_server_time(exchange.response)
    offset = plausible_offset(pipeline.profile, server_ms, exchange.sent_ms, exchange.received_ms)
    pipeline.signer.offset_ms = offset
    logger.info("%s clock offset set to %d ms", pipeline.profile.name, offset)
    return offset
