"""The ``httpx`` clients behind every factory-made client: gates, fresh signing, typed errors, retries, clock sync.

Per request (``send``): look the route up in the generated ``operations.ROUTES`` (an unknown route raises
``UnknownOperationError`` before anything is sent); keep the unsigned request, since signers change it in
place; then, for each attempt (the first sends the request itself, a retry a copy rebuilt from the kept
unsigned one), run the gates, sign and send it, and check the answer
(:func:`~auth_plugins._responses.check_response`). A failed attempt is retried as
:class:`~auth_plugins._retry.RetryPolicy` says; a timestamp error re-syncs the clock once and retries once.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import attrs
import httpx
from httpx._client import UseClientDefault
from httpx._types import AuthTypes

from auth_plugins._clock import Clock
from auth_plugins._gates import RequestGate
from auth_plugins._profile import ExchangeProfile, OperationInfo
from auth_plugins._responses import check_response, describe, transport_error
from auth_plugins._retry import RetryPolicy
from auth_plugins._routes import lookup
from auth_plugins.errors import APIError, ExchangeError, TimestampError

__all__ = ["AsyncPipelineClient", "Pipeline", "SyncPipelineClient"]

logger = logging.getLogger("auth_plugins")


class Signer(Protocol):
    """A signer whose timestamps are ``clock() + offset_ms``, like every ``auth_plugins`` signer."""

    offset_ms: int


@attrs.frozen
class Pipeline:
    """Everything a pipeline client needs besides ``httpx``'s own settings.

    ``auth`` is the client's signer (its ``offset_ms`` is what clock sync sets); ``clock`` the same clock
    the signer reads (Unix ms, without the offset); ``gates`` run before every attempt, in order.
    """

    profile: ExchangeProfile
    auth: Signer
    clock: Clock
    retry: RetryPolicy = RetryPolicy()
    gates: tuple[RequestGate, ...] = ()

    def resyncs(self, operation: OperationInfo, error: ExchangeError, resynced: bool) -> bool:
        """Whether ``error`` calls for the one clock re-sync of a call (never for the server-time call itself)."""
        server_time = (operation.method, operation.path) == self.profile.server_time
        return isinstance(error, TimestampError) and not resynced and not server_time

    def set_offset(self, server_ms: int, sent_ms: int, received_ms: int) -> int:
        """Set the signer's offset to ``server - midpoint(sent, received)`` and return it."""
        offset = server_ms - (sent_ms + received_ms) // 2
        self.auth.offset_ms = offset
        logger.info("%s clock offset set to %d ms", self.profile.name, offset)
        return offset


@attrs.frozen
class _Snapshot:
    """The request as the generated code built it, before any signer touched it."""

    method: str
    url: httpx.URL
    headers: tuple[tuple[bytes, bytes], ...]
    content: bytes
    extensions: dict[str, object]

    @classmethod
    def of(cls, request: httpx.Request) -> _Snapshot:
        return cls(request.method, request.url, tuple(request.headers.raw), request.content, dict(request.extensions))

    def fresh(self) -> httpx.Request:
        # An empty body is left out so that no Content-Length appears that the original did not have.
        return httpx.Request(
            self.method,
            self.url,
            headers=list(self.headers),
            content=self.content or None,
            extensions=dict(self.extensions),
        )


def _retry_or_raise(
    pipeline: Pipeline, operation: OperationInfo, error: ExchangeError, cause: BaseException | None, retries: int
) -> float:
    delay = pipeline.retry.delay_s(error, retries, read_only=operation.read_only)
    if delay is None:
        raise error from cause
    logger.info(
        "%s failed (%s); retry %d of %d in %.3f s",
        error.operation,
        _summary(error),
        retries + 1,
        pipeline.retry.max_retries,
        delay,
    )
    return delay


def _summary(error: ExchangeError) -> str:
    if isinstance(error, APIError):
        code = "" if error.code is None else f" {error.code}"
        return f"{type(error).__name__} HTTP {error.status}{code}"
    return type(error).__name__


