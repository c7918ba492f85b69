"""Redaction: no secret, passphrase, private key, API key or signature in any log record (httpx, httpcore and
auth_plugins at DEBUG), exception text, repr or str, after running every operation of every exchange sync and
async, with retries, clock re-syncs and errors; and the scan is shown to find what the filter removes."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Iterator
from typing import Any, Final

import pytest

from auth_plugins import APIError, RedactingFilter
from auth_plugins._redaction import REDACTED, redact
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS, Sandbox
from scripts.sample_calls import SAMPLE_CALLS
from tests._failures import FAST, SECRETS, SIGNED, error_body, make, signature_of
from tests._specs import all_operations

CLIENT_LOGGERS: Final = ("httpx", "httpcore", "auth_plugins")
VARIANTS: Final = [("backpack", ""), ("binance", ""), ("binance", "ed25519"), ("okx", ""), ("okx", "demo")]
# What each client knows, and so what a server error body could echo back to it.
OWN_SECRETS: Final = {
    ("backpack", ""): (BACKPACK_CREDENTIALS.api_secret, BACKPACK_CREDENTIALS.api_key),
    ("binance", ""): (BINANCE_CREDENTIALS.hmac_api_key, BINANCE_CREDENTIALS.hmac_api_secret),
    ("binance", "ed25519"): (
        BINANCE_CREDENTIALS.ed25519_api_key,
        BINANCE_CREDENTIALS.ed25519_private_key_pem.splitlines()[1],
    ),
    ("okx", ""): (OKX_CREDENTIALS.api_key, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase),
    ("okx", "demo"): (OKX_CREDENTIALS.demo_api_key, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase),
}


@pytest.fixture
def client_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything the client side logs at DEBUG (the sandbox's own werkzeug log is the server's, not ours)."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def _client_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.split(".")[0] in CLIENT_LOGGERS]


def _rendered(records: list[logging.LogRecord]) -> list[str]:
    handler_format = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [handler_format.format(record) for record in records]


def _exercise(sbx: Sandbox, exchange: str, variant: str, texts: list[str]) -> None:
    """Every operation, sync and async; a retried 503 with a body echoing the secrets; a clock re-sync; and a
    terminal error; collecting reprs, strs and exception texts into ``texts``."""
    operations = [(op["tags"][0], op["operationId"]) for ex, _, _, op in all_operations() if ex == exchange]
    echo = f"echo signature=deadbeef {' '.join(OWN_SECRETS[(exchange, variant)])}"
    sbx.script(exchange, status=503, body=error_body(exchange, None, echo), operation_id=SIGNED[exchange][1])
    sbx.skew_ms = 120_000

    def modules() -> Iterator[tuple[Any, dict[str, Any]]]:
        for tag, operation_id in operations:
            endpoint = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
            yield endpoint, SAMPLE_CALLS[(exchange, operation_id)]()

    with make(sbx, exchange, variant=variant, **FAST) as client:
        for endpoint, kwargs in modules():
            endpoint.sync_detailed(client=client, **kwargs)
        texts += [repr(client), str(client), repr(client.get_httpx_client().auth), str(client.get_httpx_client())]

    async def run() -> None:
        async with make(sbx, exchange, variant=variant, **FAST) as client:
            for endpoint, kwargs in modules():
                await endpoint.asyncio_detailed(client=client, **kwargs)

    asyncio.run(run())
    sbx.script(exchange, times=3, status=503, body=error_body(exchange, None, echo), operation_id=SIGNED[exchange][1])
    with make(sbx, exchange, variant=variant, **FAST) as client:
        tag, operation_id = SIGNED[exchange]
        endpoint = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
        with pytest.raises(APIError) as info:
            endpoint.sync_detailed(client=client, **SAMPLE_CALLS[(exchange, operation_id)]())
    error = info.value
    assert "deadbeef" not in error.body_excerpt and REDACTED in error.body_excerpt
    texts += [str(error), repr(error), error.message, error.body_excerpt]


def _wire_secrets(sbx: Sandbox, exchange: str) -> list[str]:
    """Every signature (and passphrase) that went on the wire, as the sandbox received it."""
    found = []
    for record in sbx.requests(exchange):
        if record.auth is not None:
            found.append(signature_of(exchange, record))
            if exchange == "okx":
                found.append(record.headers["ok-access-passphrase"])
    return found


@pytest.mark.parametrize(("exchange", "variant"), VARIANTS, ids=[f"{ex}-{v or 'default'}" for ex, v in VARIANTS])
def test_no_secret_or_signature_in_logs_reprs_or_errors(
    sbx: Sandbox, client_logs: pytest.LogCaptureFixture, exchange: str, variant: str
) -> None:
    texts: list[str] = []
    _exercise(sbx, exchange, variant, texts)
    records = _client_records(client_logs)
    assert any(record.name == "httpx" for record in records)
    assert any(record.name.startswith("httpcore") for record in records)
    assert any(record.name == "auth_plugins" and "retry" in record.getMessage() for record in records)
    signatures = _wire_secrets(sbx, exchange)
    assert len(signatures) >= 4
    haystack = [*_rendered(records), *(record.getMessage() for record in records), *texts]
    # Failure messages name where a secret leaked, never the secret or the text around it.
    for number, needle in enumerate((*SECRETS, *signatures)):
        leaked = sum(needle in text for text in haystack)
        assert leaked == 0, f"secret #{number} appears in {leaked} logged or raised text(s)"


def test_the_scan_finds_a_signature_when_the_filter_is_off(
    sbx: Sandbox, client_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the test above can fail: without the filter, httpx's INFO line carries Binance's signature."""
    with make(sbx, "binance") as client:
        httpx_logger = logging.getLogger("httpx")
        unfiltered = [f for f in httpx_logger.filters if not isinstance(f, RedactingFilter)]
        monkeypatch.setattr(httpx_logger, "filters", unfiltered)
        tag, operation_id = SIGNED["binance"]
        endpoint = importlib.import_module(f"binance_client.api.{tag}.{operation_id}")
        endpoint.sync_detailed(client=client, **SAMPLE_CALLS[("binance", operation_id)]())
    (signature,) = _wire_secrets(sbx, "binance")
    assert any(signature in text for text in _rendered(_client_records(client_logs)))


