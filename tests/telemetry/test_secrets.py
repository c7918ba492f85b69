"""No secret in anything the telemetry exports: every exchange and key type, successes, retries, re-syncs, refusals
whose bodies echo the request, and a Redis budget URL with a password; then every exported span (names, attributes,
events, status) and metric point is searched for every secret, signature, query string and body the sandbox saw."""

from __future__ import annotations

import json
import logging
import socket
from typing import Final

import pytest

from auth_plugins import AuthenticationError
from auth_plugins.sandbox import Sandbox
from tests._exchanges import EXCHANGES, FAST, NAMES, SECRETS, call, sample
from tests.telemetry.conftest import Exported

REDIS_PASSWORD: Final = "telemetry-redis-password-7d1f"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _exported_text(otel: Exported) -> str:
    spans = [span.to_json() for span in otel.spans()]
    data = otel.reader.get_metrics_data()
    metrics = data.to_json() if data is not None else ""
    return "\n".join([*spans, metrics])


def _sensitive(sbx: Sandbox, redis_url: str) -> set[str]:
    """What must not be exported: the credentials, and every signature, query string, query pair and body sent."""
    found = {secret for secret in SECRETS if secret} | {redis_url, REDIS_PASSWORD}
    for exchange in NAMES:
        facts = EXCHANGES[exchange]
        for record in sbx.requests(exchange):
            if record.auth is not None:
                found.add(facts.signature_of(record))
            query = record.target.partition("?")[2]
            if query:
                found.add(query)
                found.update(pair for pair in query.split("&") if "=" in pair and len(pair) > 4)
            if record.body:
                found.add(record.body.decode("utf-8"))
            for name in (facts.api_key_header, facts.signature_header, "ok-access-passphrase"):
                if name and record.headers.get(name):
                    found.add(record.headers[name])
    return found


def test_nothing_exported_holds_a_secret_a_signature_a_query_a_body_or_a_redis_url(
    sbx: Sandbox, otel: Exported, caplog: pytest.LogCaptureFixture
) -> None:
    redis_url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{_closed_port()}/0"
    for exchange in NAMES:
        facts = EXCHANGES[exchange]
        for variant in facts.variants:
            facts.invoke(sbx, "sync", variant=variant)
            sbx.fail(exchange, facts.signed[1], 503)
            facts.invoke(sbx, "async", variant=variant, **FAST)
        # A refusal whose message echoes the credentials and a signature: the span's status names the class only.
        echo = f"echo signature=deadbeef {' '.join(SECRETS)}"
        sbx.fail(exchange, facts.signed[1], 401, message=echo)
        with pytest.raises(AuthenticationError):
            facts.invoke(sbx, "sync")
        sbx.skew_ms = 120_000
        facts.invoke(sbx, "sync", **FAST)
        sbx.skew_ms = 0
        # The shared budget is unreachable: the client goes on with its local budget (one WARNING).
        with caplog.at_level(logging.CRITICAL, logger="auth_plugins"):
            client = facts.client(sbx, rate_limit=redis_url)
            with client:
                call(client, facts.module(), "sync", sample(exchange, facts.signed[1]), enter=False)
    exported = _exported_text(otel)
    assert len(otel.spans()) >= 20 and json.loads(otel.reader.get_metrics_data().to_json())  # type: ignore[union-attr]
    leaked = sorted(secret for secret in _sensitive(sbx, redis_url) if secret in exported)
    assert leaked == []
