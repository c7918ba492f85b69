"""ExchangeClientsInstrumentor over real HTTP: what one call exports, in the OpenTelemetry SDK's memory.

Each test drives factory-made clients against the sandbox exchange (successes, a 503, a 429 with Retry-After, a
timeout, a limiter wait, a timestamp re-sync, a refused request) and reads the finished spans and collected metric
points. Names are compared with the semantic-conventions package (tests/telemetry/test_names.py checks ours).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv._incubating.attributes.url_attributes import URL_TEMPLATE
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_RESEND_COUNT,
    HTTP_RESPONSE_STATUS_CODE,
)
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.semconv.attributes.url_attributes import URL_SCHEME
from opentelemetry.semconv.metrics.http_metrics import HTTP_CLIENT_REQUEST_DURATION
from opentelemetry.trace import SpanKind, StatusCode

from auth_plugins import InvalidParameterError, RateLimitError, RequestTimeoutError, _observer
from auth_plugins._ratelimit import RateLimitGate, RateLimitRegistry
from auth_plugins.sandbox import OKX_CREDENTIALS, Sandbox
from auth_plugins.telemetry import ExchangeClientsInstrumentor
from tests._exchanges import EXCHANGES, FAST, MODES, NAMES, NO_RETRY, call, sample
from tests.telemetry.conftest import Exported

OKX: Final = EXCHANGES["okx"]
MAX_LOAN: Final = "get_max_loan"
SKEW_MS: Final = 120_000
TOLERANCE_MS: Final = 250
# Our own attributes; the conventions' names are the semantic-conventions package's constants.
EXCHANGE, OPERATION_ID, ATTEMPTS = (
    "exchange_clients.exchange",
    "exchange_clients.operation_id",
    "exchange_clients.attempts",
)
WAIT, RESYNCED, OFFSET = (
    "exchange_clients.rate_limit.wait",
    "exchange_clients.clock.resynced",
    "exchange_clients.clock.offset_ms",
)
ATTEMPT_EVENT, ATTEMPT, DELAY = (
    "exchange_clients.attempt",
    "exchange_clients.attempt.number",
    "exchange_clients.retry.delay",
)


def _errors(name: str) -> str:
    return f"auth_plugins.errors.{name}"


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _attempts(span: ReadableSpan) -> list[dict[str, Any]]:
    events = [dict(event.attributes or {}) for event in span.events if event.name == ATTEMPT_EVENT]
    assert [event[ATTEMPT] for event in events] == list(range(1, len(events) + 1))
    return events


def _port(sbx: Sandbox, exchange: str) -> int:
    return int(sbx.base_url(exchange).rsplit(":", 1)[1])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
def test_a_successful_call_is_one_client_span_named_for_its_operation(
    sbx: Sandbox, otel: Exported, mode: str, exchange: str
) -> None:
    facts = EXCHANGES[exchange]
    assert facts.invoke(sbx, mode).status_code == 200
    span = otel.span()
    operation = facts.operation()
    assert span.name == f"{operation.method} {facts.path}"
    assert span.kind is SpanKind.CLIENT
    assert span.parent is None
    assert span.status.status_code is StatusCode.UNSET
    assert _attrs(span) == {
        HTTP_REQUEST_METHOD: operation.method,
        SERVER_ADDRESS: "127.0.0.1",
        SERVER_PORT: _port(sbx, exchange),
        URL_SCHEME: "http",
        URL_TEMPLATE: facts.path,
        HTTP_RESPONSE_STATUS_CODE: 200,
        EXCHANGE: exchange,
        OPERATION_ID: operation.operation_id,
        ATTEMPTS: 1,
        WAIT: 0.0,
    }
    (attempt,) = _attempts(span)
    assert attempt[HTTP_RESPONSE_STATUS_CODE] == 200 and ERROR_TYPE not in attempt
    (duration,) = otel.points(HTTP_CLIENT_REQUEST_DURATION)
    assert duration.count == 1 and 0 < duration.sum < 5
    assert dict(duration.attributes)[HTTP_RESPONSE_STATUS_CODE] == 200
    assert dict(duration.attributes)[URL_TEMPLATE] == facts.path
    (whole,) = otel.points("exchange_clients.call.duration")
    assert whole.count == 1 and whole.sum >= duration.sum
    assert otel.points("exchange_clients.retries") == []
    assert otel.points("exchange_clients.rate_limit.wait.duration") == []


@pytest.mark.parametrize("mode", MODES)
def test_a_503_then_a_success_shows_two_attempts(sbx: Sandbox, otel: Exported, mode: str) -> None:
    sbx.fail("okx", MAX_LOAN, 503)
    assert OKX.invoke(sbx, mode, **FAST).status_code == 200
    span = otel.span()
    attributes = _attrs(span)
    assert attributes[ATTEMPTS] == 2 and attributes[HTTP_REQUEST_RESEND_COUNT] == 1
    assert attributes[HTTP_RESPONSE_STATUS_CODE] == 200 and ERROR_TYPE not in attributes
    assert span.status.status_code is StatusCode.UNSET
    first, second = _attempts(span)
    assert first[HTTP_RESPONSE_STATUS_CODE] == 503
    assert first[ERROR_TYPE] == _errors("ServiceUnavailableError")
    assert 0 <= first[DELAY] <= FAST["retry"].backoff_cap_s
    assert second[HTTP_RESPONSE_STATUS_CODE] == 200 and ERROR_TYPE not in second and DELAY not in second
    statuses = sorted(dict(p.attributes)[HTTP_RESPONSE_STATUS_CODE] for p in otel.points(HTTP_CLIENT_REQUEST_DURATION))
    assert statuses == [200, 503]
    (retry,) = otel.points("exchange_clients.retries")
    assert retry.value == 1 and dict(retry.attributes)[ERROR_TYPE] == _errors("ServiceUnavailableError")


@pytest.mark.parametrize("mode", MODES)
def test_a_429_with_retry_after_is_waited_out_and_counted(sbx: Sandbox, otel: Exported, mode: str) -> None:
    sbx.fail("okx", MAX_LOAN, 429, retry_after=0.05)
    assert OKX.invoke(sbx, mode, **FAST).status_code == 200
    span = otel.span()
    first, second = _attempts(span)
    assert first[HTTP_RESPONSE_STATUS_CODE] == 429 and first[ERROR_TYPE] == _errors("RateLimitError")
    assert first[DELAY] == 0.05
    assert second[HTTP_RESPONSE_STATUS_CODE] == 200
    (refused,) = otel.points("exchange_clients.rate_limited")
    assert refused.value == 1
    assert dict(refused.attributes)[HTTP_RESPONSE_STATUS_CODE] == 429
    assert dict(refused.attributes)[OPERATION_ID] == "get_max_loan"


def test_a_429_asking_for_too_long_a_wait_fails_the_span(sbx: Sandbox, otel: Exported) -> None:
    sbx.fail("okx", MAX_LOAN, 429, retry_after=60)
    with pytest.raises(RateLimitError):
        OKX.invoke(sbx, "sync", **FAST)
    span = otel.span()
    attributes = _attrs(span)
    assert attributes[ERROR_TYPE] == _errors("RateLimitError") and attributes[HTTP_RESPONSE_STATUS_CODE] == 429
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "RateLimitError HTTP 429"
    (whole,) = otel.points("exchange_clients.call.duration")
    assert dict(whole.attributes)[ERROR_TYPE] == _errors("RateLimitError")


@pytest.mark.parametrize("mode", MODES)
def test_a_timeout_is_an_error_type_with_no_status(sbx: Sandbox, otel: Exported, mode: str) -> None:
    sbx.slow("okx", 1.0, MAX_LOAN)
    with pytest.raises(RequestTimeoutError):
        OKX.invoke(sbx, mode, timeout=0.2, **NO_RETRY)
    span = otel.span()
    attributes = _attrs(span)
    assert attributes[ERROR_TYPE] == _errors("RequestTimeoutError")
    assert HTTP_RESPONSE_STATUS_CODE not in attributes and attributes[ATTEMPTS] == 1
    assert span.status.status_code is StatusCode.ERROR and span.status.description == "RequestTimeoutError"
    (attempt,) = _attempts(span)
    assert attempt[ERROR_TYPE] == _errors("RequestTimeoutError") and HTTP_RESPONSE_STATUS_CODE not in attempt
    (duration,) = otel.points(HTTP_CLIENT_REQUEST_DURATION)
    assert dict(duration.attributes)[ERROR_TYPE] == _errors("RequestTimeoutError")
    assert 0.15 < duration.sum < 1.0


def _scaled_gate(scale: float) -> RateLimitGate:
    """The real limiter on the okx user budget, with time running ``scale`` times faster (a 2 s window lasts 2/scale
    s) and a registry of its own."""
    registry = RateLimitRegistry(clock=lambda: time.monotonic() * scale)

    async def asleep(seconds: float) -> None:
        await asyncio.sleep(seconds / scale)

    return RateLimitGate(
        "okx", OKX_CREDENTIALS.api_key, registry=registry, sleep=lambda s: time.sleep(s / scale), asleep=asleep
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_rate_limited_wait_is_measured(sbx: Sandbox, otel: Exported, mode: str) -> None:
    # max_loan_amount: 5 per 2 s. Time runs 4 times faster for the limiter: the sixth call waits until half a second
    # after the first one's answer, less the time the five calls took (milliseconds, or tenths on a busy machine).
    operation = "max_loan_amount"
    client = OKX.client(sbx, gates=[_scaled_gate(4.0)])
    module, arguments = OKX.module(operation), sample("okx", operation)
    if mode == "sync":
        with client:
            for _ in range(6):
                call(client, module, mode, arguments, enter=False)
    else:

        async def run() -> None:
            async with client:
                for _ in range(6):
                    await call_async(client, module, arguments)

        asyncio.run(run())
    spans = otel.spans()
    waits = [_attrs(span)[WAIT] for span in spans]
    # The first five pass at once (0.0, or a few milliseconds when the machine is busy); the sixth waits.
    assert all(wait < 0.1 for wait in waits[:5]) and 0.1 < waits[5] < 1.0, waits
    assert [span.name for span in spans] == ["POST /api/v5/finance/flexible-loan/max-loan"] * 6
    (attempt,) = _attempts(spans[5])
    assert attempt[WAIT] == waits[5]
    (held,) = otel.points("exchange_clients.rate_limit.wait.duration")
    assert held.count == sum(1 for wait in waits if wait > 0) and held.sum == pytest.approx(sum(waits))
    assert dict(held.attributes)[OPERATION_ID] == "max_loan_amount"


class _HoldAtTheWire:
    """A gate that, like the rate limiter, holds the request just before its first byte is written (in httpcore's
    ``trace`` hook), for ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def before_send(self, operation: Any, request: Any) -> None:
        def trace(name: str, info: dict[str, Any]) -> None:
            if name.endswith("send_request_headers.started"):
                time.sleep(self.seconds)

        request.extensions["trace"] = trace

    async def abefore_send(self, operation: Any, request: Any) -> None:
        async def trace(name: str, info: dict[str, Any]) -> None:
            if name.endswith("send_request_headers.started"):
                await asyncio.sleep(self.seconds)

        request.extensions["trace"] = trace


