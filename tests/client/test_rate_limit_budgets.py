"""Budgets as each exchange counts them (issue 20): an endpoint's own budget versus a shared pool, whom a budget
counts for (address, key, labelled account), and the exchange's own count in a used-weight header winning.

First the arithmetic on a fake clock; then over real HTTP against a sandbox that enforces the documented limits
on the same fake time (so a request the client let out too early is a 429, and a wait costs no wall-clock time);
then in a copy of the repository with a second OKX endpoint of ``get_max_loan``'s documented limit.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from binance_client.api.general import get_server_time as binance_time
from binance_client.api.margin import query_max_borrow

from auth_plugins import RetryPolicy, binance
from auth_plugins._generated import routes
from auth_plugins._ratelimit import RateLimitGate, RateLimitRegistry
from auth_plugins.sandbox import BINANCE_CREDENTIALS, ExchangeSandbox, Sandbox
from tests._readme import block
from tests._specs import REPO
from tests.codegen.test_adding_an_endpoint import FIRST, SECTION, STAMP, TARGET, _copy_of_the_repository, _make, _run

OKX_ROUTES: Final = routes("okx_client")
BINANCE_ROUTES: Final = routes("binance_client")
OKX_MAX_LOAN: Final = OKX_ROUTES[("GET", "/api/v5/account/max-loan")]
BINANCE_MAX_BORROW: Final = BINANCE_ROUTES[("GET", "/sapi/v1/margin/maxBorrowable")]
BINANCE_TIME: Final = BINANCE_ROUTES[("GET", "/api/v3/time")]
SENDING: Final = "http11.send_request_headers.started"
ANSWERED: Final = "http11.receive_response_headers.complete"
OKX_WINDOW_S: Final = 2.01  # 2 s documented, and the 10 ms margin
BINANCE_WINDOW_S: Final = 60.3  # 60 s documented, and the 0.5 % margin
UID_HEADER: Final = "X-SAPI-USED-UID-WEIGHT-1M"
T0_MS: Final = 1_800_000_000_000


class FakeTime:
    """One clock for the client's gate, its signer and the sandbox: it only moves when the gate sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def unix_ms(self) -> int:
        return T0_MS + round((self.now - 1_000.0) * 1000)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def registry(fake: FakeTime) -> RateLimitRegistry:
    return RateLimitRegistry(clock=fake.clock)


def _gate(fake: FakeTime, registry: RateLimitRegistry, exchange: str = "okx", key: str = "k1", **labels: str) -> Any:
    return RateLimitGate(exchange, key, registry=registry, sleep=fake.sleep, asleep=fake.asleep, **labels)


def _limit(operation: Any) -> Any:
    assert operation.rate_limit is not None
    return operation.rate_limit


def _request(operation: Any, host: str = "www.okx.com") -> httpx.Request:
    return httpx.Request(operation.method, f"https://{host}{operation.path}")


def _sibling(operation: Any, operation_id: str, path: str, **rate: Any) -> Any:
    """Another operation like ``operation``; its own budget unless ``rate`` names another (``budget=``)."""
    limit = operation.rate_limit._replace(**{"budget": operation_id, **rate})
    return operation._replace(operation_id=operation_id, path=path, rate_limit=limit)


def _write(gate: Any, operation: Any, host: str) -> None:
    """Let a request through the gate and up to its first byte, where the rest of any wait is taken."""
    request = _request(operation, host)
    gate.before_send(operation, request)
    request.extensions["trace"](SENDING, {})


def _answer(request: httpx.Request, headers: dict[str, str]) -> None:
    """Drive ``request``'s trace as httpcore does: written, then answered with ``headers``."""
    trace = request.extensions["trace"]
    trace(SENDING, {})
    raw = [(name.encode(), value.encode()) for name, value in headers.items()]
    trace(ANSWERED, {"return_value": (b"HTTP/1.1", 200, b"OK", raw)})


# --- own budgets and pools ---------------------------------------------------------------------------------------


