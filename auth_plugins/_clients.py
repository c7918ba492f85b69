"""The httpx clients behind every factory-made client: thin sync and async drivers of the attempt loop.

:class:`SyncPipelineClient` and :class:`AsyncPipelineClient` are what the generated code's ``get_httpx_client()``
and ``get_async_httpx_client()`` return. Their ``request`` and ``send`` run :func:`~auth_plugins._attempts.attempts`,
carrying out its steps: gates, sending through the client's transport under the attempt's deadline while reading
the body under the size cap, sleeping, re-syncing. The generated code hands ``request`` a ready target
(``/path?query``) and body bytes, which go out as built, with no second encoding; any other ``request`` call
(``params=``, ``json=`` ...) is built by httpx as usual first. Redirects are never followed (a 3xx is a
``ResponseError``): httpx would carry the exchange's key and signature headers to the other origin. Closing a
client closes its connections and nothing else: the next call, or entering it again (``with``; ``async with``
in each of two ``asyncio.run`` calls), opens new ones, where httpx would raise a plain ``RuntimeError``.
"""

from __future__ import annotations

import logging
import time
import zlib
from typing import Any, Final

import httpx

from auth_plugins import _observer
from auth_plugins._attempts import (
    Exchange,
    Failed,
    Gate,
    Pipeline,
    Resync,
    Send,
    Sleep,
    Step,
    apply_server_time,
    attempts,
)
from auth_plugins._body import ACCEPT_ENCODING, BodyReader, BodyTooLarge, UnsupportedEncoding
from auth_plugins._deadline import start_deadline, stop_deadline
from auth_plugins._redaction import activate, deactivate
from auth_plugins._requests import QuietRequest, quiet
from auth_plugins._responses import CheckedResponse, describe, transport_error
from auth_plugins._routes import lookup
from auth_plugins._secrets import Unpicklable
from auth_plugins._urls import join
from auth_plugins.errors import ExchangeError, ResponseError

__all__ = ["AsyncPipelineClient", "SyncPipelineClient", "USER_AGENT"]

logger = logging.getLogger("auth_plugins")

USER_AGENT: Final = "exchange-clients/0.1.0"
_DEFAULT_HEADERS: Final = {"Accept": "*/*", "Accept-Encoding": ACCEPT_ENCODING, "User-Agent": USER_AGENT}
_DECODED: Final = ("content-encoding", "content-length")
_FAST_OPTIONS: Final = frozenset({"content", "headers", "extensions"})
_NOT_APPLICABLE: Final = frozenset({"auth", "follow_redirects", "stream"})


def _client_settings(settings: dict[str, Any], transport: Any) -> dict[str, Any]:
    """The ``httpx.Client`` arguments of a pipeline client: the generated client's settings, the transport given,
    never redirects, no proxy lookups of httpx's own (the transport has made its choice)."""
    return {
        "base_url": settings["base_url"],
        "headers": {**_DEFAULT_HEADERS, **settings.get("headers", {})},
        "timeout": settings.get("timeout"),
        "follow_redirects": False,
        "trust_env": False,
        "transport": transport,
    }


def _checked(request: httpx.Request, response: httpx.Response, body: bytes) -> CheckedResponse:
    headers = response.headers
    if "content-encoding" in headers:
        # The body is decoded already: the headers must not ask for it to be decoded again.
        headers = httpx.Headers([(k, v) for k, v in headers.multi_items() if k.lower() not in _DECODED])
    return CheckedResponse(
        response.status_code,
        headers=headers,
        content=body,
        request=request,
        extensions=response.extensions,
    )


def _unreadable(request: httpx.Request, response: httpx.Response, error: Exception) -> Failed:
    if isinstance(error, BodyTooLarge | UnsupportedEncoding):
        reason = str(error)
    else:
        reason = "the compressed body is corrupt or truncated"
    failure = ResponseError(reason, operation=describe(request), status=response.status_code)
    return Failed(failure, None)


def _deadline_s(timeout: httpx.Timeout, fallback: float) -> float:
    phases = [value for value in (timeout.connect, timeout.read, timeout.write, timeout.pool) if value is not None]
    return max(phases) if phases else fallback


