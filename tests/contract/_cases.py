"""Contract cases: every bundled operation, called through the public factories against the sandbox.

Shared by the contract, property and signing-rule tests. The operations come from the committed bundles
(``generated/<exchange>_client/openapi.yaml``), their arguments from the spec's examples, the credentials from the
sandbox (tests/_exchanges.py); nothing here knows an operation by name.

What only a new operation can break (its wire shape, its signature, its parse) is tested for every operation; what
is shared machinery (other key types, refusals, signing rules, error mapping) is tested once per *kind* of
operation: same exchange, signed or public, same method, with or without a JSON body (:func:`kind`). Each kind is
represented by its richest operation (:func:`representatives`), so a new kind is tested as soon as it appears, and
one more operation of a known kind adds only its own per-operation tests.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from auth_plugins.sandbox import RequestRecord, Sandbox
from auth_plugins.sandbox._app import SANDBOX_OKX_ORDER
from auth_plugins.sandbox._echo import reflect
from tests._exchanges import EXCHANGES, sample
from tests._specs import MATRIX_RUN, all_operations, kind_representatives, operation_kind, resolve, snake

__all__ = [
    "AWKWARD",
    "SIGNATURE_HEADERS",
    "Case",
    "accepts_awkward",
    "assert_rejected",
    "awkward_kwargs",
    "call",
    "contract_cases",
    "default_variant",
    "expected_body",
    "kind",
    "make_sandbox_client",
    "outcome",
    "per_operation",
    "representatives",
    "variants",
]

AWKWARD: Final = "Ünï €&=+%/?#; ~"
"""A spec-valid value for any plain string: non-ASCII, and every character a query string must percent-encode."""

SIGNATURE_HEADERS: Final = ("x-signature", "ok-access-sign", "ok-access-passphrase", "ok-access-timestamp")
"""Headers only a signed request may carry (lower case)."""

_SERVER_TIME: Final = re.compile(r"\d{13}")


@dataclass(frozen=True)
class Case:
    """One operation called one way: which key (``variant``) and which arguments (``args``: sample or awkward)."""

    exchange: str
    operation_id: str
    tag: str
    method: str
    path: str
    signed: bool
    variant: str
    args: str
    operation: dict[str, Any]

    @property
    def id(self) -> str:
        """A readable pytest id, e.g. ``okx-get_max_loan-demo-awkward``."""
        return f"{self.exchange}-{self.operation_id}-{self.variant}-{self.args}"

    @property
    def module(self) -> ModuleType:
        """The generated module holding ``sync``, ``sync_detailed``, ``asyncio`` and ``asyncio_detailed``."""
        return importlib.import_module(f"{self.exchange}_client.api.{self.tag}.{self.operation_id}")

    @property
    def example(self) -> Any:
        """The documented example of the 200 response."""
        return next(iter(self.operation["responses"]["200"]["content"].values()))["example"]

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the generated functions (everything but ``client``)."""
        arguments = sample(self.exchange, self.operation_id)
        return awkward_kwargs(self.exchange, self.operation, arguments) if self.args == "awkward" else arguments


def variants(exchange: str, signed: bool) -> tuple[str, ...]:
    """The sandbox keys an operation is called with: every key type for a signed one, the default for a public one."""
    facts = EXCHANGES[exchange]
    return facts.variants if signed else facts.variants[:1]


def default_variant(exchange: str, signed: bool) -> str:
    """The key type every operation is called with (the others are tested once per kind)."""
    return variants(exchange, signed)[0]


def make_sandbox_client(exchange: str, variant: str, base_url: str, **options: Any) -> Any:
    """A client from the public factory of ``exchange``, with the sandbox's throwaway credentials for ``variant``;
    ``options`` go to ``make_client`` (``clock=``, ``transport=``, a wrong ``api_key`` or ``api_secret`` ...).
    The client-side rate limiter is off unless asked for: limits are not what contract tests are about
    (tests/client/test_rate_limit.py is), and waiting on them would make every added operation cost seconds."""
    options.setdefault("rate_limit", False)
    return EXCHANGES[exchange].make(base_url, variant, **options)


def accepts_awkward(schema: dict[str, Any]) -> bool:
    """Whether :data:`AWKWARD` is a valid value of this string schema (no enum or format; pattern and length met)."""
    if schema.get("type") != "string" or {"enum", "format", "const"} & schema.keys():
        return False
    if "pattern" in schema and not re.search(schema["pattern"], AWKWARD):
        return False
    return bool(schema.get("minLength", 0) <= len(AWKWARD) <= schema.get("maxLength", len(AWKWARD)))


def _awkward_value(exchange: str, schema: dict[str, Any], value: Any) -> Any:
    schema = resolve(exchange, schema)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: _awkward_value(exchange, properties[k], v) if k in properties else v for k, v in value.items()}
    if isinstance(value, list):
        return [_awkward_value(exchange, schema.get("items", {}), item) for item in value]
    return AWKWARD if isinstance(value, str) and accepts_awkward(schema) else value


def awkward_kwargs(exchange: str, operation: dict[str, Any], sample: dict[str, Any]) -> dict[str, Any]:
    """``sample`` with every string parameter and body field that accepts it replaced by :data:`AWKWARD`."""
    by_name = {snake(p["name"]): resolve(exchange, p) for p in operation.get("parameters", [])}
    result = dict(sample)
    for name, value in sample.items():
        if name in by_name:
            result[name] = _awkward_value(exchange, by_name[name]["schema"], value)
        elif name == "body":
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            result[name] = type(value).from_dict(_awkward_value(exchange, schema, value.to_dict()))
    return result