def test_two_endpoints_with_equal_numbers_draw_on_two_budgets(fake: FakeTime, registry: RateLimitRegistry) -> None:
    withdrawal = _sibling(OKX_MAX_LOAN, "get_max_withdrawal", "/api/v5/account/max-withdrawal")
    assert _limit(withdrawal)[:4] == _limit(OKX_MAX_LOAN)[:4]  # 20 per 2 s per account, weight 1
    gate = _gate(fake, registry)
    assert gate.budget_key(OKX_MAX_LOAN, _request(OKX_MAX_LOAN)) != gate.budget_key(withdrawal, _request(withdrawal))
    for _ in range(20):
        gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
        gate.before_send(withdrawal, _request(withdrawal))
    assert fake.sleeps == []  # 40 calls at once: two budgets of 20
    gate.before_send(withdrawal, _request(withdrawal))
    assert fake.now == pytest.approx(1_000 + OKX_WINDOW_S)


def test_the_control_two_endpoints_naming_one_budget_share_it(fake: FakeTime, registry: RateLimitRegistry) -> None:
    merged = _sibling(OKX_MAX_LOAN, "get_max_withdrawal", "/api/v5/account/max-withdrawal", budget="get_max_loan")
    gate = _gate(fake, registry)
    for _ in range(10):
        gate.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
        gate.before_send(merged, _request(merged))
    assert fake.sleeps == []
    gate.before_send(merged, _request(merged))  # the 21st call on one budget of 20
    assert fake.now == pytest.approx(1_000 + OKX_WINDOW_S)


def test_endpoints_naming_one_pool_share_it(fake: FakeTime, registry: RateLimitRegistry) -> None:
    assert _limit(BINANCE_TIME).budget == "api-ip-weight" and _limit(BINANCE_TIME).limit == 6000
    heavy = _sibling(BINANCE_TIME, "get_exchange_info", "/api/v3/exchangeInfo", budget="api-ip-weight", weight=3000)
    gate = _gate(fake, registry, "binance")
    host = "api.binance.com"
    assert gate.budget_key(heavy, _request(heavy, host)) == gate.budget_key(BINANCE_TIME, _request(BINANCE_TIME, host))
    gate.before_send(heavy, _request(heavy, host))
    gate.before_send(heavy, _request(heavy, host))
    assert fake.sleeps == []
    gate.before_send(BINANCE_TIME, _request(BINANCE_TIME, host))  # the pool's 6,000 are spent
    assert fake.now == pytest.approx(1_000 + BINANCE_WINDOW_S)
    start = fake.now
    gate.before_send(BINANCE_MAX_BORROW, _request(BINANCE_MAX_BORROW, host))  # /sapi/: its own budget
    assert fake.now == start


def test_an_account_label_lets_several_keys_share_an_account_budget(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    first, second = _gate(fake, registry, key="k1"), _gate(fake, registry, key="k2")
    for _ in range(20):  # unlabelled: an account is known only by its key
        first.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
        second.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.sleeps == []
    fake.now += 10.0
    first, second = (_gate(fake, registry, key=key, account="desk-1") for key in ("k1", "k2"))
    for _ in range(10):
        first.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
        second.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))
    assert fake.sleeps == []
    start = fake.now
    second.before_send(OKX_MAX_LOAN, _request(OKX_MAX_LOAN))  # the account's 20, whichever key spent them
    assert fake.now == pytest.approx(start + OKX_WINDOW_S)


# --- the exchange's own count --------------------------------------------------------------------------------------


