"""``ExchangeClientsInstrumentor``: OpenTelemetry traces and metrics for every factory-made client."""

from __future__ import annotations

import importlib.metadata
import logging
import threading
from collections.abc import Collection
from typing import Any, ClassVar, Final

from opentelemetry import metrics, trace

from auth_plugins import _observer

from ._calls import Telemetry
from ._names import SCHEMA_URL

__all__ = ["ExchangeClientsInstrumentor"]

logger = logging.getLogger("auth_plugins")

_NAME: Final = "auth_plugins.telemetry"
# What opentelemetry-instrumentation's auto-instrumentation passes to instrument(); accepted and ignored.
_INSTRUMENTATION_OPTIONS: Final = frozenset({"skip_dep_check", "raise_exception_on_conflict"})


def _version() -> str:
    try:
        return importlib.metadata.version("exchange-clients")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


class ExchangeClientsInstrumentor:
    """Instruments every client ``make_client`` and ``client_from_env`` build, sync and async, made before or after.

    The contract of opentelemetry-instrumentation's ``BaseInstrumentor`` (without depending on it): one instance
    per process (every ``ExchangeClientsInstrumentor()`` is the same object), :meth:`instrument` and
    :meth:`uninstrument` (each a no-op with a warning when repeated), :attr:`is_instrumented_by_opentelemetry`.
    Instrumented, each call gets a ``CLIENT`` span named ``"<METHOD> <path template>"`` with the HTTP client
    semantic conventions' attributes and ours (see the README's Telemetry section), an event per attempt, and
    metric points; uninstrumented, a call costs one ``is None`` check more than it would without this class.
    """

    _instance: ClassVar[ExchangeClientsInstrumentor | None] = None
    _lock: ClassVar = threading.Lock()
    _telemetry: Telemetry | None = None

    def __new__(cls) -> ExchangeClientsInstrumentor:
        with cls._lock:
            if cls._instance is None:
                cls._instance = super().__new__(cls)
            return cls._instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        """Whether calls are being traced and measured."""
        return self._telemetry is not None

    def instrumentation_dependencies(self) -> Collection[str]:
        """The instrumented libraries' requirements: none besides this distribution itself."""
        return ()

    def instrument(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        **options: Any,
    ) -> None:
        """Trace and measure every call from now on, with these providers (default: the global ones).

        ``TypeError`` for an unknown keyword (opentelemetry-instrumentation's own, ``skip_dep_check`` and
        ``raise_exception_on_conflict``, are accepted and ignored).
        """
        unknown = set(options) - _INSTRUMENTATION_OPTIONS
        if unknown:
            raise TypeError(f"instrument() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        with self._lock:
            if self._telemetry is not None:
                logger.warning("Attempting to instrument while already instrumented")
                return
            version = _version()
            tracer = trace.get_tracer(_NAME, version, tracer_provider, schema_url=SCHEMA_URL)
            meter = metrics.get_meter(_NAME, version, meter_provider, schema_url=SCHEMA_URL)
            telemetry = Telemetry(tracer, meter)
            self._telemetry = telemetry
            _observer.install(telemetry.observe)

    def uninstrument(self, **options: Any) -> None:
        """Stop tracing and measuring: calls started from now on export nothing (calls under way finish their spans)."""
        with self._lock:
            if self._telemetry is None:
                logger.warning("Attempting to uninstrument while already uninstrumented")
                return
            _observer.install(None)
            self._telemetry = None
