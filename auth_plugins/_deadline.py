"""The deadline of one attempt, and the httpcore network backends that enforce it on every socket operation.

httpx's timeouts apply to each read and write on its own, so a server that trickles a byte every few seconds
keeps a request alive for ever. An attempt therefore runs under a :class:`Deadline` (a context variable, so it
follows the calling thread or task), and the network backends below give every connect, TLS handshake, read and
write only the time left before it: an attempt ends, from connecting to the last byte of the body, within its
deadline whatever the server does. A wait the client chooses itself in the middle of an attempt (the rate
limiter holding a request back just before it is written) :meth:`extends <Deadline.extend>` the deadline by that
wait, so only the server's time counts.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from contextvars import ContextVar, Token
from typing import Any

import httpcore

__all__ = ["AsyncDeadlineBackend", "Deadline", "DeadlineBackend", "extend_deadline", "start_deadline", "stop_deadline"]


class Deadline:
    """A moment on the monotonic clock (``at``, seconds) that one attempt must finish by."""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def extend(self, seconds: float) -> None:
        """Move the deadline ``seconds`` later (for a wait the client itself chose)."""
        self.at += seconds

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        """The time an operation may take: ``timeout`` (``None``: unbounded) capped at what is left; raises
        ``expired`` (an httpcore timeout class) when nothing is left."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise expired("the attempt's deadline passed")
        return left if timeout is None or timeout > left else timeout


_CURRENT: ContextVar[Deadline | None] = ContextVar("auth_plugins_deadline", default=None)


def start_deadline(seconds: float) -> Token[Deadline | None]:
    """Start a deadline ``seconds`` from now for this thread or task; pass the token to :func:`stop_deadline`."""
    return _CURRENT.set(Deadline(seconds))


def stop_deadline(token: Token[Deadline | None]) -> None:
    """End the deadline :func:`start_deadline` started."""
    _CURRENT.reset(token)


def extend_deadline(seconds: float) -> None:
    """Extend the current attempt's deadline, if there is one, by ``seconds`` the client spent waiting by choice."""
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.extend(seconds)


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _CURRENT.get()
    return timeout if deadline is None else deadline.left(timeout, expired)


class _Stream(httpcore.NetworkStream):
    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, with every operation bounded by the current :class:`Deadline`."""

    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        self._backend = backend if backend is not None else httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, with every operation bounded by the current :class:`Deadline`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._backend = backend if backend is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._backend.connect_tcp(host, port, left, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._backend.connect_unix_socket(path, left, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
