"""Reading spec endpoint files (specs/<exchange>/endpoints/*.yaml) into :class:`PageOperation` for
scripts/docs_check/check.py, in the same shape a doc page is read into.

The endpoint files, not the bundle, are read so that every difference can name the file to edit. Local
``$ref`` pointers are followed inside the file they are written in.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

import yaml

from auth_plugins._openapi import RefError, follow
from scripts.codegen.bundle import BASE_FILE, with_base_components
from scripts.codegen.yaml_loader import LOADER
from scripts.docs_check._model import Field, FieldType, PageOperation, Unreadable
from scripts.docs_check._pages import described_values

__all__ = [
    "AUTH_ORIGIN",
    "ENVELOPES",
    "POOLS_KEY",
    "SpecError",
    "load_specs",
    "rate_limit_facts",
    "schema_fields",
    "schema_type",
    "spec_operations",
]

ENDPOINTS_DIR = "endpoints"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
AUTH_ORIGIN = "x-signing.auth-parameters"
# Exchanges whose success bodies wrap the documented fields: {"code", "msg", "data": [items]} on OKX, whose
# pages document the items.
ENVELOPES = {"okx": "data"}
POOLS_KEY = "x-rate-limit-pools"
# keyed-on values of the specs before RATE-LIMIT-CONTRACT, read in today's vocabulary.
LEGACY_KEYED_ON = {"user": "account"}
_MAX_DEPTH = 32
# OKX's "Conditional" has no schema keyword; the specs start such a parameter's description with it.
_CONDITIONAL = re.compile(r"\s*conditional\b", re.IGNORECASE)

Document = dict[str, Any]


class SpecError(Exception):
    """An endpoint file whose structure this reader cannot follow (a broken or non-local ``$ref``...)."""


# TypeError and the like mean a shape the bundler would refuse (``parameters: 5``): report the file, go on.
_READ_ERRORS = (OSError, UnicodeDecodeError, yaml.YAMLError, SpecError, TypeError, ValueError, AttributeError)


def _resolve(doc: Document, node: Any) -> Any:
    """``node`` with local ``$ref`` pointers followed; raises :class:`SpecError` on a broken pointer."""
    try:
        return follow(doc, node)
    except RefError as error:
        raise SpecError(str(error)) from None


def _mapping(value: Any) -> Document:
    return value if isinstance(value, dict) else {}


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merged(doc: Document, schema: Any) -> Document:
    """A schema with ``allOf`` parts folded in (properties and required lists merged)."""
    resolved = _mapping(_resolve(doc, schema))
    if "allOf" not in resolved:
        return resolved
    merged: Document = {key: value for key, value in resolved.items() if key != "allOf"}
    for part in resolved["allOf"] or []:
        piece = _merged(doc, part)
        merged.setdefault("type", piece.get("type"))
        merged["properties"] = {**_mapping(merged.get("properties")), **_mapping(piece.get("properties"))}
        merged["required"] = [*(merged.get("required") or []), *(piece.get("required") or [])]
    return merged


def schema_type(doc: Document, schema: Any, depth: int = 0) -> FieldType | None:
    """The :class:`FieldType` of a schema (``null`` dropped from a type list), ``None`` if it has none."""
    resolved = _merged(doc, schema)
    kind = resolved.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else None
    if kind is None:
        kind = "object" if "properties" in resolved else "array" if "items" in resolved else None
    if not isinstance(kind, str):
        return None
    items = None
    if kind == "array" and depth < _MAX_DEPTH:
        item_type = schema_type(doc, resolved.get("items", {}), depth + 1)
        items = item_type.base if item_type else None
    fmt = resolved.get("format")
    return FieldType(kind, items, fmt if isinstance(fmt, str) else None)


def _enum(doc: Document, schema: Any) -> frozenset[str] | None:
    values = _merged(doc, schema).get("enum")
    return frozenset(_value_text(v) for v in values) if isinstance(values, list) else None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None


class _Facts(TypedDict):
    described: frozenset[str] | None
    conditional: bool
    max_list_items: int | None
    minimum: Decimal | None
    maximum: Decimal | None
    default: str | None


def _facts(node: Document, description: Any = None) -> _Facts:
    """The :class:`Field` keywords a schema (or an inline auth parameter) and its description give.

    ``description`` is the parameter's own one when it has one, else the schema's.
    """
    text = description if isinstance(description, str) else node.get("description")
    text = text if isinstance(text, str) else ""
    limit = node.get("x-max-list-items")
    return {
        "described": described_values(text.splitlines()),
        "conditional": bool(_CONDITIONAL.match(text)),
        "max_list_items": _int_or_none(limit),
        "minimum": _decimal(node.get("minimum")),
        "maximum": _decimal(node.get("maximum")),
        "default": _value_text(node["default"]) if node.get("default") is not None else None,
    }


def schema_fields(doc: Document, schema: Any, prefix: str = "", depth: int = 0) -> list[Field]:
    """Dotted fields of an object schema, nested ones included (``supCollateral[].ccy``).

    An array schema contributes the fields of its items under the same prefix. ``required`` is whether the
    field is in its parent object's ``required`` list.
    """
    resolved = _merged(doc, schema)
    if depth > _MAX_DEPTH:
        return []
    kind = schema_type(doc, resolved)
    if kind is not None and kind.base == "array":
        return schema_fields(doc, resolved.get("items", {}), prefix, depth + 1)
    required = set(resolved.get("required") or [])
    fields: list[Field] = []
    for name, prop in _mapping(resolved.get("properties")).items():
        full = f"{prefix}{name}"
        prop_type = schema_type(doc, prop)
        fields.append(
            Field(
                name=full,
                type=prop_type,
                required=name in required,
                enum=_enum(doc, prop),
                **_facts(_merged(doc, prop)),
            )
        )
        if prop_type is not None and prop_type.base == "object":
            fields += schema_fields(doc, prop, f"{full}.", depth + 1)
        elif prop_type is not None and prop_type.base == "array":
            fields += schema_fields(doc, _merged(doc, prop).get("items", {}), f"{full}[].", depth + 1)
    return fields


def _first_schema(doc: Document, holder: Any) -> Any:
    """The schema of the first media type of a request body or response, ``None`` if it has no content."""
    content = _mapping(_mapping(_resolve(doc, holder)).get("content"))
    for media in content.values():
        return _mapping(media).get("schema")
    return None


def _parameters(doc: Document, path_item: Document, operation: Document) -> list[Field]:
    """Path-level then operation-level parameters (the latter overriding), then the auth hook's ones."""
    by_key: dict[tuple[str, str], Field] = {}
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = _mapping(_resolve(doc, raw))
        name, where = str(param.get("name", "")), str(param.get("in", ""))
        schema = param.get("schema", {})
        by_key[(name, where)] = Field(
            name=name,
            location=where,
            type=schema_type(doc, schema),
            required=bool(param.get("required", where == "path")),
            enum=_enum(doc, schema),
            **_facts(_merged(doc, schema), param.get("description")),
        )
    fields = list(by_key.values())
    for raw in _mapping(operation.get("x-signing")).get("auth-parameters") or []:
        auth = _mapping(raw)
        kind, fmt, values = auth.get("type"), auth.get("format"), auth.get("enum")
        fields.append(
            Field(
                name=str(auth.get("name", "")),
                location=str(auth.get("in", "")),
                type=FieldType(kind, None, fmt if isinstance(fmt, str) else None) if isinstance(kind, str) else None,
                required=bool(auth.get("required", False)),
                enum=frozenset(_value_text(v) for v in values) if isinstance(values, list) else None,
                origin=AUTH_ORIGIN,
                **_facts(auth),
            )
        )
    return fields


