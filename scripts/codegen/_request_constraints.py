"""Turn an operation's parameters and JSON request body into ``Param(...)`` source for ``operations.py``.

The client's request validator (``auth_plugins._validation``) checks every request against these entries
before anything is sent, so the table must say exactly what the spec says. Schema keywords it would not
enforce are refused here, with the operation and parameter named, rather than silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

from openapi_python_client.strings import PythonIdentifier

__all__ = ["PARAM_CLASS", "ConstraintError", "constraints_source", "resolve"]

# The generator's own naming rule, so that errors can name the Python argument (`instId` -> `inst_id`).
_FIELD_PREFIX = "field_"
_JSON_MEDIA_TYPES = ("application/json",)
_TYPES = ("string", "integer", "boolean", "array", "object")
_PARAM_LOCATIONS = ("query", "header", "path")
# Keywords that do not constrain a value; everything else must be enforced or refused.
_INERT = {"description", "title", "example", "examples", "deprecated", "readOnly", "writeOnly"}
_ENFORCED = {
    "type",
    "format",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "x-max-list-items",
}
_INT_KEYWORDS = (
    ("minLength", "min_length"),
    ("maxLength", "max_length"),
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("minItems", "min_items"),
    ("maxItems", "max_items"),
    ("x-max-list-items", "max_list_items"),
)

PARAM_CLASS = '''

class Param(NamedTuple):
    """One request parameter (``query``, ``header``, ``path``) or JSON ``body`` field and the spec's checks on it.

    ``name`` is the wire name; a body field's is its path in the body (``borrowCcy``, ``supCollateral[]`` for
    the items of an array, ``supCollateral[].ccy``). ``python_name`` is the generated argument or attribute
    (``inst_id``, ``sup_collateral[].ccy``). ``type`` is the JSON-schema type; ``format`` is e.g.
    ``"decimal"`` (a decimal string). Checks left ``None`` or empty do not apply. ``max_list_items`` (from
    ``x-max-list-items``) caps the comma-separated values a string may hold.
    """

    name: str
    location: str
    required: bool
    type: str
    python_name: str = ""
    format: str | None = None
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    max_list_items: int | None = None
'''


class ConstraintError(ValueError):
    """A request or response schema uses something the client-side checks cannot enforce; the message names where."""


def resolve(bundle: dict[str, Any], node: Any, where: str) -> dict[str, Any]:
    """Follow local ``$ref`` chains from ``node`` to a schema mapping; :class:`ConstraintError` naming ``where`` if
    a reference loops or the target is not a mapping."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise ConstraintError(f"{where}: recursive $ref {ref}")
        seen.add(ref)
        target: Any = bundle
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    if not isinstance(node, dict):
        raise ConstraintError(f"{where}: schema is not a mapping")
    return node


