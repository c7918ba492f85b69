"""A request's head and body leave in one write (auth_plugins/_backends.py), over real sockets, sync and async.

httpcore writes an HTTP/1.1 head and its body separately; the factories' network streams hold a head that
announces a body until that body is written, so a POST costs one system call and reaches the server in one piece.
Each write the streams pass down is recorded by a wrapping backend around httpcore's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import httpcore
import pytest

from auth_plugins._backends import AsyncDeadlineBackend, DeadlineBackend, announces_a_body
from auth_plugins.sandbox import Sandbox

BODY = b'{"borrowCcy":"USDT"}'
PATH = b"/api/v5/finance/flexible-loan/max-loan"


class _Recording(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, writes: list[bytes]) -> None:
        self._stream, self._writes = stream, writes

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self._writes.append(buffer)
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _RecordingBackend(httpcore.SyncBackend):
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _Recording(super().connect_tcp(host, port, timeout, local_address, socket_options), self.writes)


class _AsyncRecording(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream, writes: list[bytes]) -> None:
        self._stream, self._writes = stream, writes

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self._writes.append(buffer)
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncRecordingBackend(httpcore.AnyIOBackend):
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await super().connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncRecording(stream, self.writes)


def _request(sbx: Sandbox, method: bytes, body: bytes) -> tuple[str, list[tuple[bytes, bytes]]]:
    url = sbx.base_url("okx") + PATH.decode()
    headers = [(b"Content-Type", b"application/json"), (b"Content-Length", b"%d" % len(body))] if body else []
    return url, headers


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("method", "body"), [(b"POST", BODY), (b"GET", b"")])
def test_a_head_and_its_body_leave_in_one_write(sbx: Sandbox, mode: str, method: bytes, body: bytes) -> None:
    url, headers = _request(sbx, method, body)
    if mode == "sync":
        recording = _RecordingBackend()
        with httpcore.ConnectionPool(network_backend=DeadlineBackend(recording)) as pool:
            statuses = [pool.request(method, url, headers=headers, content=body).status for _ in range(2)]
        writes = recording.writes
    else:
        arecording = _AsyncRecordingBackend()

        async def send() -> list[int]:
            async with httpcore.AsyncConnectionPool(network_backend=AsyncDeadlineBackend(arecording)) as pool:
                return [(await pool.request(method, url, headers=headers, content=body)).status for _ in range(2)]

        statuses = asyncio.run(send())
        writes = arecording.writes
    # The sandbox answered each request (unsigned: refused, but read whole), on one kept-alive connection.
    assert len(statuses) == 2 and all(400 <= status < 500 for status in statuses), statuses
    assert len(writes) == 2, writes
    assert all(write.startswith(method + b" " + PATH) and write.endswith(b"\r\n\r\n" + body) for write in writes)


def test_only_a_head_announcing_a_body_is_held_back() -> None:
    assert announces_a_body(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n")
    assert announces_a_body(b"POST / HTTP/1.1\r\ncontent-length:7\r\nHost: x\r\n\r\n")
    assert not announces_a_body(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert not announces_a_body(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not announces_a_body(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n")  # not a whole head
    assert not announces_a_body(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # the HTTP/2 preface
