"""Retries over real HTTP: what is retried, how often, how long it waits, and that every attempt the sandbox saw
was signed afresh (a valid signature over a new timestamp)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from typing import Any, Final

import httpcore
import httpx
import pytest

from auth_plugins import (
    AuthenticationError,
    BadRequestError,
    ConnectError,
    ExchangeError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    ServiceUnavailableError,
    TransportError,
)
from auth_plugins.sandbox import Sandbox
from tests._exchanges import EXCHANGES, FAST, MODES, NAMES, NO_RETRY, assert_fresh_and_valid, records_settled

QUICK: Final[dict[str, Any]] = {"backoff_base_s": 0.005, "backoff_cap_s": 0.02}

# The sandbox sleeps this long before each scripted answer, so consecutive attempts are milliseconds apart.
GAP_S: Final = 0.003

# (case, status, body, headers, the class of the error) for transient answers every exchange can give.
TRANSIENT: Final[list[tuple[str, int, Any, dict[str, str], type[ExchangeError]]]] = [
    ("500", 500, b"", {}, ServerError),
    ("502", 502, "<html>bad gateway</html>", {}, ServerError),
    ("503", 503, b"", {}, ServiceUnavailableError),
    ("504", 504, b"", {}, ServerError),
    ("429", 429, b"", {}, RateLimitError),
    ("429-retry-after-0", 429, b"", {"Retry-After": "0"}, RateLimitError),
    ("418-retry-after-0", 418, b"", {"Retry-After": "0"}, RateLimitError),
]
EXCHANGE_CODES: Final[dict[str, tuple[int, int | str, type[ExchangeError]]]] = {
    "backpack": (429, "TOO_MANY_REQUESTS", RateLimitError),
    "binance": (429, -1003, RateLimitError),
    "okx": (200, "50011", RateLimitError),
}


def _script(sbx: Sandbox, exchange: str, times: int, status: int, body: Any, headers: dict[str, str]) -> None:
    content_type = "text/html" if isinstance(body, str) else None
    sbx.script(
        exchange,
        times=times,
        status=status,
        body=body,
        headers=headers,
        content_type=content_type,
        delay_s=GAP_S,
        operation_id=EXCHANGES[exchange].signed[1],
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
@pytest.mark.parametrize(("case", "status", "body", "headers", "kind"), TRANSIENT, ids=[row[0] for row in TRANSIENT])
def test_a_transient_failure_is_retried_with_a_fresh_signature(
    sbx: Sandbox,
    mode: str,
    exchange: str,
    case: str,
    status: int,
    body: Any,
    headers: dict[str, str],
    kind: type[ExchangeError],
) -> None:
    _script(sbx, exchange, 2, status, body, headers)
    result = EXCHANGES[exchange].invoke(sbx, mode, **FAST)
    assert result.status_code == 200
    seen = EXCHANGES[exchange].attempts(sbx)
    assert [record.status for record in seen] == [status, status, 200]
    assert_fresh_and_valid(EXCHANGES[exchange], seen)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
def test_the_exchanges_rate_limit_code_is_retried(sbx: Sandbox, mode: str, exchange: str) -> None:
    status, code, _ = EXCHANGE_CODES[exchange]
    _script(sbx, exchange, 1, status, EXCHANGES[exchange].error_body(code, "Too many requests"), {})
    assert EXCHANGES[exchange].invoke(sbx, mode, **FAST).status_code == 200
    seen = EXCHANGES[exchange].attempts(sbx)
    assert [record.status for record in seen] == [status, 200]
    assert_fresh_and_valid(EXCHANGES[exchange], seen)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
def test_retries_stop_at_max_retries_and_raise_the_last_error(sbx: Sandbox, mode: str, exchange: str) -> None:
    _script(sbx, exchange, 5, 503, b"", {})
    with pytest.raises(ServiceUnavailableError):
        EXCHANGES[exchange].invoke(sbx, mode, **FAST)
    assert len(EXCHANGES[exchange].attempts(sbx)) == 3  # the default: two retries
    assert_fresh_and_valid(EXCHANGES[exchange], EXCHANGES[exchange].attempts(sbx))

    sbx.reset()
    _script(sbx, exchange, 5, 503, b"", {})
    with pytest.raises(ServiceUnavailableError):
        EXCHANGES[exchange].invoke(sbx, mode, retry=RetryPolicy(max_retries=1, **QUICK))
    assert len(EXCHANGES[exchange].attempts(sbx)) == 2
    assert_fresh_and_valid(EXCHANGES[exchange], EXCHANGES[exchange].attempts(sbx))

    sbx.reset()
    _script(sbx, exchange, 5, 503, b"", {})
    with pytest.raises(ServiceUnavailableError):
        EXCHANGES[exchange].invoke(sbx, mode, **NO_RETRY)
    assert len(EXCHANGES[exchange].attempts(sbx)) == 1


NOT_RETRIED: Final[list[tuple[str, int, type[ExchangeError]]]] = [
    ("400", 400, BadRequestError),
    ("401", 401, AuthenticationError),
    ("403", 403, AuthenticationError),
    ("404", 404, BadRequestError),
    ("501", 501, ServerError),
    ("520", 520, ServerError),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
@pytest.mark.parametrize(("case", "status", "kind"), NOT_RETRIED, ids=[row[0] for row in NOT_RETRIED])
def test_client_errors_and_odd_server_errors_are_not_retried(
    sbx: Sandbox, mode: str, exchange: str, case: str, status: int, kind: type[ExchangeError]
) -> None:
    _script(sbx, exchange, 3, status, EXCHANGES[exchange].error_body(None, "no"), {})
    with pytest.raises(kind):
        EXCHANGES[exchange].invoke(sbx, mode, **FAST)
    assert len(EXCHANGES[exchange].attempts(sbx)) == 1


@pytest.mark.parametrize(("mode", "retry_after"), [("sync", "1"), ("async", "0.3")])
def test_retry_after_is_waited_for(sbx: Sandbox, mode: str, retry_after: str) -> None:
    body = EXCHANGES["binance"].error_body(-1003, "Too much request weight used")
    _script(sbx, "binance", 1, 429, body, {"Retry-After": retry_after})
    assert EXCHANGES["binance"].invoke(sbx, mode, **FAST).status_code == 200
    first, second = EXCHANGES["binance"].attempts(sbx)
    assert second.received_ms - first.received_ms >= float(retry_after) * 1000 - 50
    assert_fresh_and_valid(EXCHANGES["binance"], [first, second])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [429, 418])
def test_a_retry_after_beyond_the_cap_is_raised_at_once(sbx: Sandbox, mode: str, status: int) -> None:
    _script(sbx, "binance", 3, status, EXCHANGES["binance"].error_body(-1003, "banned"), {"Retry-After": "120"})
    with pytest.raises(RateLimitError) as info:
        EXCHANGES["binance"].invoke(sbx, mode, **FAST)
    assert info.value.retry_after == 120.0
    assert len(EXCHANGES["binance"].attempts(sbx)) == 1

    sbx.reset()
    _script(sbx, "binance", 1, status, EXCHANGES["binance"].error_body(-1003, "banned"), {"Retry-After": "1"})
    with pytest.raises(RateLimitError) as info:
        EXCHANGES["binance"].invoke(sbx, mode, retry=RetryPolicy(retry_after_cap_s=0.5, **QUICK))
    assert info.value.retry_after == 1.0
    assert len(EXCHANGES["binance"].attempts(sbx)) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
def test_a_slow_answer_times_out_and_is_retried(sbx: Sandbox, mode: str, exchange: str) -> None:
    sbx.script(exchange, times=1, delay_s=0.35, operation_id=EXCHANGES[exchange].signed[1])
    assert EXCHANGES[exchange].invoke(sbx, mode, timeout=0.15, **FAST).status_code == 200
    seen = records_settled(sbx, exchange, 2)
    assert len(seen) == 2
    # The late answer to the first attempt is recorded last; sort by the sandbox's clock at receipt.
    assert_fresh_and_valid(EXCHANGES[exchange], sorted(seen, key=lambda record: record.received_ms))


@pytest.mark.parametrize("mode", MODES)
def test_timeouts_on_every_attempt_raise_a_timeout_error_caused_by_the_transport(sbx: Sandbox, mode: str) -> None:
    sbx.script("okx", times=3, delay_s=0.3, operation_id="get_max_loan")
    with pytest.raises(RequestTimeoutError) as info:
        EXCHANGES["okx"].invoke(sbx, mode, timeout=0.15, **FAST)
    assert isinstance(info.value, TransportError)
    assert isinstance(info.value.__cause__, httpcore.TimeoutException)
    assert info.value.operation == "GET /api/v5/account/max-loan"
    seen = records_settled(sbx, "okx", 3)
    assert len(seen) == 3
    assert_fresh_and_valid(EXCHANGES["okx"], sorted(seen, key=lambda record: record.received_ms))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
def test_a_dropped_connection_is_retried(sbx: Sandbox, mode: str, exchange: str) -> None:
    sbx.script(exchange, times=1, drop=True, delay_s=GAP_S, operation_id=EXCHANGES[exchange].signed[1])
    assert EXCHANGES[exchange].invoke(sbx, mode, **FAST).status_code == 200
    seen = EXCHANGES[exchange].attempts(sbx)
    assert [record.verdict for record in seen] == ["dropped", "ok"]
    assert_fresh_and_valid(EXCHANGES[exchange], seen)


@pytest.mark.parametrize("mode", MODES)
def test_dropped_every_time_raises_a_transport_error_caused_by_the_transport(sbx: Sandbox, mode: str) -> None:
    sbx.script("backpack", times=3, drop=True, delay_s=GAP_S, operation_id="get_max_borrow_quantity")
    with pytest.raises(TransportError) as info:
        EXCHANGES["backpack"].invoke(sbx, mode, **FAST)
    assert isinstance(info.value.__cause__, httpcore.ProtocolError | httpcore.NetworkError)
    assert len(EXCHANGES["backpack"].attempts(sbx)) == 3
    assert_fresh_and_valid(EXCHANGES["backpack"], EXCHANGES["backpack"].attempts(sbx))


class CountingGate:
    """A gate that records every attempt it is shown: the operation and the request's headers at that moment."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.requests: list[httpx.Request] = []

    def before_send(self, operation: Any, request: httpx.Request) -> None:
        self.seen.append((operation.operation_id, dict(request.headers)))
        self.requests.append(request)

    async def abefore_send(self, operation: Any, request: httpx.Request) -> None:
        self.before_send(operation, request)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("mode", MODES)