def _build(client: httpx.Client | httpx.AsyncClient, method: str, url: Any, options: dict[str, Any]) -> httpx.Request:
    """The request ``client.request(method, url, **options)`` means. A target string with at most ``content``,
    ``headers`` and ``extensions`` (what the generated code passes) is joined to the base URL as is, with no
    re-encoding; anything else goes through httpx's ``build_request``."""
    if type(url) is not str or url[:1] != "/" or not options.keys() <= _FAST_OPTIONS:
        kept = {name: value for name, value in options.items() if name not in _NOT_APPLICABLE}
        return quiet(client.build_request(method, url, **kept))
    headers = client.headers.copy()
    if options.get("headers"):
        headers.update(options["headers"])
    return QuietRequest(
        method,
        join(client.base_url, url),
        headers=headers,
        content=options.get("content"),
        extensions={"timeout": client.timeout.as_dict(), **(options.get("extensions") or {})},
    )


def _received(pipeline: Pipeline, request: httpx.Request, response: httpx.Response, body: bytes, sent: int) -> Exchange:
    received = pipeline.clock()
    logger.debug("%s -> %d in %d ms", describe(request), response.status_code, received - sent)
    return Exchange(_checked(request, response, body), sent, received)


class _Run:
    """One call through the attempt loop, as both drivers run it: its operation (looked up before anything else:
    an unknown route is refused unsent), this client's redactor active for the call, and the loop itself.
    :meth:`advance` hands the loop an outcome and returns its next step, or the :class:`Exchange` it ended with;
    :meth:`close` ends the loop and the redactor's turn, whatever happened. When telemetry is on
    (:mod:`auth_plugins._observer`), the loop runs inside the observer's, which yields the same steps."""

    __slots__ = ("_token", "loop", "operation", "pipeline")

    def __init__(self, pipeline: Pipeline, request: httpx.Request, asynchronous: bool = False) -> None:
        self.pipeline = pipeline
        self.operation = lookup(pipeline.profile.routes, request, pipeline.profile.name)
        self._token = activate(pipeline.redactor)
        self.loop = attempts(pipeline, self.operation, request)
        observer = _observer.current
        if observer is not None:
            self.pipeline, self.loop = observer(pipeline, self.operation, request, self.loop, asynchronous)

    def advance(self, outcome: Any) -> Step | Exchange:
        try:
            return self.loop.send(outcome)
        except StopIteration as done:
            result: Exchange = done.value
            return result

    def close(self) -> None:
        self.loop.close()
        deactivate(self._token)


class SyncPipelineClient(Unpicklable, httpx.Client):
    """An ``httpx.Client`` whose requests run the pipeline (see the module docstring). Every response it returns is
    a documented, checked success with its body read; every failure is an
    :class:`~auth_plugins.errors.ExchangeError`, a bad request an :class:`~auth_plugins.errors.UsageError`."""

    def __init__(self, pipeline: Pipeline, settings: dict[str, Any], transport: httpx.BaseTransport) -> None:
        super().__init__(**_client_settings(settings, transport))
        self.pipeline = pipeline
        self._connection = transport

    def request(self, method: str, url: httpx.URL | str, **options: Any) -> httpx.Response:
        """Send a request through the pipeline (``httpx.Client.request``'s arguments; ``auth``, ``follow_redirects``
        and ``stream`` do not apply); return the checked response."""
        return self._call(_build(self, method, url, options)).response

    def send(self, request: httpx.Request, **options: Any) -> httpx.Response:
        """Send ``request`` through the pipeline; ``auth``, ``follow_redirects`` and ``stream`` do not apply. The
        request is signed in place (and a plain ``httpx.Request`` becomes a :class:`QuietRequest`)."""
        request.read()
        return self._call(quiet(request)).response

    def __enter__(self) -> SyncPipelineClient:
        """The client itself. Its connections open on first use, so it can be entered again once closed."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the client's connections; a later call opens new ones (httpx would refuse it instead)."""
        self._connection.close()

    def resync_clock(self) -> int:
        """Measure the offset to the exchange's clock (its server-time operation), install it, return it (ms)."""
        method, path = self.pipeline.profile.server_time
        return apply_server_time(self.pipeline, self._call(_build(self, method, path, {})))

    def _call(self, request: httpx.Request) -> Exchange:
        run = _Run(self.pipeline, request)
        try:
            step = run.advance(None)
            while type(step) is not Exchange:
                if type(step) is Send:
                    step = run.advance(self._exchange(step.request))
                elif type(step) is Gate:
                    for gate in run.pipeline.gates:
                        gate.before_send(run.operation, step.request)
                    step = run.advance(None)
                elif type(step) is Sleep:
                    time.sleep(step.seconds)
                    step = run.advance(None)
                else:
                    assert type(step) is Resync
                    step = run.advance(self._resynced())
            return step
        finally:
            run.close()

    def _resynced(self) -> int | Failed:
        try:
            return self.resync_clock()
        except ExchangeError as error:
            return Failed(error)

    def _exchange(self, request: httpx.Request) -> Exchange | Failed:
        pipeline = self.pipeline
        deadline = start_deadline(_deadline_s(self.timeout, pipeline.timeout_s))
        sent = pipeline.clock()
        try:
            response = self._connection.handle_request(request)
            try:
                reader = BodyReader(pipeline.max_response_bytes, response.headers.get("content-encoding", ""))
                for chunk in response.stream:  # type: ignore[union-attr]
                    reader.feed(chunk)
                body = reader.finish()
            except (BodyTooLarge, UnsupportedEncoding, zlib.error) as error:
                return _unreadable(request, response, error)
            finally:
                response.close()
            return _received(pipeline, request, response, body, sent)
        except Exception as error:  # whatever a transport raises is a transport failure, never a raw exception
            return Failed(transport_error(error, describe(request)), error)
        finally:
            stop_deadline(deadline)


