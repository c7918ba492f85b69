"""``make new-endpoint PAGE=<saved page>``: draft ``specs/<exchange>/endpoints/<tag>.<operationId>.yaml``
from one doc page, in the same :class:`PageOperation` the checker reads (scripts/docs_check/_pages.py).

The draft writes everything the checker compares (method, path, source URL, access and signing, parameters
and body fields with types, flags, enums, list sizes, bounds and defaults, response fields, statuses, rate
limit, read-only) plus what ``make generate`` needs (operationId and tag, examples from the page's request
and response examples, 401 and 429 for signed endpoints). Every decision the page does not make is printed
as a guess naming the file and field, and the draft is compared with its page before it is written: a
difference left means a bug here, and is reported, not hidden.

Amounts: a string field whose example is a decimal with a fraction (``"0.1"``) is ``format: decimal``; one
whose name or description says amount (``amt``, ``interest``, ``maxWd``...) and whose example is a whole
number is ``decimal`` too (a guess); one showing ``""`` is ``decimal-or-empty``.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from auth_plugins._openapi import follow
from scripts.codegen.bundle import BASE_FILE, with_base_components
from scripts.docs_check._model import Field, FieldType, PageOperation
from scripts.docs_check._pages import NoEndpoint, UnreadablePage, described_values, read_page
from scripts.docs_check._profiles import PROFILES, binance_rate_limit
from scripts.docs_check._specs import load_specs, spec_operations
from scripts.docs_check.check import compare, match_operation

__all__ = [
    "Draft",
    "DraftError",
    "double_quoted",
    "draft",
    "field_schema",
    "main",
    "object_schema",
    "parameter_entry",
    "rate_limit",
    "response_values",
    "round_trip_yaml",
]

SPECS_ROOT = Path(__file__).resolve().parents[2] / "specs"
SIGNED_BINANCE_TYPES = ("TRADE", "MARGIN", "USER_DATA")
# Statuses only a signed request can earn (a bad signature, an expired timestamp), or one with parameters.
SIGNED_ONLY = ("400", "401")
_DECIMAL = re.compile(r"-?\d+\.\d+")
_WHOLE = re.compile(r"-?\d+")
# Words naming an amount in a field's name or description; "time", "id" and "type" name something else.
_AMOUNT = re.compile(
    r"amt|amount|qty|quantity|interest|rate|loan|lmt|limit|debt|liab|balance|bal\b|wd|borrow|quota|price|px\b"
    r"|fee|principal|equity|avail|collateral|asset value",
    re.IGNORECASE,
)
# In a request only unmistakable amount names: "limit" there is a page size, not an amount.
_REQUEST_AMOUNT = re.compile(r"(?:^|[a-z])(?:amt|Amt|amount|Amount|qty|Qty|quantity|Quantity|sz|Sz|px|Px|price|Price)$")
_NOT_AMOUNT = re.compile(r"(?:time|ts|id|type|level|count|num)$|timestamp|\bID\b|milliseconds", re.IGNORECASE)
_EXAMPLE_SPAN = re.compile(r"e\.g\.?\s*`([^`]+)`")


class DraftError(Exception):
    """A page the draft refuses: no endpoint, an operation already specced, an exchange we do not sign for."""


@dataclass
class Draft:
    """A drafted endpoint file: its path under the specs folder, its YAML text and the guesses to review."""

    target: Path
    text: str
    guesses: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)


def round_trip_yaml() -> YAML:
    """The ruamel.yaml settings that write the specs' layout (2-space maps, lists indented under their key)
    and read a file back so that dumping it unchanged gives the same bytes."""
    handler = YAML()
    handler.preserve_quotes = True
    handler.width = 4096
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


@cache
def _needs_quotes(text: str) -> bool:
    stream = io.StringIO()
    round_trip_yaml().dump({"k": text}, stream)
    return stream.getvalue()[3:4] in ("'", '"')


def double_quoted(node: Any) -> Any:
    """``node`` with every string YAML must quote written in double quotes, as the specs write them."""
    if isinstance(node, dict):
        for index, key in enumerate(list(node)):
            node[key] = double_quoted(node[key])
            if type(key) is str and _needs_quotes(key) and isinstance(node, CommentedMap):
                node.insert(index, DoubleQuotedScalarString(key), node.pop(key))  # a status code: "200"
        return node
    if isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = double_quoted(value)
        return node
    if type(node) is str and _needs_quotes(node):  # a loaded quoted or folded string keeps its style
        return DoubleQuotedScalarString(node)
    return node


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()).strip("_")


def _camel(text: str) -> str:
    return "".join(part.capitalize() for part in text.split("_"))


def operation_name(page: PageOperation, guesses: list[str]) -> tuple[str, str]:
    """``(tag, operationId)`` from the page's source URL: its section and the rest of its anchor or path."""
    profile = PROFILES[page.exchange]
    url = urlsplit(page.source_url or "")
    anchor = url.fragment or url.path.rstrip("/").rsplit("/", 1)[-1]
    if page.exchange == "binance":
        parts = re.findall(r"[^/]+", url.path)
        section = parts[1] if len(parts) > 2 else ""
        tag = profile.tags.get(section, _snake(section) or "general")
        return tag, _snake(anchor)
    if page.exchange == "backpack":
        tagged = re.search(r"tag/([^/]+)/operation/(\w+)", url.fragment)
        if tagged:
            return _snake(tagged[1]), _snake(tagged[2])
    for section, tag in sorted(profile.tags.items(), key=lambda item: -len(item[0])):
        if anchor.startswith(section + "-"):
            rest = anchor[len(section) + 1 :].removeprefix("rest-api-")
            return tag, _snake(rest)
    words = re.findall(r"[^/]+", page.path or "")
    tag = _snake(words[-2] if len(words) > 1 else "general")
    guesses.append(f"tags: [{tag}] from the path (the URL's section is not one we know)")
    return tag, _snake(anchor or words[-1])


