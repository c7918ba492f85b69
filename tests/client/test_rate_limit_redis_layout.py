"""The shared budget's ``rl3`` layout and the acquire's common path (issue 22), on a private ``redis-server``.

A budget whose requests all weigh 1 is counted by its sorted set's size alone: its common acquire writes two
``ZADD``s and nothing else (counted by Redis itself, ``INFO commandstats``). The cases that leave the common
path for the general one (a settlement Redis lost, a heavier request, a lost hash or set) count what the rule
says; and an async round trip to a Redis that never answers ends in bounded time.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from pytest_redis import factories

from auth_plugins._ratelimit_redis import RedisRateLimit
from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend, Unavailable, close_shared_backends

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: `apt-get install redis-server` (what .ci/run does) to run the "
    "shared-budget tests, which start their own on a free port",
)

layout_redis = factories.redis_proc()


@pytest.fixture
def db(layout_redis: Any) -> Iterator[redis.Redis]:
    client = redis.Redis(host=layout_redis.host, port=layout_redis.port)
    client.flushall()
    yield client
    client.flushall()
    client.close()
    close_shared_backends()


@pytest.fixture
def backend(layout_redis: Any) -> Iterator[RedisBackend]:
    # Responses ride on acquires only: nothing is sent behind the test's back.
    made = RedisBackend(RedisRateLimit(f"redis://{layout_redis.host}:{layout_redis.port}/0"), settle_after_s=60)
    yield made
    made.close()


def _budget(name: str, limit: int, window_ms: int = 2_000) -> Budget:
    return Budget((f"test:{{{name}}}:z", f"test:{{{name}}}:n"), limit, window_ms)


def _extra(db: redis.Redis, budget: Budget) -> int | None:
    value = db.hget(budget.keys[1], "x")
    return None if value is None else int(value)


def _calls(db: redis.Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in db.info("commandstats").items()}


def test_a_budget_of_weight_1_requests_is_its_set_and_each_acquire_writes_two_zadds(
    db: redis.Redis, backend: RedisBackend
) -> None:
    budget = _budget("ones", limit=1_000)
    for n in range(3):
        assert backend.acquire(budget, f"1:warm{n}", 1, 30_000) == 0.0
        backend.release(budget, f"1:warm{n}")
    db.config_resetstat()
    for n in range(20):
        assert backend.acquire(budget, f"1:{n}", 1, 30_000) == 0.0  # carries the previous call's settlement
        backend.release(budget, f"1:{n}")
    calls = _calls(db)
    calls.pop("config|resetstat", None)
    assert calls == {"evalsha": 20, "time": 20, "hmget": 20, "zcard": 20, "zadd": 40}
    assert db.zcard(budget.keys[0]) == 23 and _extra(db, budget) == 0
    expires = int(db.hget(budget.keys[1], "e") or 0)
    now_ms = db.time()[0] * 1000
    # The hash knows the keys' expiry (no PTTL a call), 1 to 11 s after the last lease ends.
    assert abs(db.pttl(budget.keys[0]) - (expires - now_ms)) <= 1_000 and db.pttl(budget.keys[1]) > 30_000
    # Entries that left are pruned by one ZREMRANGEBYSCORE, whose count is their weight: none is read back.
    short = _budget("ones-short", limit=3, window_ms=100)
    for n in range(3):
        assert backend.acquire(short, f"1:s{n}", 1, 30_000) == 0.0
        backend.release(short, f"1:s{n}")
    assert backend.acquire(short, "1:full", 1, 30_000) > 0  # carries the settlements
    time.sleep(0.15)
    db.config_resetstat()
    assert backend.acquire(short, "1:t", 1, 30_000) == 0.0
    calls = _calls(db)
    assert calls.get("zremrangebyscore") == 1 and "zrangebyscore" not in calls and "zrange" not in calls
    assert db.zrange(short.keys[0], 0, -1) == [b"1:t"]


def test_a_settlement_of_a_member_redis_lost_counts_it_again_on_the_common_path(
    db: redis.Redis, backend: RedisBackend
) -> None:
    budget = _budget("lost", limit=2)
    assert backend.acquire(budget, "1:a", 1, 30_000) == 0.0
    assert backend.acquire(budget, "1:b", 1, 30_000) == 0.0
    db.zrem(budget.keys[0], "1:a")  # say, a failover lost it
    backend.release(budget, "1:a")
    # The settlement puts it back, counting for a window after its response: the budget is full again.
    assert backend.acquire(budget, "1:c", 1, 30_000) > 0
    assert sorted(db.zrange(budget.keys[0], 0, -1)) == [b"1:a", b"1:b"]


def test_heavier_members_are_carried_in_the_hash_and_subtracted_when_they_leave(
    db: redis.Redis, backend: RedisBackend
) -> None:
    budget = _budget("heavy", limit=10, window_ms=100)
    assert backend.acquire(budget, "1:a", 1, 30_000) == 0.0
    backend.remember(budget, "3:gone", time.monotonic())  # a weight-3 response Redis does not hold
    assert backend.acquire(budget, "1:b", 1, 30_000) == 0.0
    assert db.zcard(budget.keys[0]) == 3 and _extra(db, budget) == 2  # 1 + 3 + 1
    assert backend.acquire(budget, "5:c", 5, 30_000) == 0.0  # 10: full
    assert _extra(db, budget) == 6 and backend.acquire(budget, "1:d", 1, 30_000) > 0
    for member in ("1:a", "1:b", "5:c"):
        backend.release(budget, member)
    assert backend.acquire(budget, "1:d", 1, 30_000) > 0  # settled: they count one more window
    time.sleep(0.15)
    assert backend.acquire(budget, "4:e", 4, 30_000) == 0.0  # all left, pruned with their weights
    assert db.zrange(budget.keys[0], 0, -1) == [b"4:e"] and _extra(db, budget) == 3


def test_a_lost_set_resets_the_hash_and_a_lost_hash_is_recounted_without_moving_the_expiry_earlier(
    db: redis.Redis, backend: RedisBackend
) -> None:
    budget = _budget("lost-keys", limit=20)
    for n in range(3):
        assert backend.acquire(budget, f"5:{n}", 5, 30_000) == 0.0
    assert _extra(db, budget) == 12
    db.delete(budget.keys[0])  # the set alone evicted: its weight with it
    assert backend.acquire(budget, "5:3", 5, 30_000) == 0.0
    assert db.zcard(budget.keys[0]) == 1 and _extra(db, budget) == 4
    db.delete(budget.keys[1])  # the hash alone evicted: recounted from the set
    assert backend.acquire(budget, "1:short", 1, 1_000) == 0.0
    assert _extra(db, budget) == 4
    # The new hash expires with the set, after its longest lease, not after this call's short one.
    assert db.pttl(budget.keys[0]) > 35_000 and db.pttl(budget.keys[1]) > 35_000


def test_an_async_acquire_from_a_redis_that_never_answers_fails_in_bounded_time() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        host, port = silent.getsockname()
        backend = RedisBackend(RedisRateLimit(f"redis://{host}:{port}/0"))
        budget = _budget("silent", limit=5)

        async def acquire() -> float:
            return await asyncio.wait_for(backend.aacquire(budget, "1:a", 1, 30_000), 10)  # a hang fails

        started = time.monotonic()
        with pytest.raises(Unavailable):
            asyncio.run(acquire())
        assert time.monotonic() - started < 5  # one second of socket timeout, and its one retry
