"""Answers a test chooses, checked before the sandbox will send them: success bodies and error answers.

A success body set with ``Sandbox.respond`` must be one the exchange could send as documented: it is checked
against the rules the clients enforce on success bodies (``auth_plugins._response_shapes``: decimal strings,
required fields, JSON types), against the operation's documented 200 schema (openapi-core), and for drift
(undocumented fields, values outside those the docs name). ``drift=True`` sends any JSON as given: an exchange
that drifted from its docs, on purpose. An error answer from
``Sandbox.fail`` has the exchange's own shape and, where the operation documents that status, validates
against the documented error response.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

from auth_plugins._generated import operation as generated_entry
from auth_plugins._operation import OperationInfo
from auth_plugins._response_shapes import ShapeMismatch, expected_shape

from ._errors import failure, render
from ._spec import ExchangeSpec, Operation
from ._validate import answer_errors, body_field_error

__all__ = ["ErrorAnswer", "error_answer", "success_body"]


def _generated_operation(exchange: str, operation_id: str) -> OperationInfo:
    try:
        return generated_entry(f"{exchange}_client", operation_id)
    except KeyError:
        raise ValueError(f"{exchange} has no operation {operation_id!r}") from None


def success_body(spec: ExchangeSpec, operation: Operation, body: Any, *, drift: bool = False) -> bytes:
    """The bytes to answer ``operation`` with for ``body``, or ``ValueError`` naming the field that breaks it.

    A JSON operation takes any JSON-encodable value (encoded compactly); a text one (Backpack's server time)
    takes a ``str``. The body must pass the client's success-body rules and the documented 200 schema, and hold
    no undocumented field or value outside the documented ones; with ``drift`` it is only encoded.
    """
    where = f"{spec.exchange} {operation.operation_id}"
    content_type = operation.success_content_type
    if "json" not in content_type:
        if not isinstance(body, str):
            raise ValueError(f"{where} answers {content_type}: give the body as a str, not {type(body).__name__}")
        encoded = body.encode("utf-8")
    else:
        try:
            encoded = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: the body is not JSON: {error}") from None
        if drift:
            return encoded
        shape = expected_shape(_generated_operation(spec.exchange, operation.operation_id), 200)
        if shape is not None:
            decoded = json.loads(encoded)
            try:
                shape.check(decoded)
            except ShapeMismatch as mismatch:
                raise ValueError(f"{where}: refused success body: {mismatch}") from None
            for finding in shape.audit(decoded):
                raise ValueError(
                    f"{where}: refused success body: {finding.path}: {finding.rule}; pass drift=True to answer "
                    "it anyway (an exchange drifting from its docs)"
                )
    problem = body_field_error(spec, operation, content_type, encoded)
    if problem is not None:
        path, reason = problem
        raise ValueError(f"{where}: refused success body: {path or 'the body'}: {reason}")
    return encoded


@dataclass(frozen=True)
class ErrorAnswer:
    """An error answer ready to script: ``status``, ``body`` bytes, ``content_type`` and extra ``headers``."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


def _retry_after_text(retry_after: float) -> str:
    if isinstance(retry_after, bool) or not isinstance(retry_after, int | float):
        raise ValueError(f"retry_after must be a number of seconds, not {retry_after!r}")
    if not math.isfinite(retry_after) or retry_after < 0:
        raise ValueError("retry_after must be a finite number of seconds >= 0")
    if float(retry_after).is_integer():
        return str(int(retry_after))
    return repr(float(retry_after))


def error_answer(
    spec: ExchangeSpec,
    operation: Operation,
    status: int,
    *,
    code: int | str | None,
    message: str | None,
    retry_after: float | None,
) -> ErrorAnswer:
    """``operation``'s ``status`` error in the exchange's shape (defaults: ``_errors.DEFAULT_FAILURES``).

    ``retry_after`` (seconds) becomes a ``Retry-After`` header. ``ValueError`` for a bad status, code or
    ``retry_after``, or for an answer that breaks the error response the operation documents for ``status``.
    """
    rejection = failure(spec.exchange, status, code, message)
    body, default_type = render(spec.exchange, rejection)
    content_type = operation.content_types.get(status, default_type)
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = _retry_after_text(retry_after)
    if status in operation.content_types:
        errors = answer_errors(spec, operation, status, content_type, Headers(headers), body)
        if errors:
            raise ValueError(
                f"{spec.exchange} {operation.operation_id}: the HTTP {status} answer breaks its documented "
                f"response: {'; '.join(errors)}"
            )
    return ErrorAnswer(status, body, content_type, headers)