def _rows(
    bundle: dict[str, Any],
    schema: Any,
    *,
    name: str,
    path: str,
    location: str,
    required: bool,
    where: str,
    depth: int = 0,
) -> list[str]:
    """Return ``Param(...)`` sources for one schema named ``name``, then for its array items and object
    properties, named by their path below ``path`` (``supCollateral[]``, ``supCollateral[].ccy``)."""
    if depth > 8:
        raise ConstraintError(f"{where}: schema nests too deep")
    node = resolve(bundle, schema, where)
    unknown = sorted(key for key in node if key not in _ENFORCED | _INERT and not key.startswith("x-"))
    if unknown:
        raise ConstraintError(f"{where}: schema keyword(s) {', '.join(unknown)} are not enforced by the client")
    kind = node.get("type")
    if kind not in _TYPES:
        raise ConstraintError(f"{where}: type {kind!r} is not one of {', '.join(_TYPES)}")
    if location != "body" and kind == "object":
        raise ConstraintError(f"{where}: object-valued {location} parameters are not supported")
    args = [f"name={name!r}", f"location={location!r}", f"required={required!r}", f"type={kind!r}"]
    args.append(f"python_name={_python_path(name)!r}")
    if "format" in node:
        args.append(f"format={str(node['format'])!r}")
    if "enum" in node:
        values = node["enum"]
        if not all(isinstance(value, str) for value in values):
            raise ConstraintError(f"{where}: only string enums are supported")
        args.append(f"enum={tuple(values)!r}")
    if "pattern" in node:
        try:
            re.compile(node["pattern"])
        except re.error as error:
            raise ConstraintError(f"{where}: pattern is not a Python regular expression: {error}") from None
        args.append(f"pattern={str(node['pattern'])!r}")
    for keyword, field in _INT_KEYWORDS:
        if keyword in node:
            value = node[keyword]
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConstraintError(f"{where}: {keyword} must be an integer")
            args.append(f"{field}={value!r}")
    if "x-max-list-items" in node and (kind != "string" or node["x-max-list-items"] < 1):
        raise ConstraintError(f"{where}: x-max-list-items needs a string schema and a positive count")
    rows = [f"Param({', '.join(args)})"]
    if kind == "array":
        items = f"{path}[]"
        rows += _rows(
            bundle,
            node.get("items", {}),
            name=items,
            path=items,
            location=location,
            required=True,
            where=f"{where}[]",
            depth=depth + 1,
        )
    if kind == "object":
        required_fields = set(node.get("required") or [])
        for prop, prop_schema in (node.get("properties") or {}).items():
            if "." in prop or "[" in prop:
                raise ConstraintError(f"{where}: property name {prop!r} would be ambiguous in a path")
            child = f"{path}.{prop}" if path else str(prop)
            rows += _rows(
                bundle,
                prop_schema,
                name=child,
                path=child,
                location=location,
                required=prop in required_fields,
                where=f"{where}.{prop}",
                depth=depth + 1,
            )
    return rows


def _python_path(path: str) -> str:
    """``supCollateral[].borrowCcy`` -> ``sup_collateral[].borrow_ccy``, as the generator names each part."""
    parts = path.split(".")
    return ".".join(
        str(PythonIdentifier(part.removesuffix("[]" * part.count("[]")), prefix=_FIELD_PREFIX))
        + "[]" * part.count("[]")
        for part in parts
    )


def _parameter_rows(bundle: dict[str, Any], route: str, method: str) -> list[str]:
    item = bundle["paths"][route]
    label = f"{method.upper()} {route}"
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(item[method].get("parameters") or [])]:
        param = resolve(bundle, raw, label)
        where = f"{label} parameter {param.get('name')!r}"
        if param.get("in") not in _PARAM_LOCATIONS:
            raise ConstraintError(f"{where}: location {param.get('in')!r} is not supported")
        if "content" in param or param.get("allowEmptyValue"):
            raise ConstraintError(f"{where}: `content` and `allowEmptyValue` are not supported")
        merged[(str(param["name"]), str(param["in"]))] = param
    return [
        row
        for (name, location), param in merged.items()
        for row in _rows(
            bundle,
            param.get("schema", {}),
            name=name,
            path=name,
            location=location,
            required=bool(param.get("required", location == "path")),
            where=f"{label} parameter {name!r}",
        )
    ]


def constraints_source(bundle: dict[str, Any], route: str, method: str) -> tuple[str, str]:
    """Return the sources of one operation's ``params`` tuple and ``body`` entry.

    ``params`` holds the path-item and operation parameters in spec order (an operation-level one overrides a
    path-item one of the same name and location), then the JSON body's fields, depth first, named by path.
    ``body`` is ``None`` without a request body, else an ``object`` ``Param`` named ``body``.
    """
    rows = _parameter_rows(bundle, route, method)
    operation = bundle["paths"][route][method]
    label = f"{method.upper()} {route}"
    body = "None"
    if "requestBody" in operation:
        request_body = resolve(bundle, operation["requestBody"], label)
        content = request_body.get("content") or {}
        media = [key for key in content if key.split(";")[0].strip() not in _JSON_MEDIA_TYPES]
        if media or not content:
            raise ConstraintError(f"{label}: request body media types {', '.join(media) or 'none'} are not supported")
        schema = next(iter(content.values())).get("schema", {})
        if resolve(bundle, schema, f"{label} body").get("type") != "object":
            raise ConstraintError(f"{label} body: only JSON object bodies are supported")
        body, *fields = _rows(
            bundle,
            schema,
            name="body",
            path="",
            location="body",
            required=bool(request_body.get("required")),
            where=f"{label} body",
        )
        rows += fields
    return f"({''.join(row + ', ' for row in rows)})", body
