"""The shared Redis budget costs one round trip per call (issue 22), with the counting rule unchanged.

Round trips are counted by the Redis server itself (``INFO commandstats``: script calls), never timed. A
response's settlement rides on its process's next acquire of the budget, or is sent by the background sender
within ``SETTLE_AFTER_S``, at ``close()`` and at interpreter exit; whichever way, the request stops counting
one window after its response, as every other process sees it. Against private ``redis-server`` processes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any, Final, cast

import httpx
import pytest
import redis
from okx_client.api.account import get_max_loan
from pytest_redis import factories

from auth_plugins import RedisRateLimit, RetryPolicy, okx
from auth_plugins._generated import routes
from auth_plugins._ratelimit import DEFAULT_REGISTRY, RateLimitGate, RateLimitRegistry
from auth_plugins._ratelimit_redis import _backend
from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend, Unavailable, close_shared_backends
from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate
from auth_plugins._ratelimit_redis._scripts import ACQUIRE, RELEASE
from auth_plugins.sandbox import OKX_CREDENTIALS, Sandbox
from tests._specs import REPO

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: `apt-get install redis-server` (what .ci/run does) to run the "
    "shared-budget tests, which start their own on a free port",
)

counting_redis = factories.redis_proc()
"""A private redis-server whose command statistics the tests read."""
outage_redis = factories.redis_proc()
"""Another, which a test stops and starts (it leaves it running)."""

WINDOW_MS: Final = 2_010  # OKX get_max_loan's 2 s, taken 0.5 % longer
CALLS: Final = 6


def _url(proc: Any, db: int = 0) -> str:
    return f"redis://{proc.host}:{proc.port}/{db}"


@pytest.fixture
def db(counting_redis: Any) -> Iterator[redis.Redis]:
    client = redis.Redis(host=counting_redis.host, port=counting_redis.port)
    client.flushall()
    client.script_load(ACQUIRE)  # so that no script call is spent on NOSCRIPT while they are counted
    client.script_load(RELEASE)
    close_shared_backends()
    yield client
    close_shared_backends()
    client.flushall()
    client.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(enforce_rate_limits=True) as running:
        yield running


def _script_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


def _held(client: redis.Redis, budget: Budget) -> int:
    """The weight a budget holds as the scripts keep it: one per entry of its set, plus what its hash says the
    entries carry beyond that."""
    return int(client.zcard(budget.keys[0])) + int(client.hget(budget.keys[1], "x") or 0)


def _redis_ms(client: redis.Redis) -> float:
    """Redis's clock in ms. Scores are whole ms rounded up, so a bound taken from it allows 1 ms more."""
    seconds, micros = client.time()
    return seconds * 1000 + micros / 1000


def _scores(client: redis.Redis) -> list[float]:
    (key,) = client.keys("exchange-clients:*:z")
    return [score for _, score in cast(list[tuple[bytes, float]], client.zrange(key, 0, -1, withscores=True))]


def _budget(name: str, limit: int = 1, window_ms: int = 300) -> Budget:
    return Budget((f"test:{{{name}}}:z", f"test:{{{name}}}:n"), limit, window_ms)


def _client(sandbox: Sandbox, url: str) -> Any:
    return okx.make_client(
        api_key=OKX_CREDENTIALS.api_key,
        api_secret=OKX_CREDENTIALS.api_secret,
        passphrase=OKX_CREDENTIALS.passphrase,
        base_url=sandbox.base_url("okx"),
        rate_limit=url,
        retry=RetryPolicy(max_retries=0),
    )


