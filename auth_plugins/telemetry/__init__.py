"""OpenTelemetry instrumentation of factory-made clients (``pip install 'exchange-clients[otel]'``).

:class:`ExchangeClientsInstrumentor` gives every call through a client from ``make_client`` or ``client_from_env`` a
span and metric points: such clients drive httpcore directly, so ``opentelemetry-instrumentation-httpx`` sees none of
their calls. Importing this module needs ``opentelemetry-api``; ``import auth_plugins`` never imports it.
"""

try:
    import opentelemetry.metrics
    import opentelemetry.trace  # noqa: F401
except ImportError as missing:
    raise ImportError(
        "auth_plugins.telemetry needs opentelemetry-api: pip install 'exchange-clients[otel]'"
    ) from missing

from auth_plugins.telemetry._instrumentor import ExchangeClientsInstrumentor

__all__ = ["ExchangeClientsInstrumentor"]
