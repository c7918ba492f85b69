"""Client-side request validation: bad input is refused before it is signed, let alone sent.

:class:`RequestValidator` is a :class:`~auth_plugins._gates.RequestGate`. It reads the unsigned request as
the generated code built it (query string and JSON body) and checks it against the operation's ``params``
and ``body`` from the generated ``operations`` table, which mirror the spec: required, empty, type (as the
generated code spells values on the wire: ``true``/``false``, decimal integers), enum, pattern, lengths,
bounds, array sizes, comma-list sizes (``x-max-list-items``), decimal strings, and query names the
operation does not take. Path parameters are not checked (routes are matched exactly, so no operation has
one yet); header parameters are. Unknown JSON body fields pass, as the schemas allow them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn
from urllib.parse import parse_qsl

import httpx

from auth_plugins._decimals import decimal_matcher
from auth_plugins._operation import OperationInfo, ParamInfo, link_paths
from auth_plugins.errors import InvalidParameterError

__all__ = ["RequestValidator"]

_INTEGER: Final = re.compile(r"-?[0-9]+")
_BOOLEANS: Final = ("true", "false")
_MAX_INT_DIGITS: Final = 30
_MAX_NAME_CHARS: Final = 40


Fail = Callable[[str], NoReturn]


class _Rule:
    """One ``Param`` made ready to check: its regex compiled, its array items and object fields attached.

    ``key`` and ``python_key`` are the last part of its name (what a JSON object holds it under)."""

    __slots__ = ("decimal", "enum", "fields", "items", "key", "param", "python_key", "regex")

    def __init__(self, param: ParamInfo) -> None:
        self.param = param
        self.regex = re.compile(param.pattern) if param.pattern is not None else None
        self.decimal = decimal_matcher(param.format)
        self.enum = frozenset(param.enum)
        self.key = param.name.rsplit(".", 1)[-1]
        self.python_key = param.python_name.rsplit(".", 1)[-1]
        self.items: _Rule | None = None
        self.fields: tuple[_Rule, ...] = ()


def _tree(params: Sequence[ParamInfo]) -> list[_Rule]:
    """Rules for ``params`` (one location, names as paths: ``a``, ``a[]``, ``a[].b``) with items and fields
    attached to their parents; returns the top-level ones, in order."""
    return link_paths((param.name, _Rule(param)) for param in params)


class _Checks:
    """Everything needed to validate requests of one operation, built once and cached."""

    __slots__ = ("body", "headers", "operation", "operation_id", "query", "query_names")

    def __init__(self, operation: OperationInfo) -> None:
        self.operation = operation  # kept so that the cache key (its id) cannot be reused
        self.operation_id: str = operation.operation_id
        params = operation.params
        self.query = _tree([p for p in params if p.location == "query"])
        self.query_names = frozenset(rule.param.name for rule in self.query)
        self.headers = _tree([p for p in params if p.location == "header"])
        body = operation.body
        self.body = _Rule(body) if body is not None else None
        if self.body is not None:
            self.body.fields = tuple(_tree([p for p in params if p.location == "body"]))

    def fail_for(self, name: str, python_name: str = "") -> Fail:
        def fail(rule: str) -> NoReturn:
            raise InvalidParameterError(self.operation_id, name, rule, python_name)

        return fail


_CACHE: dict[int, _Checks] = {}


def _checks(operation: OperationInfo) -> _Checks:
    checks = _CACHE.get(id(operation))
    if checks is None or checks.operation is not operation:
        checks = _CACHE[id(operation)] = _Checks(operation)
    return checks


def _check_string(rule: _Rule, text: str, fail: Fail) -> None:
    param = rule.param
    if rule.enum and text not in rule.enum:
        fail(f"must be one of: {', '.join(param.enum)}")
    if param.min_length is not None and len(text) < param.min_length:
        fail(f"must be at least {param.min_length} characters long (got {len(text)})")
    if param.max_length is not None and len(text) > param.max_length:
        fail(f"must be at most {param.max_length} characters long (got {len(text)})")
    if param.max_list_items is not None and text.count(",") >= param.max_list_items:
        fail(f"must hold at most {param.max_list_items} comma-separated values (got {text.count(',') + 1})")
    if rule.decimal is not None and rule.decimal(text) is None:
        fail("must be a decimal string such as '0.5'")
    if rule.regex is not None and rule.regex.search(text) is None:
        fail(f"must match the pattern {param.pattern}")


def _check_bounds(param: ParamInfo, value: int, fail: Fail) -> None:
    if param.minimum is not None and value < param.minimum:
        fail(f"must be at least {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        fail(f"must be at most {param.maximum}")


def _check_items(param: ParamInfo, count: int, fail: Fail) -> None:
    if param.min_items is not None and count < param.min_items:
        fail(f"must hold at least {param.min_items} items (got {count})")
    if param.max_items is not None and count > param.max_items:
        fail(f"must hold at most {param.max_items} items (got {count})")


def _check_text(rule: _Rule, text: str, fail: Fail) -> None:
    """Check one query or header value, as text on the wire."""
    kind = rule.param.type
    if text == "":
        fail("must not be empty")
    if kind == "string":
        _check_string(rule, text, fail)
    elif kind == "integer":
        if len(text) > _MAX_INT_DIGITS or _INTEGER.fullmatch(text) is None:
            fail("must be an integer")
        _check_bounds(rule.param, int(text), fail)
    elif kind == "boolean" and text not in _BOOLEANS:
        fail("must be true or false")


def _check_query(checks: _Checks, query: bytes) -> None:
    values: dict[str, list[str]] = {}
    if query:
        for name, value in parse_qsl(query.decode("ascii"), keep_blank_values=True):
            values.setdefault(name, []).append(value)
    for rule in checks.query:
        param = rule.param
        got = values.get(param.name)
        fail = checks.fail_for(param.name, param.python_name)
        if got is None:
            if param.required:
                fail("is required")
            continue
        if param.type == "array":
            _check_items(param, len(got), fail)
            if rule.items is not None:
                for text in got:
                    _check_text(rule.items, text, fail)
            continue
        if len(got) > 1:
            fail(f"takes one value (got {len(got)})")
        _check_text(rule, got[0], fail)
    unknown = [name for name in values if name not in checks.query_names]
    if unknown:
        taken = ", ".join(rule.param.name for rule in checks.query) or "none"
        name = unknown[0][:_MAX_NAME_CHARS]
        checks.fail_for(name)(f"is not a query parameter of this operation (it takes: {taken})")


def _check_json(rule: _Rule, value: Any, fail: Fail, checks: _Checks, path: str, python_path: str) -> None:
    """Check one JSON value; ``path``/``python_path`` name it for errors about its own fields and items."""
    param = rule.param
    kind = param.type
    if kind == "string":
        if not isinstance(value, str):
            fail("must be a decimal string, not a number" if rule.decimal is not None else "must be a string")
        if value == "" and param.required:
            fail("must not be empty")
        _check_string(rule, value, fail)
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            fail("must be an integer")
        _check_bounds(param, value, fail)
    elif kind == "boolean":
        if not isinstance(value, bool):
            fail("must be true or false")
    elif kind == "array":
        if not isinstance(value, list):
            fail("must be a list")
        _check_items(param, len(value), fail)
        if rule.items is not None:
            for index, item in enumerate(value):
                where, python_where = f"{path}[{index}]", f"{python_path}[{index}]"
                _check_json(rule.items, item, checks.fail_for(where, python_where), checks, where, python_where)
    elif kind == "object":
        if not isinstance(value, dict):
            fail("must be an object")
        for field in rule.fields:
            where = f"{path}.{field.key}" if path else field.key
            python_where = f"{python_path}.{field.python_key}" if python_path else field.python_key
            field_fail = checks.fail_for(where, python_where)
            if field.key not in value:
                if field.param.required:
                    field_fail("is required")
                continue
            _check_json(field, value[field.key], field_fail, checks, where, python_where)


def _check_body(checks: _Checks, content: bytes) -> None:
    rule = checks.body
    if rule is None:
        if content:
            checks.fail_for("body")("is not taken by this operation")
        return
    fail = checks.fail_for("body")
    if not content:
        if rule.param.required:
            fail("is required")
        return
    try:
        value = json.loads(content)
    except ValueError:
        fail("must be JSON")
    _check_json(rule, value, fail, checks, "", "")


def _validate(operation: OperationInfo, request: httpx.Request) -> None:
    checks = _checks(operation)
    _check_query(checks, request.url.query)
    for rule in checks.headers:
        param = rule.param
        fail = checks.fail_for(param.name, param.python_name)
        text = request.headers.get(param.name)
        if text is None:
            if param.required:
                fail("is required")
            continue
        _check_text(rule, text, fail)
    _check_body(checks, request.content)


class RequestValidator:
    """A :class:`~auth_plugins._gates.RequestGate` that raises :class:`InvalidParameterError` for a request
    breaking its operation's spec, before anything is signed or sent.

    ``operation`` must be a generated ``operations.Operation`` (it reads ``params`` and ``body``). Checks are
    compiled once per operation and cached for the process. Stateless otherwise: one instance may serve any
    number of clients, threads and event loops.
    """

    __slots__ = ()

    def before_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        """Return if ``request`` satisfies ``operation``'s parameter and body constraints; raise otherwise."""
        request.read()
        _validate(operation, request)

    async def abefore_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        """Async twin of :meth:`before_send` (reads a streamed body without blocking the event loop)."""
        await request.aread()
        _validate(operation, request)

    def __repr__(self) -> str:
        return "RequestValidator()"
