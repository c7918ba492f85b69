"""Client-side rate limiting: the limiter's arithmetic on a fake clock, then sustained runs over real HTTP
against a sandbox that enforces the documented limits (OKX get_max_loan: 20 requests per 2 s per user).

The achieved rate is measured on the sandbox's own receive times ``t``: request ``k`` takes the place of
request ``k - limit`` in the window, so ``limit / mean(t[k] - t[k - limit])`` is the sustained rate. A
sliding window never lets ``t[k] - t[k - limit]`` fall below the window, so the fraction is at most 1.0.
"""

from __future__ import annotations

import asyncio
import heapq
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from okx_client.api.account import get_max_loan
from okx_client.errors import UnexpectedStatus

from auth_plugins import RateLimitError
from auth_plugins._gates import RequestGate
from auth_plugins._generated import routes
from auth_plugins._ratelimit import DEFAULT_REGISTRY, RateLimitGate, RateLimitRegistry, rate_limit_gate
from auth_plugins.sandbox import OKX_CREDENTIALS, Sandbox
from auth_plugins.sandbox._ratelimit import SlidingWindowLimiter
from tests._exchanges import EXCHANGES, NO_RETRY
from tests._gated import gated_client

BACKPACK_ROUTES: Final = routes("backpack_client")
BINANCE_ROUTES: Final = routes("binance_client")
OKX_ROUTES: Final = routes("okx_client")

OKX_MAX_LOAN: Final = OKX_ROUTES[("GET", "/api/v5/account/max-loan")]
OKX_TIME: Final = OKX_ROUTES[("GET", "/api/v5/public/time")]
BINANCE_MAX_BORROW: Final = BINANCE_ROUTES[("GET", "/sapi/v1/margin/maxBorrowable")]
BINANCE_TIME: Final = BINANCE_ROUTES[("GET", "/api/v3/time")]
BACKPACK_BORROW: Final = BACKPACK_ROUTES[("GET", "/api/v1/account/limits/borrow")]
KEY: Final = OKX_CREDENTIALS.api_key
SENDING: Final = "http11.send_request_headers.started"
ANSWERED: Final = "http11.receive_response_headers.complete"
# get_max_loan: 2 s documented, taken as 2.01 s (10 ms margin); requests may leave the gate 100 ms early.
WINDOW_S: Final = 2.01
LEAD_S: Final = 0.1


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def _request(operation: Any, host: str = "www.okx.com") -> httpx.Request:
    return httpx.Request(operation.method, f"https://{host}{operation.path}")


def _gate(fake: FakeTime, registry: RateLimitRegistry, exchange: str = "okx", key: str | None = KEY) -> RateLimitGate:
    return RateLimitGate(exchange, key, registry=registry, sleep=fake.sleep, asleep=fake.asleep)


def _with_weight(operation: Any, weight: int) -> Any:
    return operation._replace(rate_limit=operation.rate_limit._replace(weight=weight))


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def registry(fake: FakeTime) -> RateLimitRegistry:
    return RateLimitRegistry(clock=fake.clock)


# --- the arithmetic, on a fake clock -------------------------------------------------------------------------


def test_a_full_window_passes_at_once_then_the_next_request_waits_one_window_and_the_margin(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    gate = _gate(fake, registry)
    for _ in range(20):
        gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.sleeps == []
    gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.now == pytest.approx(1_000 + WINDOW_S)


def test_binance_max_borrow_weight_750_counts_against_its_own_180000_per_minute(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    gate = _gate(fake, registry, "binance", "binance-key")
    for _ in range(240):  # 240 x 750 = 180,000
        gate.before_send(BINANCE_MAX_BORROW, _request(BINANCE_MAX_BORROW, "api.binance.com"))
    assert fake.sleeps == []
    gate.before_send(BINANCE_MAX_BORROW, _request(BINANCE_MAX_BORROW, "api.binance.com"))
    assert fake.now == pytest.approx(1_060.3)  # 60 s and a 0.5 % margin
    # Server time draws on the /api/* IP pool (6,000 per minute, weight 1), not on the /sapi/ account budget.
    start = fake.now
    gate.before_send(BINANCE_TIME, _request(BINANCE_TIME, "api.binance.com"))
    assert fake.now == start


def test_the_window_slides_rather_than_resets(fake: FakeTime, registry: RateLimitRegistry) -> None:
    gate = _gate(fake, registry)
    for _ in range(10):
        gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    fake.now += 1.0
    for _ in range(10):
        gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.sleeps == []
    gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))  # waits for the first ten to leave the window
    assert fake.now == pytest.approx(1_000 + WINDOW_S)
    for _ in range(9):
        gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.now == pytest.approx(1_000 + WINDOW_S)
    gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))  # now the second ten must leave
    assert fake.now == pytest.approx(1_001 + WINDOW_S)


