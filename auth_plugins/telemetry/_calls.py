"""What one instrumented call exports: its span, an event per attempt, and the metric points.

:class:`Telemetry` holds the tracer and the instruments; its :meth:`~Telemetry.observe` is the observer
:mod:`auth_plugins._observer` runs each call's attempt loop through. The loop is sans-I/O, so everything is read off
its steps and their outcomes: a ``Send`` step's duration is the request's, a ``Sleep`` is a retry, a ``Resync`` a
clock re-sync. The rate limiter's wait is the time spent in the gates other than validation (the limiter's, and
any the user added), which the observer wraps for the call, plus the time the limiter's httpcore ``trace`` hook
holds the request just before it is written.

What is exported is names, numbers and the server's address, never a value of the request: no query string, body,
header, key, signature or passphrase, no exception message (a server may echo what it was sent), no Redis URL.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Generator
from typing import Any, Final

import httpx
from opentelemetry import context, trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from auth_plugins._attempts import Exchange, Failed, Pipeline, Resync, Send, Sleep, Step
from auth_plugins._gates import RequestGate
from auth_plugins._observer import Loop
from auth_plugins._operation import OperationInfo
from auth_plugins._validation import RequestValidator
from auth_plugins.errors import APIError, RateLimitError

from . import _names as n

__all__ = ["Telemetry"]

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}
_SENDING: Final = "send_request_headers.started"  # httpcore's trace event just before the first byte is written
_WAIT_FLOOR_S: Final = 0.001  # shorter than this, a gate's time is its own work (validation), not a wait

Attributes = dict[str, Any]


class Telemetry:
    """The tracer and instruments one :meth:`ExchangeClientsInstrumentor.instrument` call set up."""

    def __init__(self, tracer: Tracer, meter: Meter) -> None:
        self.tracer = tracer
        self.request_duration = meter.create_histogram(
            n.HTTP_CLIENT_REQUEST_DURATION,
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=n.DURATION_BUCKETS,
        )
        self.call_duration = meter.create_histogram(
            n.CALL_DURATION,
            unit="s",
            description="Duration of calls through a factory-made client, retries, waits and re-syncs included.",
            explicit_bucket_boundaries_advisory=n.DURATION_BUCKETS,
        )
        self.retries = meter.create_counter(n.RETRIES, unit="{retry}", description="Requests sent again.")
        self.waits = meter.create_histogram(
            n.RATE_LIMIT_WAIT_DURATION,
            unit="s",
            description="Time the client-side rate limiter held a request back.",
            explicit_bucket_boundaries_advisory=n.WAIT_BUCKETS,
        )
        self.rate_limited = meter.create_counter(
            n.RATE_LIMITED, unit="{response}", description="Answers refusing a request for its rate."
        )
        self.resyncs = meter.create_counter(
            n.CLOCK_RESYNCS, unit="{resync}", description="Clock re-syncs caused by timestamp errors."
        )

    def observe(
        self, pipeline: Pipeline, operation: OperationInfo, request: httpx.Request, loop: Loop, asynchronous: bool
    ) -> tuple[Pipeline, Loop]:
        """The observer (:class:`auth_plugins._observer.Observer`): the pipeline with its waiting gates timed, and
        ``loop``, watched."""
        call = _Call(self, pipeline, operation, request)
        gates = tuple(gate if isinstance(gate, RequestValidator) else _TimedGate(gate, call) for gate in pipeline.gates)
        return dataclasses.replace(pipeline, gates=gates), _watch(call, loop, asynchronous)


def _watch(call: _Call, loop: Loop, asynchronous: bool) -> Generator[Step, Any, Exchange]:
    outcome: Any = None
    try:
        while True:
            try:
                step = loop.send(outcome)
            except StopIteration as done:
                call.succeeded()
                result: Exchange = done.value
                return result
            call.before(step, asynchronous)
            outcome = yield step
            call.after(step, outcome)
    except GeneratorExit as closing:
        # The driver stopped the call: a gate refused it, or the task was cancelled. What it is propagating is the
        # context of this GeneratorExit.
        loop.close()
        call.failed(closing.__context__)
        raise
    except BaseException as error:
        call.failed(error)
        raise
    finally:
        call.end()


def _error_type(error: BaseException | None) -> str:
    if error is None:
        return "_OTHER"
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"


class _Call:
    """One call's span and running totals, fed by :func:`_watch`."""

    __slots__ = (
        "_attempt",
        "_mark",
        "_token",
        "attempts",
        "base",
        "error",
        "gate_wait",
        "offset_ms",
        "resynced",
        "span",
        "started",
        "status",
        "telemetry",
        "wait_s",
    )

    def __init__(
        self, telemetry: Telemetry, pipeline: Pipeline, operation: OperationInfo, request: httpx.Request
    ) -> None:
        url = request.url
        self.telemetry = telemetry
        self.base: Attributes = {
            n.HTTP_REQUEST_METHOD: operation.method,
            n.SERVER_ADDRESS: url.host,
            n.SERVER_PORT: url.port or _DEFAULT_PORTS.get(url.scheme, 443),
            n.URL_SCHEME: url.scheme,
            n.URL_TEMPLATE: operation.path,
            n.EXCHANGE: pipeline.profile.key,
            n.OPERATION_ID: operation.operation_id,
        }
        self.span = telemetry.tracer.start_span(
            f"{operation.method} {operation.path}", kind=SpanKind.CLIENT, attributes=self.base
        )
        # Current for the call: a re-sync's server-time call becomes its child, log records carry its ids.
        self._token = context.attach(trace.set_span_in_context(self.span))
        self.started = time.perf_counter()
        self.attempts = 0
        self.wait_s = 0.0
        self.status: int | None = None
        self.error: BaseException | None = None
        self.resynced = False
        self.offset_ms: int | None = None
        self._mark = 0.0
        self.gate_wait = 0.0
        # The attempt on the wire or just back: [gate wait, wire wait, duration, status].
        self._attempt: list[Any] | None = None

    def before(self, step: Step, asynchronous: bool) -> None:
        """``step`` is about to be carried out."""
        if isinstance(step, Send):
            self.attempts += 1
            self._attempt = [self.gate_wait, 0.0, 0.0, None]
            self.gate_wait = 0.0
            trace_hook = step.request.extensions.get("trace")
            if trace_hook is not None:
                step.request.extensions["trace"] = _timed(trace_hook, self._attempt, asynchronous)
        elif isinstance(step, Sleep | Resync):
            self._attempt_ended(step.after, step)
        self._mark = time.perf_counter()

    def after(self, step: Step, outcome: Any) -> None:
        """``step`` was carried out with ``outcome``."""
        attempt = self._attempt
        if isinstance(step, Send) and attempt is not None:
            attempt[2] = max(time.perf_counter() - self._mark - attempt[1], 0.0)
            if type(outcome) is Exchange:
                attempt[3] = outcome.response.status_code
            elif type(outcome) is Failed and isinstance(outcome.error, APIError):
                attempt[3] = outcome.error.status
        elif isinstance(step, Resync) and type(outcome) is int:
            self.offset_ms = outcome
        self._mark = time.perf_counter()

    def succeeded(self) -> None:
        """The loop returned the checked success."""
        self._attempt_ended(None, None)

    def failed(self, error: BaseException | None) -> None:
        """The call ends with ``error`` (``None``: unknown, the driver was stopped)."""
        self.error = error
        if self._attempt is not None:
            self._attempt_ended(error, None)

    def _attempt_ended(self, error: BaseException | None, then: Step | None) -> None:
        attempt, self._attempt = self._attempt, None
        if attempt is None:
            return
        telemetry, span = self.telemetry, self.span
        gate_wait, wire_wait, duration, status = attempt
        wait = gate_wait + wire_wait
        if wait < _WAIT_FLOOR_S:
            wait = 0.0
        points = dict(self.base)
        self.status = status
        if status is not None:
            points[n.HTTP_RESPONSE_STATUS_CODE] = status
        if error is not None:
            points[n.ERROR_TYPE] = _error_type(error)
        telemetry.request_duration.record(duration, points)
        if wait > 0.0:
            self.wait_s += wait
            telemetry.waits.record(wait, self.base)
        if isinstance(error, RateLimitError):
            telemetry.rate_limited.add(1, points)
        if isinstance(then, Sleep):
            telemetry.retries.add(1, points)
        elif isinstance(then, Resync):
            self.resynced = True
            telemetry.resyncs.add(1, points)
        if span.is_recording():
            # The call's own attributes are on the span already: the event holds what is the attempt's.
            event: Attributes = {n.ATTEMPT: self.attempts, n.ATTEMPT_DURATION: duration, n.RATE_LIMIT_WAIT: wait}
            if status is not None:
                event[n.HTTP_RESPONSE_STATUS_CODE] = status
            if error is not None:
                event[n.ERROR_TYPE] = points[n.ERROR_TYPE]
            if isinstance(then, Sleep):
                event[n.RETRY_DELAY] = then.seconds
            elif isinstance(then, Resync):
                event[n.CLOCK_RESYNCED] = True
            span.add_event(n.ATTEMPT_EVENT, event)

    def end(self) -> None:
        """Close the span and record the call's duration; the context is the caller's again."""
        span, error = self.span, self.error
        points = dict(self.base)
        if self.status is not None:
            points[n.HTTP_RESPONSE_STATUS_CODE] = self.status
        if error is not None:
            points[n.ERROR_TYPE] = _error_type(error)
        self.telemetry.call_duration.record(time.perf_counter() - self.started, points)
        try:
            if span.is_recording():
                totals: Attributes = {n.ATTEMPTS: self.attempts, n.RATE_LIMIT_WAIT: self.wait_s}
                if self.attempts > 1:
                    totals[n.HTTP_REQUEST_RESEND_COUNT] = self.attempts - 1
                if self.status is not None:
                    totals[n.HTTP_RESPONSE_STATUS_CODE] = self.status
                if self.resynced:
                    totals[n.CLOCK_RESYNCED] = True
                    if self.offset_ms is not None:
                        totals[n.CLOCK_OFFSET_MS] = self.offset_ms
                if error is not None:
                    totals[n.ERROR_TYPE] = points[n.ERROR_TYPE]
                    # The class and status only: a message may quote what a hostile server echoed.
                    summary = type(error).__name__
                    if self.status is not None:
                        summary += f" HTTP {self.status}"
                    span.set_status(Status(StatusCode.ERROR, summary))
                span.set_attributes(totals)
            span.end()
        finally:
            context.detach(self._token)