class AsyncPipelineClient(Unpicklable, httpx.AsyncClient):
    """The ``httpx.AsyncClient`` twin of :class:`SyncPipelineClient`; its waits never block the event loop, and
    it works across successive event loops (``asyncio.run`` twice)."""

    def __init__(self, pipeline: Pipeline, settings: dict[str, Any], transport: httpx.AsyncBaseTransport) -> None:
        super().__init__(**_client_settings(settings, transport))
        self.pipeline = pipeline
        self._connection = transport

    async def request(self, method: str, url: httpx.URL | str, **options: Any) -> httpx.Response:
        """Async twin of :meth:`SyncPipelineClient.request`."""
        return (await self._call(_build(self, method, url, options))).response

    async def send(self, request: httpx.Request, **options: Any) -> httpx.Response:
        """Async twin of :meth:`SyncPipelineClient.send`."""
        await request.aread()
        return (await self._call(quiet(request))).response

    async def __aenter__(self) -> AsyncPipelineClient:
        """The client itself; like the sync side, it can be entered again once closed, in another event loop too
        (``async with`` inside each of two ``asyncio.run`` calls)."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client's connections of the running event loop; a later call opens new ones."""
        await self._connection.aclose()

    async def resync_clock(self) -> int:
        """Async twin of :meth:`SyncPipelineClient.resync_clock`."""
        method, path = self.pipeline.profile.server_time
        exchange = await self._call(_build(self, method, path, {}))
        return apply_server_time(self.pipeline, exchange)

    async def _call(self, request: httpx.Request) -> Exchange:
        import asyncio  # here, not at the top: ~15 ms of import that sync-only users should not pay

        run = _Run(self.pipeline, request, asynchronous=True)
        try:
            step = run.advance(None)
            while type(step) is not Exchange:
                if type(step) is Send:
                    step = run.advance(await self._exchange(step.request))
                elif type(step) is Gate:
                    for gate in run.pipeline.gates:
                        await gate.abefore_send(run.operation, step.request)
                    step = run.advance(None)
                elif type(step) is Sleep:
                    await asyncio.sleep(step.seconds)
                    step = run.advance(None)
                else:
                    assert type(step) is Resync
                    step = run.advance(await self._resynced())
            return step
        finally:
            run.close()

    async def _resynced(self) -> int | Failed:
        try:
            return await self.resync_clock()
        except ExchangeError as error:
            return Failed(error)

    async def _exchange(self, request: httpx.Request) -> Exchange | Failed:
        pipeline = self.pipeline
        deadline = start_deadline(_deadline_s(self.timeout, pipeline.timeout_s))
        sent = pipeline.clock()
        try:
            response = await self._connection.handle_async_request(request)
            try:
                reader = BodyReader(pipeline.max_response_bytes, response.headers.get("content-encoding", ""))
                async for chunk in response.stream:  # type: ignore[union-attr]
                    reader.feed(chunk)
                body = reader.finish()
            except (BodyTooLarge, UnsupportedEncoding, zlib.error) as error:
                return _unreadable(request, response, error)
            finally:
                await response.aclose()
            return _received(pipeline, request, response, body, sent)
        except Exception as error:  # whatever a transport raises is a transport failure, never a raw exception
            return Failed(transport_error(error, describe(request)), error)
        finally:
            stop_deadline(deadline)
