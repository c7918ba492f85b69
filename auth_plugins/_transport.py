"""The connections a factory-made client sends through: httpcore pools on the deadline-enforcing backends.

:class:`Connection` and :class:`AsyncConnection` are httpx transports (``httpx.BaseTransport`` /
``httpx.AsyncBaseTransport``), built like httpx's own ``HTTPTransport`` (TLS, proxies, limits) but on
:mod:`auth_plugins._deadline`'s network backends, so every socket operation respects the attempt's deadline.
Their pools are made on first use: making a client opens nothing, loads no CA bundle and imports no httpcore
(which, with anyio, costs tens of milliseconds). One default TLS context is shared by every client of the
process (loading the CA bundle costs ~80 ms each time otherwise).

An asyncio connection belongs to the event loop it was opened on. :class:`AsyncConnection` keeps one pool per
running loop: a client used across successive ``asyncio.run()`` calls gets a fresh pool in each, and the pool
of a loop that ``asyncio.run`` shuts down is closed inside that loop (through an async generator, which asyncio
finalises at shutdown), so no socket leaks.
"""

from __future__ import annotations

import ssl
import threading
import urllib.request
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import httpcore

__all__ = ["AsyncConnection", "Connection", "ConnectionSettings"]

_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
_contexts: dict[tuple[bool, bool], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def _ssl_context(verify: bool | str | ssl.SSLContext, trust_env: bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    key = (verify, trust_env)
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    return context


class ConnectionSettings:
    """How connections are made: ``verify`` (True, False, a CA bundle path or an ``ssl.SSLContext``), ``proxy``
    (a URL; with ``trust_env``, the standard ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` variables apply when
    none is given), ``limits`` (``httpx.Limits``) and ``http2``."""

    __slots__ = ("http2", "limits", "proxy", "trust_env", "verify")

    def __init__(
        self,
        *,
        verify: bool | str | ssl.SSLContext = True,
        proxy: str | None = None,
        trust_env: bool = True,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        http2: bool = False,
    ) -> None:
        self.verify = verify
        self.proxy = proxy
        self.trust_env = trust_env
        self.limits = limits
        self.http2 = http2

    def pool_arguments(self, url: httpx.URL) -> tuple[str | None, dict[str, Any]]:
        """The proxy URL (or ``None``) and the pool's keyword arguments for requests to ``url``."""
        proxy = self.proxy
        if proxy is None and self.trust_env and not urllib.request.proxy_bypass(url.host):
            proxy = urllib.request.getproxies().get(url.scheme)
        limits = self.limits
        arguments: dict[str, Any] = {
            "ssl_context": _ssl_context(self.verify, self.trust_env) if url.scheme == "https" else None,
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry,
            "http1": True,
            "http2": self.http2,
        }
        return proxy, arguments


def _core_request(request: httpx.Request) -> httpcore.Request:
    import httpcore

    url = request.url
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        headers=request.headers.raw,
        content=request.content,
        extensions=request.extensions,
    )


def _response(
    request: httpx.Request, response: httpcore.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    """httpcore's ``response`` to ``request`` as an httpx one, its body still to be read from ``stream``."""
    return httpx.Response(
        status_code=response.status,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
        request=request,
    )


class _Stream(httpx.SyncByteStream):
    __slots__ = ("_stream",)

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _AsyncStream(httpx.AsyncByteStream):
    __slots__ = ("_stream",)

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class Connection(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose sockets respect the current attempt's deadline.

    Errors are httpcore's own (``httpcore.ConnectTimeout``, ``httpcore.RemoteProtocolError`` ...): the pipeline
    maps them to typed errors. The response's stream yields the raw (undecoded) body.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        self._settings = settings
        self._pool: httpcore.ConnectionPool | None = None
        self._lock = threading.Lock()

    def _make_pool(self, url: httpx.URL) -> httpcore.ConnectionPool:
        import httpcore

        from auth_plugins._backends import DeadlineBackend

        with self._lock:
            if self._pool is None:
                proxy, arguments = self._settings.pool_arguments(url)
                backend = DeadlineBackend()
                if proxy is None:
                    self._pool = httpcore.ConnectionPool(network_backend=backend, **arguments)
                else:
                    self._pool = httpcore.HTTPProxy(proxy_url=proxy, network_backend=backend, **arguments)
            return self._pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return the response with its body still to be read."""
        pool = self._pool if self._pool is not None else self._make_pool(request.url)
        response = pool.handle_request(_core_request(request))
        return _response(request, response, _Stream(response.stream))

    def close(self) -> None:
        """Close every pooled connection."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class _LoopPool:
    """One event loop's pool, and the async generator that closes it when ``asyncio.run`` shuts that loop down."""

    __slots__ = ("loop", "pool", "watcher")

    def __init__(self, loop: Any, pool: httpcore.AsyncConnectionPool) -> None:
        self.loop = weakref.ref(loop)
        self.pool = pool
        self.watcher = self._watch()

    def serves(self, loop: Any) -> bool:
        """Whether this is the pool of ``loop``, which is still open."""
        return self.loop() is loop and self.alive()

    def alive(self) -> bool:
        """Whether this pool's loop still exists and is open."""
        loop = self.loop()
        return loop is not None and not loop.is_closed()

    async def _watch(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self.pool.aclose()


class AsyncConnection(httpx.AsyncBaseTransport):
    """The async twin of :class:`Connection`, with one pool per running event loop (see the module docstring)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self._settings = settings
        self._pools: dict[int, _LoopPool] = {}

    async def _pool(self, url: httpx.URL) -> httpcore.AsyncConnectionPool:
        import asyncio  # here, not at the top: ~15 ms of import that sync-only users should not pay

        loop = asyncio.get_running_loop()
        entry = self._pools.get(id(loop))
        if entry is None or not entry.serves(loop):
            import httpcore

            from auth_plugins._backends import AsyncDeadlineBackend

            # A loop closed without asyncio.run's shutdown leaves its pool behind: dropped, never reused.
            self._pools = {
                key: value
                for key, value in self._pools.items()
                if (found := value.loop()) is not None and not found.is_closed()
            }
            proxy, arguments = self._settings.pool_arguments(url)
            backend = AsyncDeadlineBackend()
            pool: httpcore.AsyncConnectionPool
            if proxy is None:
                pool = httpcore.AsyncConnectionPool(network_backend=backend, **arguments)
            else:
                pool = httpcore.AsyncHTTPProxy(proxy_url=proxy, network_backend=backend, **arguments)
            entry = self._pools[id(loop)] = _LoopPool(loop, pool)
            await entry.watcher.asend(None)
        return entry.pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return the response with its body still to be read."""
        pool = await self._pool(request.url)
        response = await pool.handle_async_request(_core_request(request))
        return _response(request, response, _AsyncStream(response.stream))

    async def aclose(self) -> None:
        """Close the current loop's pool (others belong to loops that are gone or shut down by asyncio)."""
        import asyncio

        entry = self._pools.pop(id(asyncio.get_running_loop()), None)
        if entry is not None:
            await entry.pool.aclose()
            await entry.watcher.aclose()