# --- one round trip per call ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_each_call_costs_one_redis_round_trip_and_every_response_is_reported(
    mode: str, db: redis.Redis, counting_redis: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the background sender held off, N calls are exactly N script calls: each acquire carries the
    previous response. Reporting each response on its own round trip, as before, would make it 2 N."""
    monkeypatch.setattr(_backend, "SETTLE_AFTER_S", 60.0)
    sandbox.reset()
    DEFAULT_REGISTRY.clear()
    client = _client(sandbox, _url(counting_redis))
    if mode == "sync":
        assert (
            get_max_loan.sync_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT").status_code == 200
        )  # connected
        db.config_resetstat()
        for _ in range(CALLS):
            assert get_max_loan.sync_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT").status_code == 200
    else:

        async def run() -> None:
            assert (
                await get_max_loan.asyncio_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT")
            ).status_code == 200
            db.config_resetstat()
            for _ in range(CALLS):
                assert (
                    await get_max_loan.asyncio_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT")
                ).status_code == 200
            await client.get_async_httpx_client().aclose()

        asyncio.run(run())
    assert _script_calls(db) == CALLS
    # Every response but the last is settled already (one window after it, not on its lease of 30 s or more).
    now = _redis_ms(db)
    assert sorted(score > now + WINDOW_MS for score in _scores(db)) == [False] * CALLS + [True]
    close_shared_backends()  # reports the last one, in one more round trip
    assert _script_calls(db) == CALLS + 1
    assert all(score <= _redis_ms(db) + WINDOW_MS + 1 for score in _scores(db))
    assert sandbox.rate_limited("okx") == 0 and not sandbox.violations
    DEFAULT_REGISTRY.clear()


# --- the counting rule, as other processes see it ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_settlement_that_rides_late_ends_the_count_one_window_after_the_response_for_everyone(
    mode: str, db: redis.Redis, counting_redis: Any
) -> None:
    """Two backends are two processes to Redis. A's response is settled by A's acquire 150 ms later; the
    request still stops counting one window after the response, and B gets in then, not at the lease's end."""
    settings = RedisRateLimit(_url(counting_redis))
    first, second = RedisBackend(settings, settle_after_s=60), RedisBackend(settings, settle_after_s=60)
    budget = _budget("late", limit=1, window_ms=300)

    def acquire(backend: RedisBackend, member: str) -> float:
        if mode == "sync":
            return backend.acquire(budget, member, 1, 10_000)
        return asyncio.run(backend.aacquire(budget, member, 1, 10_000))

    assert acquire(first, "1:a") == 0.0
    assert 0.25 <= acquire(second, "1:b") <= 0.3  # in flight: it may be released now and count a window more
    answered = _redis_ms(db)
    first.release(budget, "1:a")
    time.sleep(0.15)
    # Unsettled, it counts on its lease: conservative.
    assert float(db.zscore(budget.keys[0], "1:a") or 0) > _redis_ms(db) + 5_000
    wait = acquire(first, "1:c")  # refused (full), but it carries the settlement
    leaves = float(db.zscore(budget.keys[0], "1:a") or 0)
    assert answered + 300 <= leaves <= answered + 300 + 30  # not 150 ms later: the settlement said how long ago
    assert 0 < wait <= 0.16
    time.sleep(max(0.0, (leaves - _redis_ms(db)) / 1000) + 0.005)
    assert acquire(second, "1:b") == 0.0  # for the other process too, it stopped counting then
    first.close()
    second.close()


def test_an_idle_process_reports_its_last_response_within_the_settle_delay(
    db: redis.Redis, counting_redis: Any
) -> None:
    """No acquire follows: the background sender reports the response alone, shortly after. Without it the
    request would count on its lease (here 10 s) and hold the budget for every other process."""
    backend = RedisBackend(RedisRateLimit(_url(counting_redis)), settle_after_s=0.05)
    budget = _budget("idle", limit=1, window_ms=300)
    assert backend.acquire(budget, "1:a", 1, 10_000) == 0.0
    answered = _redis_ms(db)
    backend.release(budget, "1:a")
    deadline = time.monotonic() + 5
    while float(db.zscore(budget.keys[0], "1:a") or 0) > answered + 5_000 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert answered + 300 <= float(db.zscore(budget.keys[0], "1:a") or 0) <= answered + 300 + 30
    assert backend.pending == 0
    backend.close()


_EXITING: Final = """
import sys
from auth_plugins._ratelimit_redis import RedisRateLimit
from auth_plugins._ratelimit_redis._backend import Budget, shared_backend
backend = shared_backend(RedisRateLimit(sys.argv[1]))
backend.settle_after_s = 600.0
budget = Budget(("test:{exit}:z", "test:{exit}:n"), 5, 2_000)
assert backend.acquire(budget, "1:a", 1, 60_000) == 0.0
backend.release(budget, "1:a")
print(backend.pending, flush=True)
"""


def test_close_and_interpreter_exit_report_what_is_pending(db: redis.Redis, counting_redis: Any) -> None:
    backend = RedisBackend(RedisRateLimit(_url(counting_redis)), settle_after_s=600)
    budget = _budget("close", limit=5, window_ms=2_000)
    assert backend.acquire(budget, "1:a", 1, 60_000) == 0.0
    backend.release(budget, "1:a")
    assert backend.pending == 1
    backend.close()
    assert backend.pending == 0 and float(db.zscore(budget.keys[0], "1:a") or 0) <= _redis_ms(db) + 2_001
    # A process that ends normally reports its last responses on the way out (atexit).
    done = subprocess.run(
        [sys.executable, "-c", _EXITING, _url(counting_redis)], cwd=REPO, capture_output=True, timeout=60, check=True
    )
    assert done.stdout == b"1\n"
    assert float(db.zscore("test:{exit}:z", "1:a") or 0) <= _redis_ms(db) + 2_001


