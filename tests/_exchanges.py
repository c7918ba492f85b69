"""The one table of what the tests know about each exchange, behind the parametrised ``exchange`` fixture.

Everything exchange-specific a test needs is a field or method of :class:`Exchange`: the sandbox's credentials
for each key type, a client from the public factory, a signed read-only operation to exercise, the error body
shape, where a request carries its signature. Tests take ``exchange`` (every exchange) or ``EXCHANGES[name]``
and never branch on the exchange's name. Expected codes and statuses come from
/work/shared/reference/exchanges.md; credentials from the sandbox (public test values).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Final

from auth_plugins import RetryPolicy, backpack, binance, okx
from auth_plugins._generated import endpoint, operation, operations, sample_arguments
from auth_plugins._operation import OperationInfo
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS, RequestRecord, Sandbox

__all__ = [
    "EXCHANGES",
    "FAST",
    "MODES",
    "NAMES",
    "NO_RETRY",
    "SECRETS",
    "Exchange",
    "assert_fresh_and_valid",
    "call",
    "records_settled",
    "sample",
]

MODES: Final = ("sync", "async")

FAST: Final[dict[str, Any]] = {"retry": RetryPolicy(backoff_base_s=0.005, backoff_cap_s=0.02)}
"""Retry settings that keep tests quick: waits of a few milliseconds."""
NO_RETRY: Final[dict[str, Any]] = {"retry": RetryPolicy(max_retries=0)}
"""No retries at all."""


@dataclass(frozen=True)
class Exchange:
    """What the tests know about one exchange (see the module docstring)."""

    name: str
    factory: Callable[..., Any]
    credentials: dict[str, dict[str, Any]]
    """``make_client`` keyword arguments per key type; the first key type is the default."""
    signed: tuple[str, str]
    """``(tag, operation_id)`` of a signed, read-only operation with parameters."""
    path: str
    """The path of :attr:`signed`."""
    time_path: str
    api_key_header: str
    """Lower case."""
    signature_header: str | None
    """Lower case; ``None`` when the signature travels in the query (Binance)."""
    message_key: str
    envelope: bool = False
    """Whether every body carries ``{"code", "msg", "data"}`` (OKX)."""
    api_keys: dict[str, str] = field(default_factory=dict)
    """The API key the exchange sees per key type."""

    def __str__(self) -> str:
        return self.name

    @property
    def package(self) -> str:
        """The generated package, e.g. ``okx_client``."""
        return f"{self.name}_client"

    @property
    def variants(self) -> tuple[str, ...]:
        """The key types the sandbox accepts for signed operations, the default first."""
        return tuple(self.credentials)

    @property
    def operations(self) -> tuple[OperationInfo, ...]:
        """Every operation of the generated table."""
        return operations(self.package)

    def operation(self, operation_id: str | None = None) -> OperationInfo:
        """The table's entry for ``operation_id`` (default: :attr:`signed`)."""
        wanted = operation_id or self.signed[1]
        return operation(self.package, wanted)

    def module(self, operation_id: str | None = None) -> ModuleType:
        """The generated endpoint module of ``operation_id`` (default: :attr:`signed`)."""
        operation = self.operation(operation_id)
        module: ModuleType = endpoint(self.package, operation)
        return module

    def make(self, base_url: str, variant: str = "", **options: Any) -> Any:
        """A client from the public factory with the sandbox's credentials for ``variant``; ``options`` win (a
        wrong ``api_key`` or ``api_secret`` included)."""
        arguments = {**self.credentials[variant or self.variants[0]], "base_url": base_url, **options}
        return self.factory(**arguments)

    def client(self, sbx: Sandbox, variant: str = "", **options: Any) -> Any:
        """:meth:`make` on the sandbox, with the client-side rate limiter off unless asked for (faults, not
        limits, are what most tests are about; the limiter's waits would only slow them)."""
        options.setdefault("rate_limit", False)
        return self.make(sbx.base_url(self.name), variant, **options)

    def error_body(self, code: int | str | None, message: str) -> dict[str, Any]:
        """An error body in the exchange's shape (``code`` left out when ``None``)."""
        body: dict[str, Any] = (
            {self.message_key: message} if code is None else {"code": code, self.message_key: message}
        )
        if self.envelope:
            body["data"] = []
        return body

    def signature_of(self, record: RequestRecord) -> str:
        """The signature a recorded request carried, as sent."""
        if self.signature_header is None:
            return record.target.rpartition("signature=")[2]
        return record.headers[self.signature_header]

    def invoke(
        self,
        sbx: Sandbox,
        mode: str,
        operation_id: str | None = None,
        *,
        detailed: bool = True,
        variant: str = "",
        **options: Any,
    ) -> Any:
        """Make a sandbox client (:meth:`client`), call ``operation_id`` (default: :attr:`signed`) once with its
        sample arguments, close; return what the generated function returned, or let its exception through."""
        operation = operation_id or self.signed[1]
        client = self.client(sbx, variant, **options)
        return call(client, self.module(operation), mode, sample(self.name, operation), detailed=detailed)

    def attempts(self, sbx: Sandbox, operation_id: str | None = None) -> list[RequestRecord]:
        """The sandbox's records of requests to ``operation_id`` (default: :attr:`signed`)."""
        wanted = operation_id or self.signed[1]
        return [record for record in sbx.requests(self.name) if record.operation_id == wanted]


