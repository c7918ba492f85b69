"""Checking a decoded JSON success body against its operation's documented fields, before the models see it.

The generated ``from_dict`` methods check no types: a JSON number where the spec says a decimal string would
become a ``float``, a ``null`` or an object where it says a string would pass. :meth:`Shape.check` walks the
decoded body along the operation's ``response`` entries from the generated ``operations`` table (see
``ResponseField`` there): JSON type, required fields, ``null`` only where nullable, decimal strings, patterns,
nested objects and array items. Fields the table does not list are allowed, as the schemas allow them, and
:meth:`Shape.check` returns them (schema path and JSON type; :mod:`auth_plugins._undocumented` logs each once):
an object's keys are only looked at when there are more of them than documented ones present, so a body
without undocumented fields pays one length comparison per object. :meth:`Shape.audit` is the slow, complete
walk ``exchange-clients check-live`` reports from: every breach, every undocumented field, and every value
outside the values the docs name (``x-extensible-enum``). Compiled once per operation (:func:`expected_shape`)
and cached; a conforming body costs a microsecond or two.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, NamedTuple

from auth_plugins._decimals import decimal_matcher
from auth_plugins._operation import OperationInfo, ResponseFieldInfo, link_paths

__all__ = ["MAX_UNDOCUMENTED", "Finding", "Shape", "ShapeMismatch", "Undocumented", "expected_shape", "json_name"]
_TYPES: Final[dict[str, type[Any]]] = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}
# What a decoded JSON value is called in a message; never the value itself, which may be long or secret.
_JSON_NAMES: Final[dict[type, str]] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
    type(None): "null",
}
_RULES: Final = {
    "string": "must be a string",
    "integer": "must be an integer",
    "boolean": "must be true or false",
    "array": "must be an array",
    "object": "must be an object",
}
_MISSING: Final = object()
MAX_UNDOCUMENTED: Final = 32
"""At most this many undocumented fields are returned per body: a hostile body's thousands cost no more."""
_MAX_FINDINGS: Final = 100
_VALUE_CHARS: Final = 40


def json_name(value: Any) -> str:
    """What a decoded JSON value is called in a message (``"a string"``); never the value itself."""
    return _JSON_NAMES.get(type(value), "another value")


class Undocumented(NamedTuple):
    """A field a body holds that its operation's table does not list: its schema ``path`` (``data[].newField``)
    and what its value is (``"a string"``); never the value."""

    path: str
    kind: str


class Finding(NamedTuple):
    """One thing :meth:`Shape.audit` found: ``kind`` ``"breaking"`` (the clients refuse the body) or ``"drift"``
    (accepted, but not what the spec says), the schema ``path`` (``""`` for the body) and the ``rule``."""

    kind: str
    path: str
    rule: str