@pytest.mark.parametrize("mode", MODES)
def test_a_wait_just_before_the_request_is_written_counts_as_the_limiters(
    sbx: Sandbox, otel: Exported, mode: str
) -> None:
    assert OKX.invoke(sbx, mode, gates=[_HoldAtTheWire(0.1)]).status_code == 200
    span = otel.span()
    assert 0.1 <= _attrs(span)[WAIT] < 1.0
    (attempt,) = _attempts(span)
    assert attempt[WAIT] == _attrs(span)[WAIT]
    assert attempt["exchange_clients.attempt.duration"] < span_seconds(span) - 0.1


def span_seconds(span: ReadableSpan) -> float:
    assert span.end_time is not None and span.start_time is not None
    return (span.end_time - span.start_time) / 1e9


def call_async(client: Any, module: Any, arguments: dict[str, Any]) -> Awaitable[Any]:
    function: Callable[..., Awaitable[Any]] = module.asyncio_detailed
    return function(client=client, **arguments)


@pytest.mark.parametrize("mode", MODES)
def test_a_timestamp_error_shows_the_resync_and_its_server_time_call(sbx: Sandbox, otel: Exported, mode: str) -> None:
    sbx.skew_ms = SKEW_MS
    assert OKX.invoke(sbx, mode, **FAST).status_code == 200
    server_time, whole = otel.spans()
    assert server_time.name == f"GET {OKX.time_path}"
    assert server_time.parent is not None and whole.context is not None
    assert server_time.parent.span_id == whole.context.span_id
    assert server_time.context is not None and server_time.context.trace_id == whole.context.trace_id
    attributes = _attrs(whole)
    assert attributes[RESYNCED] is True and attributes[ATTEMPTS] == 2
    assert abs(attributes[OFFSET] - SKEW_MS) < TOLERANCE_MS
    first, second = _attempts(whole)
    assert first[ERROR_TYPE] == _errors("TimestampError") and first[RESYNCED] is True
    assert second[HTTP_RESPONSE_STATUS_CODE] == 200
    (resyncs,) = otel.points("exchange_clients.clock.resyncs")
    assert resyncs.value == 1 and dict(resyncs.attributes)[ERROR_TYPE] == _errors("TimestampError")
    assert otel.points("exchange_clients.retries") == []


