"""Turn an operation's parameters and JSON request body into ``Param(...)`` source for ``operations.py``.

The client's request validator (``auth_plugins._validation``) checks every request against these entries
before anything is sent, so the table must say exactly what the spec says. Schema keywords it would not
enforce are refused here, with the operation and parameter named, rather than silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

from openapi_python_client.strings import PythonIdentifier

from ._schemas import ConstraintError, SchemaAt, parameters, resolve, schema_paths

__all__ = ["PARAM_CLASS", "constraints_source"]

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


def _param(at: SchemaAt, name: str, location: str) -> str:
    """The ``Param(...)`` source of one schema of a parameter or body, named ``name`` (its path)."""
    node, where = at.schema, at.where
    unknown = sorted(key for key in node if key not in _ENFORCED | _INERT and not key.startswith("x-"))
    if unknown:
        raise ConstraintError(f"{where}: schema keyword(s) {', '.join(unknown)} are not enforced by the client")
    kind = node.get("type")
    if kind not in _TYPES:
        raise ConstraintError(f"{where}: type {kind!r} is not one of {', '.join(_TYPES)}")
    if location != "body" and kind == "object":
        raise ConstraintError(f"{where}: object-valued {location} parameters are not supported")
    args = [f"name={name!r}", f"location={location!r}", f"required={at.required!r}", f"type={kind!r}"]
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
    return f"Param({', '.join(args)})"


def _rows(
    bundle: dict[str, Any], schema: Any, *, name: str, path: str, location: str, required: bool, where: str
) -> list[str]:
    """``Param(...)`` sources for one schema named ``name``, then for its array items and object properties,
    named by their path below ``path`` (``supCollateral[]``, ``supCollateral[].ccy``)."""
    return [
        _param(at, name if at.depth == 0 else at.path, location)
        for at in schema_paths(bundle, schema, path=path, required=required, where=where)
    ]


def _python_path(path: str) -> str:
    """``supCollateral[].borrowCcy`` -> ``sup_collateral[].borrow_ccy``, as the generator names each part."""
    parts = path.split(".")
    return ".".join(
        str(PythonIdentifier(part.removesuffix("[]" * part.count("[]")), prefix=_FIELD_PREFIX))
        + "[]" * part.count("[]")
        for part in parts
    )


def _parameter_rows(bundle: dict[str, Any], route: str, method: str) -> list[str]:
    label = f"{method.upper()} {route}"
    rows: list[str] = []
    for param in parameters(bundle, route, method):
        name, location = str(param.get("name")), param.get("in")
        where = f"{label} parameter {name!r}"
        if location not in _PARAM_LOCATIONS:
            raise ConstraintError(f"{where}: location {location!r} is not supported")
        if "content" in param or param.get("allowEmptyValue"):
            raise ConstraintError(f"{where}: `content` and `allowEmptyValue` are not supported")
        rows += _rows(
            bundle,
            param.get("schema", {}),
            name=name,
            path=name,
            location=str(location),
            required=bool(param.get("required", location == "path")),
            where=where,
        )
    return rows


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
