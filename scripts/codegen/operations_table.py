"""Render the vendor extensions the generator drops as a small typed Python table.

openapi-python-client keeps no ``x-`` extensions, yet the auth hooks need each operation's signing
metadata (Backpack's instruction), the resilience layer needs rate limits and whether an operation
only reads, the request validator needs each parameter's constraints
(:mod:`scripts.codegen._request_constraints`), and the response check needs each success body's fields
(:mod:`scripts.codegen._response_constraints`). This module turns a bundled document into
``<package>/operations.py`` so nothing parses YAML at run time.

The table is split so that its cost at import does not grow with the number of operations: ``operations.py``
holds the classes and ``INDEX``, a route index of strings and booleans (what the signers and the route lookup
need up front), and each operation's entry lives in its own module, ``<package>/entries/<operationId>.py``
(``OPERATION``), which the runtime imports the first time that operation is called.
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

__all__ = ["ENTRIES_PACKAGE", "render_operations_module", "render_operations_package"]

ENTRIES_PACKAGE = "entries"
"""The sub-package of a generated package holding one module per operation entry (``entries/<operationId>.py``)."""

_PRELUDE = '''"""Per-operation metadata from {spec}: signing, rate limits, read-only flag, parameter and
response checks.

``INDEX`` maps each operation's ``(METHOD, path)`` (how an ``httpx.Auth`` sees a request) to its operationId
and whether it is signed. Each operation's ``Operation`` entry lives in its own module,
``entries/<operationId>.py`` (``OPERATION``), imported on first use: importing this module costs the same
whatever the number of operations.
"""

from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = ["INDEX", "SERVER_URL", "Operation", "Param", "RateLimit", "ResponseField"{extra_all}]

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

'''

_ENTRY = '''"""The operation-table entry of ``{operation_id}`` ({method} {path}) from {spec}; imported on first use."""

from typing import Final

from ..operations import {names}

OPERATION: Final = {entry}
'''

_ENTRIES_INIT = '''"""One module per operation, each holding its ``OPERATION`` (see ``operations.INDEX``)."""
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


def _entry(bundle: dict[str, Any], route: str, method: str, op: dict[str, Any], sources: Mapping[str, Path]) -> str:
    signing = op.get("x-signing") or {}
    try:
        params, body = constraints_source(bundle, route, method)
        response_status, response = response_source(bundle, route, method)
        examples = examples_source(bundle, route, method)
    except ConstraintError as error:
        source = sources.get(op["operationId"])
        if source is None:
            raise
        raise ConstraintError(f"{source}: {error}") from None
    return (
        "Operation(\n"
        f"    operation_id={op['operationId']!r},\n"
        f"    tag={op['tags'][0]!r},\n"
        f"    method={method.upper()!r},\n"
        f"    path={route!r},\n"
        f"    signed={bool(op.get('security'))!r},\n"
        f"    read_only={bool(op['x-read-only'])!r},\n"
        f"    rate_limit={_rate_limit(op['x-rate-limit'], bundle.get(POOLS_EXTENSION), op['operationId'])},\n"
        f"    instruction={signing.get('instruction')!r},\n"
        f"    params={params},\n"
        f"    body={body},\n"
        f"    response_status={response_status!r},\n"
        f"    response={response},\n"
        f"    examples={examples},\n"
        f"    spec_file={_spec_file(sources, op['operationId'])!r},\n"
        ")"
    )


def _operations(bundle: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(route, method, operation)`` in the table's order: by path, then by method."""
    return [
        (route, method, bundle["paths"][route][method])
        for route in sorted(bundle["paths"])
        for method in HTTP_METHODS
        if bundle["paths"][route].get(method) is not None
    ]


def render_operations_package(
    bundle: dict[str, Any], spec: str, sources: Mapping[str, Path] | None = None
) -> dict[str, str]:
    """Return the operation table of one bundled document as files: ``{path in the package: source}``.

    ``operations.py`` holds the classes, ``SERVER_URL`` (the first of the document's ``servers``: the production
    URL), ``INDEX`` (``(METHOD, path) -> (operationId, signed)``) and, for Backpack bundles (those whose
    operations carry ``x-signing.instruction``), ``INSTRUCTIONS``: ``(METHOD, path) -> instruction`` for signed
    routes and ``None`` for public ones. ``entries/<operationId>.py`` holds each operation's ``OPERATION``: its
    ``params`` and ``body`` carry the constraints of its request schema, ``response_status`` and ``response``
    those of its success body. A schema keyword the client could not enforce raises
    :class:`~scripts.codegen._request_constraints.ConstraintError` naming the operation, after its endpoint file
    when ``sources`` (``operationId -> file``) knows it. Each operation costs the same to render whatever the
    size of the bundle, so generation stays linear.
    """
    files: dict[str, str] = {f"{ENTRIES_PACKAGE}/__init__.py": _ENTRIES_INIT}
    index: list[str] = []
    instructions: list[str] = []
    for route, method, op in _operations(bundle):
        entry = _entry(bundle, route, method, op, sources or {})
        names = [name for name in ("Operation", "Param", "RateLimit", "ResponseField") if f"{name}(" in entry]
        files[f"{ENTRIES_PACKAGE}/{op['operationId']}.py"] = _ENTRY.format(
            operation_id=op["operationId"],
            method=method.upper(),
            path=route,
            spec=spec,
            names=", ".join(names),
            entry=entry,
        )
        key = f"({method.upper()!r}, {route!r})"
        index.append(f"        {key}: ({op['operationId']!r}, {bool(op.get('security'))!r}),\n")
        instruction = (op.get("x-signing") or {}).get("instruction")
        instructions.append(f"        {key}: {instruction!r},\n")
    has_instructions = any((op.get("x-signing") or {}).get("instruction") for _, _, op in _operations(bundle))
    extra_all = ', "INSTRUCTIONS"' if has_instructions else ""
    text = _PRELUDE.format(
        spec=spec,
        extra_all=extra_all,
        server_url=bundle["servers"][0]["url"],
        param_class=PARAM_CLASS,
        response_field_class=RESPONSE_FIELD_CLASS,
    )
    text += (
        "\n# (METHOD, path) -> (operationId, signed): strings and booleans only, so it stays cheap to import; the\n"
        "# entry itself is entries/<operationId>.py.\n"
        "INDEX: Final = MappingProxyType(\n    {\n" + "".join(index) + "    }\n)\n"
    )
    if has_instructions:
        text += (
            "\n# Signing instruction per route; None marks a public route that is sent unsigned.\n"
            "INSTRUCTIONS: Final = MappingProxyType(\n    {\n" + "".join(instructions) + "    }\n)\n"
        )
    files["operations.py"] = text
    return files


def render_operations_module(bundle: dict[str, Any], spec: str, sources: Mapping[str, Path] | None = None) -> str:
    """One self-contained module with every entry after the classes and ``INDEX`` (``OPERATIONS``, in the table's
    order, and ``ROUTES`` by ``(METHOD, path)``): what the generator executes to check the spec's examples before
    writing anything, and what tests render from edited bundles. Not written to the package (see
    :func:`render_operations_package`)."""
    files = render_operations_package(bundle, spec, sources)
    entries = [
        files[f"{ENTRIES_PACKAGE}/{op['operationId']}.py"].partition("OPERATION: Final = ")[2]
        for _, _, op in _operations(bundle)
    ]
    text = files["operations.py"] + "\nOPERATIONS = (\n" + "".join(f"{entry.rstrip()},\n" for entry in entries) + ")\n"
    return text + "ROUTES = {(op.method, op.path): op for op in OPERATIONS}\n"