def _values_by_name(value: Any, prefix: str = "") -> dict[str, list[Any]]:
    """Every value an example shows for each dotted field name (all items of every list)."""
    found: dict[str, list[Any]] = {}
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, sub in item.items():
            name = f"{prefix}{key}"
            found.setdefault(name, []).append(sub)
            nested = f"{name}[]." if isinstance(sub, list) else f"{name}."
            if isinstance(sub, dict | list):
                for child, values in _values_by_name(sub, nested).items():
                    found.setdefault(child, []).extend(values)
    return found


def _amount_format(name: str, description: str, values: Sequence[Any]) -> tuple[str | None, str | None]:
    """``(format, guess)`` of a string field from the values its examples show."""
    shown = [value for value in values if isinstance(value, str)]
    leaf = name.rsplit(".", 1)[-1]
    amountish = bool(_AMOUNT.search(leaf) or _AMOUNT.search(description)) and not _NOT_AMOUNT.search(leaf)
    empty = "" in shown
    numbers = [value for value in shown if value]
    if numbers and all(_DECIMAL.fullmatch(value) for value in numbers):
        return ("decimal-or-empty" if empty else "decimal"), None
    if numbers and all(_WHOLE.fullmatch(value) for value in numbers) and amountish:
        fmt = "decimal-or-empty" if empty else "decimal"
        return fmt, f"format: {fmt} (the example shows a whole number; the name says amount)"
    if empty and not numbers and amountish:
        return "decimal-or-empty", 'format: decimal-or-empty (the example shows ""; the name says amount)'
    return None, None


