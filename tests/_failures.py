"""Helpers for the failure-behaviour tests: sandbox clients, one call sync or async, error bodies, records."""

from __future__ import annotations

import asyncio
import importlib
import time
from types import ModuleType
from typing import Any, Final

import httpx

from auth_plugins import backpack, binance, okx
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS, RequestRecord, Sandbox
from scripts.sample_calls import SAMPLE_CALLS

__all__ = [
    "EXCHANGES",
    "FAST",
    "MODES",
    "PATHS",
    "SECRETS",
    "SIGNED",
    "assert_fresh_and_valid",
    "attempts",
    "error_body",
    "invoke",
    "make",
    "module",
    "records_settled",
    "signature_of",
]

EXCHANGES: Final = ("backpack", "binance", "okx")
MODES: Final = ("sync", "async")

# One signed, read-only operation per exchange: (tag, operationId).
SIGNED: Final = {
    "backpack": ("account", "get_max_borrow_quantity"),
    "binance": ("margin", "query_max_borrow"),
    "okx": ("account", "get_max_loan"),
}
PATHS: Final = {
    "backpack": "/api/v1/account/limits/borrow",
    "binance": "/sapi/v1/margin/maxBorrowable",
    "okx": "/api/v5/account/max-loan",
}

FAST: Final[dict[str, Any]] = {"backoff_base_s": 0.005, "backoff_cap_s": 0.02}
"""Retry settings that keep tests quick: waits of a few milliseconds."""

SECRETS: Final = (
    BACKPACK_CREDENTIALS.api_secret,
    BACKPACK_CREDENTIALS.api_key,
    BINANCE_CREDENTIALS.hmac_api_key,
    BINANCE_CREDENTIALS.hmac_api_secret,
    BINANCE_CREDENTIALS.ed25519_api_key,
    BINANCE_CREDENTIALS.ed25519_private_key_pem.splitlines()[1],
    OKX_CREDENTIALS.api_key,
    OKX_CREDENTIALS.demo_api_key,
    OKX_CREDENTIALS.api_secret,
    OKX_CREDENTIALS.passphrase,
)
"""Every secret and API key the sandbox clients use."""


# Loading the CA bundle costs ~80 ms per httpx client; the sandbox speaks plain HTTP, so one shared context does.
_TLS: Final = httpx.create_ssl_context()


def make(sbx: Sandbox, exchange: str, *, variant: str = "", **options: Any) -> Any:
    """A factory-made client for ``exchange`` on the sandbox; ``variant="ed25519"`` or ``"demo"`` picks the key."""
    url = sbx.base_url(exchange)
    options.setdefault("verify_ssl", _TLS)
    # Faults, not the client-side limiter (tests/test_rate_limit.py), are the subject; its waits would only slow these.
    options.setdefault("rate_limit", False)
    if exchange == "backpack":
        return backpack.make_client(BACKPACK_CREDENTIALS.api_secret, base_url=url, **options)
    if exchange == "binance":
        if variant == "ed25519":
            pem = BINANCE_CREDENTIALS.ed25519_private_key_pem
            return binance.make_client(BINANCE_CREDENTIALS.ed25519_api_key, private_key=pem, base_url=url, **options)
        creds = BINANCE_CREDENTIALS
        return binance.make_client(creds.hmac_api_key, api_secret=creds.hmac_api_secret, base_url=url, **options)
    demo = variant == "demo"
    key = OKX_CREDENTIALS.demo_api_key if demo else OKX_CREDENTIALS.api_key
    return okx.make_client(
        key, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase, demo=demo, base_url=url, **options
    )


def module(exchange: str, tag: str, operation_id: str) -> ModuleType:
    """The generated endpoint module of an operation."""
    return importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")


def invoke(
    sbx: Sandbox,
    exchange: str,
    mode: str,
    operation: tuple[str, str] | None = None,
    *,
    detailed: bool = True,
    variant: str = "",
    **options: Any,
) -> Any:
    """Make a client, call ``operation`` (default: the exchange's signed one) once, close; return what the
    generated function returned, or let its exception through. ``mode`` is ``"sync"`` or ``"async"``."""
    tag, operation_id = operation or SIGNED[exchange]
    endpoint = module(exchange, tag, operation_id)
    kwargs = SAMPLE_CALLS[(exchange, operation_id)]()
    if mode == "sync":
        with make(sbx, exchange, variant=variant, **options) as client:
            function = endpoint.sync_detailed if detailed else endpoint.sync
            return function(client=client, **kwargs)

    async def run() -> Any:
        async with make(sbx, exchange, variant=variant, **options) as client:
            function = endpoint.asyncio_detailed if detailed else endpoint.asyncio
            return await function(client=client, **kwargs)

    return asyncio.run(run())


def error_body(exchange: str, code: int | str | None, message: str) -> dict[str, Any]:
    """An error body in ``exchange``'s shape (``code`` left out when ``None``)."""
    key = "message" if exchange == "backpack" else "msg"
    body: dict[str, Any] = {key: message} if code is None else {"code": code, key: message}
    if exchange == "okx":
        body["data"] = []
    return body


def records_settled(sbx: Sandbox, exchange: str, count: int, timeout_s: float = 3.0) -> list[RequestRecord]:
    """The sandbox's records for ``exchange`` once at least ``count`` are there (delayed answers record late)."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = sbx.requests(exchange)
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.01)


def attempts(sbx: Sandbox, exchange: str, operation_id: str | None = None) -> list[RequestRecord]:
    """The records of requests to ``operation_id`` (default: the exchange's signed operation)."""
    wanted = operation_id or SIGNED[exchange][1]
    return [record for record in sbx.requests(exchange) if record.operation_id == wanted]


def signature_of(exchange: str, record: RequestRecord) -> str:
    """The signature a recorded request carried, as sent."""
    if exchange == "binance":
        return record.target.rpartition("signature=")[2]
    return record.headers["x-signature" if exchange == "backpack" else "ok-access-sign"]


def assert_fresh_and_valid(exchange: str, records: list[RequestRecord]) -> None:
    """Every attempt was validly signed, with a strictly later timestamp and a different signature."""
    assert records, "no attempts recorded"
    assert all(record.auth == "ok" for record in records), [record.auth for record in records]
    stamps = [record.timestamp_ms or 0 for record in records]
    assert all(stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), stamps
    signatures = [signature_of(exchange, record) for record in records]
    assert len(set(signatures)) == len(signatures)