def _success_code(responses: Document) -> str | None:
    """The 200 response's code, else the lowest 2xx one, else ``None``."""
    codes = sorted(str(code) for code in responses if str(code).startswith("2"))
    return "200" if "200" in codes else codes[0] if codes else None


def _success_schema(doc: Document, exchange: str, responses: Document) -> Any:
    """The success response's schema, unwrapped from the exchange's envelope if it has one."""
    by_code = {str(code): response for code, response in responses.items()}
    code = _success_code(responses)
    if code is None:
        return None
    schema = _first_schema(doc, by_code[code])
    envelope = ENVELOPES.get(exchange)
    if envelope and schema is not None:
        wrapped = _mapping(_merged(doc, schema).get("properties")).get(envelope)
        if wrapped is not None:
            return wrapped
    return schema


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_fields(doc: Document, responses: Document) -> dict[str, list[Field]]:
    """Fields of each response other than the success one that has a schema, keyed by status code."""
    success = _success_code(responses)
    fields: dict[str, list[Field]] = {}
    for code, response in responses.items():
        schema = _first_schema(doc, response)
        if str(code) != success and schema is not None:
            fields[str(code)] = schema_fields(doc, schema)
    return fields


def _media_types(doc: Document, responses: Document) -> dict[str, frozenset[str]]:
    """The media types of each response's ``content``, keyed by status code."""
    return {
        str(code): frozenset(str(media) for media in _mapping(_mapping(_resolve(doc, response)).get("content")))
        for code, response in responses.items()
    }


