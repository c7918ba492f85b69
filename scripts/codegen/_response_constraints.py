"""Turn an operation's documented success response into ``ResponseField(...)`` source for ``operations.py``.

The client's pipeline (``auth_plugins._response_shapes``) checks every successful JSON body against these
entries: JSON types, required fields, ``null``, decimal strings and patterns. The generated models do not
check types (a JSON number where the spec says a decimal string would become a ``float``), so the table must
say exactly what the spec says. Schema keywords the check would not enforce are refused here, with the
operation and field named, rather than silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

from ._schemas import ConstraintError, SchemaAt, resolve, schema_paths

__all__ = ["RESPONSE_FIELD_CLASS", "response_source"]

_TYPES = ("string", "integer", "boolean", "array", "object")
# Keywords that do not constrain a value; everything else must be enforced or refused.
_INERT = {"description", "title", "example", "examples", "deprecated", "readOnly", "writeOnly"}
_ENFORCED = {"type", "format", "pattern", "items", "properties", "required"}

RESPONSE_FIELD_CLASS = '''

class ResponseField:
    """One field of an operation's documented success body and the spec's checks on it; read-only.

    ``path`` names it in the body: ``""`` is the body itself, ``data`` a top-level field, ``data[]`` the items
    of an array, ``data[].maxLoan`` a field of those items. ``type`` is the JSON-schema type (``string``,
    ``integer``, ``boolean``, ``array``, ``object``). ``required`` fields must be present (items and the body
    always are); only ``nullable`` ones may be ``null``. ``format`` ``"decimal"`` asks for a decimal string
    (``"0.1"``); ``pattern`` is the spec's regular expression, searched as JSON Schema does. ``values`` (from
    ``x-extensible-enum``) are the values the docs name for an open string enum: others are accepted, and
    reported as drift by ``exchange-clients check-live``. Fields the table does not list are allowed (and
    logged once as undocumented). A slotted class rather than a ``NamedTuple``: it costs a tenth as much to
    import.
    """

    __slots__ = ("format", "nullable", "path", "pattern", "required", "type", "values")

    def __init__(
        self,
        path: str,
        type: str,
        required: bool = True,
        nullable: bool = False,
        format: str | None = None,
        pattern: str | None = None,
        values: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.type = type
        self.required = required
        self.nullable = nullable
        self.format = format
        self.pattern = pattern
        self.values = values

    def _key(self) -> tuple[str, str, bool, bool, str | None, str | None, tuple[str, ...]]:
        return (self.path, self.type, self.required, self.nullable, self.format, self.pattern, self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResponseField) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        path, kind, required, nullable, format, pattern, values = self._key()
        return (
            f"ResponseField({path!r}, {kind!r}, required={required!r}, nullable={nullable!r}, "
            f"format={format!r}, pattern={pattern!r}, values={values!r})"
        )
'''


def _type(node: dict[str, Any], where: str) -> tuple[str, bool]:
    """``(type, nullable)`` of a schema: ``type: T`` or OpenAPI 3.1's ``type: [T, "null"]``."""
    kind = node.get("type")
    nullable = False
    if isinstance(kind, list):
        others = [value for value in kind if value != "null"]
        nullable = len(others) < len(kind)
        kind = others[0] if len(others) == 1 else None
    if kind not in _TYPES:
        raise ConstraintError(f"{where}: type {node.get('type')!r} is not one of {', '.join(_TYPES)} (or one and null)")
    return str(kind), nullable


def _field(at: SchemaAt) -> str:
    """The ``ResponseField(...)`` source of one schema of a success body."""
    node, where = at.schema, at.where
    unknown = sorted(key for key in node if key not in _ENFORCED | _INERT and not key.startswith("x-"))
    if node.get("additionalProperties", True) is True:
        unknown = [key for key in unknown if key != "additionalProperties"]
    if unknown:
        raise ConstraintError(f"{where}: schema keyword(s) {', '.join(unknown)} are not enforced by the client")
    kind, nullable = _type(node, where)
    args = [repr(at.path), repr(kind)]
    if not at.required:
        args.append("required=False")
    if nullable:
        args.append("nullable=True")
    if "format" in node:
        args.append(f"format={str(node['format'])!r}")
    if "pattern" in node:
        if kind != "string":
            raise ConstraintError(f"{where}: pattern needs a string schema")
        try:
            re.compile(node["pattern"])
        except re.error as error:
            raise ConstraintError(f"{where}: pattern is not a Python regular expression: {error}") from None
        args.append(f"pattern={str(node['pattern'])!r}")
    if "x-extensible-enum" in node:
        values = node["x-extensible-enum"]
        if kind != "string" or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConstraintError(f"{where}: x-extensible-enum needs a string schema and a list of strings")
        args.append(f"values={tuple(values)!r}")
    if node.get("format") == "decimal" and kind != "string":
        raise ConstraintError(f"{where}: format decimal needs a string schema")
    if kind == "array" and "items" not in node:
        raise ConstraintError(f"{where}: an array needs `items`")
    if kind != "array" and "items" in node:
        raise ConstraintError(f"{where}: `items` needs an array schema")
    if kind == "object":
        undeclared = sorted(str(name) for name in set(node.get("required") or []) - set(node.get("properties") or {}))
        if undeclared:
            raise ConstraintError(f"{where}: required field(s) {', '.join(undeclared)} have no schema")
    elif "properties" in node or "required" in node:
        raise ConstraintError(f"{where}: `properties` and `required` need an object schema")
    return f"ResponseField({', '.join(args)})"


def _is_json(media: str) -> bool:
    kind = media.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def response_source(bundle: dict[str, Any], route: str, method: str) -> tuple[int, str]:
    """Return one operation's documented success status and the source of its ``response`` tuple.

    The operation must document exactly one 2xx status, with at most one media type. A JSON body gives its
    schema's fields, the body itself (``""``) first, then depth first, named by path; a body that is not JSON
    (Backpack's plain-text server time) or no body gives ``()``. A keyword the check would not enforce raises
    :class:`~scripts.codegen._schemas.ConstraintError` naming the operation and field.
    """
    label = f"{method.upper()} {route}"
    responses = bundle["paths"][route][method].get("responses") or {}
    success = [str(status) for status in responses if str(status).startswith("2")]
    if len(success) != 1 or not success[0].isdigit():
        raise ConstraintError(
            f"{label}: needs exactly one documented 2xx status (found {', '.join(success) or 'none'})"
        )
    [status] = success
    response = resolve(bundle, responses.get(status, responses.get(int(status))), f"{label} response {status}")
    content = response.get("content") or {}
    if len(content) > 1:
        raise ConstraintError(f"{label} response {status}: several media types are not supported")
    if not content:
        return int(status), "()"
    [(media, entry)] = content.items()
    if not _is_json(str(media)):
        return int(status), "()"
    where = f"{label} response {status}"
    schema = (entry or {}).get("schema", {})
    rows = [_field(at) for at in schema_paths(bundle, schema, path="", required=True, where=where)]
    return int(status), f"({''.join(row + ', ' for row in rows)})"