class SyncPipelineClient(httpx.Client):
    """An ``httpx.Client`` whose ``send`` runs the pipeline; the factories give one to the generated client.

    Every response it returns is a documented, parseable success (read in full, even with ``stream=True``);
    every failure is an :class:`~auth_plugins.errors.ExchangeError`.
    """

    def __init__(self, *, pipeline: Pipeline, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pipeline = pipeline

    def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """Send ``request`` through gates, signing, checks and retries; return the successful response."""
        return self._call(request, auth, follow_redirects)[0]

    def sync_clock(self) -> int:
        """Measure the offset to the exchange's clock (server-time operation), set it on the signer, return it."""
        method, path = self.pipeline.profile.server_time
        response, sent, received = self._call(
            self.build_request(method, path), httpx.USE_CLIENT_DEFAULT, httpx.USE_CLIENT_DEFAULT
        )
        return self.pipeline.set_offset(self.pipeline.profile.parse_server_time(response), sent, received)

    def _call(
        self,
        request: httpx.Request,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
    ) -> tuple[httpx.Response, int, int]:
        pipeline = self.pipeline
        operation = lookup(pipeline.profile.routes, request, pipeline.profile.name)
        request.read()
        snapshot = _Snapshot.of(request)
        retries, resynced = 0, False
        # The first attempt sends the request itself; only a retry pays for rebuilding it from the snapshot.
        attempt = request
        while True:
            for gate in pipeline.gates:
                gate.before_send(operation, attempt)
            cause: BaseException | None = None
            sent = pipeline.clock()
            try:
                response = super().send(attempt, auth=auth, follow_redirects=follow_redirects)
                received = pipeline.clock()
                check_response(pipeline.profile, operation, response)
                return response, sent, received
            except httpx.RequestError as failure:
                error: ExchangeError = transport_error(failure, describe(attempt))
                cause = failure
            except APIError as failure:
                error = failure
            if pipeline.resyncs(operation, error, resynced):
                resynced = True
                logger.info("%s failed (%s); re-syncing the clock and retrying once", error.operation, _summary(error))
                try:
                    self.sync_clock()
                except ExchangeError as sync_failure:
                    raise error from sync_failure
                attempt = snapshot.fresh()
                continue
            time.sleep(_retry_or_raise(pipeline, operation, error, cause, retries))
            retries += 1
            attempt = snapshot.fresh()


class AsyncPipelineClient(httpx.AsyncClient):
    """The ``httpx.AsyncClient`` twin of :class:`SyncPipelineClient`; gates run ``abefore_send``, waits never
    block the event loop."""

    def __init__(self, *, pipeline: Pipeline, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pipeline = pipeline

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """Send ``request`` through gates, signing, checks and retries; return the successful response."""
        return (await self._call(request, auth, follow_redirects))[0]

    async def sync_clock(self) -> int:
        """Async twin of :meth:`SyncPipelineClient.sync_clock`."""
        method, path = self.pipeline.profile.server_time
        response, sent, received = await self._call(
            self.build_request(method, path), httpx.USE_CLIENT_DEFAULT, httpx.USE_CLIENT_DEFAULT
        )
        return self.pipeline.set_offset(self.pipeline.profile.parse_server_time(response), sent, received)

    async def _call(
        self,
        request: httpx.Request,
        auth: AuthTypes | UseClientDefault | None,
        follow_redirects: bool | UseClientDefault,
    ) -> tuple[httpx.Response, int, int]:
        pipeline = self.pipeline
        operation = lookup(pipeline.profile.routes, request, pipeline.profile.name)
        await request.aread()
        snapshot = _Snapshot.of(request)
        retries, resynced = 0, False
        # The first attempt sends the request itself; only a retry pays for rebuilding it from the snapshot.
        attempt = request
        while True:
            for gate in pipeline.gates:
                await gate.abefore_send(operation, attempt)
            cause: BaseException | None = None
            sent = pipeline.clock()
            try:
                response = await super().send(attempt, auth=auth, follow_redirects=follow_redirects)
                received = pipeline.clock()
                check_response(pipeline.profile, operation, response)
                return response, sent, received
            except httpx.RequestError as failure:
                error: ExchangeError = transport_error(failure, describe(attempt))
                cause = failure
            except APIError as failure:
                error = failure
            if pipeline.resyncs(operation, error, resynced):
                resynced = True
                logger.info("%s failed (%s); re-syncing the clock and retrying once", error.operation, _summary(error))
                try:
                    await self.sync_clock()
                except ExchangeError as sync_failure:
                    raise error from sync_failure
                attempt = snapshot.fresh()
                continue
            import asyncio  # here, not at the top: ~15 ms of import that sync-only users should not pay

            await asyncio.sleep(_retry_or_raise(pipeline, operation, error, cause, retries))
            retries += 1
            attempt = snapshot.fresh()