def test_a_request_counts_while_in_flight_and_for_a_window_after_its_answer(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    gate = _gate(fake, registry)
    requests = [_request(OKX_MAX_LOAN) for _ in range(20)]
    for request in requests:
        gate.before_send(OKX_MAX_LOAN, request)
        request.extensions["trace"](SENDING, {})
    fake.now += 30.0  # still in flight: nothing frees, however long it takes

    def must_not_wait(seconds: float) -> None:
        raise TimeoutError(f"asked to wait {seconds} s")

    with pytest.raises(TimeoutError):
        RateLimitGate("okx", KEY, registry=registry, sleep=must_not_wait).before_send(
            OKX_MAX_LOAN, _request(OKX_MAX_LOAN)
        )
    for request in requests:
        request.extensions["trace"](ANSWERED, {})
    answered = fake.now
    late = _request(OKX_MAX_LOAN)
    gate.before_send(OKX_MAX_LOAN, late)  # leaves the gate a lead early...
    assert fake.now == pytest.approx(answered + WINDOW_S - LEAD_S)
    late.extensions["trace"](SENDING, {})  # ...and waits out the rest before its first byte
    assert fake.now == pytest.approx(answered + WINDOW_S)


def test_the_gate_keeps_calling_a_trace_that_was_already_set(fake: FakeTime, registry: RateLimitRegistry) -> None:
    seen: list[str] = []
    request = httpx.Request("GET", "https://www.okx.com/api/v5/account/max-loan")
    request.extensions["trace"] = lambda name, info: seen.append(name)
    _gate(fake, registry).before_send(OKX_MAX_LOAN, request)
    request.extensions["trace"](SENDING, {})
    request.extensions["trace"](ANSWERED, {})
    assert seen == [SENDING, ANSWERED]


def test_account_limits_are_per_key_and_ip_limits_per_host(fake: FakeTime, registry: RateLimitRegistry) -> None:
    live, again, demo = _gate(fake, registry), _gate(fake, registry), _gate(fake, registry, key="demo-key")
    for _ in range(10):
        live.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
        again.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    for _ in range(20):
        demo.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.sleeps == []
    again.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))  # the key's 20 are spent, whichever gate spent them
    assert fake.now == pytest.approx(1_000 + WINDOW_S)

    fake.sleeps.clear()
    for _ in range(5):  # server time: 10 per 2 s per IP, whatever the key
        live.before_send(OKX_TIME, _request(OKX_TIME))
        demo.before_send(OKX_TIME, _request(OKX_TIME))
    for _ in range(10):
        live.before_send(OKX_TIME, _request(OKX_TIME, "eea.okx.com"))
    assert fake.sleeps == []
    start = fake.now
    demo.before_send(OKX_TIME, _request(OKX_TIME))
    assert fake.now == pytest.approx(start + WINDOW_S)


