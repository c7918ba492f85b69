"""Requests and responses checked against the spec: openapi-core, plus the checks OpenAPI cannot express."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParameterValidationError,
    RequestBodyValidationError,
)
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ._errors import Problem
from ._spec import ExchangeSpec, Operation

__all__ = ["answer_errors", "body_field_error", "request_problems", "response_errors"]


class _SpecRequest(WerkzeugOpenAPIRequest):
    """A werkzeug request as openapi-core sees it, but addressed to the spec's own server URL.

    The spec's ``servers`` name the real exchange, so the loopback host the request really reached would
    never match a path in the spec.
    """

    def __init__(self, request: Request, host_url: str) -> None:
        super().__init__(request)
        self._host_url = host_url

    @property
    def host_url(self) -> str:
        return self._host_url


@dataclass(frozen=True)
class _SpecResponse:
    """A response as openapi-core's ``Response`` protocol wants it, with the full content type."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes


def _text(error: BaseException | None) -> str:
    """``str(error)`` that cannot fail: some openapi-core errors decode the raw body as UTF-8 in ``__str__``."""
    if error is None:
        return ""
    try:
        return str(error)
    except Exception:
        return type(error).__name__


def _describe(error: BaseException) -> str:
    cause = error.__cause__
    return f"{_text(error)}: {_text(cause)}" if cause is not None else _text(error)


def _own_problems(operation: Operation, request: Request) -> list[Problem]:
    problems: list[Problem] = []
    for name, values in request.args.lists():
        if name not in operation.query_parameters:
            problems.append(Problem("unknown", name, f"Unknown query parameter: {name}"))
        elif len(values) > 1:
            problems.append(Problem("duplicate", name, f"Duplicate query parameter: {name}"))
    for name in sorted(operation.boolean_query_parameters):
        value = request.args.get(name)
        # openapi-core also casts True, 1, yes...; the exchanges' servers parse only the JSON literals.
        if value is not None and value not in ("true", "false"):
            problems.append(Problem("invalid", name, f"Invalid query parameter: {name} must be true or false"))
    return problems


def _first_missing_property(error: Any) -> str:
    present = error.instance if isinstance(error.instance, dict) else {}
    return next((str(name) for name in error.validator_value if name not in present), "body")


def _body_problem(error: RequestBodyValidationError) -> Problem:
    if isinstance(error, MissingRequiredRequestBody):
        return Problem("malformed_body", "", "Missing request body")
    schema_errors = list(getattr(error.__cause__, "schema_errors", None) or [])
    if not isinstance(error, InvalidRequestBody) or not schema_errors:
        return Problem("malformed_body", "", f"Request body cannot be read: {_text(error.__cause__ or error)}")
    first = schema_errors[0]
    if first.validator == "required":
        name = _first_missing_property(first)
        return Problem("missing", name, f"Missing required body field: {name}")
    names = [part for part in first.path if isinstance(part, str)]
    if not names:
        return Problem("malformed_body", "", f"Request body is invalid: {first.message}")
    return Problem("invalid", names[-1], f"Invalid body field {'.'.join(names)}: {first.message}")


def _problem(error: Exception) -> Problem:
    if isinstance(error, MissingRequiredParameter):
        return Problem("missing", error.name, str(error))
    if isinstance(error, ParameterValidationError):
        if isinstance(error.__cause__, EmptyQueryParameterValue):
            return Problem("empty", error.name, f"Empty {error.location} parameter: {error.name}")
        return Problem("invalid", error.name, _describe(error))
    if isinstance(error, RequestBodyValidationError):
        return _body_problem(error)
    # Path, operation and security errors cannot happen here: the sandbox matched the route itself and the
    # request spec has no security. Anything else is a sandbox bug and must not pass for a client error.
    raise RuntimeError(f"unexpected openapi-core request error: {error!r}")


def request_problems(spec: ExchangeSpec, operation: Operation, request: Request) -> list[Problem]:
    """Every way ``request`` deviates from ``operation``, first the sandbox's own checks, then openapi-core's.

    Own checks: query names outside the accepted set (spec, auth and signature parameters), repeated query
    names, and boolean query values other than ``true``/``false``. openapi-core checks required parameters,
    types, enums, patterns, lengths and the JSON body schema. An empty list means the request is valid.
    """
    problems = _own_problems(operation, request)
    flagged = {problem.name for problem in problems}
    for error in spec.request_api.iter_request_errors(_SpecRequest(request, spec.server_url)):
        problem = _problem(error)
        if problem.name not in flagged or problem.kind == "malformed_body":
            problems.append(problem)
    return problems


def response_errors(
    spec: ExchangeSpec, request: Request, status: int, content_type: str, headers: Headers, body: bytes
) -> list[str]:
    """openapi-core's complaints about answering ``request`` with this response, as text; empty when valid."""
    response = _SpecResponse(status, content_type, headers, body)
    return [
        _describe(error)
        for error in spec.response_api.iter_response_errors(_SpecRequest(request, spec.server_url), response)
    ]


def _request_for(operation: Operation) -> Request:
    # Any value fills a path template: only the route matters for finding the operation's responses.
    path = re.sub(r"\{[^}/]+\}", "x", operation.path)
    return Request(EnvironBuilder(method=operation.method, path=path).get_environ())


def answer_errors(
    spec: ExchangeSpec, operation: Operation, status: int, content_type: str, headers: Headers, body: bytes
) -> list[str]:
    """``response_errors`` for an answer to ``operation`` prepared ahead of any request (``respond``, ``fail``)."""
    return response_errors(spec, _request_for(operation), status, content_type, headers, body)


def _field_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.removeprefix(".")


def body_field_error(
    spec: ExchangeSpec, operation: Operation, content_type: str, body: bytes
) -> tuple[str, str] | None:
    """The first field of a 200 ``body`` that breaks ``operation``'s documented schema, as ``(path, reason)``.

    ``path`` is ``data[0].maxLoan`` style (``""``: the body itself); None when the body validates.
    """
    response = _SpecResponse(200, content_type, Headers(), body)
    request = _SpecRequest(_request_for(operation), spec.server_url)
    for error in spec.response_api.iter_response_errors(request, response):
        schema_errors = list(getattr(error.__cause__, "schema_errors", None) or [])
        if not schema_errors:
            return "", _describe(error)
        first = schema_errors[0]
        path = _field_path(first.absolute_path)
        if first.validator == "required":
            missing = _first_missing_property(first)
            return _field_path([*first.absolute_path, missing]), "is required"
        return path, str(first.message)
    return None