class _TimedGate:
    """A gate that may hold requests back (the rate limiter's, or one of the user's), adding the time it takes to
    the call's gate wait."""

    __slots__ = ("call", "gate")

    def __init__(self, gate: RequestGate, call: _Call) -> None:
        self.gate, self.call = gate, call

    def before_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        began = time.perf_counter()
        try:
            self.gate.before_send(operation, request)
        finally:
            self.call.gate_wait += time.perf_counter() - began

    async def abefore_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        began = time.perf_counter()
        try:
            await self.gate.abefore_send(operation, request)
        finally:
            self.call.gate_wait += time.perf_counter() - began


def _timed(hook: Callable[..., Any], attempt: list[Any], asynchronous: bool) -> Callable[..., Any]:
    """``hook`` (httpcore's ``trace`` extension, the limiter's), adding the time it holds the request back just
    before it is written to ``attempt``'s wire wait."""
    if asynchronous:

        async def atrace(name: str, info: dict[str, Any]) -> None:
            if not name.endswith(_SENDING):
                await hook(name, info)
                return
            began = time.perf_counter()
            await hook(name, info)
            attempt[1] += time.perf_counter() - began

        return atrace

    def trace_(name: str, info: dict[str, Any]) -> None:
        if not name.endswith(_SENDING):
            hook(name, info)
            return
        began = time.perf_counter()
        hook(name, info)
        attempt[1] += time.perf_counter() - began

    return trace_
