"""The shared budget's cost per call: microseconds per acquire + release on a loopback Redis of its own.

A ``redis-server`` is started on a free port on 127.0.0.1 (no persistence, its own temporary directory,
pinned to the server CPU when there is one) and stopped afterwards. Each measured pair is
:meth:`RedisBackend.acquire` then :meth:`RedisBackend.release` of one new request in one budget whose limit
is never reached, so every acquire succeeds at once: two ``EVALSHA`` round trips, as a limited request
pays them. Entries stay one 2 s window after release, so the set holds the last two seconds' worth, as a
busy budget would. The floor is two redis-py ``PING`` round trips on the same connection. Without the
``redis-server`` binary the section is skipped, with the reason printed and written to the JSON.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from ._stats import summary

__all__ = ["run_redis"]

SKIPPED: Final = "redis-server not found on PATH (Debian/Ubuntu: apt-get install redis-server)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _redis_server(executable: str, cpu: int | None) -> Iterator[tuple[str, str]]:
    """A private redis-server: yields its URL and version; stopped (SIGTERM, then waited for) on exit."""
    import redis

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", directory, "--loglevel", "warning", "--daemonize", "no"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if cpu is not None and hasattr(os, "sched_setaffinity"):
                os.sched_setaffinity(server.pid, {cpu})
            url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 10
            with redis.Redis.from_url(url) as probe:
                while True:
                    try:
                        version = str(probe.info("server")["redis_version"])
                        break
                    except redis.ConnectionError:
                        if time.monotonic() > deadline or server.poll() is not None:
                            raise RuntimeError("the benchmark's redis-server did not start") from None
                        time.sleep(0.05)
            yield url, version
        finally:
            server.terminate()
            server.wait(timeout=10)


def _batches(pair: Callable[[], object], batches: int, batch: int) -> list[float]:
    for _ in range(batch):  # warm-up: connections open, scripts loaded
        pair()
    timings = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(batch):
            pair()
        timings.append((time.perf_counter_ns() - start) / batch / 1000)
    return timings


async def _abatches(pair: Callable[[], Awaitable[object]], batches: int, batch: int) -> list[float]:
    for _ in range(batch):
        await pair()
    timings = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(batch):
            await pair()
        timings.append((time.perf_counter_ns() - start) / batch / 1000)
    return timings


def _measure(url: str, batches: int, batch: int) -> dict[str, Any]:
    import redis
    import redis.asyncio

    from auth_plugins._ratelimit_redis import RedisRateLimit
    from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend

    backend = RedisBackend(RedisRateLimit(url))
    budget = Budget(("bench:{pairs}:z", "bench:{pairs}:n"), 10**9, 2_010)

    def pair() -> None:
        member = f"1:{os.urandom(9).hex()}"
        if backend.acquire(budget, member, 1, 30_000) != 0.0:
            raise RuntimeError("the benchmark's budget was full")
        backend.release(budget, member)

    async def apair() -> None:
        member = f"1:{os.urandom(9).hex()}"
        if await backend.aacquire(budget, member, 1, 30_000) != 0.0:
            raise RuntimeError("the benchmark's budget was full")
        await backend.arelease(budget, member)

    with redis.Redis.from_url(url) as plain:
        sync_floor = _batches(lambda: (plain.ping(), plain.ping()), batches, batch)
    sync_pairs = _batches(pair, batches, batch)

    async def run_async() -> tuple[list[float], list[float]]:
        plain = redis.asyncio.Redis.from_url(url)
        try:

            async def ping_twice() -> None:
                await plain.ping()
                await plain.ping()

            floor = await _abatches(ping_twice, batches, batch)
        finally:
            await plain.aclose()
        return floor, await _abatches(apair, batches, batch)

    async_floor, async_pairs = asyncio.run(run_async())
    with redis.Redis.from_url(url) as plain:
        entries = int(plain.zcard(budget.keys[0]))
    backend.close()
    rows = {}
    for mode, ours, floor in (("sync", sync_pairs, sync_floor), ("async", async_pairs, async_floor)):
        rows[mode] = {
            "pair_us": summary(ours),
            "floor_us": summary(floor),
            "overhead_us": round(summary(ours)["median"] - summary(floor)["median"], 1),
        }
    return {**rows, "entries_at_end": entries}


def run_redis(*, batches: int, batch: int, cpu: int | None = None) -> dict[str, Any]:
    """Measure µs per acquire + release, sync and async; ``{"skipped": reason}`` without ``redis-server``."""
    executable = shutil.which("redis-server")
    reason = SKIPPED if executable is None else None
    try:
        import redis  # noqa: F401
    except ImportError:
        reason = "redis-py is not installed (pip install 'exchange-clients[redis]')"
    if executable is None or reason is not None:
        print(f"... redis: skipped, {reason}", file=sys.stderr, flush=True)
        return {"skipped": reason}
    with _redis_server(executable, cpu) as (url, version):
        results = _measure(url, batches, batch)
    return {"server": f"redis-server {version} on 127.0.0.1", "batches": batches, "batch": batch, **results}