def test_a_refused_connection_is_a_connect_error_after_the_retries(mode: str) -> None:
    from auth_plugins import binance
    from auth_plugins.sandbox import BINANCE_CREDENTIALS

    gate = CountingGate()
    client = binance.make_client(
        api_key=BINANCE_CREDENTIALS.hmac_api_key,
        api_secret=BINANCE_CREDENTIALS.hmac_api_secret,
        base_url=f"http://127.0.0.1:{_closed_port()}",
        gates=[gate],
        **FAST,
    )
    endpoint = EXCHANGES["binance"].module()
    with pytest.raises(ConnectError) as info:
        if mode == "sync":
            with client:
                endpoint.sync_detailed(client=client, asset="BTC")
        else:

            async def run() -> None:
                async with client:
                    await endpoint.asyncio_detailed(client=client, asset="BTC")

            asyncio.run(run())
    assert isinstance(info.value.__cause__, httpcore.ConnectError)
    assert [operation_id for operation_id, _ in gate.seen] == ["query_max_borrow"] * 3


@pytest.mark.parametrize("mode", MODES)
def test_gates_see_each_attempt_unsigned_and_can_stop_it(sbx: Sandbox, mode: str) -> None:
    gate = CountingGate()
    _script(sbx, "okx", 1, 503, b"", {})
    assert EXCHANGES["okx"].invoke(sbx, mode, gates=[gate], **FAST).status_code == 200
    assert [operation_id for operation_id, _ in gate.seen] == ["get_max_loan", "get_max_loan"]
    for _, headers in gate.seen:
        assert "ok-access-sign" not in headers  # the gate runs before signing
    assert gate.requests[0] is not gate.requests[1]  # on a fresh copy each time

    class Refuse(CountingGate):
        def before_send(self, operation: Any, request: httpx.Request) -> None:
            raise PermissionError("no")

        async def abefore_send(self, operation: Any, request: httpx.Request) -> None:
            raise PermissionError("no")

    sbx.reset()
    with pytest.raises(PermissionError):
        EXCHANGES["okx"].invoke(sbx, mode, gates=[Refuse()])
    assert sbx.requests("okx") == []