def test_a_request_a_gate_refuses_is_a_failed_span_with_no_attempt(sbx: Sandbox, otel: Exported) -> None:
    module = OKX.module(MAX_LOAN)
    with OKX.client(sbx) as client, pytest.raises(InvalidParameterError):
        module.sync_detailed(client=client, mgn_mode="cross", inst_id="A-B,C-D,E-F,G-H,I-J,K-L")
    span = otel.span()
    attributes = _attrs(span)
    assert attributes[ERROR_TYPE] == _errors("InvalidParameterError") and attributes[ATTEMPTS] == 0
    assert _attempts(span) == [] and otel.points(HTTP_CLIENT_REQUEST_DURATION) == []
    assert sbx.requests("okx") == []


def test_uninstrument_leaves_no_span_behind(sbx: Sandbox, otel: Exported) -> None:
    instrumentor = ExchangeClientsInstrumentor()
    assert instrumentor.is_instrumented_by_opentelemetry and _observer.current is not None
    client = OKX.client(sbx)  # made while instrumented: uninstrument() reaches it too
    instrumentor.uninstrument()
    assert not instrumentor.is_instrumented_by_opentelemetry and _observer.current is None
    with client:
        call(client, OKX.module(), "sync", sample("okx", MAX_LOAN), enter=False)
    OKX.invoke(sbx, "async")
    assert otel.spans() == [] and otel.metrics() == {}
    assert len(sbx.requests("okx")) == 2