def _has_awkward_variant(exchange: str, operation: dict[str, Any]) -> bool:
    arguments = sample(exchange, operation["operationId"])
    return _plain(awkward_kwargs(exchange, operation, arguments)) != _plain(arguments)


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in kwargs.items()}


def contract_cases() -> Iterator[Case]:
    """Every bundled operation, with every key variant, with its sample arguments and (when the operation has
    a string parameter or body field that accepts it) with :func:`awkward_kwargs`."""
    for exchange, method, path, operation in all_operations():
        signed = bool(operation.get("security"))
        arg_sets = ("sample", "awkward") if _has_awkward_variant(exchange, operation) else ("sample",)
        for variant in variants(exchange, signed):
            for args in arg_sets:
                yield Case(
                    exchange,
                    operation["operationId"],
                    operation["tags"][0],
                    method,
                    path,
                    signed,
                    variant,
                    args,
                    operation,
                )


def kind(case: Case) -> tuple[str, bool, str, bool]:
    """What shared machinery sees of an operation (:func:`~tests._specs.operation_kind`)."""
    return operation_kind(case.exchange, case.method, case.operation)


def representatives(cases: Iterable[Case]) -> list[Case]:
    """The cases (every key type and argument set) of each kind's representative operation
    (:func:`~tests._specs.kind_representatives`)."""
    chosen = kind_representatives()
    return [case for case in cases if (case.exchange, case.operation_id) in chosen]


def per_operation(cases: Iterable[Case]) -> list[Case]:
    """Every operation with the default key type, plus the other key types on each kind's representative; under
    :data:`~tests._specs.MATRIX_RUN` (the interpreters after the first), the representatives' cases only."""
    cases = list(cases)
    chosen = {id(case) for case in representatives(cases)}
    if MATRIX_RUN:
        return [case for case in cases if id(case) in chosen]
    return [case for case in cases if case.variant == default_variant(case.exchange, case.signed) or id(case) in chosen]


def call(case: Case, client: Any, mode: str, kwargs: dict[str, Any] | None = None) -> tuple[int, list[Any]]:
    """Call the operation twice on ``client``: ``mode`` "sync" runs ``sync_detailed`` then ``sync``, "async" runs
    ``asyncio_detailed`` then ``asyncio``. Return the detailed call's HTTP status and both parsed results, in
    order. The client is entered as a context manager, so it is closed afterwards."""
    module, arguments = case.module, case.kwargs() if kwargs is None else kwargs
    if mode == "sync":
        with client:
            detailed = module.sync_detailed(client=client, **arguments)
            plain = module.sync(client=client, **arguments)
        return int(detailed.status_code), [detailed.parsed, plain]

    async def both() -> tuple[int, list[Any]]:
        async with client:
            detailed = await module.asyncio_detailed(client=client, **arguments)
            plain = await module.asyncio(client=client, **arguments)
        return int(detailed.status_code), [detailed.parsed, plain]

    return asyncio.run(both())


def expected_body(case: Case, record: RequestRecord) -> Any:
    """The documented example reflecting what ``record`` asked (the sandbox's ``reflect``, tested on its own in
    tests/test_sandbox_echo.py), except that a server-time operation answers the sandbox's clock at receipt:
    every 13-digit timestamp in its example is replaced, in the same JSON type, by ``record.received_ms``, and an
    OKX ``ordId`` other than the sandbox account's one order is answered with the documented empty ``data``."""
    if case.operation_id != "get_server_time":
        asked: dict[str, Any] = dict(parse_qsl(urlsplit(record.target).query, keep_blank_values=True))
        if record.body.strip():
            decoded = json.loads(record.body)
            asked.update((k, v) for k, v in decoded.items() if isinstance(v, str | bool))
        expected = reflect(case.example, asked)
        if case.exchange == "okx" and asked.get("ordId", SANDBOX_OKX_ORDER) != SANDBOX_OKX_ORDER:
            expected = {**expected, "data": []}  # OKX's answer for an order the account does not have
        return expected

    def now(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: now(v) for k, v in value.items()}
        if isinstance(value, list):
            return [now(v) for v in value]
        if isinstance(value, int) and _SERVER_TIME.fullmatch(str(value)):
            return record.received_ms
        if isinstance(value, str) and _SERVER_TIME.fullmatch(value):
            return str(record.received_ms)
        return value

    return now(case.example)


def outcome(send: Callable[[], Any]) -> tuple[int, str | None]:
    """``(HTTP status, the exchange's code as text)`` of one call of a generated ``sync_detailed``.

    A refusal reaches the caller either as an exception carrying ``.status`` and ``.code`` (the factories'
    typed errors) or as a non-200 ``Response`` whose parsed error model has a ``code``; a success has no code.
    Any other exception propagates.
    """
    try:
        result = send()
    except Exception as error:
        if not (hasattr(error, "status") and hasattr(error, "code")):
            raise
        return int(error.status), None if error.code is None else str(error.code)
    status = int(result.status_code)
    return status, None if status == 200 else str(getattr(result.parsed, "code", None))


def assert_rejected(sandbox: Sandbox, exchange: str, send: Callable[[], Any], status: int, code: int | str) -> None:
    """Assert that ``send()`` (one call of a generated ``sync_detailed``) was refused by the sandbox with
    ``status`` and the exchange's ``code``, once, and that the caller saw that refusal, not a success."""
    assert outcome(send) == (status, str(code))
    assert [(r.status, r.verdict) for r in sandbox.requests(exchange)] == [(status, str(code))]