def field_schema(item: Field, values: Sequence[Any], response: bool, guesses: list[str], where: str) -> CommentedMap:
    """The JSON schema of one page field: its type and format, request enum, list size and bounds.

    ``values`` are the example values shown for it; response schemas carry no enum (the bundler refuses
    them: new values must not break parsing).
    """
    kind = item.type or FieldType("string")
    if item.type is None:
        guesses.append(f"{where}: type string (the page gives none)")
    schema = CommentedMap()
    base = kind.base
    if base not in ("string", "integer", "boolean", "object", "array", "number"):
        guesses.append(f"{where}: type string for the page's {base!r}")
        base = "string"
    if base == "number":
        base, kind = "string", FieldType("string", None, "decimal")
        guesses.append(f"{where}: a page number written as string <decimal> (the bundler refuses `type: number`)")
    schema["type"] = base
    fmt = kind.format
    if base == "string" and fmt is None and (response or values):
        fmt, guess = _amount_format(item.name, item.description or "", values)
        if guess:
            guesses.append(f"{where}: {guess}")
    elif base == "string" and fmt is None and item.enum is None and _REQUEST_AMOUNT.search(item.name.rsplit(".")[-1]):
        fmt = "decimal"
        guesses.append(f"{where}: format: decimal (the name says amount; the page says String)")
    if fmt:
        schema["format"] = fmt
    if not response and base == "string" and fmt is None and item.enum is None:
        schema["minLength"] = 1  # the client refuses an empty value before sending it
    if base == "array":
        schema["items"] = CommentedMap({"type": kind.items}) if kind.items and kind.items != "object" else {}
    if item.enum is not None and not response:
        schema["enum"] = sorted(item.enum)
    if item.max_list_items is not None:
        schema["x-max-list-items"] = item.max_list_items
    if base in ("integer", "number"):
        if item.minimum is not None:
            schema["minimum"] = int(item.minimum) if item.minimum == int(item.minimum) else float(item.minimum)
        if item.maximum is not None:
            schema["maximum"] = int(item.maximum) if item.maximum == int(item.maximum) else float(item.maximum)
    return schema


def _description(item: Field, response: bool) -> str | None:
    """The page's description, made to name exactly the values the page lists for a response field (the
    spec keeps them in the description) and to start with "Conditional." for OKX's Conditional."""
    text = (item.description or "").strip()
    if item.conditional:
        text = f"Conditional. {text}".strip()
    values = item.enum if item.enum is not None else item.described
    if response and values is not None and described_values([text]) != values:
        plain = re.sub(r"`([^`]+)`", r"\1", text).rstrip(". ")
        listed = ", ".join(f"`{value}`" for value in sorted(values))
        text = f"{plain} ({listed})" if plain else f"Values ({listed})"
    elif response and values is None and described_values([text]) is not None:
        text = re.sub(r"`([^`]+)`", r"\1", text)
    return text or None


def _tree(fields: Sequence[Field]) -> dict[str, list[Field]]:
    """Fields grouped by their parent's dotted name ("" for the top level, ``records[]`` for items)."""
    children: dict[str, list[Field]] = {}
    for item in fields:
        parent = item.name.rpartition(".")[0]
        children.setdefault(parent, []).append(item)
    return children


def object_schema(
    parent: str,
    children: dict[str, list[Field]],
    values: dict[str, list[Any]],
    guesses: list[str],
    where: str,
    response: bool = True,
) -> CommentedMap:
    """An object schema of the fields under ``parent``, nested objects and arrays of objects inline."""
    schema = CommentedMap({"type": "object"})
    required = [item.name.rpartition(".")[2] for item in children.get(parent, []) if item.required]
    if required:
        schema["required"] = required
    properties = CommentedMap()
    for item in children.get(parent, []):
        leaf = item.name.rpartition(".")[2]
        label = f"{where}: {'response' if response else 'body'} field {item.name}"
        prop = field_schema(item, values.get(item.name, []), response, guesses, label)
        base = prop["type"]
        if base == "object" or (base == "array" and f"{item.name}[]" in children):
            nested = f"{item.name}[]" if base == "array" else item.name
            inner = object_schema(nested, children, values, guesses, where, response)
            if base == "array":
                prop["items"] = inner
            else:
                prop = inner
        text = _description(item, response)
        if text:
            prop["description"] = text
        properties[leaf] = prop
    schema["properties"] = properties
    return schema


