"""The telemetry tests' fixture: the instrumentor switched on for one test, exporting into the OpenTelemetry SDK's
in-memory span exporter and metric reader, and switched off again afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, Metric
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from auth_plugins.telemetry import ExchangeClientsInstrumentor


@dataclass(frozen=True)
class Exported:
    """What the instrumented clients exported during the test."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        """Every finished span, in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def span(self) -> ReadableSpan:
        """The one finished span (fails unless there is exactly one)."""
        (only,) = self.spans()
        return only

    def metrics(self) -> dict[str, Metric]:
        """Every metric by name, collected now (cumulative since the test started)."""
        data = self.reader.get_metrics_data()
        if data is None:
            return {}
        return {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}

    def points(self, name: str) -> list[Any]:
        """The data points of metric ``name`` (none if it was never recorded)."""
        metric = self.metrics().get(name)
        return [] if metric is None else list(metric.data.data_points)


@pytest.fixture
def otel() -> Iterator[Exported]:
    """The instrumentor on for this test, exporting into memory; off (and the providers shut down) afterwards."""
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = ExchangeClientsInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        yield Exported(exporter, reader)
    finally:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        tracer_provider.shutdown()
        meter_provider.shutdown()
