"""The acquire's round trip, packed by hand and sent on a connection from a redis-py pool.

Every limited request pays this round trip, and redis-py's generic path costs more than the Redis work
itself: its command packer encodes and type-checks each argument, and ``execute_command`` wraps every call
in observability records and maintenance-notification checks (tens of microseconds a call in redis-py 8).
Here the ``EVALSHA`` is packed into one RESP byte string directly and sent on a pooled connection with
redis-py's own connection, retry and parser, so connecting, authentication, TLS, database selection, health
checks, timeouts, fork safety and the one immediate retry after a connection error stay redis-py's. A
connection whose reply was not read (an error or cancellation mid-call) is disconnected by redis-py before
it returns to the pool. When the server does not know the script (restarted, flushed) it is loaded once and
the call sent again.

What is the same for every call on one budget (the ``EVALSHA``, the sha, the keys, the limit and window) is
packed once (:meth:`Scripted.head`); a call packs only its member, weight, lease and settlements
(:func:`pack_tail`). On ``redis.asyncio`` the timeout is one timer around the whole round trip
(:meth:`Scripted.arun`) rather than redis-py's per-read and per-write ones, which cost more than the rest of
the client's side of the call.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from typing import Any, Final

from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["Scripted", "around_trip", "pack_tail", "round_trip"]

_EVALSHA_2: Final = b"$7\r\nEVALSHA\r\n%s$1\r\n2\r\n"


def _bulk(value: str | int) -> bytes:
    data = str(value).encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def pack_tail(head: bytes, fixed: int, args: list[str]) -> bytes:
    """A call whose start (``head``: ``fixed`` RESP values, the array's length left out) was packed once, and
    whose other arguments are ``args``: the hot path's packing, one string format and one encode."""
    text = "".join([f"${len(value)}\r\n{value}\r\n" for value in args])  # lengths in characters...
    # ... which are the lengths in bytes when all is ASCII (members always are).
    body = text.encode() if text.isascii() else b"".join([_bulk(value) for value in args])
    return b"*%d\r\n%s%s" % (fixed + len(args), head, body)


class Scripted:
    """One Lua script as the hot path runs it: :meth:`command` packs a call, :meth:`run` and :meth:`arun` send
    it on a connection of ``client``'s pool (sync or ``redis.asyncio``) and return the parsed reply. Raises
    what redis-py raises (``RedisError`` subclasses)."""

    __slots__ = ("sha_bulk", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()  # what Redis names it by
        self.sha_bulk = _bulk(sha)

    def command(self, keys: tuple[str, str], args: Iterable[str | int]) -> bytes:
        """The packed ``EVALSHA`` of this script (its :meth:`head` on ``keys``, then ``args``)."""
        head, fixed = self.head(keys)
        return pack_tail(head, fixed, [str(value) for value in args])

    def head(self, keys: tuple[str, str], args: Iterable[str | int] = ()) -> tuple[bytes, int]:
        """The start of every call of this script on ``keys`` whose first arguments are ``args``, packed once
        (for :func:`pack_tail`), and how many RESP values it holds."""
        values = [*keys, *args]
        return _EVALSHA_2 % self.sha_bulk + b"".join([_bulk(value) for value in values]), len(values) + 3

    def run(self, client: Any, packed: bytes) -> Any:
        """Send ``packed`` on a pooled connection of the sync ``client``; load the script if Redis lacks it."""
        try:
            return round_trip(client.connection_pool, packed)
        except NoScriptError:
            client.script_load(self.source)
            return round_trip(client.connection_pool, packed)

    async def arun(self, client: Any, packed: bytes, timeout: float | None = None) -> Any:
        """Async twin of :meth:`run`, for a ``redis.asyncio`` client; within ``timeout`` seconds if given (the
        client's own per-read and per-write timeouts cost a timer or a task each: see :func:`around_trip`),
        else redis-py's ``TimeoutError``."""
        if timeout is None:
            return await self._arun(client, packed)
        try:
            async with asyncio.timeout(timeout):
                return await self._arun(client, packed)
        except TimeoutError as expired:  # the built-in one, raised by asyncio.timeout
            raise RedisTimeoutError(f"no reply from Redis within {timeout:g} s") from expired

    async def _arun(self, client: Any, packed: bytes) -> Any:
        try:
            return await around_trip(client.connection_pool, packed)
        except NoScriptError:
            await client.script_load(self.source)
            return await around_trip(client.connection_pool, packed)


def round_trip(pool: Any, packed: bytes) -> Any:
    """Send one packed command on a connection of the redis-py ``pool`` and return its parsed reply; after a
    connection error, once more on a fresh connection (as the connection's ``retry`` allows)."""
    try:
        connection = pool.get_connection()
    except TypeError:  # redis-py before 5.3 wants the command's name
        connection = pool.get_connection("EVALSHA")

    def send() -> Any:
        connection.send_packed_command([packed])
        return connection.read_response()

    try:
        return connection.retry.call_with_retry(send, lambda _error: connection.disconnect())
    finally:
        pool.release(connection)


async def around_trip(pool: Any, packed: bytes) -> Any:
    """Async twin of :func:`round_trip`, for a ``redis.asyncio`` pool. A pool whose connections have a
    ``socket_timeout`` pays for it on every call (redis-py wraps the write in ``asyncio.wait_for``, a task of
    its own, and the read in a timer: together more than the rest of the call); :meth:`Scripted.arun` bounds
    the whole round trip with one timer instead."""
    try:
        connection = await pool.get_connection()
    except TypeError:  # redis-py before 5.3 wants the command's name
        connection = await pool.get_connection("EVALSHA")

    async def send() -> Any:
        await connection.send_packed_command([packed])
        return await connection.read_response()

    try:
        return await connection.retry.call_with_retry(send, lambda _error: connection.disconnect())
    finally:
        await pool.release(connection)
