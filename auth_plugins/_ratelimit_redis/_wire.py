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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from redis.exceptions import NoScriptError

__all__ = ["Scripted", "around_trip", "pack_evalsha", "round_trip"]


def _bulk(value: str | int) -> bytes:
    data = str(value).encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def pack_evalsha(sha_bulk: bytes, keys: tuple[str, str], args: Iterable[str | int]) -> bytes:
    """``EVALSHA <sha> 2 <keys> <args>`` as RESP (``sha_bulk``: the sha already packed as a bulk string)."""
    values = [str(value) for value in (*keys, *args)]
    text = "".join([f"${len(value)}\r\n{value}\r\n" for value in values])  # lengths in characters...
    # ... which are the lengths in bytes when all is ASCII (keys and members always are, in practice).
    body = text.encode() if text.isascii() else b"".join([_bulk(value) for value in values])
    return b"*%d\r\n$7\r\nEVALSHA\r\n%s$1\r\n2\r\n%s" % (len(values) + 3, sha_bulk, body)


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
        """The packed ``EVALSHA`` of this script."""
        return pack_evalsha(self.sha_bulk, keys, args)

    def run(self, client: Any, packed: bytes) -> Any:
        """Send ``packed`` on a pooled connection of the sync ``client``; load the script if Redis lacks it."""
        try:
            return round_trip(client.connection_pool, packed)
        except NoScriptError:
            client.script_load(self.source)
            return round_trip(client.connection_pool, packed)

    async def arun(self, client: Any, packed: bytes) -> Any:
        """Async twin of :meth:`run`, for a ``redis.asyncio`` client."""
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
    """Async twin of :func:`round_trip`, for a ``redis.asyncio`` pool."""
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