def rate_limit(page: PageOperation, guesses: list[str], where: str) -> CommentedMap:
    """The ``x-rate-limit`` the page implies, in RATE-LIMIT-CONTRACT's shape."""
    if page.exchange == "backpack":
        return CommentedMap({"documented": False})
    if page.exchange == "binance":
        weight = page.weight
        if weight is None:
            weight = max(page.weights) if page.weights else 1
            guesses.append(f"{where}: x-rate-limit.weight {weight} (the page states {page.weights or 'none'})")
        keyed_on = page.keyed_on or "ip"
        if page.keyed_on is None:
            guesses.append(f"{where}: x-rate-limit.keyed-on ip (the page does not say IP or UID)")
        return CommentedMap(binance_rate_limit(page.path or "", keyed_on, weight))
    limit = CommentedMap()
    if page.rate_limit is None or page.window_ms is None:
        guesses.append(f"{where}: x-rate-limit {{documented: false}} (the page states no limit)")
        return CommentedMap({"documented": False})
    limit["limit"], limit["window-ms"] = page.rate_limit, page.window_ms
    limit["keyed-on"] = page.keyed_on or "account"
    if page.keyed_on is None:
        guesses.append(f"{where}: x-rate-limit.keyed-on account (the page states no rule)")
    limit["weight"] = page.weight or 1
    return limit


def _example_for(item: Field, page: PageOperation, values: dict[str, list[Any]]) -> tuple[Any, bool]:
    """An example for a parameter: the page's request example, a value its response example shows for the
    same name, an "e.g." in its description, else a placeholder (second item True: a guess)."""
    if page.request_example and item.name in page.request_example:
        return page.request_example[item.name], False
    if item.enum:
        return sorted(item.enum)[0], False
    shown = [value for value in values.get(item.name, []) if value not in ("", None)]
    if shown:
        return shown[0], False
    mentioned = _EXAMPLE_SPAN.search(item.description or "")
    if mentioned:
        return mentioned[1].split(",")[0] if item.max_list_items else mentioned[1], False
    base = item.type.base if item.type else "string"
    return {"integer": 1, "boolean": True}.get(base, "BTC"), True


