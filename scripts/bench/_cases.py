"""What the benchmark calls: one case per (operation, signing scheme), built only through the public API.

A case's client is ``auth_plugins.<exchange>.make_client(<sandbox credentials>, base_url=...)`` and its call is
``<exchange>_client.api.<tag>.<operation>.sync(client=client, **<the spec's example arguments>)`` (or
``asyncio``). Credentials are the sandbox's throwaway public test values, passed to worker processes so those
never import the sandbox (werkzeug, openapi-core) and stay as lean as a user's process.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import Any, Final

from auth_plugins._generated import operations as generated_operations

__all__ = [
    "CASES",
    "FANOUT_CASES",
    "QUICK_CASES",
    "SIGNING_SCHEMES",
    "Case",
    "FloorRequest",
    "api_module",
    "credentials",
    "make_ours",
    "unsigned_target",
]


@dataclass(frozen=True)
class Case:
    """One benchmarked call: ``scheme`` is ``hmac-hex``, ``hmac-base64``, ``ed25519`` or ``public`` (unsigned).

    ``primary`` marks a signed operation on its exchange's usual scheme (the issue's five signed operations);
    Binance's operations are benchmarked on Ed25519 as well, not primary.
    """

    exchange: str
    operation: str
    tag: str
    scheme: str
    primary: bool

    @property
    def key(self) -> str:
        """A stable label, e.g. ``binance.query_max_borrow[ed25519]``."""
        return f"{self.exchange}.{self.operation}[{self.scheme}]"


@dataclass(frozen=True)
class FloorRequest:
    """The same request our client sends, minus what signing adds: method, raw path with query, body."""

    method: str
    target: str
    body: str
    content_type: str | None

    def to_json(self) -> dict[str, Any]:
        """This request as a JSON-ready mapping."""
        return asdict(self)


SIGNING_SCHEMES: Final = {"backpack": ("ed25519",), "binance": ("hmac-hex", "ed25519"), "okx": ("hmac-base64",)}
"""The schemes each exchange's signed operations are benchmarked on; the first is the primary one."""


def _all_cases(*, one_per_kind: bool = False) -> tuple[Case, ...]:
    signed: list[Case] = []
    public: list[Case] = []
    for exchange, schemes in SIGNING_SCHEMES.items():
        operations = generated_operations(f"{exchange}_client")
        kinds: set[tuple[str, bool]] = set()
        for op in sorted(operations, key=lambda op: op.operation_id):
            if one_per_kind and (op.method, op.signed) in kinds:
                continue
            kinds.add((op.method, op.signed))
            if not op.signed:
                public.append(Case(exchange, op.operation_id, op.tag, "public", False))
                continue
            signed += [Case(exchange, op.operation_id, op.tag, scheme, i == 0) for i, scheme in enumerate(schemes)]
    return (*signed, *public)


CASES: Final = _all_cases()
"""Every operation of the generated packages (from ``<exchange>_client.operations``): signed ones on each of
their exchange's schemes, then the public ones."""

QUICK_CASES: Final = _all_cases(one_per_kind=True)
"""``--quick``: of each exchange's operations, the first (by operationId) of each HTTP method, signed and public,
on each of the exchange's schemes. Its run then costs the same however many endpoints the specs hold (at 200 per
exchange, every operation made the smoke test's per-call section take a minute)."""
FANOUT_CASES: Final = tuple(
    next(case for case in CASES if case.exchange == exchange and case.primary) for exchange in SIGNING_SCHEMES
)
"""The first primary signed operation of each exchange (one per signing scheme), for the async fan-out."""


def api_module(case: Case) -> Any:
    """The generated module of ``case`` (``sync``, ``asyncio`` ...)."""
    return importlib.import_module(f"{case.exchange}_client.api.{case.tag}.{case.operation}")


def credentials() -> dict[str, dict[str, str]]:
    """The sandbox's throwaway credentials, per exchange, as plain strings (public test vectors)."""
    from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS

    return {
        "backpack": {"api_secret": BACKPACK_CREDENTIALS.api_secret},
        "binance": {
            "hmac_api_key": BINANCE_CREDENTIALS.hmac_api_key,
            "hmac_api_secret": BINANCE_CREDENTIALS.hmac_api_secret,
            "ed25519_api_key": BINANCE_CREDENTIALS.ed25519_api_key,
            "ed25519_private_key_pem": BINANCE_CREDENTIALS.ed25519_private_key_pem,
        },
        "okx": {
            "api_key": OKX_CREDENTIALS.api_key,
            "api_secret": OKX_CREDENTIALS.api_secret,
            "passphrase": OKX_CREDENTIALS.passphrase,
        },
    }


def make_ours(case: Case, creds: dict[str, dict[str, str]], base_url: str, **options: Any) -> Any:
    """A factory-made client for ``case`` on ``base_url``, with the client-side rate limiter off (the loops run
    far above any documented limit: a limiter would time its own sleeps). ``options`` go to ``make_client``
    (e.g. ``limits``). Returns the generated ``AuthenticatedClient``."""
    options.setdefault("rate_limit", False)
    if case.exchange == "backpack":
        from auth_plugins.backpack import make_client as backpack

        return backpack(api_secret=creds["backpack"]["api_secret"], base_url=base_url, **options)
    if case.exchange == "binance":
        from auth_plugins.binance import make_client as binance

        c = creds["binance"]
        if case.scheme == "ed25519":
            pem = c["ed25519_private_key_pem"]
            return binance(api_key=c["ed25519_api_key"], private_key=pem, base_url=base_url, **options)
        return binance(api_key=c["hmac_api_key"], api_secret=c["hmac_api_secret"], base_url=base_url, **options)
    from auth_plugins.okx import make_client as okx

    c = creds["okx"]
    return okx(
        api_key=c["api_key"], api_secret=c["api_secret"], passphrase=c["passphrase"], base_url=base_url, **options
    )


def sample_kwargs(case: Case) -> dict[str, Any]:
    """The spec's example arguments of ``case``'s operation (what every benchmarked call sends)."""
    from auth_plugins._generated import operations, sample_arguments

    package = f"{case.exchange}_client"
    operation = next(op for op in operations(package) if op.operation_id == case.operation)
    return sample_arguments(package, operation)


def unsigned_target(raw_target: str, exchange: str) -> str:
    """``raw_target`` (path?query as the sandbox received it) without the query parameters a signer adds."""
    if exchange != "binance" or "?" not in raw_target:
        return raw_target
    path, _, query = raw_target.partition("?")
    kept = [pair for pair in query.split("&") if pair.partition("=")[0] not in {"timestamp", "signature"}]
    return f"{path}?{'&'.join(kept)}" if kept else path
