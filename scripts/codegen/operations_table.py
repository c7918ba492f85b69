"""Render the vendor extensions the generator drops as a small typed Python table.

openapi-python-client keeps no ``x-`` extensions, yet the auth hooks need each operation's signing
metadata (Backpack's instruction), the resilience layer needs rate limits and whether an operation
only reads, the request validator needs each parameter's constraints
(:mod:`scripts.codegen._request_constraints`), and the response check needs each success body's fields
(:mod:`scripts.codegen._response_constraints`). This module turns a bundled document into
``<package>/operations.py`` so nothing parses YAML at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from auth_plugins._ratelimit_shape import POOLS_EXTENSION, resolve

from ._examples import examples_source
from ._request_constraints import PARAM_CLASS, constraints_source
from ._response_constraints import RESPONSE_FIELD_CLASS, response_source
from ._schemas import ConstraintError
from .bundle import HTTP_METHODS

__all__ = ["render_operations_module"]

_PRELUDE = '''"""Per-operation metadata from {spec}: signing, rate limits, read-only flag, parameter and
response checks.

Each entry describes one operation of this package. ``ROUTES`` indexes them by ``(METHOD, path)``,
which is how an ``httpx.Auth`` sees a request.
"""

from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = ["OPERATIONS", "ROUTES", "SERVER_URL", "Operation", "Param", "RateLimit", "ResponseField"{extra_all}]

# The production base URL: the first entry of the spec's `servers`.
SERVER_URL: Final = {server_url!r}


class RateLimit(NamedTuple):
    """A documented limit: ``limit`` units per ``window_ms``, keyed on ``keyed_on`` (``ip``, ``api-key``,
    ``account`` or ``master-account``); one call costs ``weight``. ``budget`` names the budget it draws on (a
    shared pool's name, or the operationId for the endpoint's own budget); ``used_weight_header`` is the
    response header in which the exchange reports its own count of that budget, if it sends one."""

    limit: int
    window_ms: int
    keyed_on: str
    weight: int
    budget: str
    used_weight_header: str | None
{param_class}{response_field_class}

class Operation(NamedTuple):
    """One operation: where it lives, whether it is signed or only reads, its documented rate limit, the
    checks on its parameters and JSON body fields (``params``) and on the body itself (``body``, ``None``
    when it takes none), its documented success status (``response_status``) and the fields of that success
    body (``response``: empty when the body is not JSON), and the spec's examples of its arguments
    (``examples``: wire name to value, the JSON body under ``"body"``), which make a valid sample call;
    ``spec_file`` is the endpoint file it comes from (``specs/<exchange>/endpoints/...``): the file to edit."""

    operation_id: str
    tag: str
    method: str
    path: str
    signed: bool
    read_only: bool
    rate_limit: RateLimit | None
    instruction: str | None
    params: tuple[Param, ...]
    body: Param | None
    response_status: int
    response: tuple[ResponseField, ...]
    examples: tuple[tuple[str, object], ...] = ()
    spec_file: str = ""


OPERATIONS: Final[tuple[Operation, ...]] = (
'''


def _rate_limit(value: dict[str, Any], pools: Any, operation_id: str) -> str:
    rate = resolve(value, pools, operation_id)
    if rate is None:
        return "None"
    return (
        f"RateLimit(limit={rate.limit}, window_ms={rate.window_ms}, keyed_on={rate.keyed_on!r}, "
        f"weight={rate.weight}, budget={rate.budget!r}, used_weight_header={rate.used_weight_header!r})"
    )


def _spec_file(sources: Mapping[str, Path] | None, operation_id: str) -> str:
    """The endpoint file of ``operation_id`` as a POSIX path (``""`` when ``sources`` does not know it)."""
    source = (sources or {}).get(operation_id)
    return source.as_posix() if source is not None else ""


def render_operations_module(bundle: dict[str, Any], spec: str, sources: Mapping[str, Path] | None = None) -> str:
    """Return the source of ``operations.py`` for one bundled document; ``spec`` is its repo-relative path.

    ``SERVER_URL`` is the first of the document's ``servers`` (the production URL). Each operation's
    ``params`` and ``body`` carry the constraints of its request schema, ``response_status`` and ``response``
    those of its success body; a schema keyword the client could not enforce raises
    :class:`~scripts.codegen._request_constraints.ConstraintError` naming the operation, after its endpoint file
    when ``sources`` (``operationId -> file``) knows it.

    Backpack bundles (those whose operations carry ``x-signing.instruction``) also get ``INSTRUCTIONS``:
    ``(METHOD, path) -> instruction`` for signed routes and ``None`` for public ones.
    """
    rows: list[str] = []
    instructions: list[str] = []
    for route in sorted(bundle["paths"]):
        for method in HTTP_METHODS:
            op = bundle["paths"][route].get(method)
            if op is None:
                continue
            signing = op.get("x-signing") or {}
            instruction = signing.get("instruction")
            signed = bool(op.get("security"))
            try:
                params, body = constraints_source(bundle, route, method)
                response_status, response = response_source(bundle, route, method)
                examples = examples_source(bundle, route, method)
            except ConstraintError as error:
                source = (sources or {}).get(op["operationId"])
                if source is None:
                    raise
                raise ConstraintError(f"{source}: {error}") from None
            rate_limit = _rate_limit(op["x-rate-limit"], bundle.get(POOLS_EXTENSION), op["operationId"])
            rows.append(
                "    Operation(\n"
                f"        operation_id={op['operationId']!r},\n"
                f"        tag={op['tags'][0]!r},\n"
                f"        method={method.upper()!r},\n"
                f"        path={route!r},\n"
                f"        signed={signed!r},\n"
                f"        read_only={bool(op['x-read-only'])!r},\n"
                f"        rate_limit={rate_limit},\n"
                f"        instruction={instruction!r},\n"
                f"        params={params},\n"
                f"        body={body},\n"
                f"        response_status={response_status!r},\n"
                f"        response={response},\n"
                f"        examples={examples},\n"
                f"        spec_file={_spec_file(sources, op['operationId'])!r},\n"
                "    ),\n"
            )
            instructions.append(f"        ({method.upper()!r}, {route!r}): {instruction!r},\n")
    has_instructions = any(
        (op.get("x-signing") or {}).get("instruction")
        for item in bundle["paths"].values()
        for method, op in item.items()
        if method in HTTP_METHODS
    )
    extra_all = ', "INSTRUCTIONS"' if has_instructions else ""
    text = _PRELUDE.format(
        spec=spec,
        extra_all=extra_all,
        server_url=bundle["servers"][0]["url"],
        param_class=PARAM_CLASS,
        response_field_class=RESPONSE_FIELD_CLASS,
    )
    text += "".join(rows) + ")\n\n"
    text += "ROUTES: Final = MappingProxyType({(op.method, op.path): op for op in OPERATIONS})\n"
    if has_instructions:
        text += (
            "\n# Signing instruction per route; None marks a public route that is sent unsigned.\n"
            "INSTRUCTIONS: Final = MappingProxyType(\n    {\n" + "".join(instructions) + "    }\n)\n"
        )
    return text
