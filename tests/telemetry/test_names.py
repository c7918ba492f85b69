"""The names the telemetry exports are the semantic conventions' (checked against opentelemetry-semantic-conventions,
not against our own constants), its own live under one namespace, and its metrics have the units and buckets the
conventions ask for."""

from __future__ import annotations

from typing import Any, Final

from opentelemetry.sdk.metrics.export import Histogram
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
from opentelemetry.semconv.schemas import Schemas

from auth_plugins.sandbox import Sandbox
from auth_plugins.telemetry import _names
from tests._exchanges import EXCHANGES, FAST
from tests.telemetry.conftest import Exported

CONVENTIONS: Final = {
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_RESEND_COUNT,
    HTTP_RESPONSE_STATUS_CODE,
    SERVER_ADDRESS,
    SERVER_PORT,
    URL_SCHEME,
    URL_TEMPLATE,
    ERROR_TYPE,
}
OURS: Final = "exchange_clients."
# The boundaries the HTTP conventions advise for http.client.request.duration (semantic-conventions, http-metrics).
ADVISED_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


def test_the_conventions_names_are_spelled_as_the_conventions_package_spells_them() -> None:
    spelled = {
        _names.HTTP_REQUEST_METHOD: HTTP_REQUEST_METHOD,
        _names.HTTP_REQUEST_RESEND_COUNT: HTTP_REQUEST_RESEND_COUNT,
        _names.HTTP_RESPONSE_STATUS_CODE: HTTP_RESPONSE_STATUS_CODE,
        _names.SERVER_ADDRESS: SERVER_ADDRESS,
        _names.SERVER_PORT: SERVER_PORT,
        _names.URL_SCHEME: URL_SCHEME,
        _names.URL_TEMPLATE: URL_TEMPLATE,
        _names.ERROR_TYPE: ERROR_TYPE,
        _names.HTTP_CLIENT_REQUEST_DURATION: HTTP_CLIENT_REQUEST_DURATION,
    }
    assert all(ours == theirs for ours, theirs in spelled.items()), spelled
    assert _names.SCHEMA_URL in {schema.value for schema in Schemas}


def _every_attribute(otel: Exported) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for span in otel.spans():
        found += list((span.attributes or {}).items())
        for event in span.events:
            found += list((event.attributes or {}).items())
    for metric in otel.metrics().values():
        for point in metric.data.data_points:
            found += list((point.attributes or {}).items())
    return found


def test_every_exported_attribute_is_a_convention_or_ours_and_values_have_the_conventions_types(
    sbx: Sandbox, otel: Exported
) -> None:
    okx = EXCHANGES["okx"]
    sbx.fail("okx", "get_max_loan", 503)
    sbx.skew_ms = 120_000
    assert okx.invoke(sbx, "sync", **FAST).status_code == 200
    attributes = _every_attribute(otel)
    names = {name for name, _ in attributes}
    assert names >= CONVENTIONS
    assert {name for name in names if not name.startswith(OURS)} <= CONVENTIONS
    for name, value in attributes:
        if name == HTTP_REQUEST_METHOD:
            assert value in {"GET", "POST"}  # the conventions' known methods, upper case
        elif name in (HTTP_RESPONSE_STATUS_CODE, SERVER_PORT, HTTP_REQUEST_RESEND_COUNT):
            assert type(value) is int
        elif name == URL_TEMPLATE:
            assert value.startswith("/") and "?" not in value
        elif name == ERROR_TYPE:
            assert value.startswith("auth_plugins.errors.")  # the exception's fully qualified class name
        elif name == URL_SCHEME:
            assert value == "http"


def test_the_metrics_have_the_conventions_units_and_buckets(sbx: Sandbox, otel: Exported) -> None:
    okx = EXCHANGES["okx"]
    sbx.fail("okx", "get_max_loan", 429, retry_after=0.01)
    assert okx.invoke(sbx, "async", **FAST).status_code == 200
    metrics = otel.metrics()
    duration = metrics[HTTP_CLIENT_REQUEST_DURATION]
    assert duration.unit == "s"
    assert isinstance(duration.data, Histogram)
    assert all(tuple(point.explicit_bounds) == ADVISED_BUCKETS for point in duration.data.data_points)
    units = {name: metric.unit for name, metric in metrics.items()}
    assert units == {
        HTTP_CLIENT_REQUEST_DURATION: "s",
        "exchange_clients.call.duration": "s",
        "exchange_clients.retries": "{retry}",
        "exchange_clients.rate_limited": "{response}",
    }
