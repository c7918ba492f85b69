"""The bundled OpenAPI documents, read once, as the sandbox's routing table and validators."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import yaml
from openapi_core import Config, OpenAPI

from auth_plugins._generated import bundle_text
from auth_plugins._openapi import follow
from auth_plugins._ratelimit_shape import POOLS_EXTENSION, RateLimitShapeError, ResolvedRateLimit, resolve

__all__ = ["EXCHANGES", "ExchangeSpec", "Operation", "RateLimit", "SpecError", "load_exchange_spec"]

EXCHANGES: Final = ("backpack", "binance", "okx")
"""The exchanges the sandbox serves, each from its bundle ``<exchange>_client/openapi.yaml``."""
_HTTP_METHODS: Final = ("get", "put", "post", "delete", "patch")
_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it: a bundle of hundreds of operations parses about six times
faster (the sandbox starts in a fraction of a second instead of 1.4 s at 200 operations per exchange)."""
_PREVALIDATED: Final = Config(spec_validator_cls=None)
"""openapi-core checks a document against the OpenAPI schema on load; the bundle was already checked when it was
built (scripts/codegen/bundle.py), and checking it twice more at every sandbox start cost 2.9 s of 3.5 s at 200
operations per exchange. tests/sandbox/test_sandbox.py checks the two documents the sandbox derives."""

# The signature itself is a request parameter on Binance but is not an auth-parameter in the spec (the
# signer adds it after signing), so the sandbox declares it here for validation and the unknown-parameter check.
_SIGNATURE_PARAMETERS: Final[dict[str, tuple[dict[str, Any], ...]]] = {
    "binance": ({"name": "signature", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}},),
}
_SCHEMA_KEYS: Final = ("type", "format", "minimum", "maximum", "enum", "pattern", "minLength", "maxLength")


class SpecError(Exception):
    """The bundled spec lacks something the sandbox needs (for example a 200 example)."""


RateLimit = ResolvedRateLimit
"""A documented limit, its pool resolved (:class:`~auth_plugins._ratelimit_shape.ResolvedRateLimit`)."""


@dataclass(frozen=True)
class Operation:
    """One spec operation as the sandbox serves it.

    ``query_parameters`` are every query name the operation accepts: the spec's parameters, the
    ``x-signing.auth-parameters`` and the exchange's signature parameter. ``content_types`` maps each
    documented status to its first documented media type.
    """

    operation_id: str
    method: str
    path: str
    signed: bool
    instruction: str | None
    rate_limit: RateLimit | None
    query_parameters: frozenset[str]
    boolean_query_parameters: frozenset[str]
    success_example: Any
    content_types: dict[int, str]
    pattern: re.Pattern[str]

    @property
    def success_content_type(self) -> str:
        """The media type of the documented 200 response."""
        return self.content_types[200]


@dataclass(frozen=True)
class ExchangeSpec:
    """One exchange's bundle: its operations, server URL and two openapi-core apps.

    ``request_api`` is the bundle with each operation's ``security`` removed (the sandbox checks auth itself,
    with the exchange's own error codes) and its auth and signature parameters declared, so that their types
    are validated too. ``response_api`` is the bundle exactly as committed.
    """

    exchange: str
    server_url: str
    operations: tuple[Operation, ...]
    request_api: OpenAPI
    response_api: OpenAPI

    def match(self, method: str, path: str) -> Operation | None:
        """The operation serving ``method`` on the decoded ``path``, or None."""
        for operation in self.operations:
            if operation.method == method and operation.pattern.fullmatch(path):
                return operation
        return None

    def operation(self, operation_id: str) -> Operation:
        """The operation with this ``operationId``; raises ``KeyError`` if the spec has none."""
        for operation in self.operations:
            if operation.operation_id == operation_id:
                return operation
        raise KeyError(f"{self.exchange} has no operation {operation_id!r}")


def _auth_parameter(declared: dict[str, Any]) -> dict[str, Any]:
    schema = {key: declared[key] for key in _SCHEMA_KEYS if key in declared}
    return {
        "name": declared["name"],
        "in": declared["in"],
        "required": bool(declared.get("required")),
        "schema": schema,
    }


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


def _accepted_parameters(exchange: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's own parameters, its auth-parameters and, when signed, the exchange's signature parameter."""
    parameters = list(raw.get("parameters", []))
    parameters += [_auth_parameter(p) for p in (raw.get("x-signing") or {}).get("auth-parameters", [])]
    if raw.get("security"):
        parameters += copy.deepcopy(list(_SIGNATURE_PARAMETERS.get(exchange, ())))
    return parameters


def _operation(exchange: str, document: dict[str, Any], method: str, path: str, raw: dict[str, Any]) -> Operation:
    operation_id: str = raw["operationId"]
    where = f"{exchange} {operation_id}"
    signing = raw.get("x-signing") or {}
    query = [p for p in (follow(document, p) for p in _accepted_parameters(exchange, raw)) if p["in"] == "query"]

    rate = raw.get("x-rate-limit")
    if not isinstance(rate, dict):
        raise SpecError(f"{where}: no x-rate-limit")
    try:
        rate_limit = resolve(rate, document.get(POOLS_EXTENSION), operation_id)
    except RateLimitShapeError as error:
        raise SpecError(f"{where}: {error}") from None

    content_types: dict[int, str] = {}
    for status, response in raw.get("responses", {}).items():
        content = follow(document, response).get("content") or {}
        if status.isdigit() and content:
            content_types[int(status)] = next(iter(content))
    if 200 not in content_types:
        raise SpecError(f"{where}: no documented 200 content")
    success = follow(document, raw["responses"]["200"])["content"][content_types[200]]
    if "example" not in success:
        raise SpecError(f"{where}: the 200 response has no example to answer with")

    return Operation(
        operation_id=operation_id,
        method=method.upper(),
        path=path,
        signed=bool(raw.get("security")),
        instruction=signing.get("instruction"),
        rate_limit=rate_limit,
        query_parameters=frozenset(p["name"] for p in query),
        boolean_query_parameters=frozenset(
            p["name"] for p in query if follow(document, p.get("schema", {})).get("type") == "boolean"
        ),
        success_example=success["example"],
        content_types=content_types,
        pattern=_path_pattern(path),
    )


def _request_document(exchange: str, document: dict[str, Any]) -> dict[str, Any]:
    augmented = copy.deepcopy(document)
    for item in augmented["paths"].values():
        for method in _HTTP_METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            raw["parameters"] = _accepted_parameters(exchange, raw)
            raw.pop("security", None)
    return augmented


@cache
def load_exchange_spec(exchange: str) -> ExchangeSpec:
    """Read the bundle ``<exchange>_client/openapi.yaml`` (package data; once per process) and build its routing
    table and validators.

    Raises ``ValueError`` for an unknown exchange and ``SpecError`` if an operation cannot be served.
    """
    if exchange not in EXCHANGES:
        raise ValueError(f"unknown exchange {exchange!r}; expected one of {', '.join(EXCHANGES)}")
    text = bundle_text(f"{exchange}_client")
    document: dict[str, Any] = yaml.load(text, Loader=_LOADER)
    operations = tuple(
        _operation(exchange, document, method, path, item[method])
        for path, item in document["paths"].items()
        for method in _HTTP_METHODS
        if method in item
    )
    return ExchangeSpec(
        exchange=exchange,
        server_url=document["servers"][0]["url"],
        operations=operations,
        request_api=OpenAPI.from_dict(_request_document(exchange, document), config=_PREVALIDATED),
        response_api=OpenAPI.from_dict(document, config=_PREVALIDATED),
    )