def rate_limit_facts(rate: Document, pools: Document | None = None) -> dict[str, Any]:
    """The :class:`PageOperation` rate-limit attributes of one ``x-rate-limit`` (RATE-LIMIT-CONTRACT).

    A ``pool`` is resolved from ``pools`` (``_base.yaml``'s ``x-rate-limit-pools``): the pool's limit,
    window, key and header, with the endpoint's weight. The retired key ``user`` reads as ``account``.
    """
    pool = rate.get("pool")
    budget = {**_mapping(_mapping(pools).get(pool)), **rate} if isinstance(pool, str) else rate
    keyed_on = budget.get("keyed-on")
    keyed_on = LEGACY_KEYED_ON.get(keyed_on, keyed_on) if isinstance(keyed_on, str) else None
    header = budget.get("used-weight-header")
    documented = rate.get("documented")
    return {
        "rate_limit": _int_or_none(budget.get("limit")),
        "window_ms": _int_or_none(budget.get("window-ms")),
        "weight": _int_or_none(rate.get("weight")),
        "keyed_on": keyed_on,
        "pool": pool if isinstance(pool, str) else None,
        "used_weight_header": header if isinstance(header, str) else None,
        "rate_limit_documented": documented if isinstance(documented, bool) else None,
    }


def spec_operations(doc: Document, exchange: str, origin: str, pools: Document | None = None) -> list[PageOperation]:
    """Every operation of one endpoint document, as :class:`PageOperation` with ``origin`` the file label.

    Statuses are the response codes without ``x-documented-on`` (those come from an exchange's general
    error docs, not from the endpoint's page). ``signed`` is whether the operation (else the document)
    has a non-empty ``security``. Raises :class:`SpecError` on a broken ``$ref``.
    """
    operations = []
    for path, raw_item in _mapping(doc.get("paths")).items():
        path_item = _mapping(_resolve(doc, raw_item))
        for method in HTTP_METHODS:
            operation = _mapping(path_item.get(method))
            if not operation:
                continue
            responses = _mapping(operation.get("responses"))
            rate = _mapping(operation.get("x-rate-limit"))
            body_schema = _first_schema(doc, operation.get("requestBody")) if "requestBody" in operation else None
            response_schema = _success_schema(doc, exchange, responses)
            signing = _mapping(operation.get("x-signing"))
            instruction, security_type = signing.get("instruction"), signing.get("security-type")
            url = _mapping(operation.get("externalDocs")).get("url")
            security = operation.get("security", doc.get("security"))
            read_only = operation.get("x-read-only")
            operations.append(
                PageOperation(
                    origin=origin,
                    exchange=exchange,
                    method=method.upper(),
                    path=str(path),
                    source_url=url if isinstance(url, str) else None,
                    parameters=_parameters(doc, path_item, operation),
                    body_fields=schema_fields(doc, body_schema) if body_schema is not None else [],
                    response_fields=schema_fields(doc, response_schema) if response_schema is not None else [],
                    **rate_limit_facts(rate, pools),
                    statuses=frozenset(
                        str(code)
                        for code, response in responses.items()
                        if str(code)[:1].isdigit() and "x-documented-on" not in _mapping(_resolve(doc, response))
                    ),
                    instruction=instruction if isinstance(instruction, str) else None,
                    error_fields=_error_fields(doc, responses),
                    media_types=_media_types(doc, responses),
                    signed=bool(security),
                    security_type=security_type if isinstance(security_type, str) else None,
                    read_only=read_only if isinstance(read_only, bool) else None,
                )
            )
    return operations


def _base(path: Path) -> Document:
    """The exchange's ``_base.yaml`` (its components serve every endpoint file), or nothing if unreadable."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except _READ_ERRORS:
        return {}
    return doc if isinstance(doc, dict) else {}


def load_specs(specs_root: Path) -> tuple[list[PageOperation], list[Unreadable]]:
    """Every operation in ``specs_root/<exchange>/endpoints/*.yaml``, plus the files that could not be read.

    Each operation's ``origin`` is its file relative to ``specs_root``'s parent (``specs/okx/endpoints/...``).
    """
    operations: list[PageOperation] = []
    problems: list[Unreadable] = []
    for endpoints in sorted(specs_root.glob(f"*/{ENDPOINTS_DIR}")):
        exchange = endpoints.parent.name
        base = _base(endpoints.parent / BASE_FILE)
        for file in sorted(endpoints.glob("*.yaml")):
            label = file.relative_to(specs_root.parent).as_posix()
            try:
                doc = yaml.load(file.read_text(encoding="utf-8"), Loader=LOADER)
                if not isinstance(doc, dict):
                    raise SpecError("not an OpenAPI document (top level is not a mapping)")
                operations += spec_operations(with_base_components(doc, base), exchange, label, base.get(POOLS_KEY))
            except _READ_ERRORS as exc:
                problems.append(Unreadable(label, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    return operations, problems