def test_operations_without_a_documented_limit_pass_straight_through(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    assert BACKPACK_BORROW.rate_limit is None
    gate = _gate(fake, registry, "backpack")
    request = _request(BACKPACK_BORROW, "api.backpack.exchange")
    for _ in range(1_000):
        gate.before_send(BACKPACK_BORROW, request)
    assert fake.sleeps == [] and "trace" not in request.extensions


def test_the_async_gate_waits_with_the_async_sleep(fake: FakeTime, registry: RateLimitRegistry) -> None:
    def forbidden(seconds: float) -> None:
        raise AssertionError("the async path must not block the event loop")

    gate = RateLimitGate("okx", KEY, registry=registry, sleep=forbidden, asleep=fake.asleep)

    async def run() -> None:
        for _ in range(20):
            request = _request(OKX_MAX_LOAN)
            await gate.abefore_send(OKX_MAX_LOAN, request)
            await request.extensions["trace"](SENDING, {})
            await request.extensions["trace"](ANSWERED, {})
        request = _request(OKX_MAX_LOAN)
        await gate.abefore_send(OKX_MAX_LOAN, request)
        await request.extensions["trace"](SENDING, {})

    asyncio.run(run())
    assert fake.now == pytest.approx(1_000 + WINDOW_S)


def test_a_weight_above_the_limit_is_refused(fake: FakeTime, registry: RateLimitRegistry) -> None:
    heavy = _with_weight(OKX_MAX_LOAN, 21)
    with pytest.raises(ValueError, match="weight 21 can never fit a limit of 20"):
        _gate(fake, registry).before_send(heavy, _request(heavy))


def test_the_gate_never_shows_the_api_key() -> None:
    text = repr(rate_limit_gate("okx", KEY))
    assert "okx" in text and "key" in text
    assert not any(KEY[i : i + 6] in text for i in range(len(KEY) - 5))


class Simulation(FakeTime):
    """A fake clock whose sleeps also deliver the responses due meanwhile, so that requests overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.due: list[tuple[float, int, httpx.Request]] = []

    def answer_at(self, when: float, request: httpx.Request) -> None:
        heapq.heappush(self.due, (when, len(self.due) + id(request), request))

    def sleep(self, seconds: float) -> None:
        self.run_until(self.now + seconds)

    def run_until(self, when: float) -> None:
        while self.due and self.due[0][0] <= when:
            self.now, _, request = heapq.heappop(self.due)
            request.extensions["trace"](ANSWERED, {})
        self.now = max(self.now, when)


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 60),  # pause before the next request, ms
            st.sampled_from([1, 1, 1, 2, 5]),  # its weight
            st.integers(0, 300),  # from its first byte to the server's clock reading, ms
            st.integers(0, 300),  # from then to its response headers, ms
        ),
        min_size=1,
        max_size=120,
    )
)
def test_whatever_the_latencies_the_sandbox_limiter_accepts_every_request(
    steps: list[tuple[int, int, int, int]],
) -> None:
    """Cross-check with the sandbox's own limiter (same limit, integer-millisecond server clock) on overlapping
    requests with uneven latencies: a request sent just after a slow one must still not crowd the window."""
    sim = Simulation()
    gate = RateLimitGate("okx", KEY, registry=RateLimitRegistry(clock=sim.clock), sleep=sim.sleep)
    received: list[tuple[float, int]] = []
    for pause_ms, weight, inbound_ms, outbound_ms in steps:
        sim.run_until(sim.now + pause_ms / 1000)
        operation, request = _with_weight(OKX_MAX_LOAN, weight), _request(OKX_MAX_LOAN)
        gate.before_send(operation, request)
        request.extensions["trace"](SENDING, {})
        received.append((sim.now + inbound_ms / 1000, weight))
        sim.answer_at(sim.now + (inbound_ms + outbound_ms) / 1000, request)
    server = SlidingWindowLimiter()
    for at, weight in sorted(received):
        decision = server.charge("k", limit=20, window_ms=2000, weight=weight, now_ms=int(at * 1000))
        assert decision.allowed, (at, decision)


# --- sustained runs over real HTTP ---------------------------------------------------------------------------

LIMIT: Final = OKX_MAX_LOAN.rate_limit.limit  # type: ignore[union-attr]
WINDOW_MS: Final = OKX_MAX_LOAN.rate_limit.window_ms  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def enforcing() -> Iterator[Sandbox]:
    """A sandbox of this module's own that answers 429 beyond each operation's documented limit."""
    with Sandbox(enforce_rate_limits=True) as sandbox:
        yield sandbox


@pytest.fixture
def limited(enforcing: Sandbox) -> Iterator[Sandbox]:
    enforcing.reset()
    yield enforcing
    assert not enforcing.violations


def _achieved_fraction(sandbox: Sandbox) -> float:
    received = sorted(record.received_ms for record in sandbox.requests("okx"))
    gaps = [received[k] - received[k - LIMIT] for k in range(LIMIT, len(received))]
    return WINDOW_MS / (sum(gaps) / len(gaps))


def _call(client: Any) -> int:
    try:
        return int(get_max_loan.sync_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT").status_code)
    except RateLimitError as error:  # factory-made clients raise RateLimitError, the stand-in UnexpectedStatus
        return int(error.status)
    except UnexpectedStatus as error:
        return int(error.status_code)


async def _acall(client: Any) -> int:
    try:
        return int(
            (await get_max_loan.asyncio_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT")).status_code
        )
    except RateLimitError as error:
        return int(error.status)
    except UnexpectedStatus as error:
        return int(error.status_code)


def _run_threads(client: Any, requests: int, threads: int = 2) -> list[int]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda _: _call(client), range(requests)))


def _run_tasks(client: Any, requests: int, tasks: int = 2) -> list[int]:
    async def worker(count: int) -> list[int]:
        return [await _acall(client) for _ in range(count)]

    async def run() -> list[int]:
        results = await asyncio.gather(*(worker(requests // tasks) for _ in range(tasks)))
        return [status for result in results for status in result]

    return asyncio.run(run())


def _gated(sandbox: Sandbox, gates: list[RequestGate]) -> Any:
    """The stand-in client of tests/_gated.py: exactly the gates given, nothing else."""
    return gated_client("okx", sandbox.base_url("okx"), gates)


def _factory_client(sandbox: Sandbox, **options: Any) -> Any:
    """What users get: ``okx.make_client`` with its default limiter (process-wide budgets); no retries, so a
    429 would surface as a ``RateLimitError`` instead of being waited out."""
    return EXCHANGES["okx"].client(sandbox, rate_limit=True, **NO_RETRY, **options)


@pytest.fixture
def fresh_budgets() -> Iterator[None]:
    DEFAULT_REGISTRY.clear()
    yield
    DEFAULT_REGISTRY.clear()


@pytest.mark.usefixtures("fresh_budgets")
def test_sync_clients_sustain_at_least_95_percent_of_the_documented_rate_without_a_429(limited: Sandbox) -> None:
    with _factory_client(limited) as client:
        statuses = _run_threads(client, 3 * LIMIT)
    assert statuses == [200] * (3 * LIMIT) and limited.rate_limited("okx") == 0
    assert 0.95 <= _achieved_fraction(limited) <= 1.0


@pytest.mark.usefixtures("fresh_budgets")
def test_async_clients_sustain_at_least_95_percent_of_the_documented_rate_without_a_429(limited: Sandbox) -> None:
    client = _factory_client(limited)
    statuses = _run_tasks(client, 3 * LIMIT)
    assert statuses == [200] * (3 * LIMIT) and limited.rate_limited("okx") == 0
    assert 0.95 <= _achieved_fraction(limited) <= 1.0


@pytest.mark.usefixtures("fresh_budgets")
def test_clients_built_from_the_same_credentials_share_one_budget_sync_and_async(limited: Sandbox) -> None:
    sync_client, async_client = _factory_client(limited), _factory_client(limited)
    sync_statuses: list[int] = []
    worker = threading.Thread(target=lambda: sync_statuses.extend(_run_threads(sync_client, LIMIT)))
    worker.start()
    async_statuses = _run_tasks(async_client, LIMIT)
    worker.join()
    assert sync_statuses + async_statuses == [200] * (2 * LIMIT)
    assert limited.rate_limited("okx") == 0
    assert _achieved_fraction(limited) >= 0.95


@pytest.mark.usefixtures("fresh_budgets")
@pytest.mark.parametrize("setup", ["limiter switched off", "a budget per client"])
def test_without_the_limiter_or_a_shared_budget_the_sandbox_rejects(limited: Sandbox, setup: str) -> None:
    """The control for the tests above: the sandbox really enforces, so their zero-429 results mean something."""
    if setup == "limiter switched off":
        clients = [EXCHANGES["okx"].client(limited, rate_limit=False, **NO_RETRY) for _ in range(2)]
    else:
        clients = [_gated(limited, [RateLimitGate("okx", KEY, registry=RateLimitRegistry())]) for _ in range(2)]
    statuses = [status for client in clients for status in _run_threads(client, LIMIT)]
    assert statuses.count(429) == LIMIT == limited.rate_limited("okx")
