"""Per-call cost of the OpenTelemetry instrumentation (``auth_plugins.telemetry``), against the same client
uninstrumented in the same process.

Three sides per case, one client and one keep-alive connection, switched between batches:

- ``off``: not instrumented (the observer switch is ``None``; what every other section measures);
- ``noop``: instrumented with OpenTelemetry's no-op tracer and meter providers: our observer's own work;
- ``sdk``: instrumented with the SDK's ``TracerProvider`` (every span sampled, a ``BatchSpanProcessor`` feeding an
  exporter that drops them) and ``MeterProvider`` (an in-memory reader, never collected during the timing): what a
  production set-up costs, short of the network export.

Each round is a fresh process; per case every side warms up, then each pair times one batch of every side in
rotating order (``perf_counter_ns`` and ``process_time_ns`` over the batch, divided by its size).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from ._cases import Case, api_module, make_ours, sample_kwargs
from ._fresh import run_rounds, worker_main
from ._percall import _batch
from ._stats import summary

__all__ = ["SIDES", "TELEMETRY_CASES", "run_telemetry"]

SIDES: Final = ("off", "noop", "sdk")
TELEMETRY_CASES: Final = ("okx.get_max_loan[hmac-base64]", "binance.query_max_borrow[hmac-hex]")
"""One signed call per HMAC exchange: the cheapest calls, where a fixed added cost weighs most."""


def _providers() -> dict[str, dict[str, Any]]:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.trace import NoOpTracerProvider

    class Dropped(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Dropped()))
    return {
        "noop": {"tracer_provider": NoOpTracerProvider(), "meter_provider": NoOpMeterProvider()},
        "sdk": {"tracer_provider": tracer_provider, "meter_provider": MeterProvider([InMemoryMetricReader()])},
    }


Call = Callable[[], object]


def _side(instrumentor: Any, providers: dict[str, Any] | None, call: Call) -> Callable[[], Call]:
    """A switch that puts the instrumentor in the state the side asks for and returns ``call`` (switched outside the
    timed loop)."""

    def switch() -> Call:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        if providers is not None:
            instrumentor.instrument(**providers)
        return call

    return switch


def _measure_case(item: dict[str, Any], payload: dict[str, Any]) -> dict[str, list[float]]:
    from auth_plugins.telemetry import ExchangeClientsInstrumentor

    case = Case(**item["case"])
    instrumentor = ExchangeClientsInstrumentor()
    providers = _providers()
    kwargs, sync, size = sample_kwargs(case), api_module(case).sync, payload["batch"]
    times: dict[str, list[float]] = {key: [] for side in SIDES for key in (side, f"{side}_cpu")}
    with make_ours(case, payload["credentials"], payload["base_url"]) as client:

        def ours() -> object:
            return sync(client=client, **kwargs)

        switches = {side: _side(instrumentor, providers.get(side), ours) for side in SIDES}
        for side in SIDES:
            if switches[side]()() is None:
                raise RuntimeError(f"{case.key}: the benchmark server did not answer 200")
            _batch(ours, payload["warmup"])
        for pair in range(payload["pairs"]):
            shift = (pair + payload["round"]) % len(SIDES)
            for side in SIDES[shift:] + SIDES[:shift]:
                wall, cpu = _batch(switches[side](), size)
                times[side].append(wall)
                times[f"{side}_cpu"].append(cpu)
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    return times


def _measure(payload: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    return {Case(**item["case"]).key: _measure_case(item, payload) for item in payload["cases"]}


def run_telemetry(
    base_url: str,
    items: list[dict[str, Any]],
    credentials: dict[str, dict[str, str]],
    *,
    rounds: int,
    pairs: int,
    batch: int,
    warmup: int,
    cpu: int | None,
) -> dict[str, Any]:
    """Per case of :data:`TELEMETRY_CASES` (``items`` as for the per-call section): microseconds per call of each
    side (median, p10, p90 over every batch of ``rounds`` fresh processes), client CPU likewise, and the added cost
    and ratio of ``noop`` and ``sdk`` against ``off``."""
    cases = [item for item in items if Case(**item["case"]).key in TELEMETRY_CASES]
    payload = {
        "base_url": base_url,
        "cases": cases,
        "credentials": credentials,
        "pairs": pairs,
        "batch": batch,
        "warmup": warmup,
        "cpu": cpu,
    }
    merged = run_rounds("_telemetry", rounds, payload)
    out: dict[str, Any] = {}
    for key, series in merged.items():
        wall = {side: summary(series[side]) for side in SIDES}
        cpu_us = {side: summary(series[f"{side}_cpu"]) for side in SIDES}
        off, off_cpu = wall["off"]["median"], cpu_us["off"]["median"]
        out[key] = {
            "wall_us": wall,
            "cpu_us": cpu_us,
            **{f"{side}_added_us": round(wall[side]["median"] - off, 1) for side in SIDES[1:]},
            **{f"{side}_ratio": round(wall[side]["median"] / off, 3) for side in SIDES[1:]},
            **{f"{side}_cpu_added_us": round(cpu_us[side]["median"] - off_cpu, 1) for side in SIDES[1:]},
            **{f"{side}_cpu_ratio": round(cpu_us[side]["median"] / off_cpu, 3) for side in SIDES[1:]},
        }
    return out


if __name__ == "__main__":
    worker_main(_measure)