def test_instrument_reaches_clients_made_before_it_and_repeats_are_harmless(
    sbx: Sandbox, otel: Exported, caplog: pytest.LogCaptureFixture
) -> None:
    instrumentor = ExchangeClientsInstrumentor()
    assert instrumentor is ExchangeClientsInstrumentor()
    instrumentor.uninstrument()
    client = OKX.client(sbx)
    with caplog.at_level(logging.WARNING, logger="auth_plugins"):
        instrumentor.uninstrument()
        instrumentor.instrument()  # the global providers: a no-op tracer
        instrumentor.instrument()
    assert [r.getMessage() for r in caplog.records] == [
        "Attempting to uninstrument while already uninstrumented",
        "Attempting to instrument while already instrumented",
    ]
    with pytest.raises(TypeError, match="tracer"):
        instrumentor.instrument(tracer=None)
    with client:
        call(client, OKX.module(), "sync", sample("okx", MAX_LOAN), enter=False)
    assert otel.spans() == []  # the global (no-op) providers got it, not the test's


def test_import_auth_plugins_and_a_call_never_import_opentelemetry(sbx: Sandbox) -> None:
    script = (
        "import sys\n"
        "from auth_plugins import okx\n"
        "from okx_client.api.account import get_max_loan\n"
        f"client = okx.make_client(api_key={OKX_CREDENTIALS.api_key!r}, api_secret={OKX_CREDENTIALS.api_secret!r}, "
        f"passphrase={OKX_CREDENTIALS.passphrase!r}, base_url={sbx.base_url('okx')!r})\n"
        "with client:\n"
        "    get_max_loan.sync_detailed(client=client, inst_id='BTC-USDT', mgn_mode='cross')\n"
        "print(sorted(name for name in sys.modules if name.startswith('opentelemetry')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_the_extra_the_import_error_names_it() -> None:
    script = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None  # as if the otel extra were not installed\n"
        "try:\n"
        "    import auth_plugins.telemetry\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "auth_plugins.telemetry needs opentelemetry-api: pip install 'exchange-clients[otel]'"
    )
