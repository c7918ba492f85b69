"""Redaction: no secret, passphrase, private key, API key or signature in any log record (httpcore and
auth_plugins at DEBUG), exception text, repr or str, after running every operation of every exchange sync and
async, with retries, clock re-syncs and errors; the scan is shown to find what redaction removes; and a client's
redactor knows its own secrets only and goes when the client goes."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Iterator
from typing import Any, Final

import httpx
import pytest

from auth_plugins import APIError, RedactingFilter
from auth_plugins._operation import OperationInfo
from auth_plugins._redaction import REDACTED, Redactor, activate, deactivate, redact
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS, Sandbox
from tests._exchanges import EXCHANGES, FAST, SECRETS, call, sample

CLIENT_LOGGERS: Final = ("httpx", "httpcore", "auth_plugins")
# The sandbox's own defaults per exchange; VARIANTS below uses "" for them.
DEFAULT_VARIANT: Final = {name: facts.variants[0] for name, facts in EXCHANGES.items()}
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
    facts = EXCHANGES[exchange]
    echo = f"echo signature=deadbeef {' '.join(OWN_SECRETS[(exchange, variant)])}"
    sbx.script(exchange, status=503, body=facts.error_body(None, echo), operation_id=facts.signed[1])
    sbx.skew_ms = 120_000

    def modules() -> Iterator[tuple[Any, dict[str, Any]]]:
        for operation in facts.operations:
            yield facts.module(operation.operation_id), sample(exchange, operation.operation_id)

    with facts.client(sbx, variant=variant, **FAST) as client:
        for endpoint, kwargs in modules():
            endpoint.sync_detailed(client=client, **kwargs)
        http = client.get_httpx_client()
        texts += [repr(client), str(client), repr(http.pipeline), repr(http.pipeline.auth), str(http)]

    async def run() -> None:
        async with facts.client(sbx, variant=variant, **FAST) as client:
            for endpoint, kwargs in modules():
                await endpoint.asyncio_detailed(client=client, **kwargs)

    asyncio.run(run())
    sbx.script(exchange, times=3, status=503, body=facts.error_body(None, echo), operation_id=facts.signed[1])
    with facts.client(sbx, variant=variant, **FAST) as client:
        with pytest.raises(APIError) as info:
            facts.module().sync_detailed(client=client, **sample(exchange, facts.signed[1]))
    error = info.value
    assert "deadbeef" not in error.body_excerpt and REDACTED in error.body_excerpt
    texts += [str(error), repr(error), error.message, error.body_excerpt]


def _wire_secrets(sbx: Sandbox, exchange: str) -> list[str]:
    """Every signature (and passphrase) that went on the wire, as the sandbox received it."""
    found = []
    for record in sbx.requests(exchange):
        if record.auth is not None:
            found.append(EXCHANGES[exchange].signature_of(record))
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
    assert any(record.name.startswith("httpcore") for record in records)
    assert any(record.name == "auth_plugins" and "retry" in record.getMessage() for record in records)
    signatures = _wire_secrets(sbx, exchange)
    assert len(signatures) >= 4
    haystack = [*_rendered(records), *(record.getMessage() for record in records), *texts]
    # Failure messages name where a secret leaked, never the secret or the text around it.
    for number, needle in enumerate((*SECRETS, *signatures)):
        leaked = sum(needle in text for text in haystack)
        assert leaked == 0, f"secret #{number} appears in {leaked} logged or raised text(s)"


def test_the_scan_finds_an_echoed_secret_when_redaction_is_off(
    sbx: Sandbox, client_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the test above can fail: without the client's redactor, an error body echoing the secret
    reaches the exception's excerpt."""
    monkeypatch.setattr(Redactor, "redact", lambda self, text: text)
    texts: list[str] = []
    with pytest.raises(AssertionError):
        _exercise(sbx, "okx", "", texts)
    sbx.reset()
    sbx.script("okx", times=3, status=503, body=EXCHANGES["okx"].error_body(None, OKX_CREDENTIALS.api_secret))
    with pytest.raises(APIError) as info:
        EXCHANGES["okx"].invoke(sbx, "sync", **FAST)
    assert OKX_CREDENTIALS.api_secret in info.value.body_excerpt


class _Chatty:
    """A gate that logs the client's own secret on httpcore's logger while a call is under way."""

    def before_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        logging.getLogger("httpcore.http11").debug("the secret is %s", OKX_CREDENTIALS.api_secret)

    async def abefore_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        self.before_send(operation, request)


def test_records_logged_during_a_call_lose_the_clients_secrets(
    sbx: Sandbox, client_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    EXCHANGES["okx"].invoke(sbx, "sync", gates=[_Chatty()])
    chatty = [record for record in client_logs.records if "the secret is" in record.getMessage()]
    assert chatty and all(OKX_CREDENTIALS.api_secret not in record.getMessage() for record in chatty)
    client_logs.clear()
    client = EXCHANGES["okx"].client(sbx, gates=[_Chatty()])  # made first: making a client installs the filter
    logger = logging.getLogger("httpcore.http11")
    monkeypatch.setattr(logger, "filters", [f for f in logger.filters if not isinstance(f, RedactingFilter)])
    call(client, EXCHANGES["okx"].module(), "sync", sample("okx", "get_max_loan"))
    assert any(OKX_CREDENTIALS.api_secret in record.getMessage() for record in client_logs.records)


def test_a_clients_redactor_holds_its_own_secrets_only_and_goes_with_the_client(sbx: Sandbox) -> None:
    first = EXCHANGES["okx"].client(sbx, api_key="key-AAAA-0123456789")
    pattern_size = len(first.get_httpx_client().pipeline.redactor._pattern.pattern)
    others = [EXCHANGES["okx"].client(sbx, api_key=f"key-{n:04d}-0123456789") for n in range(200)]
    last = EXCHANGES["okx"].client(sbx, api_key="key-9999-0123456789")
    # The same secrets (but the key), so the same size: nothing of the 200 clients made before is in it.
    assert len(last.get_httpx_client().pipeline.redactor._pattern.pattern) == pattern_size
    released = weakref.ref(last.get_httpx_client().pipeline.redactor)
    del last, others
    gc.collect()
    assert released() is None


def test_the_filter_is_installed_once_however_many_clients(sbx: Sandbox) -> None:
    for _ in range(3):
        EXCHANGES["okx"].client(sbx)
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
    redactor = Redactor([passphrase, BINANCE_CREDENTIALS.ed25519_private_key_pem])
    for text, secret in samples.items():
        cleaned = redactor.redact(text)
        assert secret not in cleaned and REDACTED in cleaned, cleaned
    assert redact("Content-Type: application/json") == "Content-Type: application/json"


def test_the_filter_rewrites_args_tracebacks_and_never_drops(client_logs: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("auth_plugins.test")
    logger.addFilter(RedactingFilter())
    token = activate(Redactor([OKX_CREDENTIALS.api_secret]))  # as a client does while it handles a call
    try:
        try:
            raise RuntimeError(f"failed with {OKX_CREDENTIALS.api_secret}")
        except RuntimeError:
            logger.exception("url %s", "http://x/?a=1&signature=0123abcd")
    finally:
        deactivate(token)
        logger.filters.clear()
    (record,) = [record for record in client_logs.records if record.name == "auth_plugins.test"]
    text = logging.Formatter().format(record)
    assert "0123abcd" not in text and OKX_CREDENTIALS.api_secret not in text
    assert "RuntimeError" in text and "url http://x/?a=1&signature=" in text