def _typed(value: Any, schema: CommentedMap) -> Any:
    """An example value converted to its schema's type (a query string's "5" for an integer is 5)."""
    if schema.get("type") == "integer" and isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    if schema.get("type") == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _base(specs_root: Path, exchange: str) -> dict[str, Any]:
    loaded = yaml.safe_load((specs_root / exchange / BASE_FILE).read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _signed(page: PageOperation) -> bool:
    if page.signed is not None:
        return page.signed
    if page.exchange == "binance":
        return page.security_type in SIGNED_BINANCE_TYPES
    return page.permission is not None


def _read_only(page: PageOperation, guesses: list[str], where: str) -> bool:
    if page.read_only is not None:
        return page.read_only
    guesses.append(f"{where}: x-read-only: {str(page.method == 'GET').lower()} (from the method {page.method})")
    return page.method == "GET"


def _auth_parameter(item: Field) -> CommentedMap:
    entry = CommentedMap({"name": item.name, "in": item.location or "query", "required": bool(item.required)})
    kind = item.type or FieldType("string")
    entry["type"] = kind.base
    if kind.format:
        entry["format"] = kind.format
    if item.default is not None:
        entry["default"] = int(item.default) if _WHOLE.fullmatch(item.default) else item.default
    if item.maximum is not None:
        entry["maximum"] = int(item.maximum)
    entry.fa.set_flow_style()
    return entry


def parameter_entry(
    item: Field, page: PageOperation, values: dict[str, list[Any]], guesses: list[str], label: str
) -> CommentedMap:
    """One ``parameters`` entry for a page parameter (what a draft writes and an update adds)."""
    entry = CommentedMap({"name": item.name})
    location = item.location
    if location is None:
        location = "query"
        guesses.append(f"{label}: in: query (the page leaves the location open)")
    entry["in"] = location
    entry["required"] = bool(item.required) or location == "path"
    if item.required is None:
        guesses.append(f"{label}: required: false (the page does not say)")
    text = _description(item, False)
    if text:
        entry["description"] = text
    schema = field_schema(item, [], False, guesses, label)
    for keyword, value in PROFILES[page.exchange].parameter_facts.get(item.name, {}).items():
        schema.setdefault(keyword, value)
    example, guessed = _example_for(item, page, values)
    if entry["required"] or not guessed:
        entry["example"] = _typed(example, schema)
        if guessed:
            guesses.append(f"{label}: example {example!r} is a placeholder (the page shows none)")
    entry["schema"] = schema
    return entry


def response_values(page: PageOperation) -> dict[str, list[Any]]:
    """Every value the page's response example shows per field name (the items of an envelope's list)."""
    envelope = PROFILES[page.exchange].envelope if page.exchange in PROFILES else None
    example = page.response_example
    return _values_by_name(example.get(envelope) if envelope and isinstance(example, dict) else example)


def _parameters(
    page: PageOperation, auth: Sequence[str], values: dict[str, list[Any]], guesses: list[str], where: str
) -> tuple[CommentedSeq, CommentedSeq]:
    """``(parameters, auth-parameters)`` of the draft."""
    parameters, auth_parameters = CommentedSeq(), CommentedSeq()
    for item in page.parameters:
        if item.name in auth:
            if item.name != "signature":
                auth_parameters.append(_auth_parameter(item))
            continue
        parameters.append(parameter_entry(item, page, values, guesses, f"{where}: parameter {item.name}"))
    return parameters, auth_parameters


def _responses(
    page: PageOperation,
    base: dict[str, Any],
    name: str,
    signed: bool,
    values: dict[str, list[Any]],
    guesses: list[str],
    where: str,
) -> tuple[CommentedMap, CommentedMap]:
    """``(responses, component schemas)``: the success schema (in the exchange's envelope) with the page's
    example, the statuses the page lists, and 401 and 429 for signed endpoints."""
    profile = PROFILES[page.exchange]
    schemas = CommentedMap()
    error_schema = next(iter((base.get("components") or {}).get("schemas") or {}), "ErrorResponse")
    children = _tree(page.response_fields or [])
    example = page.response_example
    media = profile.media_type
    if page.media_types:
        media = next(iter(sorted(page.media_types.get("200", frozenset({media})))))
    item_schema = object_schema("", children, values, guesses, where)
    top: CommentedMap
    if profile.envelope:
        schemas[f"{name}Item"] = item_schema
        top = CommentedMap({"type": "object", "required": ["code", "msg", profile.envelope]})
        top["properties"] = CommentedMap(
            {
                "code": {"type": "string", "description": '"0" on success.'},
                "msg": {"type": "string"},
                profile.envelope: {"type": "array", "items": {"$ref": f"#/components/schemas/{name}Item"}},
            }
        )
        if isinstance(example, dict) and "msg" not in example:
            example = {"code": example.get("code", "0"), "msg": "", **example}
            guesses.append(f'{where}: responses.200.example gets "msg": "" (the page\'s example has none)')
    elif isinstance(example, list):
        schemas[f"{name}Item"] = item_schema
        top = CommentedMap({"type": "array", "items": {"$ref": f"#/components/schemas/{name}Item"}})
    else:
        top = item_schema
    schemas[f"{name}Response"] = top
    if example is None:
        example = _example_from(top if not profile.envelope else item_schema, schemas)
        if profile.envelope:
            example = {"code": "0", "msg": "", profile.envelope: [example]}
        guesses.append(f"{where}: responses.200.example built from the types (the page shows none)")
    success = CommentedMap({"description": "Success." if not profile.envelope else (
        'Success, or a business error with `code` other than "0".')})  # fmt: skip
    success["content"] = CommentedMap(
        {media: CommentedMap({"schema": {"$ref": f"#/components/schemas/{name}Response"}, "example": example})}
    )
    responses = CommentedMap({"200": success})
    for code in sorted(page.statuses or ()):
        if code.startswith("2"):
            continue
        entry = CommentedMap({"description": f"HTTP {code}."})
        if code in (page.error_fields or {}) or code in (page.media_types or {}):
            error_media = next(iter(sorted((page.media_types or {}).get(code, frozenset({media})))))
            entry["content"] = {error_media: {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}}
        responses[code] = entry
    for code, what in profile.errors:
        earned = signed or code not in SIGNED_ONLY or (code == "400" and bool(page.parameters or page.body_fields))
        if code not in responses and earned:
            responses[code] = CommentedMap(
                {
                    "description": what,
                    "x-documented-on": profile.error_docs,
                    "content": {media: {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}},
                }
            )
    return responses, schemas


def _example_from(schema: Any, schemas: dict[str, Any]) -> Any:
    schema = follow({"components": {"schemas": schemas}}, schema)
    kind = schema.get("type")
    if kind == "object":
        return {key: _example_from(value, schemas) for key, value in (schema.get("properties") or {}).items()}
    if kind == "array":
        return []
    if kind == "integer":
        return 0
    if kind == "boolean":
        return False
    return "0" if schema.get("format") in ("decimal", "decimal-or-empty") else ""


def _identify(page: PageOperation, specs_root: Path) -> None:
    """Refuse a page whose exchange we do not sign for, or whose operation already has an endpoint file."""
    if page.exchange not in PROFILES or not (specs_root / page.exchange / BASE_FILE).is_file():
        raise DraftError(f"{page.origin}: {page.exchange} is not an exchange we sign for ({', '.join(PROFILES)})")
    if page.method is None or page.path is None:
        raise DraftError(f"{page.origin}: the page gives no method and path to draft from")
    specs, _ = load_specs(specs_root)
    existing = match_operation(page, specs)
    if existing is not None:
        raise DraftError(f"{page.origin}: {page.method} {page.path} already has an endpoint file: {existing.origin}")


def draft(page: PageOperation, specs_root: Path = SPECS_ROOT, source: str | None = None) -> Draft:
    """Draft the endpoint file of ``page`` under ``specs_root``; raise :class:`DraftError` when refused.

    The draft is read back with the checker's spec reader and compared with the page: what remains is in
    :attr:`Draft.remaining` (empty unless this module has a bug).
    """
    _identify(page, specs_root)
    assert page.method is not None and page.path is not None
    guesses: list[str] = []
    named: list[str] = []
    tag, operation_id = operation_name(page, named)
    target = specs_root / page.exchange / "endpoints" / f"{tag}.{operation_id}.yaml"
    where = f"{target.relative_to(specs_root.parent).as_posix()}"
    guesses.append(f"{where}: operationId {operation_id} and tags [{tag}] from the page's URL (the import path)")
    guesses += named
    if target.exists():
        raise DraftError(f"{page.origin}: {where} already exists")
    base = _base(specs_root, page.exchange)
    profile = PROFILES[page.exchange]
    signed = _signed(page)
    values = response_values(page)
    doc = CommentedMap()
    doc["openapi"] = "3.1.0"
    info = CommentedMap({"title": f"{(base.get('info') or {}).get('title', page.exchange)} - {_summary(page).lower()}"})
    info["version"] = str((base.get("info") or {}).get("version", "1"))
    doc["info"] = info
    operation = CommentedMap()
    operation["operationId"] = operation_id
    operation["tags"] = CommentedSeq([tag])
    operation["tags"].fa.set_flow_style()
    operation["summary"] = _summary(page) + "."
    operation["externalDocs"] = CommentedMap({"url": page.source_url})
    parameters, auth_parameters = _parameters(page, profile.auth_parameters if signed else (), values, guesses, where)
    if signed:
        scheme = next(iter((base.get("components") or {}).get("securitySchemes") or {}), "apiKey")
        operation["security"] = CommentedSeq([CommentedMap({scheme: CommentedSeq()})])
        signing = CommentedMap()
        if page.instruction:
            signing["instruction"] = page.instruction
        if page.security_type:
            signing["security-type"] = page.security_type
        signing["auth-parameters"] = auth_parameters
        operation["x-signing"] = signing
    operation["x-rate-limit"] = rate_limit(page, guesses, where)
    operation["x-read-only"] = _read_only(page, guesses, where)
    if parameters:
        operation["parameters"] = parameters
    name = _camel(operation_id)
    if page.body_fields:
        body_values = _values_by_name(page.request_example or {})
        body = object_schema("", _tree(page.body_fields), body_values, guesses, where, response=False)
        example = {
            key: _typed(value, body["properties"].get(key, {})) for key, value in (page.request_example or {}).items()
        }
        operation["requestBody"] = CommentedMap(
            {
                "required": True,
                "content": {
                    profile.media_type: {"schema": {"$ref": f"#/components/schemas/{name}Request"}, "example": example}
                },
            }
        )
        if not page.request_example:
            guesses.append(f"{where}: requestBody example is empty (the page shows none)")
        request_schema = body
    responses, schemas = _responses(page, base, name, signed, values, guesses, where)
    operation["responses"] = responses
    if page.body_fields:
        schemas.insert(0, f"{name}Request", request_schema)
    doc["paths"] = CommentedMap({page.path: CommentedMap({page.method.lower(): operation})})
    doc["components"] = CommentedMap({"schemas": schemas})
    doc.yaml_set_start_comment(
        f"Drafted by `make new-endpoint` from {source or page.origin}; reviewed by a person before commit."
    )
    stream = io.StringIO()
    round_trip_yaml().dump(double_quoted(doc), stream)
    text = stream.getvalue()
    return Draft(target, text, guesses, _remaining(page, text, specs_root, where))


def _summary(page: PageOperation) -> str:
    title = re.sub(r"\s*\((?:NONE|TRADE|MARGIN|USER_DATA|USER_STREAM|MARKET_DATA)\)\s*$", "", page.title or "")
    title = re.sub(r"^(?:GET|POST|PUT|DELETE|PATCH)\s*/\s*", "", title).strip().rstrip(".")
    return title or f"{page.method} {page.path}"


def _remaining(page: PageOperation, text: str, specs_root: Path, where: str) -> list[str]:
    doc = yaml.safe_load(text)
    base = _base(specs_root, page.exchange)
    ops = spec_operations(with_base_components(doc, base), page.exchange, where, base.get("x-rate-limit-pools"))
    return [str(difference) for difference in compare(page, ops[0])]


def _lines(result: Draft, specs_root: Path) -> Iterator[str]:
    shown = result.target.relative_to(specs_root.parent).as_posix()
    yield f"new-endpoint: wrote {shown}"
    if result.guesses:
        yield f"review these {len(result.guesses)} guess(es) before committing:"
        yield from (f"  {guess}" for guess in result.guesses)
    for line in result.remaining:
        yield f"  still differs from its page (a bug in the draft): {line}"
    yield "then: make generate && make test"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scripts.docs_check new-endpoint PAGE``: exit 0 when drafted, 1 when the draft still
    differs from its page, 2 when the page is refused (one line naming the file and why)."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.docs_check new-endpoint",
        description="Draft an endpoint file from a saved doc page (make new-endpoint PAGE=...).",
    )
    parser.add_argument("page", type=Path, help="a saved doc page (*.md)")
    parser.add_argument("--specs", type=Path, default=SPECS_ROOT, help="specs folder (default: %(default)s)")
    args = parser.parse_args(argv)
    page_path: Path = args.page
    specs_root: Path = args.specs
    if not page_path.is_file():
        print(f"new-endpoint: {page_path}: no such file", file=sys.stderr)
        return 2
    try:
        page = read_page(page_path.resolve(), page_path.resolve().parent)
        result = draft(page, specs_root, page_path.as_posix())
    except NoEndpoint as exc:
        print(f"new-endpoint: {page_path}: documents no endpoint ({exc.reason})", file=sys.stderr)
        return 2
    except UnreadablePage as exc:
        print(f"new-endpoint: {page_path}: unreadable: {exc.reason}", file=sys.stderr)
        return 2
    except DraftError as exc:
        print(f"new-endpoint: {exc}", file=sys.stderr)
        return 2
    result.target.write_text(result.text, encoding="utf-8")
    print("\n".join(_lines(result, specs_root)))
    return 1 if result.remaining else 0
