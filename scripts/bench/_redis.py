"""The shared budget's cost per call, on a loopback Redis of its own, against one raw Redis round trip.

A ``redis-server`` is started on a free port on 127.0.0.1 (no persistence, its own temporary directory,
pinned to the server CPU when there is one) and stopped afterwards. One measured call is what a limited
request pays: :meth:`RedisBackend.acquire` of one new request in one budget whose limit is never reached
(so every acquire succeeds at once), carrying the previous call's response as a settlement, then
:meth:`RedisBackend.release` of its own response, which only notes it. Entries stay one 2 s window after
their response, so the set holds the last two seconds' worth, as a busy budget would. Floors are timed in
the same run, batches of every side alternating in rotating order, the floors sent exactly as the acquire
is (hand-packed, on the same kind of pooled connection: :mod:`auth_plugins._ratelimit_redis._wire`): one
``PING`` (one round trip), and one ``EVALSHA`` of a script that does nothing with an acquire's keys and
arguments (the round trip plus Redis's script call overhead); a redis-py ``ping()`` is timed for reference.
``+us`` is the median over rounds of ours minus the floor in the same round. Redis's ``INFO commandstats``
counts the script calls the measured calls caused (the background sender's included), reported as round
trips per call. Without the ``redis-server`` binary the section is skipped, with the reason printed and
written to the JSON.
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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from ._stats import summary

__all__ = ["redis_targets", "render_redis", "run_redis"]

PING: Final = b"*1\r\n$4\r\nPING\r\n"
SKIPPED: Final = "redis-server not found on PATH (Debian/Ubuntu: apt-get install redis-server)"
TARGET_US: Final = 20.0
"""Issue 22: the shared budget costs at most one Redis round trip plus this much per call."""
FLOORS: Final = ("ping", "evalsha", "redis_py_ping")


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


def _rounds(sides: dict[str, Callable[[], object]], batches: int, batch: int) -> dict[str, list[float]]:
    """Microseconds per call of each side, one batch of each per round in rotating order, after a warm-up."""
    for call in sides.values():
        for _ in range(batch):  # connections open, scripts loaded
            call()
    names = list(sides)
    timings: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(batches):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            call = sides[name]
            start = time.perf_counter_ns()
            for _ in range(batch):
                call()
            timings[name].append((time.perf_counter_ns() - start) / batch / 1000)
    return timings


async def _arounds(
    sides: dict[str, Callable[[], Awaitable[object]]], batches: int, batch: int
) -> dict[str, list[float]]:
    """Async twin of :func:`_rounds`."""
    for call in sides.values():
        for _ in range(batch):
            await call()
    names = list(sides)
    timings: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(batches):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            call = sides[name]
            start = time.perf_counter_ns()
            for _ in range(batch):
                await call()
            timings[name].append((time.perf_counter_ns() - start) / batch / 1000)
    return timings


def _script_calls(client: Any) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


def _server_us(client: Any, call: Callable[[], object], calls: int) -> float:
    """Redis's own time per script call over ``calls`` calls of ``call`` (``INFO commandstats``)."""
    client.config_resetstat()
    for _ in range(calls):
        call()
    return float(client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"])


def _row(timings: dict[str, list[float]], calls: int, script_calls: int) -> dict[str, Any]:
    ours = timings["ours"]
    row: dict[str, Any] = {"call_us": summary(ours), "round_trips_per_call": round(script_calls / calls, 3)}
    for floor in FLOORS:
        row[f"{floor}_us"] = summary(timings[floor])
        row[f"over_{floor}_us"] = round(_paired(ours, timings[floor]), 1)
    return row


def _paired(ours: Sequence[float], floor: Sequence[float]) -> float:
    return summary([a - b for a, b in zip(ours, floor, strict=True)])["median"]


def _measure(url: str, batches: int, batch: int) -> dict[str, Any]:
    import redis
    import redis.asyncio

    from auth_plugins._ratelimit_redis import RedisRateLimit
    from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend
    from auth_plugins._ratelimit_redis._wire import Scripted, around_trip, round_trip

    backend = RedisBackend(RedisRateLimit(url))
    budget = Budget(("bench:{calls}:z", "bench:{calls}:n"), 10**9, 2_010)
    noop = Scripted("return 1")
    noop_command = noop.command(
        ("bench:{noop}:z", "bench:{noop}:n"),
        (10**9, 2_010, f"1:{os.urandom(9).hex()}", 1, 30_000, f"1:{os.urandom(9).hex()}", 0),
    )
    calls = {"sync": 0, "async": 0, "two": 0}

    def call() -> None:
        member = f"1:{os.urandom(9).hex()}"
        if backend.acquire(budget, member, 1, 30_000) != 0.0:
            raise RuntimeError("the benchmark's budget was full")
        backend.release(budget, member)
        calls["sync"] += 1

    def two_round_trips() -> None:
        """For comparison: the release sent alone after each call, as before issue 22."""
        member = f"1:{os.urandom(9).hex()}"
        if backend.acquire(budget, member, 1, 30_000) != 0.0:
            raise RuntimeError("the benchmark's budget was full")
        backend.release(budget, member)
        backend.flush()
        calls["two"] += 1

    async def acall() -> None:
        member = f"1:{os.urandom(9).hex()}"
        if await backend.aacquire(budget, member, 1, 30_000) != 0.0:
            raise RuntimeError("the benchmark's budget was full")
        backend.release(budget, member)
        calls["async"] += 1

    rows: dict[str, Any] = {}
    with redis.Redis.from_url(url) as plain:
        plain.script_load(noop.source)
        pool = plain.connection_pool
        before = _script_calls(plain)
        sides: dict[str, Callable[[], object]] = {
            "ours": call,
            "ping": lambda: round_trip(pool, PING),
            "evalsha": lambda: round_trip(pool, noop_command),
            "redis_py_ping": plain.ping,
            "two_round_trips": two_round_trips,
        }
        timings = _rounds(sides, batches, batch)
        floor_calls = (batches + 1) * batch  # the no-op's own, warm-up included
        others = floor_calls + 2 * calls["two"]
        rows["sync"] = _row(timings, calls["sync"], _script_calls(plain) - before - others)
        rows["sync"]["two_round_trips_us"] = summary(timings["two_round_trips"])
        rows["sync"]["two_round_trips_over_ping_us"] = round(_paired(timings["two_round_trips"], timings["ping"]), 1)
        server = {
            "ours": _server_us(plain, call, 2 * batch),
            "noop": _server_us(plain, lambda: round_trip(pool, noop_command), 2 * batch),
        }

        async def run_async() -> dict[str, list[float]]:
            aplain = redis.asyncio.Redis.from_url(url)
            apool = aplain.connection_pool
            try:

                async def aping() -> object:
                    return await around_trip(apool, PING)

                async def anoop() -> object:
                    return await around_trip(apool, noop_command)

                async_sides: dict[str, Callable[[], Awaitable[object]]] = {
                    "ours": acall,
                    "ping": aping,
                    "evalsha": anoop,
                    "redis_py_ping": aplain.ping,
                }
                return await _arounds(async_sides, batches, batch)
            finally:
                await aplain.aclose()

        before = _script_calls(plain)
        timings = asyncio.run(run_async())
        rows["async"] = _row(timings, calls["async"], _script_calls(plain) - before - floor_calls)
        backend.close()
        entries = int(plain.zcard(budget.keys[0]))
    return {**rows, "server_us_per_script_call": server, "entries_at_end": entries}


def run_redis(*, batches: int, batch: int, cpu: int | None = None) -> dict[str, Any]:
    """Measure µs per call (acquire + release), sync and async, against one raw round trip; ``{"skipped":
    reason}`` without ``redis-server``."""
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


def redis_targets(shared: dict[str, Any]) -> list[dict[str, Any]]:
    """The target rows of :func:`run_redis`'s results: per call at most one round trip (a PING) + 20 µs."""
    if not shared or "skipped" in shared:
        return []
    rows = []
    for mode in ("sync", "async"):
        measured = shared[mode]["over_ping_us"]
        rows.append(
            {
                "what": f"shared budget on Redis, {mode}: us per call above one PING round trip",
                "target": f"<= {TARGET_US:g}",
                "measured": measured,
                "met": measured <= TARGET_US and shared[mode]["round_trips_per_call"] <= 1.0,
            }
        )
    return rows


def render_redis(shared: dict[str, Any], table: Callable[[list[str], list[list[str]]], list[str]]) -> list[str]:
    """The report's lines for :func:`run_redis`'s results (``table`` lays out a header and rows)."""
    if "skipped" in shared:
        return [f"Shared budget on Redis: skipped, {shared['skipped']}", ""]

    def spread(stats: dict[str, float]) -> str:
        return f"{stats['median']:.1f} [{stats['p10']:.1f}-{stats['p90']:.1f}]"

    out = [
        f"Shared budget on Redis ({shared['server']}; microseconds per call = acquire carrying the previous "
        f"response + release, median [p10-p90] over {shared['batches']} rounds of {shared['batch']}; round trips = "
        "script calls per call, from INFO commandstats; floors on the same pooled connection, sent the same way: "
        "PING = one round trip, no-op = EVALSHA of `return 1` with an acquire's keys and arguments; redis-py PING "
        f"for reference; +us = median over rounds of ours - floor; {shared['entries_at_end']} entries in the "
        "budget at the end)"
    ]
    rows = [
        [mode, spread(row["call_us"]), f"{row['round_trips_per_call']:.3f}"]
        + [cell for floor in FLOORS for cell in (spread(row[f"{floor}_us"]), f"{row[f'over_{floor}_us']:+.1f}")]
        for mode, row in ((mode, shared[mode]) for mode in ("sync", "async"))
    ]
    header = ["mode", "per call us", "round trips", "PING us", "+us", "no-op us", "+us", "redis-py PING us", "+us"]
    server = shared.get("server_us_per_script_call")
    note = []
    two = shared["sync"].get("two_round_trips_us")
    if two:
        note.append(
            f"  For comparison, sync: the same acquire followed by its release sent alone (two round trips, as "
            f"before issue 22): {spread(two)} us, {shared['sync']['two_round_trips_over_ping_us']:+.1f} over PING"
        )
    if server:
        note.append(
            f"  Redis's own time per script call (INFO commandstats, sync, {2 * shared['batch']} calls each): ours "
            f"{server['ours']:.1f} us, no-op {server['noop']:.1f} us"
        )
    return [*out, *table(header, rows), *note, ""]