class ShapeMismatch(ValueError):
    """A body breaks its documented fields. ``path`` names the field (``data[0].maxLoan``; ``""`` is the body
    itself), ``rule`` what it broke (``must be a decimal string (got a number)``); neither holds a value."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule
        self._parts: list[str] = []  # innermost first, added as the error unwinds the walk

    @property
    def path(self) -> str:
        """The JSON path of the offending field, ``""`` for the body itself."""
        return "".join(reversed(self._parts)).removeprefix(".")

    def __str__(self) -> str:
        return f"{self.path or 'the body'} {self.rule}"


class _Node:
    """One ``ResponseField`` made ready to check: its Python type, regexes, fields or items attached."""

    __slots__ = (
        "decimal",
        "fields",
        "items",
        "key",
        "kind",
        "listed",
        "names",
        "nullable",
        "path",
        "pattern",
        "plain",
        "required",
        "rule",
        "source",
        "values",
    )

    def __init__(self, field: ResponseFieldInfo) -> None:
        self.path = field.path
        self.key = field.path.rsplit(".", 1)[-1]
        self.listed: tuple[str, ...] = tuple(field.values)
        self.values = frozenset(self.listed)
        self.names: frozenset[str] = frozenset()  # the documented keys of an object, set once linked
        self.kind: type[Any] = _TYPES[field.type]
        self.required = field.required
        self.nullable = field.nullable
        self.decimal = decimal_matcher(field.format)
        self.source = field.pattern
        self.pattern = re.compile(field.pattern) if field.pattern is not None else None
        self.rule = "must be a decimal string" if self.decimal else _RULES[field.type]
        self.fields: tuple[_Node, ...] = ()
        self.items: _Node | None = None
        # A leaf whose only rule is its type: checked inline by its parent, the common case.
        self.plain = self.kind in (str, int, bool) and not self.decimal and self.pattern is None


def _compile(fields: Sequence[ResponseFieldInfo]) -> _Node:
    """The tree of ``fields`` (paths ``""``, ``a``, ``a[]``, ``a[].b``, parents before children); its root."""
    nodes = [_Node(field) for field in fields]
    (root,) = link_paths((node.path, node) for node in nodes)
    for node in nodes:
        node.names = frozenset(field.key for field in node.fields)
    return root


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _undocumented(node: _Node, value: dict[str, Any], extras: list[Undocumented]) -> None:
    for key, got in value.items():
        if len(extras) >= MAX_UNDOCUMENTED:
            return
        if key not in node.names:
            extras.append(Undocumented(_child(node.path, key), json_name(got)))


def _check(node: _Node, value: Any, extras: list[Undocumented]) -> None:
    if type(value) is not node.kind:
        if value is None and node.nullable:
            return
        raise ShapeMismatch(
            "must not be null"
            if value is None
            else f"{node.rule} (got {_JSON_NAMES.get(type(value), 'another value')})"
        )
    if node.fields:
        absent = 0
        for field in node.fields:
            got = value.get(field.key, _MISSING)
            if type(got) is field.kind and (field.plain or (field.decimal and field.decimal(got) is not None)):
                continue
            try:
                if got is _MISSING:
                    if field.required:
                        raise ShapeMismatch("is required")
                    absent += 1
                    continue
                _check(field, got, extras)
            except ShapeMismatch as mismatch:
                mismatch._parts.append("." + field.key)
                raise
        # Every documented key present is one of the body's keys: more keys than those means undocumented ones.
        if len(value) > len(node.fields) - absent and len(extras) < MAX_UNDOCUMENTED:
            _undocumented(node, value, extras)
    elif node.items is not None:
        items = node.items
        for index, item in enumerate(value):
            try:
                _check(items, item, extras)
            except ShapeMismatch as mismatch:
                mismatch._parts.append(f"[{index}]")
                raise
    elif node.decimal and node.decimal(value) is None:
        raise ShapeMismatch("must be a decimal string such as '0.5'")
    elif node.pattern is not None and node.pattern.search(value) is None:
        raise ShapeMismatch(f"must match the pattern {node.source}")


class Shape:
    """The compiled success fields of one operation; :meth:`check` walks a decoded body along them."""

    __slots__ = ("_root", "operation")

    def __init__(self, operation: OperationInfo, root: _Node) -> None:
        self.operation = operation  # kept so that the cache key (its id) cannot be reused while cached
        self._root = root

    def check(self, body: Any) -> list[Undocumented]:
        """Return the undocumented fields (at most :data:`MAX_UNDOCUMENTED`; usually none) if the decoded JSON
        ``body`` has the documented fields; raise :class:`ShapeMismatch` naming the first field that breaks them
        otherwise."""
        extras: list[Undocumented] = []
        _check(self._root, body, extras)
        return extras

    def audit(self, body: Any) -> list[Finding]:
        """Everything about the decoded JSON ``body`` that is not as documented, without raising: breaches of the
        documented fields (``breaking``), undocumented fields and values outside a field's documented ``values``
        (``drift``). Each (kind, path, rule) is listed once however many array items share it, at most a hundred
        in all; an empty list means the body is exactly as documented."""
        found: dict[Finding, None] = {}
        _audit(self._root, body, found)
        return list(found)


def _value_text(value: str) -> str:
    shown = value if len(value) <= _VALUE_CHARS else value[:_VALUE_CHARS] + "..."
    return repr(shown)


def _add(found: dict[Finding, None], kind: str, path: str, rule: str) -> None:
    if len(found) < _MAX_FINDINGS:
        found.setdefault(Finding(kind, path, rule), None)


def _audit(node: _Node, value: Any, found: dict[Finding, None]) -> None:
    if type(value) is not node.kind:
        if value is None and node.nullable:
            return
        rule = "must not be null" if value is None else f"{node.rule} (got {json_name(value)})"
        _add(found, "breaking", node.path, rule)
        return
    if node.fields:
        for field in node.fields:
            got = value.get(field.key, _MISSING)
            if got is _MISSING:
                if field.required:
                    _add(found, "breaking", field.path, "is required")
                continue
            _audit(field, got, found)
        for key, got in value.items():
            if key not in node.names:
                _add(found, "drift", _child(node.path, key), f"undocumented field ({json_name(got)})")
    elif node.items is not None:
        for item in value:
            _audit(node.items, item, found)
    elif node.decimal and node.decimal(value) is None:
        _add(found, "breaking", node.path, "must be a decimal string such as '0.5'")
    elif node.pattern is not None and node.pattern.search(value) is None:
        _add(found, "breaking", node.path, f"must match the pattern {node.source}")
    if node.values and isinstance(value, str) and value not in node.values:
        listed = ", ".join(map(repr, node.listed))
        _add(found, "drift", node.path, f"value {_value_text(value)} is not one of the documented values ({listed})")


_CACHE: dict[int, tuple[OperationInfo, Shape | None]] = {}


def expected_shape(operation: OperationInfo, status: int) -> Shape | None:
    """The :class:`Shape` a ``status`` answer of ``operation`` must have, or ``None`` when there is none to check
    here: ``status`` is not the documented success, or that success body is not JSON.

    ``operation`` must be a generated ``operations.Operation`` (it reads ``response_status`` and ``response``).
    Compiled once per operation and cached for the process; shapes are immutable, so safe from any thread
    or event loop.
    """
    if status != operation.response_status:
        return None
    cached = _CACHE.get(id(operation))
    if cached is None or cached[0] is not operation:
        fields = operation.response
        cached = _CACHE[id(operation)] = (operation, Shape(operation, _compile(fields)) if fields else None)
    return cached[1]
