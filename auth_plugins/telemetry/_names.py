"""The names the telemetry exports: the OpenTelemetry semantic conventions' where one exists, ours otherwise.

The conventions' names are written out here rather than imported from ``opentelemetry-semantic-conventions``
(a pre-1.0 package the SDK pins exactly, so requiring it would fight the user's pin); tests/telemetry checks them
against that package. Our own live under ``exchange_clients.``, the distribution's name.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ATTEMPT",
    "ATTEMPTS",
    "ATTEMPT_DURATION",
    "ATTEMPT_EVENT",
    "CALL_DURATION",
    "CLOCK_OFFSET_MS",
    "CLOCK_RESYNCED",
    "CLOCK_RESYNCS",
    "DURATION_BUCKETS",
    "ERROR_TYPE",
    "EXCHANGE",
    "HTTP_CLIENT_REQUEST_DURATION",
    "HTTP_REQUEST_METHOD",
    "HTTP_REQUEST_RESEND_COUNT",
    "HTTP_RESPONSE_STATUS_CODE",
    "OPERATION_ID",
    "RATE_LIMITED",
    "RATE_LIMIT_WAIT",
    "RATE_LIMIT_WAIT_DURATION",
    "RETRIES",
    "RETRY_DELAY",
    "SCHEMA_URL",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "URL_SCHEME",
    "URL_TEMPLATE",
    "WAIT_BUCKETS",
]

SCHEMA_URL: Final = "https://opentelemetry.io/schemas/1.27.0"
"""The semantic-conventions release whose names these are (url.template appeared in 1.26)."""

# HTTP client semantic conventions.
HTTP_REQUEST_METHOD: Final = "http.request.method"
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"
HTTP_REQUEST_RESEND_COUNT: Final = "http.request.resend_count"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
URL_SCHEME: Final = "url.scheme"
URL_TEMPLATE: Final = "url.template"
ERROR_TYPE: Final = "error.type"
HTTP_CLIENT_REQUEST_DURATION: Final = "http.client.request.duration"
DURATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""The buckets the conventions advise for ``http.client.request.duration`` (seconds)."""

# Ours: attributes of the call's span (and, the first two, of every metric point).
EXCHANGE: Final = "exchange_clients.exchange"
"""``backpack``, ``binance`` or ``okx``."""
OPERATION_ID: Final = "exchange_clients.operation_id"
"""The spec's operationId, e.g. ``get_max_loan``."""
ATTEMPTS: Final = "exchange_clients.attempts"
"""How many times the request was sent (0 when a gate refused it first)."""
RATE_LIMIT_WAIT: Final = "exchange_clients.rate_limit.wait"
"""Seconds the rate limiter held the request back, over all attempts (waits under 1 ms are the gates' own work and
count as 0)."""
CLOCK_RESYNCED: Final = "exchange_clients.clock.resynced"
"""True when a timestamp error made the client re-sync its clock during the call."""
CLOCK_OFFSET_MS: Final = "exchange_clients.clock.offset_ms"
"""The clock offset that re-sync installed (milliseconds)."""

# Ours: the event each attempt adds to the call's span, and its attributes besides the conventions' ones.
ATTEMPT_EVENT: Final = "exchange_clients.attempt"
ATTEMPT: Final = "exchange_clients.attempt.number"
"""1 for the first attempt."""
ATTEMPT_DURATION: Final = "exchange_clients.attempt.duration"
"""Seconds from handing the request to the connection to its last byte of body (rate-limit wait excluded)."""
RETRY_DELAY: Final = "exchange_clients.retry.delay"
"""Seconds the client waits before the next attempt, when it retries this one."""

# Ours: metrics.
CALL_DURATION: Final = "exchange_clients.call.duration"
"""Seconds per call as the caller sees it: every attempt, wait, back-off and re-sync."""
RETRIES: Final = "exchange_clients.retries"
"""Retries, by the ``error.type`` that caused them."""
RATE_LIMIT_WAIT_DURATION: Final = "exchange_clients.rate_limit.wait.duration"
"""Seconds the rate limiter held a request back, one point per attempt it held back."""
RATE_LIMITED: Final = "exchange_clients.rate_limited"
"""Answers refusing a request for its rate (HTTP 429, 418 or the exchange's rate-limit code)."""
CLOCK_RESYNCS: Final = "exchange_clients.clock.resyncs"
"""Clock re-syncs a timestamp error caused."""
WAIT_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Buckets for the waits and whole calls (seconds): limiter waits last up to a window (1 to 60 s)."""
