"""The budget shared through Redis (issue 17), against private ``redis-server`` processes on free ports.

The scripts' arithmetic on a real Redis; three worker processes hammering OKX ``get_max_loan`` (20 per 2 s
per user) through one budget, against a sandbox that enforces it, and the same run with per-process budgets
as the control; then the failure modes: Redis unreachable at start, dropping mid-run, coming back, the
``raise`` policy, and a process that dies with requests in flight. The rate is measured as in
tests/test_rate_limit.py, on the sandbox's own receive times.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, Final, cast

import httpx
import pytest
import redis
from okx_client.api.account import get_max_loan
from pytest_redis import factories

from auth_plugins import RateLimitError, RedisRateLimit, RetryPolicy, SharedBudgetError, okx
from auth_plugins._generated import routes
from auth_plugins._ratelimit import DEFAULT_REGISTRY, RateLimitGate, RateLimitRegistry
from auth_plugins._ratelimit_redis._backend import Budget, RedisBackend, close_shared_backends
from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate
from auth_plugins.sandbox import OKX_CREDENTIALS, Sandbox
from tests._specs import REPO

OKX_ROUTES: Final = routes("okx_client")

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: `apt-get install redis-server` (what .ci/run does) to run the "
    "shared-budget tests, which start their own on a free port",
)

# No port given: pytest-redis picks a free one for each (unless --redis-port says otherwise).
redis_server = factories.redis_proc()
"""One private redis-server for the tests that keep it running."""
flaky_redis = factories.redis_proc()
"""Another, which the failure tests stop and start (each leaves it running)."""

MAX_LOAN: Final = OKX_ROUTES[("GET", "/api/v5/account/max-loan")]
LIMIT: Final = 20
WINDOW_MS: Final = 2000
KEY: Final = OKX_CREDENTIALS.api_key
SECRETS: Final = (OKX_CREDENTIALS.api_key, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase)
HAMMER_S: Final = 11.0
CONTROL_S: Final = 1.0


def _url(proc: Any, db: int = 0) -> str:
    return f"redis://{proc.host}:{proc.port}/{db}"


@pytest.fixture
def db(redis_server: Any) -> Iterator[redis.Redis]:
    """A client of the running server, flushed before and after; shared backends are forgotten after."""
    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    client.flushall()
    yield client
    client.flushall()
    client.close()
    close_shared_backends()


@pytest.fixture(scope="module")
def enforcing() -> Iterator[Sandbox]:
    with Sandbox(enforce_rate_limits=True) as sandbox:
        yield sandbox


@pytest.fixture
def limited(enforcing: Sandbox) -> Iterator[Sandbox]:
    enforcing.reset()
    DEFAULT_REGISTRY.clear()
    yield enforcing
    DEFAULT_REGISTRY.clear()
    close_shared_backends()
    assert not enforcing.violations


def _budget(name: str, limit: int = 3, window_ms: int = 300) -> Budget:
    return Budget((f"test:{{{name}}}:z", f"test:{{{name}}}:n"), limit, window_ms)


def _scores(client: redis.Redis, key: str) -> list[tuple[bytes, float]]:
    return cast(list[tuple[bytes, float]], client.zrange(key, 0, -1, withscores=True))


def _held(client: redis.Redis, budget: Budget) -> int:
    """The weight a budget holds as the scripts keep it: one per entry of its set, plus what its hash says the
    entries carry beyond that."""
    return int(client.zcard(budget.keys[0])) + int(client.hget(budget.keys[1], "x") or 0)


def _redis_ms(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds * 1000 + micros / 1000


# --- the scripts, on a real Redis ----------------------------------------------------------------------------


def test_a_request_counts_on_its_lease_while_in_flight_and_one_window_after_its_release(
    db: redis.Redis, redis_server: Any
) -> None:
    backend = RedisBackend(RedisRateLimit(_url(redis_server)), settle_after_s=60)  # reports ride on acquires only
    budget = _budget("lease")
    before = _redis_ms(db)
    assert [backend.acquire(budget, f"1:{n}", 1, 5_000) for n in range(3)] == [0.0, 0.0, 0.0]
    # Scores are Redis's own time plus the lease (whole ms, rounded up): nothing here reads this host's clock.
    scores = [score for _, score in _scores(db, budget.keys[0])]
    assert all(before + 5_000 <= score <= _redis_ms(db) + 5_001 and score == int(score) for score in scores)
    assert _held(db, budget) == 3
    assert 5_000 < int(db.pttl(budget.keys[0])) <= 16_001  # 1 to 11 s after the last lease ends
    # Full, all in flight: any of them could be released now and then count one more window.
    assert 0.25 <= backend.acquire(budget, "1:late", 1, 5_000) <= 0.3
    released = _redis_ms(db)
    backend.release(budget, "1:0")
    reported = _redis_ms(db)
    assert float(db.zscore(budget.keys[0], "1:0") or 0) > reported + 4_000  # noted, not yet sent
    # The next acquire carries it (and is refused: the budget is full until the released one leaves).
    assert 0.2 <= backend.acquire(budget, "1:late", 1, 5_000) <= 0.3
    # One window after the response, not after the acquire that carried it (20 ms for loopback and rounding).
    assert released + 300 <= float(db.zscore(budget.keys[0], "1:0") or 0) <= reported + 300 + 20
    assert backend.pending == 0
    time.sleep(0.31)
    assert backend.acquire(budget, "1:late", 1, 5_000) == 0.0  # the released one left; the others still count
    assert backend.acquire(budget, "1:later", 1, 5_000) > 0
    backend.close()


def test_weights_add_up_a_retried_acquire_counts_once_and_a_lost_total_is_recounted(
    db: redis.Redis, redis_server: Any
) -> None:
    backend = RedisBackend(RedisRateLimit(_url(redis_server)))
    budget = _budget("weights", limit=20, window_ms=2_000)
    for n in range(3):
        assert backend.acquire(budget, f"5:{n}", 5, 10_000) == 0.0
    assert backend.acquire(budget, "5:0", 5, 10_000) == 0.0  # the same member again: a retry, not a new request
    assert _held(db, budget) == 15 and db.zcard(budget.keys[0]) == 3
    db.delete(budget.keys[1])  # say, evicted
    assert backend.acquire(budget, "5:3", 5, 10_000) == 0.0
    assert backend.acquire(budget, "1:x", 1, 10_000) > 0
    assert _held(db, budget) == 20
    backend.close()


def test_a_release_redis_lost_counts_again_for_what_is_left_of_its_window(db: redis.Redis, redis_server: Any) -> None:
    backend = RedisBackend(RedisRateLimit(_url(redis_server)))
    budget = _budget("replay", limit=5, window_ms=2_000)
    backend.remember(budget, "2:a", time.monotonic() - 0.5)  # answered half a second ago, while Redis was away
    backend.remember(budget, "2:b", time.monotonic() - 3.0)  # answered more than a window ago: not counted
    backend.flush()
    assert [member for member, _ in _scores(db, budget.keys[0])] == [b"2:a"]
    left = float(db.zscore(budget.keys[0], "2:a") or 0) - _redis_ms(db)
    assert 1_300 <= left <= 1_510
    assert _held(db, budget) == 2
    backend.close()


def test_the_async_side_counts_in_the_same_budget_and_closes_with_its_event_loop(
    db: redis.Redis, redis_server: Any
) -> None:
    backend = RedisBackend(RedisRateLimit(_url(redis_server)))
    budget = _budget("async", limit=2)

    async def run() -> float:
        assert await backend.aacquire(budget, "1:a", 1, 5_000) == 0.0
        backend.release(budget, "1:a")  # rides on the next acquire
        return await backend.aacquire(budget, "1:b", 1, 5_000)

    assert asyncio.run(run()) == 0.0
    assert backend.acquire(budget, "1:c", 1, 5_000) > 0  # sync and async draw on one budget
    assert asyncio.run(backend.aacquire(budget, "1:d", 1, 5_000)) > 0  # a second loop gets its own connections
    backend.close()


# --- many processes, one budget ------------------------------------------------------------------------------


def _achieved_fraction(sandbox: Sandbox) -> float:
    received = sorted(record.received_ms for record in sandbox.requests("okx"))
    gaps = [received[k] - received[k - LIMIT] for k in range(LIMIT, len(received))]
    return WINDOW_MS / (sum(gaps) / len(gaps))


def _run_workers(sandbox: Sandbox, rate_limit: str, seconds: float) -> list[Counter[str]]:
    """Three worker processes (two with two threads each, one with two asyncio tasks), started together."""
    command = [sys.executable, "-m", "tests._redis_worker", sandbox.base_url("okx"), rate_limit]
    workers = [
        subprocess.Popen(
            [*command, mode, "2"], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for mode in ("sync", "sync", "async")
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            # A worker that cannot start must fail the test, not hang it.
            ready, _, _ = select.select([worker.stdout], [], [], 60)
            assert ready and worker.stdout.readline() == b"ready\n", worker.communicate(timeout=30)[1].decode()[-2000:]
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{seconds}\n".encode())
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=seconds + 60)
            assert worker.returncode == 0, err.decode()[-3000:]
            results.append(Counter(json.loads(out.decode().splitlines()[-1])))
        return results
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def test_three_processes_on_one_redis_budget_get_no_429_and_at_least_90_percent_of_the_rate(
    limited: Sandbox, redis_server: Any, db: redis.Redis
) -> None:
    results = _run_workers(limited, _url(redis_server), HAMMER_S)
    total = sum(results, Counter())
    received = sorted(record.received_ms for record in limited.requests("okx"))
    print(
        f"\nshared budget: {dict(total)} over {(received[-1] - received[0]) / 1000:.1f} s, "
        f"{_achieved_fraction(limited):.3f} of the documented rate, {limited.rate_limited('okx')} 429s"
    )
    assert set(total) == {"200"}, total
    assert limited.rate_limited("okx") == 0
    assert all(result["200"] > 0 for result in results)  # every process took part
    assert received[-1] - received[0] >= 10_000
    assert 0.90 <= _achieved_fraction(limited) <= 1.0


def test_the_control_three_processes_with_their_own_budgets_are_refused(limited: Sandbox) -> None:
    """The same workers with the in-process budget each: the sandbox refuses them within the first window, so
    the zero 429s above mean something. A second of calling is enough (each waits out its window after)."""
    results = _run_workers(limited, "process", CONTROL_S)
    total = sum(results, Counter())
    print(f"\nper-process budgets: {dict(total)}, {limited.rate_limited('okx')} 429s")
    assert set(total) <= {"200", "429"}, total
    assert total["429"] == limited.rate_limited("okx") >= LIMIT


# --- failures --------------------------------------------------------------------------------------------------


def _client(sandbox: Sandbox, rate_limit: Any) -> Any:
    return okx.make_client(
        api_key=OKX_CREDENTIALS.api_key,
        api_secret=OKX_CREDENTIALS.api_secret,
        passphrase=OKX_CREDENTIALS.passphrase,
        base_url=sandbox.base_url("okx"),
        rate_limit=rate_limit,
        retry=RetryPolicy(max_retries=0),
    )


def _call(client: Any) -> int:
    try:
        return int(get_max_loan.sync_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT").status_code)
    except RateLimitError as error:
        return int(error.status)


async def _acall(client: Any) -> int:
    try:
        response = await get_max_loan.asyncio_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT")
        return int(response.status_code)
    except RateLimitError as error:
        return int(error.status)


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "auth_plugins" and r.levelno == level]


def _budget_entries(proc: Any, db: int = 0) -> int:
    """The requests that still count (entries that stopped counting may linger until they are in the way)."""
    with redis.Redis(host=proc.host, port=proc.port, db=db) as client:
        now = _redis_ms(client)
        return sum(int(client.zcount(key, f"({now}", "+inf")) for key in client.scan_iter("exchange-clients:*:z"))


def _flush(proc: Any) -> None:
    with redis.Redis(host=proc.host, port=proc.port) as client:
        client.flushall()


def test_unreachable_at_start_the_process_keeps_to_its_own_budget_with_one_warning_then_rejoins(
    limited: Sandbox, flaky_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _flush(flaky_redis)
    flaky_redis.stop()
    try:
        client = _client(limited, RedisRateLimit(_url(flaky_redis), reconnect_min_s=0.1, reconnect_max_s=0.2))
        caplog.set_level(logging.INFO, logger="auth_plugins")
        started = time.monotonic()
        statuses = [_call(client) for _ in range(LIMIT + 2)]
        # The in-process budget still holds: the 21st request waited out a window, and none was refused.
        assert time.monotonic() - started >= 2.0
        assert statuses == [200] * (LIMIT + 2) and limited.rate_limited("okx") == 0
        (warning,) = _records(caplog, logging.WARNING)
        assert f"redis://127.0.0.1:{flaky_redis.port}/0 unreachable" in warning and "own budget" in warning
    finally:
        flaky_redis.start()
    time.sleep(0.25)  # past the reconnect backoff
    assert _call(client) == 200
    (info,) = [m for m in _records(caplog, logging.INFO) if "reachable again" in m]
    # The answers it got while alone that still counted at recovery (by this call, or by the background
    # sender as soon as Redis answered) were reported; some may have left their window since. The new
    # request counts there too.
    reported = int(re.search(r"reporting the (\d+) responses", info).group(1))  # type: ignore[union-attr]
    assert 1 <= reported <= LIMIT + 2 and 2 <= _budget_entries(flaky_redis) <= reported + 1
    assert len(_records(caplog, logging.WARNING)) == 1


def test_redis_dropping_mid_run_and_coming_back_async_no_429_one_warning(
    limited: Sandbox, flaky_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _flush(flaky_redis)
    client = _client(limited, RedisRateLimit(_url(flaky_redis, 1), reconnect_min_s=0.1, reconnect_max_s=0.2))
    caplog.set_level(logging.INFO, logger="auth_plugins")
    phases: list[int] = []

    async def run() -> list[int]:
        deadline = time.monotonic() + 4.6

        async def caller() -> list[int]:
            statuses = []
            while time.monotonic() < deadline:
                statuses.append(await _acall(client))
            return statuses

        async def outage() -> None:
            await asyncio.sleep(1.0)
            phases.append(_budget_entries(flaky_redis, 1))
            await asyncio.to_thread(flaky_redis.stop)
            await asyncio.sleep(1.2)
            await asyncio.to_thread(flaky_redis.start)

        results = await asyncio.gather(caller(), caller(), outage())
        await client.get_async_httpx_client().aclose()
        return [status for statuses in results[:2] for status in statuses]

    try:
        statuses = asyncio.run(run())
    finally:
        if not flaky_redis.running():
            flaky_redis.start()
    assert phases[0] > 0  # before the outage the requests counted in Redis
    assert set(statuses) == {200} and len(statuses) >= 2 * LIMIT and limited.rate_limited("okx") == 0
    assert len(_records(caplog, logging.WARNING)) == 1
    assert len([m for m in _records(caplog, logging.INFO) if "reachable again" in m]) == 1
    with redis.Redis(host=flaky_redis.host, port=flaky_redis.port, db=1) as after:
        (key,) = after.keys("exchange-clients:*:z")
        newest = max(score for _, score in _scores(after, key))
        assert newest > _redis_ms(after)  # the last requests were counted in Redis again


def test_on_error_raise_refuses_without_sending_then_recovers(
    limited: Sandbox, flaky_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    flaky_redis.stop()
    try:
        settings = RedisRateLimit(_url(flaky_redis, 2), on_error="raise", reconnect_min_s=0.5, reconnect_max_s=0.5)
        client = _client(limited, settings)
        with pytest.raises(SharedBudgetError, match="unreachable; nothing was sent") as first:
            _call(client)
        assert isinstance(first.value.__cause__, redis.ConnectionError)
        assert first.value.operation == "GET /api/v5/account/max-loan"
        with pytest.raises(SharedBudgetError) as during_backoff:  # refused at once, without trying again
            _call(client)
        assert during_backoff.value.__cause__ is None
        assert limited.requests("okx") == []
        assert len(_records(caplog, logging.WARNING)) == 1
    finally:
        flaky_redis.start()
    time.sleep(0.55)  # past the reconnect backoff
    assert _call(client) == 200


def test_a_password_in_the_url_never_shows(limited: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    password = "pw-" + os.urandom(6).hex()
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    for on_error in ("local", "raise"):
        client = _client(limited, RedisRateLimit(url, on_error=on_error))
        gate = client.get_httpx_client().pipeline.gates[1]
        assert isinstance(gate, SharedRateLimitGate)
        texts = [repr(gate), repr(RedisRateLimit(url))]
        try:
            texts.append(str(_call(client)))
        except SharedBudgetError as error:
            texts += [str(error), repr(error)]
        texts += [r.getMessage() for r in caplog.records]
        assert all(password not in text for text in texts) and f":***@127.0.0.1:{port}" in texts[0]
    with pytest.raises(ValueError) as bad:
        _client(limited, f"redis://:{password}@127.0.0.1:{port}/zero")
    assert password not in str(bad.value) and "database must be a number" in str(bad.value)


_HOLDER: Final = """
import sys, time, httpx
from auth_plugins._generated import routes
from auth_plugins._ratelimit import RateLimitGate, RateLimitRegistry
from auth_plugins._ratelimit_redis import RedisRateLimit
from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate
from auth_plugins.sandbox import OKX_CREDENTIALS as C
local = RateLimitGate("OKX", C.api_key, registry=RateLimitRegistry())
settings = RedisRateLimit(sys.argv[1], lease_s=0.8)
gate = SharedRateLimitGate("OKX", C.api_key, settings, secrets=(C.api_key, C.api_secret, C.passphrase), local=local)
operation = routes("okx_client")[("GET", "/api/v5/account/max-loan")]
for _ in range(20):
    gate.before_send(operation, httpx.Request("GET", "http://127.0.0.1:9/api/v5/account/max-loan"))
