"""The spec's examples: rendered into ``operations.py`` as each operation's sample arguments, and checked at
generation time against the rules the client enforces.

Sample calls (the demo, the contract tests, the sandbox's users) are built from these examples, so adding an
endpoint needs its one YAML file and nothing else. Two checks keep them honest, each naming the endpoint file:

- an operation's required parameters and required body must have examples (else no sample call exists);
- every example must pass the client's own checks: the documented 200 example the response checks
  (:mod:`auth_plugins._response_shapes`: decimal strings, JSON types, required fields, patterns), the argument
  examples the request validator (:mod:`auth_plugins._validation`). An example the client would refuse (OKX's
  ``"spotOffsetMaxWd": ""`` in a plain decimal field) stops ``make generate`` instead of failing every call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from auth_plugins._operation import OperationInfo
from auth_plugins._response_shapes import ShapeMismatch, expected_shape
from auth_plugins._validation import RequestValidator
from auth_plugins.errors import InvalidParameterError

from ._schemas import ConstraintError, parameters, resolve

__all__ = ["check_examples", "examples_source"]

_LOCATIONS = ("query", "header", "path")
_VALIDATOR = RequestValidator()


def _example(bundle: dict[str, Any], node: dict[str, Any], schema: Any, where: str) -> Any:
    if "example" in node:
        return node["example"]
    resolved = resolve(bundle, schema, where) if schema is not None else {}
    return resolved.get("example")


def _body_example(bundle: dict[str, Any], operation: dict[str, Any], where: str) -> Any:
    if "requestBody" not in operation:
        return None
    body = resolve(bundle, operation["requestBody"], where)
    content: dict[str, Any] = next(iter((body.get("content") or {}).values()), {})
    return _example(bundle, content, content.get("schema"), where)


def argument_examples(bundle: dict[str, Any], route: str, method: str) -> list[tuple[str, object]]:
    """``(wire name, example)`` of every parameter that has one, in spec order, then ``("body", example)``."""
    where = f"{method.upper()} {route}"
    found: list[tuple[str, object]] = []
    for parameter in parameters(bundle, route, method):
        value = _example(bundle, parameter, parameter.get("schema"), where)
        if value is not None:
            found.append((str(parameter["name"]), value))
    body = _body_example(bundle, bundle["paths"][route][method], where)
    if body is not None:
        found.append(("body", body))
    return found


def examples_source(bundle: dict[str, Any], route: str, method: str) -> str:
    """The source of one operation's ``examples`` tuple (JSON values are valid Python literals as ``repr``)."""
    return repr(tuple(argument_examples(bundle, route, method)))


def _missing(bundle: dict[str, Any], route: str, method: str) -> str | None:
    operation = bundle["paths"][route][method]
    where = f"{method.upper()} {route}"
    examples = dict(argument_examples(bundle, route, method))
    for parameter in parameters(bundle, route, method):
        if parameter.get("required") and parameter.get("in") in _LOCATIONS and parameter["name"] not in examples:
            return f"required parameter {parameter['name']!r} has no example"
    if "requestBody" in operation and resolve(bundle, operation["requestBody"], where).get("required"):
        if "body" not in examples:
            return "the required request body has no example"
    return None


def _request(operation: OperationInfo, examples: Mapping[str, object]) -> httpx.Request:
    query = {name: value for name, value in examples.items() if name != "body"}
    located = {param.name: param.location for param in operation.params}
    wire = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in query.items()}
    params = {k: v for k, v in wire.items() if located.get(k) != "header"}
    headers = {k: v for k, v in wire.items() if located.get(k) == "header"}
    content = httpx.Request("POST", "http://x", json=examples["body"]).content if "body" in examples else None
    url = f"http://example.invalid{operation.path}" + (f"?{urlencode(params)}" if params else "")
    return httpx.Request(operation.method, url, headers=headers, content=content)


def _success_example(bundle: dict[str, Any], route: str, method: str, status: int) -> tuple[bool, Any]:
    where = f"{method.upper()} {route}"
    responses = bundle["paths"][route][method].get("responses") or {}
    response = resolve(bundle, responses.get(str(status), responses.get(status, {})), where)
    content = next(iter((response.get("content") or {}).values()), None)
    if content is None:
        return False, None
    if "example" in content:
        return True, content["example"]
    schema = resolve(bundle, content.get("schema", {}), where)
    return ("example" in schema), schema.get("example")


def check_examples(bundle: dict[str, Any], operations: Sequence[OperationInfo], sources: Mapping[str, Path]) -> None:
    """Refuse, with :class:`ConstraintError` naming the endpoint file, an operation whose required arguments lack
    examples, or an example (argument or documented 200 answer) the client's own checks would refuse.
    ``operations`` are the rendered ``OPERATIONS``; ``sources`` maps each ``operationId`` to its endpoint file."""
    for operation in operations:
        route, method = operation.path, operation.method.lower()
        source = sources.get(operation.operation_id, Path(f"the {operation.operation_id} endpoint file"))
        missing = _missing(bundle, route, method)
        if missing is not None:
            raise ConstraintError(
                f"{source}: {operation.method} {route}: {missing}; sample calls and contract tests are built from "
                "the spec's examples, so give one (`example:` on the parameter or the request body)"
            )
        examples = dict(operation.examples)
        try:
            _VALIDATOR.before_send(operation, _request(operation, examples))
        except InvalidParameterError as error:
            raise ConstraintError(f"{source}: the example of {error.parameter!r} {error.rule}") from None
        found, example = _success_example(bundle, route, method, operation.response_status)
        shape = expected_shape(operation, operation.response_status)
        if found and shape is not None:
            try:
                shape.check(example)
            except ShapeMismatch as mismatch:
                raise ConstraintError(
                    f"{source}: the documented {operation.response_status} example breaks the client's response "
                    f"check: {mismatch}"
                ) from None
