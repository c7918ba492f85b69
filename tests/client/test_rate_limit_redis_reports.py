"""The exchange's own count wins in the shared Redis budget too (issue 20): a used-weight header one process reads
holds back every process on the budget, at no round trip of its own.

First the script's arithmetic on a real Redis (short windows, two backends being two processes to Redis); then two
Binance clients, each with its own backend and in-process budget (two processes, as far as the budget can tell),
against a sandbox that enforces the documented limits. The sandbox and the in-process budgets run on a clock that
is real time plus every wait the gates take, and each wait also moves every score in Redis back by as much, so
that a 60 s window passes in no wall-clock time for the sandbox, the clients and Redis alike. Against private
``redis-server`` processes on free ports.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from typing import Any, Final, cast

import pytest
import redis
from binance_client.api.general import get_server_time as binance_time
from binance_client.api.margin import query_max_borrow
from pytest_redis import factories

from auth_plugins import RedisRateLimit, RetryPolicy, binance
from auth_plugins._ratelimit import DEFAULT_REGISTRY, RateLimitGate, RateLimitRegistry
from auth_plugins._ratelimit_redis import _backend
from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend, close_shared_backends
from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate
from auth_plugins._ratelimit_redis._scripts import ACQUIRE, RELEASE
from auth_plugins.sandbox import BINANCE_CREDENTIALS, Sandbox

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: `apt-get install redis-server` (what .ci/run does) to run the "
    "shared-budget tests, which start their own on a free port",
)

reporting_redis = factories.redis_proc()
"""A private redis-server for these tests."""

UID_HEADER: Final = "X-SAPI-USED-UID-WEIGHT-1M"
BINANCE_WINDOW_MS: Final = 60_300  # maxBorrowable's 60 s, taken 0.5 % longer
KEY: Final = BINANCE_CREDENTIALS.hmac_api_key
SECRET: Final = BINANCE_CREDENTIALS.hmac_api_secret
T0_MS: Final = 1_800_000_000_000


def _url(proc: Any) -> str:
    return f"redis://{proc.host}:{proc.port}/0"


@pytest.fixture
def db(reporting_redis: Any) -> Iterator[redis.Redis]:
    client = redis.Redis(host=reporting_redis.host, port=reporting_redis.port)
    client.flushall()
    client.script_load(ACQUIRE)  # so that no script call is spent on NOSCRIPT while they are counted
    client.script_load(RELEASE)
    yield client
    close_shared_backends()
    client.flushall()
    client.close()


def _held(client: redis.Redis, budget: Budget) -> int:
    """The weight a budget holds as the scripts keep it: one per entry of its set, plus what its hash says the
    entries carry beyond that."""
    return int(client.zcard(budget.keys[0])) + int(client.hget(budget.keys[1], "x") or 0)


def _redis_ms(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds * 1000 + micros / 1000


def _script_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


def _budget(name: str, limit: int = 10, window_ms: int = 300) -> Budget:
    return Budget((f"test:{{{name}}}:z", f"test:{{{name}}}:n"), limit, window_ms)


def _reported(client: redis.Redis, budget: Budget) -> list[tuple[int, float]]:
    """The entries reports added: (weight, score)."""
    entries = cast(list[tuple[bytes, float]], client.zrange(budget.keys[0], 0, -1, withscores=True))
    return [(int(member.split(b":")[0]), score) for member, score in entries if b":used:" in member]


# --- the script, on a real Redis -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_report_rides_on_the_next_acquire_and_holds_every_process_until_a_window_after_the_answer(
    mode: str, db: redis.Redis, reporting_redis: Any
) -> None:
    settings = RedisRateLimit(_url(reporting_redis))
    first, second = RedisBackend(settings, settle_after_s=60), RedisBackend(settings, settle_after_s=60)
    budget = _budget(f"report-{mode}")

    def acquire(backend: RedisBackend, member: str) -> float:
        if mode == "sync":
            return backend.acquire(budget, member, 1, 10_000)
        return asyncio.run(backend.aacquire(budget, member, 1, 10_000))

    assert acquire(first, "1:a") == 0.0
    answered = _redis_ms(db)
    first.release(budget, "1:a")
    first.report(budget, 10)  # the exchange counts the whole budget: another program spent 9
    assert first.pending == 2 and _reported(db, budget) == []  # noted, not sent
    db.config_resetstat()
    time.sleep(0.05)
    assert acquire(first, "1:b") > 0  # carried, in the same round trip, and applied before counting
    assert _script_calls(db) == 1 and first.pending == 0
    ((weight, leaves),) = _reported(db, budget)
    assert weight == 9  # what the exchange counts beyond the set's own request
    assert answered + 300 <= leaves <= answered + 300 + 30  # one window after the answer, not after the acquire
    wait = acquire(second, "1:c")  # another process: held by what the exchange told the first one
    assert 0 < wait <= 0.3
    time.sleep(max(0.0, (leaves - _redis_ms(db)) / 1000) + 0.005)
    assert acquire(second, "1:c") == 0.0  # a window after the answer, it is let through
    first.close()
    second.close()


def test_a_report_never_lowers_the_count_and_a_figure_above_the_limit_counts_as_the_limit(
    db: redis.Redis, reporting_redis: Any
) -> None:
    backend = RedisBackend(RedisRateLimit(_url(reporting_redis)), settle_after_s=60)
    budget = _budget("bounds", limit=10, window_ms=5_000)
    for member in ("3:a", "3:b"):
        assert backend.acquire(budget, member, 3, 10_000) == 0.0
    backend.report(budget, 4)  # less than the 6 counted already: nothing added
    assert backend.acquire(budget, "1:c", 1, 10_000) == 0.0
    assert _reported(db, budget) == [] and _held(db, budget) == 7
    backend.report(budget, 2)
    backend.report(budget, 10**12)  # merged with the waiting one, the larger; clamped to the limit
    assert backend.acquire(budget, "1:d", 1, 10_000) > 0
    assert [weight for weight, _ in _reported(db, budget)] == [3] and _held(db, budget) == 10
    backend.close()


def test_an_idle_process_sends_its_report_within_the_settle_delay_and_at_close(
    db: redis.Redis, reporting_redis: Any
) -> None:
    settings = RedisRateLimit(_url(reporting_redis))
    backend = RedisBackend(settings, settle_after_s=0.05)
    budget = _budget("idle", limit=10, window_ms=2_000)
    backend.report(budget, 8)  # no acquire of the budget follows: the background sender reports it alone
    deadline = time.monotonic() + 5
    while not _reported(db, budget) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [weight for weight, _ in _reported(db, budget)] == [8] and backend.pending == 0
    backend.close()
    late = RedisBackend(settings, settle_after_s=600)
    other = _budget("closing", limit=10, window_ms=2_000)
    late.report(other, 5)
    late.close()
    assert [weight for weight, _ in _reported(db, other)] == [5]


# --- two clients on one budget, against the sandbox -----------------------------------------------------------


class SkewedTime:
    """Real time plus every wait the gates took: the sandbox's, the signers' and the in-process budgets' clock.
    A wait takes no wall-clock time; it moves this clock and every score in Redis (``db``) by as much."""

    def __init__(self, db: redis.Redis) -> None:
        self.db = db
        self.skew = 0.0
        self.start = time.monotonic()
        self.sleeps: dict[str, list[float]] = {"a": [], "b": []}

    def clock(self) -> float:
        return time.monotonic() + self.skew

    def unix_ms(self) -> int:
        return T0_MS + round((self.clock() - self.start) * 1000)

    def sleeper(self, who: str) -> tuple[Any, Any]:
        def sleep(seconds: float) -> None:
            self.sleeps[who].append(seconds)
            self.skew += seconds
            for key in self.db.scan_iter(match="*:z"):
                entries = cast(list[tuple[bytes, float]], self.db.zrange(key, 0, -1, withscores=True))
                if entries:
                    self.db.zadd(key, {member: score - seconds * 1000 for member, score in entries})

        async def asleep(seconds: float) -> None:
            sleep(seconds)

        return sleep, asleep


def _client(sbx: Sandbox, url: str, time_: SkewedTime, who: str) -> tuple[Any, RedisBackend]:
    """A Binance client with a backend and an in-process budget of its own: another process, to the budget."""
    sleep, asleep = time_.sleeper(who)
    backend = RedisBackend(RedisRateLimit(url))
    local = RateLimitGate("binance", KEY, registry=RateLimitRegistry(clock=time_.clock), sleep=sleep, asleep=asleep)
    gate = SharedRateLimitGate(
        "binance",
        KEY,
        RedisRateLimit(url),
        secrets=(KEY, SECRET),
        backend=backend,
        local=local,
        sleep=sleep,
        asleep=asleep,
    )
    client = binance.make_client(
        api_key=KEY,
        api_secret=SECRET,
        base_url=sbx.base_url("binance"),
        rate_limit=False,
        gates=(gate,),
        clock=time_.unix_ms,
        retry=RetryPolicy(max_retries=0),  # a 429 reaches the test
    )
    return client, backend


def _reported_to_redis(backend: RedisBackend) -> None:
    deadline = time.monotonic() + 5
    while backend.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert backend.pending == 0  # the background sender took the answer's report to Redis


def _check_held_for_the_window(sbx: Sandbox, time_: SkewedTime) -> None:
    assert time_.sleeps["a"] == []
    # Redis asked it to wait until a window after the first answer (less the real time since: a few 100 ms at most)
    assert 58.0 <= sum(time_.sleeps["b"]) <= BINANCE_WINDOW_MS / 1000
    assert sbx.rate_limited("binance") == 0 and not sbx.violations
    first, _, second = sbx.requests("binance")
    assert first.operation_id == second.operation_id == "query_max_borrow"
    assert [first.status, second.status] == [200, 200]
    assert second.received_ms - first.received_ms >= 60_000


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_answer_saying_the_budget_is_spent_holds_the_other_clients_next_call_for_the_window(
    mode: str, db: redis.Redis, reporting_redis: Any
) -> None:
    time_ = SkewedTime(db)
    with Sandbox(enforce_rate_limits=True, clock=time_.unix_ms) as sbx:
        # Another program on the account leaves room for exactly one more call of weight 750.
        assert sbx.use_weight("binance", "query_max_borrow", 180_000 - 750) == 179_250
        (first, first_backend), (second, _) = (_client(sbx, _url(reporting_redis), time_, who) for who in "ab")
        if mode == "sync":
            with first, second:
                answer = query_max_borrow.sync_detailed(client=first, asset="BTC")
                assert answer.status_code == 200 and answer.headers[UID_HEADER] == "180000"
                _reported_to_redis(first_backend)
                binance_time.sync(client=second)  # another budget (the /api/ pool): not held back
                assert time_.sleeps["b"] == []
                query_max_borrow.sync(client=second, asset="BTC")  # without the shared report: a 429
        else:

            async def run() -> None:
                async with first, second:
                    answer = await query_max_borrow.asyncio_detailed(client=first, asset="BTC")
                    assert answer.status_code == 200 and answer.headers[UID_HEADER] == "180000"
                    await asyncio.to_thread(_reported_to_redis, first_backend)
                    await binance_time.asyncio(client=second)
                    assert time_.sleeps["b"] == []
                    await query_max_borrow.asyncio(client=second, asset="BTC")

            asyncio.run(run())
        _check_held_for_the_window(sbx, time_)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_answers_with_a_used_weight_header_still_cost_one_round_trip_per_call(
    mode: str, db: redis.Redis, reporting_redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every maxBorrowable answer reports the account's used weight; each acquire carries the previous answer's
    settlement and report, so N calls are N script calls (the background sender held off)."""
    monkeypatch.setattr(_backend, "SETTLE_AFTER_S", 60.0)
    DEFAULT_REGISTRY.clear()
    calls = 4
    with Sandbox(enforce_rate_limits=True) as sbx:
        sbx.use_weight("binance", "query_max_borrow", 7_500)  # another program's weight: reported, not ours
        client = binance.make_client(
            api_key=KEY, api_secret=SECRET, base_url=sbx.base_url("binance"), rate_limit=_url(reporting_redis)
        )
        db.config_resetstat()
        if mode == "sync":
            with client:
                for _ in range(calls):
                    query_max_borrow.sync(client=client, asset="BTC")
        else:

            async def run() -> None:
                async with client:
                    for _ in range(calls):
                        await query_max_borrow.asyncio(client=client, asset="BTC")

            asyncio.run(run())
        assert _script_calls(db) == calls
        (key,) = db.keys("exchange-clients:*query_max_borrow*:z")
        members = cast(list[bytes], db.zrange(key, 0, -1))
        # The first answer's report (7,500 + 750 against the 750 counted) landed on the second acquire, once.
        assert [member.split(b":")[0] for member in members if b":used:" in member] == [b"7500"]
        assert sbx.rate_limited("binance") == 0
    DEFAULT_REGISTRY.clear()