def test_the_filter_is_installed_once_however_many_clients(sbx: Sandbox) -> None:
    for _ in range(3):
        make(sbx, "okx")
    for name in ("httpx", "httpcore.connection", "httpcore.http11", "auth_plugins"):
        installed = [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]
        assert len(installed) == 1, name


def test_redact_covers_header_and_query_shapes() -> None:
    passphrase = OKX_CREDENTIALS.passphrase
    samples = {
        "GET /sapi/v1/margin/maxBorrowable?asset=BTC&timestamp=1&signature=abc123%2B%3D": "abc123",
        "[(b'OK-ACCESS-SIGN', b'Zm9vYmFy+/='), (b'Content-Type', b'json')]": "Zm9vYmFy",
        "{'x-signature': 'c2lnbmF0dXJl'}": "c2lnbmF0dXJl",
        "X-MBX-APIKEY: somekeyvalue": "somekeyvalue",
        f"passphrase is {passphrase}": passphrase,
        f"pem {BINANCE_CREDENTIALS.ed25519_private_key_pem}": BINANCE_CREDENTIALS.ed25519_private_key_pem.splitlines()[
            1
        ],
    }
    from auth_plugins._redaction import register_secrets

    register_secrets(passphrase, BINANCE_CREDENTIALS.ed25519_private_key_pem)
    for text, secret in samples.items():
        cleaned = redact(text)
        assert secret not in cleaned and REDACTED in cleaned, cleaned
    assert redact("Content-Type: application/json") == "Content-Type: application/json"


def test_the_filter_rewrites_args_tracebacks_and_never_drops(client_logs: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("auth_plugins.test")
    logger.addFilter(RedactingFilter())
    try:
        try:
            raise RuntimeError(f"failed with {OKX_CREDENTIALS.api_secret}")
        except RuntimeError:
            logger.exception("url %s", "http://x/?a=1&signature=0123abcd")
    finally:
        logger.filters.clear()
    (record,) = [record for record in client_logs.records if record.name == "auth_plugins.test"]
    text = logging.Formatter().format(record)
    assert "0123abcd" not in text and OKX_CREDENTIALS.api_secret not in text
    assert "RuntimeError" in text and "url http://x/?a=1&signature=" in text
