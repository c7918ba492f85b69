"""Reading a bundle's operations the way the operations table needs them: parameters, ``$ref`` chains, and the
one schema path compiler behind both the request ``Param`` rows and the response ``ResponseField`` rows.

:func:`schema_paths` flattens a schema tree into its paths, the names the runtime links back into a tree
(:func:`auth_plugins._operation.link_paths`): ``""`` or a parameter's name for the schema itself, ``a[]`` for an
array's items, ``a.b`` for a property of an object (``b`` at the top of a body). References are followed with
the one follower, :func:`auth_plugins._openapi.follow`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from auth_plugins._openapi import RefError, follow

__all__ = ["MAX_DEPTH", "ConstraintError", "SchemaAt", "parameters", "resolve", "schema_paths"]

MAX_DEPTH: Final = 8
"""How deep a request or response schema may nest; deeper is refused (no documented answer comes close)."""


class ConstraintError(ValueError):
    """A request or response schema uses something the client-side checks cannot enforce; the message names where."""


def resolve(bundle: dict[str, Any], node: Any, where: str) -> dict[str, Any]:
    """``node`` with its local ``$ref`` chain followed, which must end in a mapping; :class:`ConstraintError`
    naming ``where`` otherwise (a dangling or looping reference too)."""
    try:
        node = follow(bundle, node)
    except RefError as error:
        raise ConstraintError(f"{where}: {error}") from None
    if not isinstance(node, dict):
        raise ConstraintError(f"{where}: schema is not a mapping")
    return node


def parameters(bundle: dict[str, Any], route: str, method: str) -> list[dict[str, Any]]:
    """The operation's parameters, resolved: the path item's, then the operation's, in spec order; an
    operation-level one replaces a path-level one of the same name and location, keeping its place."""
    item = bundle["paths"][route]
    label = f"{method.upper()} {route}"
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(item[method].get("parameters") or [])]:
        parameter = resolve(bundle, raw, label)
        merged[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
    return list(merged.values())


@dataclass(frozen=True, slots=True)
class SchemaAt:
    """One schema met by :func:`schema_paths`: its ``path``, the resolved ``schema``, whether its parent
    ``required`` it, ``where`` it is (for error messages) and its ``depth`` (0 for the schema walked)."""

    path: str
    schema: dict[str, Any]
    required: bool
    where: str
    depth: int


def _base_type(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        others = [value for value in kind if value != "null"]
        return others[0] if len(others) == 1 else None
    return kind


def schema_paths(
    bundle: dict[str, Any], schema: Any, *, path: str, required: bool, where: str, depth: int = 0
) -> Iterator[SchemaAt]:
    """Every schema of the tree rooted at ``schema``, depth first, each before anything below it is resolved
    (a caller that refuses one stops the walk there): the schema itself at ``path``; an array's ``items`` at
    ``<path>[]`` (always required); an object's ``properties`` at ``<path>.<name>`` (``<name>`` where ``path``
    is ``""``), required when the object lists them. The type deciding which applies is ``type``, or the one
    non-null member of a type list.

    Raises :class:`ConstraintError` naming ``where`` for a tree deeper than :data:`MAX_DEPTH`, a property name
    that would be ambiguous in a path (holding ``.`` or ``[``), or a broken reference.
    """
    if depth > MAX_DEPTH:
        raise ConstraintError(f"{where}: schema nests too deep")
    node = resolve(bundle, schema, where)
    yield SchemaAt(path, node, required, where, depth)
    kind = _base_type(node)
    if kind == "array":
        items = node.get("items", {})
        yield from schema_paths(bundle, items, path=f"{path}[]", required=True, where=f"{where}[]", depth=depth + 1)
    elif kind == "object":
        required_fields = set(node.get("required") or [])
        for name, sub in (node.get("properties") or {}).items():
            if "." in name or "[" in name:
                raise ConstraintError(f"{where}: property name {name!r} would be ambiguous in a path")
            yield from schema_paths(
                bundle,
                sub,
                path=f"{path}.{name}" if path else str(name),
                required=name in required_fields,
                where=f"{where}.{name}",
                depth=depth + 1,
            )