EXCHANGES: Final = {
    "backpack": Exchange(
        name="backpack",
        factory=backpack.make_client,
        credentials={"ed25519": {"api_secret": BACKPACK_CREDENTIALS.api_secret}},
        api_keys={"ed25519": BACKPACK_CREDENTIALS.api_key},
        signed=("account", "get_max_borrow_quantity"),
        path="/api/v1/account/limits/borrow",
        time_path="/api/v1/time",
        api_key_header="x-api-key",
        signature_header="x-signature",
        message_key="message",
    ),
    "binance": Exchange(
        name="binance",
        factory=binance.make_client,
        credentials={
            "hmac": {"api_key": BINANCE_CREDENTIALS.hmac_api_key, "api_secret": BINANCE_CREDENTIALS.hmac_api_secret},
            "ed25519": {
                "api_key": BINANCE_CREDENTIALS.ed25519_api_key,
                "private_key": BINANCE_CREDENTIALS.ed25519_private_key_pem,
            },
        },
        api_keys={"hmac": BINANCE_CREDENTIALS.hmac_api_key, "ed25519": BINANCE_CREDENTIALS.ed25519_api_key},
        signed=("margin", "query_max_borrow"),
        path="/sapi/v1/margin/maxBorrowable",
        time_path="/api/v3/time",
        api_key_header="x-mbx-apikey",
        signature_header=None,
        message_key="msg",
    ),
    "okx": Exchange(
        name="okx",
        factory=okx.make_client,
        credentials={
            "live": {
                "api_key": OKX_CREDENTIALS.api_key,
                "api_secret": OKX_CREDENTIALS.api_secret,
                "passphrase": OKX_CREDENTIALS.passphrase,
            },
            "demo": {
                "api_key": OKX_CREDENTIALS.demo_api_key,
                "api_secret": OKX_CREDENTIALS.api_secret,
                "passphrase": OKX_CREDENTIALS.passphrase,
                "demo": True,
            },
        },
        api_keys={"live": OKX_CREDENTIALS.api_key, "demo": OKX_CREDENTIALS.demo_api_key},
        signed=("account", "get_max_loan"),
        path="/api/v5/account/max-loan",
        time_path="/api/v5/public/time",
        api_key_header="ok-access-key",
        signature_header="ok-access-sign",
        message_key="msg",
        envelope=True,
    ),
}
NAMES: Final = tuple(EXCHANGES)

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


def sample(exchange: str, operation_id: str) -> dict[str, Any]:
    """The spec's example arguments of one operation, as the generated functions take them."""
    facts = EXCHANGES[exchange]
    return sample_arguments(facts.package, facts.operation(operation_id))


def call(
    client: Any, module: ModuleType, mode: str, arguments: dict[str, Any], *, detailed: bool = True, enter: bool = True
) -> Any:
    """Call one generated operation once on ``client`` (entered as a context manager and closed unless ``enter``
    is false): ``mode`` ``"sync"`` or ``"async"``; ``detailed`` picks ``*_detailed``. Returns what it returned."""
    if mode == "sync":
        function = module.sync_detailed if detailed else module.sync
        if not enter:
            return function(client=client, **arguments)
        with client:
            return function(client=client, **arguments)

    async def run() -> Any:
        function = module.asyncio_detailed if detailed else module.asyncio
        if not enter:
            return await function(client=client, **arguments)
        async with client:
            return await function(client=client, **arguments)

    return asyncio.run(run())


def records_settled(sbx: Sandbox, exchange: str, count: int, timeout_s: float = 3.0) -> list[RequestRecord]:
    """The sandbox's records for ``exchange`` once at least ``count`` are there (delayed answers record late)."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = sbx.requests(exchange)
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.01)


def assert_fresh_and_valid(exchange: Exchange, records: list[RequestRecord]) -> None:
    """Every attempt was validly signed, with a strictly later timestamp and a different signature."""
    assert records, "no attempts recorded"
    assert all(record.auth == "ok" for record in records), [record.auth for record in records]
    stamps = [record.timestamp_ms or 0 for record in records]
    assert all(stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), stamps
    signatures = [exchange.signature_of(record) for record in records]
    assert len(set(signatures)) == len(signatures)