def _writing(client: Any) -> Any:
    """``client``, with its sync side's operations all marked as not read-only."""
    http = client.get_httpx_client()
    routes = {route: operation._replace(read_only=False) for route, operation in http.pipeline.profile.routes.items()}
    http.pipeline = dataclasses.replace(
        http.pipeline, profile=dataclasses.replace(http.pipeline.profile, routes=routes)
    )
    return client


def test_an_operation_that_writes_is_never_retried(sbx: Sandbox) -> None:
    endpoint = EXCHANGES["okx"].module()
    _script(sbx, "okx", 3, 503, b"", {})
    with _writing(EXCHANGES["okx"].client(sbx, **FAST)) as client:
        with pytest.raises(ServiceUnavailableError):
            endpoint.sync_detailed(client=client, mgn_mode="cross")
    assert len(EXCHANGES["okx"].attempts(sbx)) == 1

    # A timestamp error was refused before execution, so even a writing operation re-syncs and retries once.
    sbx.reset()
    sbx.skew_ms = 120_000
    with _writing(EXCHANGES["okx"].client(sbx, **FAST)) as client:
        assert endpoint.sync_detailed(client=client, mgn_mode="cross").status_code == 200
    assert [record.auth for record in EXCHANGES["okx"].attempts(sbx)] == ["50102", "ok"]


def test_with_headers_copies_keep_the_pipeline(sbx: Sandbox) -> None:
    endpoint = EXCHANGES["okx"].module()
    _script(sbx, "okx", 1, 503, b"", {})
    with EXCHANGES["okx"].client(sbx, **FAST).with_headers({"X-Trace": "1"}) as client:
        assert endpoint.sync_detailed(client=client, mgn_mode="cross").status_code == 200
    seen = EXCHANGES["okx"].attempts(sbx)
    assert len(seen) == 2 and seen[1].headers["x-trace"] == "1"