def test_a_used_weight_header_holds_that_budget_for_a_window_and_no_other(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    assert _limit(BINANCE_MAX_BORROW).used_weight_header == UID_HEADER
    gate, host = _gate(fake, registry, "binance"), "api.binance.com"
    request = _request(BINANCE_MAX_BORROW, host)
    gate.before_send(BINANCE_MAX_BORROW, request)
    _answer(request, {UID_HEADER: "180000"})  # another program on the account spent the rest
    _write(gate, BINANCE_TIME, host)  # another budget: not held
    assert fake.sleeps == []
    _write(gate, BINANCE_MAX_BORROW, host)
    assert fake.now == pytest.approx(1_000 + BINANCE_WINDOW_S)


@pytest.mark.parametrize(
    ("reported", "held_s"),
    [
        ("750", 0.0),  # no more than the client counted itself
        ("12abc", 0.0),  # not a number: ignored
        ("-180000", 0.0),
        ("9" * 13, 0.0),  # absurdly long: ignored
        ("999999999", BINANCE_WINDOW_S),  # above the limit: counts as the limit, for one window
    ],
)
def test_a_used_weight_header_never_lowers_the_count_and_a_hostile_one_holds_one_window_at_most(
    fake: FakeTime, registry: RateLimitRegistry, reported: str, held_s: float
) -> None:
    gate, host = _gate(fake, registry, "binance"), "api.binance.com"
    request = _request(BINANCE_MAX_BORROW, host)
    gate.before_send(BINANCE_MAX_BORROW, request)
    _answer(request, {UID_HEADER: reported})
    _write(gate, BINANCE_MAX_BORROW, host)
    assert fake.now == pytest.approx(1_000 + held_s)
    _write(gate, BINANCE_MAX_BORROW, host)
    assert fake.now == pytest.approx(1_000 + held_s)


def test_a_header_of_another_budget_is_not_read(fake: FakeTime, registry: RateLimitRegistry) -> None:
    gate, host = _gate(fake, registry, "binance"), "api.binance.com"
    request = _request(BINANCE_MAX_BORROW, host)
    gate.before_send(BINANCE_MAX_BORROW, request)
    _answer(request, {"X-SAPI-USED-IP-WEIGHT-1M": "12000", "X-MBX-USED-WEIGHT-1M": "6000"})
    _write(gate, BINANCE_MAX_BORROW, host)
    assert fake.sleeps == []


# --- over HTTP, against a sandbox enforcing the limits on the same fake time ---------------------------------------


def _binance_client(sbx: Sandbox, fake: FakeTime, registry: RateLimitRegistry) -> Any:
    gate = _gate(fake, registry, "binance", BINANCE_CREDENTIALS.hmac_api_key)
    return binance.make_client(
        api_key=BINANCE_CREDENTIALS.hmac_api_key,
        api_secret=BINANCE_CREDENTIALS.hmac_api_secret,
        base_url=sbx.base_url("binance"),
        rate_limit=False,
        gates=(gate,),
        clock=fake.unix_ms,
        retry=RetryPolicy(max_retries=0),  # a 429 reaches the test
    )


def _spent_by_another_program(sbx: Sandbox) -> None:
    # Another program on the same account leaves room for exactly one more call of weight 750.
    assert sbx.use_weight("binance", "query_max_borrow", 180_000 - 750) == 179_250


def _check_held_for_the_window(sbx: Sandbox, fake: FakeTime) -> None:
    assert sum(fake.sleeps) == pytest.approx(BINANCE_WINDOW_S, abs=0.2)
    assert sbx.rate_limited("binance") == 0
    first, _, second = [record for record in sbx.requests("binance")]
    assert first.operation_id == second.operation_id == "query_max_borrow"
    assert second.received_ms - first.received_ms >= 60_000


def test_after_an_answer_saying_the_budget_is_spent_the_next_call_waits_for_the_window(
    fake: FakeTime, registry: RateLimitRegistry
) -> None:
    with Sandbox(enforce_rate_limits=True, clock=fake.unix_ms) as sbx:
        _spent_by_another_program(sbx)
        with _binance_client(sbx, fake, registry) as client:
            answer = query_max_borrow.sync_detailed(client=client, asset="BTC")
            assert answer.headers[UID_HEADER] == "180000"
            binance_time.sync(client=client)  # the /api/ pool: not held back
            assert fake.sleeps == []
            query_max_borrow.sync(client=client, asset="BTC")  # without the header: a 429 from the sandbox
        _check_held_for_the_window(sbx, fake)


def test_the_async_client_waits_for_the_window_too(fake: FakeTime, registry: RateLimitRegistry) -> None:
    async def run(client: Any) -> None:
        async with client:
            await query_max_borrow.asyncio(client=client, asset="BTC")
            await binance_time.asyncio(client=client)
            assert fake.sleeps == []
            await query_max_borrow.asyncio(client=client, asset="BTC")

    with Sandbox(enforce_rate_limits=True, clock=fake.unix_ms) as sbx:
        _spent_by_another_program(sbx)
        asyncio.run(run(_binance_client(sbx, fake, registry)))
        _check_held_for_the_window(sbx, fake)


def test_the_fixture_spends_weight_as_another_program_and_reports_it(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.enforce_rate_limits = True
    assert exchange_sandbox.use_weight("binance", "query_max_borrow", 1500) == 1500
    with exchange_sandbox.client("binance", rate_limit=False) as client:
        answer = query_max_borrow.sync_detailed(client=client, asset="BTC")
    assert answer.headers[UID_HEADER] == "2250"


# --- in a copy of the repository: a second OKX endpoint with get_max_loan's limit ---------------------------------

ALTERNATE: Final = """
import json
import time
from auth_plugins import RetryPolicy, okx
from auth_plugins._ratelimit import RateLimitGate
from auth_plugins.sandbox import OKX_CREDENTIALS, Sandbox
from auth_plugins.sandbox._credentials import factory_arguments
from auth_plugins._generated import routes
from okx_client.api.account import get_max_loan, get_max_withdrawal

ROUTES = routes("okx_client")

waits = []  # every wait the gate takes


def wait(seconds):
    waits.append(seconds)
    time.sleep(seconds)


with Sandbox(enforce_rate_limits=True) as sbx:
    gate = RateLimitGate("okx", OKX_CREDENTIALS.api_key, sleep=wait)
    options = dict(base_url=sbx.base_url("okx"), rate_limit=False, gates=(gate,), retry=RetryPolicy(max_retries=0))
    with okx.make_client(**factory_arguments("okx"), **options) as client:
        for _ in range(20):
            get_max_loan.sync(client=client, mgn_mode="cross", inst_id="BTC-USDT")
            get_max_withdrawal.sync(client=client, ccy="BTC")
    paths = ("/api/v5/account/max-loan", "/api/v5/account/max-withdrawal")
    limits = [ROUTES[("GET", path)].rate_limit for path in paths]
    print(json.dumps({
        "waits": waits,
        "rate_limited": sbx.rate_limited("okx"),
        "answered": [record.status for record in sbx.requests("okx")],
        "numbers": [list(limit[:4]) for limit in limits],
        "budgets": [limit.budget for limit in limits],
    }))
"""


@pytest.mark.pipeline
@pytest.mark.skipif(not (REPO / STAMP).exists(), reason="needs the venv `make venv` builds")
def test_an_added_endpoint_with_get_max_loans_limit_gets_a_budget_of_its_own(tmp_path: Path) -> None:
    copy = _copy_of_the_repository(tmp_path)
    (copy / TARGET).write_text(block(SECTION, FIRST).text, encoding="utf-8")
    generated = _run(copy, f"{shlex.quote(sys.executable)} -m scripts.codegen")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    (copy / "alternate.py").write_text(ALTERNATE, encoding="utf-8")
    ran = _run(copy, f"{shlex.quote(sys.executable)} alternate.py")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    found = json.loads(ran.stdout)
    assert found["numbers"] == [[20, 2000, "account", 1]] * 2  # the same documented limit...
    assert found["budgets"] == ["get_max_loan", "get_max_withdrawal"]  # ...and two budgets
    assert found["waits"] == []  # 40 calls alternating, none held back: the throughput of two budgets
    assert found["rate_limited"] == 0 and found["answered"] == [200] * 40


@pytest.mark.pipeline
@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("keyed-on: account", "keyed-on: user", "x-rate-limit has unknown keyed-on 'user'"),
        ("{limit: 20, window-ms: 2000, keyed-on: account, weight: 1}", "{pool: api-weight, weight: 1}", "unknown pool"),
    ],
)
@pytest.mark.skipif(not (REPO / STAMP).exists(), reason="needs the venv `make venv` builds")
def test_an_unknown_pool_or_key_kind_stops_make_generate_naming_the_file(
    tmp_path: Path, old: str, new: str, reason: str
) -> None:
    text = block(SECTION, FIRST).text
    assert old in text
    copy = _copy_of_the_repository(tmp_path)
    (copy / TARGET).write_text(text.replace(old, new), encoding="utf-8")
    result = _run(copy, _make("generate"))
    assert result.returncode != 0
    assert f"{TARGET}: GET /api/v5/account/max-withdrawal: " in result.stderr, result.stderr
    assert reason in result.stderr
    assert not (copy / "generated/okx_client/api/account/get_max_withdrawal.py").exists()