print("holding", flush=True)
time.sleep(60)
"""


def test_a_process_that_dies_with_requests_in_flight_holds_the_budget_only_until_their_lease_ends(
    db: redis.Redis, redis_server: Any
) -> None:
    url = _url(redis_server)
    with subprocess.Popen([sys.executable, "-c", _HOLDER, url], cwd=REPO, stdout=subprocess.PIPE) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
        finally:
            holder.kill()  # SIGKILL: no release, no cleanup
    survivor = SharedRateLimitGate(
        "OKX", KEY, RedisRateLimit(url), secrets=SECRETS, local=RateLimitGate("OKX", KEY, registry=RateLimitRegistry())
    )
    request = httpx.Request("GET", "http://127.0.0.1:9/api/v5/account/max-loan")
    budget, weight = survivor._budget(MAX_LOAN, request) or pytest.fail("no budget")
    wait = survivor._backend.acquire(budget, "1:survivor", weight, 5_000)
    assert 0 < wait <= 0.8  # the dead process's 20 still count, until their leases end
    time.sleep(wait + 0.02)
    assert survivor._backend.acquire(budget, "1:survivor", weight, 5_000) == 0.0


_SPENDER: Final = """
import sys, httpx
from auth_plugins._generated import routes
from auth_plugins._ratelimit import RateLimitGate, RateLimitRegistry
from auth_plugins._ratelimit_redis import RedisRateLimit
from auth_plugins._ratelimit_redis._gate import SharedRateLimitGate
url, key, account = sys.argv[1:]
local = RateLimitGate("OKX", key, registry=RateLimitRegistry())
settings = RedisRateLimit(url, lease_s=5.0)
gate = SharedRateLimitGate("OKX", key, settings, secrets=(key, "s"), account=account, local=local)
operation = routes("okx_client")[("GET", "/api/v5/account/max-loan")]
for _ in range(20):
    gate.before_send(operation, httpx.Request("GET", "http://127.0.0.1:9/api/v5/account/max-loan"))
print("spent", flush=True)
"""


def test_keys_given_one_account_label_share_its_budget_across_processes(db: redis.Redis, redis_server: Any) -> None:
    url = _url(redis_server)
    spent = subprocess.run(
        [sys.executable, "-c", _SPENDER, url, "key-a", "desk-1"], cwd=REPO, capture_output=True, timeout=60, check=True
    )
    assert spent.stdout == b"spent\n"
    request = httpx.Request("GET", "http://127.0.0.1:9/api/v5/account/max-loan")

    def wait_for(account: str | None) -> float:
        local = RateLimitGate("OKX", "key-b", registry=RateLimitRegistry())
        gate = SharedRateLimitGate(
            "OKX", "key-b", RedisRateLimit(url), secrets=("key-b", "s"), account=account, local=local
        )
        budget, weight = gate._budget(MAX_LOAN, request) or pytest.fail("no budget")
        return gate._backend.acquire(budget, f"1:{account}", weight, 5_000)

    assert wait_for("desk-1") > 0  # another key, another process, the same account: its 20 are spent
    assert wait_for(None) == 0.0  # unlabelled, key-b's account budget is its own
    assert wait_for("desk-2") == 0.0
