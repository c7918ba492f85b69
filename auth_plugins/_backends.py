"""httpcore network backends that give every connect, TLS handshake, read and write only what is left of the
current attempt's deadline (:mod:`auth_plugins._deadline`).

Their streams also send an HTTP/1.1 request head that announces a body together with that body, in one write:
httpcore writes the head and the body separately, which costs a second system call, makes the server wake up
twice, and is the write-write-read pattern that Nagle's algorithm and delayed ACKs turn into a stall on a real
network. The head is held back only until the next write (the body, which httpcore writes next) or read.

Imported only when a client opens its first connection: httpcore (and anyio with it) costs tens of milliseconds
of import time that building a client, or importing the package, should not pay.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterable
from typing import Any, Final

import httpcore

from auth_plugins._deadline import remaining as _left

__all__ = ["AsyncDeadlineBackend", "DeadlineBackend", "announces_a_body"]

_BODY_LENGTH: Final = re.compile(rb"\r\ncontent-length:[ \t]*0*[1-9]", re.IGNORECASE)


def announces_a_body(buffer: bytes) -> bool:
    """Whether ``buffer`` is a whole HTTP/1.1 message head (ending in an empty line) whose ``Content-Length`` says
    a body follows: httpcore writes that body next, so the two can leave in one write."""
    return buffer.endswith(b"\r\n\r\n") and _BODY_LENGTH.search(buffer) is not None


class _Stream(httpcore.NetworkStream):
    __slots__ = ("_pending", "_stream")

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._pending = b""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:
            self.write(b"", timeout)
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._pending:
            buffer, self._pending = self._pending + buffer, b""
        elif announces_a_body(buffer):
            self._pending = buffer
            return
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._pending = b""
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
    __slots__ = ("_pending", "_stream")

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._pending = b""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:
            await self.write(b"", timeout)
        return await self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._pending:
            buffer, self._pending = self._pending + buffer, b""
        elif announces_a_body(buffer):
            self._pending = buffer
            return
        await self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        self._pending = b""
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