# --- outages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_settlements_an_acquire_could_not_deliver_are_kept_and_delivered_on_recovery(
    mode: str, outage_redis: Any
) -> None:
    settings = RedisRateLimit(_url(outage_redis), reconnect_min_s=0.05, reconnect_max_s=0.05)
    backend = RedisBackend(settings, settle_after_s=60)
    budget = _budget(f"outage-{mode}", limit=5, window_ms=5_000)

    def acquire(member: str) -> float:
        if mode == "sync":
            return backend.acquire(budget, member, 1, 60_000)
        return asyncio.run(backend.aacquire(budget, member, 1, 60_000))

    assert acquire("1:a") == 0.0
    backend.release(budget, "1:a")
    outage_redis.stop()
    try:
        with pytest.raises(Unavailable):
            acquire("1:b")  # it took the settlement along, and failed
        assert backend.pending == 1  # so the settlement is kept
    finally:
        outage_redis.start()
    time.sleep(0.1)  # past the reconnect backoff
    assert acquire("1:c") == 0.0
    assert backend.pending == 0
    with redis.Redis(host=outage_redis.host, port=outage_redis.port) as after:
        # The restarted server had lost it; the settlement counts it again, for what is left of its window.
        assert float(after.zscore(budget.keys[0], "1:a") or 0) <= _redis_ms(after) + 5_001
        assert after.zcard(budget.keys[0]) == 2 and _held(after, budget) == 2
    backend.close()


def test_a_gate_reports_through_the_trace_without_a_round_trip_of_its_own(
    db: redis.Redis, counting_redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's trace hook, called by httpcore mid-request, only notes the response: no I/O there."""
    backend = RedisBackend(RedisRateLimit(_url(counting_redis)), settle_after_s=60)
    key = OKX_CREDENTIALS.api_key
    gate = SharedRateLimitGate(
        "OKX",
        key,
        RedisRateLimit(_url(counting_redis)),
        backend=backend,
        local=RateLimitGate("OKX", key, registry=RateLimitRegistry()),
    )
    request = httpx.Request("GET", "http://127.0.0.1:9/api/v5/account/max-loan")
    gate.before_send(routes("okx_client")[("GET", "/api/v5/account/max-loan")], request)
    db.config_resetstat()
    request.extensions["trace"]("http11.receive_response_headers.complete", {})
    assert _script_calls(db) == 0 and backend.pending == 1
    backend.close()
    assert _script_calls(db) == 1 and backend.pending == 0


def test_entries_that_stopped_counting_never_hold_a_request_back_and_do_not_pile_up(
    db: redis.Redis, counting_redis: Any
) -> None:
    """The scripts prune lazily (when entries stand in the way, and now and then), sparing a write per call."""
    backend = RedisBackend(RedisRateLimit(_url(counting_redis)), settle_after_s=60)
    budget = _budget("prune", limit=3, window_ms=100)
    for member in ("1:a", "1:b", "1:c"):
        assert backend.acquire(budget, member, 1, 10_000) == 0.0
        backend.release(budget, member)
    assert backend.acquire(budget, "1:d", 1, 10_000) > 0  # full: carries the three settlements
    time.sleep(0.15)  # they stop counting
    for member in ("1:e", "1:f", "1:g"):
        assert backend.acquire(budget, member, 1, 10_000) == 0.0
    assert db.zcard(budget.keys[0]) == 3 and _held(db, budget) == 3
    wide = _budget("wide", limit=1_000, window_ms=50)
    for n in range(200):
        assert backend.acquire(wide, f"1:{n}", 1, 10_000) == 0.0
        backend.release(wide, f"1:{n}")
        if n % 50 == 49:
            time.sleep(0.06)
    assert db.zcard(wide.keys[0]) < 100  # pruned now and then, though the budget was never full
    backend.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_neither_reports_its_parents_responses_nor_loses_its_own(
    db: redis.Redis, counting_redis: Any
) -> None:
    backend = RedisBackend(RedisRateLimit(_url(counting_redis)), settle_after_s=0.05)
    budget = _budget("fork", limit=5, window_ms=2_000)
    assert backend.acquire(budget, "1:parent", 1, 60_000) == 0.0
    backend.release(budget, "1:parent")
    pid = os.fork()
    if pid == 0:  # the child: its parent's response is not its own; its own is reported by its own sender
        status = 1
        try:
            if backend.pending == 0 and backend.acquire(budget, "1:child", 1, 60_000) == 0.0:
                backend.release(budget, "1:child")
                deadline = time.monotonic() + 5
                while backend.pending and time.monotonic() < deadline:
                    time.sleep(0.01)
                status = 0 if backend.pending == 0 else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert float(db.zscore(budget.keys[0], "1:child") or 0) <= _redis_ms(db) + 2_001  # reported by the child
    backend.close()
