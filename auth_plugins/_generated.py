"""The one place that knows how the generated packages are laid out; tests/codegen/test_seam.py pins every name used.

What ``auth_plugins`` relies on, and nothing else: ``<package>.AuthenticatedClient(base_url, *, token, prefix,
auth_header_name, timeout, headers, verify_ssl, hooks)`` with its ``ClientHooks`` protocol (``httpx_client``,
``async_httpx_client``, ``argument_error``), ``get_httpx_client`` and ``get_async_httpx_client``;
``<package>.operations`` (``INDEX``: ``(METHOD, path) -> (operationId, signed)``, ``SERVER_URL``, Backpack's
``INSTRUCTIONS``) and ``<package>.entries.<operationId>.OPERATION`` (each operation's entry, as
:mod:`auth_plugins._operation` describes it, imported the first time it is needed: importing the runtime costs
the same for 3 operations or 300); the public functions of ``<package>.api.<tag>.<operation_id>``,
which hand ``request`` a ready target and body; and the bundled spec, ``<package>/openapi.yaml``. No private
attribute of generated code is read. The exchanges' clients import their ``AuthenticatedClient`` class directly
(their return type names it); everything else reaches the generated packages through the functions below.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from types import ModuleType
from typing import Any, get_args

from auth_plugins._decimals import DECIMAL_FORMATS
from auth_plugins._operation import OperationInfo

__all__ = [
    "BUNDLE_FILE",
    "ENTRIES",
    "Routes",
    "bundle_text",
    "endpoint",
    "instructions",
    "operation",
    "operations",
    "routes",
    "sample_arguments",
    "server_url",
    "signed_routes",
]

BUNDLE_FILE = "openapi.yaml"
"""The bundled spec each generated package ships as package data."""
ENTRIES = "entries"
"""The sub-package of a generated package with one module per operation entry: ``entries/<operationId>.py``."""


@cache
def _operations_module(package: str) -> ModuleType:
    return importlib.import_module(f"{package}.operations")


def _table(package: str, name: str) -> Any:
    try:
        return getattr(_operations_module(package), name)
    except AttributeError:
        raise ImportError(
            f"{package}.operations has no {name}: the generated code does not match auth_plugins "
            "(regenerate it with `make generate`; tests/codegen/test_seam.py names everything that moved)"
        ) from None


def _index(package: str) -> Mapping[tuple[str, str], tuple[str, bool]]:
    table: Mapping[tuple[str, str], tuple[str, bool]] = _table(package, "INDEX")
    return table


@cache
def operation(package: str, operation_id: str) -> OperationInfo:
    """The entry of ``operation_id`` in ``package``, imported from ``<package>.entries.<operation_id>`` on first
    use; ``KeyError`` for an operation the package does not have."""
    if operation_id not in {entry_id for entry_id, _ in _index(package).values()}:
        raise KeyError(f"{package} has no operation {operation_id!r}")
    entry: OperationInfo = importlib.import_module(f"{package}.{ENTRIES}.{operation_id}").OPERATION
    return entry


def operations(package: str) -> tuple[OperationInfo, ...]:
    """Every operation of the generated ``package`` (``okx_client``), in the table's order (by path, then method).
    This imports every entry: for tools, the sandbox and tests; a client needs :func:`routes`."""
    return tuple(operation(package, operation_id) for operation_id, _ in _index(package).values())


class Routes(Mapping[tuple[str, str], OperationInfo]):
    """The operations of a generated package by ``(METHOD, path)``, each entry imported the first time its route
    is looked up (then kept). Iterating and ``len`` read the package's ``INDEX`` only."""

    __slots__ = ("_index", "_loaded", "_package")

    def __init__(self, package: str) -> None:
        self._package = package
        self._index = _index(package)
        self._loaded: dict[tuple[str, str], OperationInfo] = {}

    def __getitem__(self, route: tuple[str, str]) -> OperationInfo:
        try:
            return self._loaded[route]
        except KeyError:
            pass
        entry = operation(self._package, self._index[route][0])  # KeyError for an unknown route
        self._loaded[route] = entry
        return entry

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def loaded(self) -> frozenset[str]:
        """The operationIds whose entries this table has imported so far."""
        return frozenset(entry.operation_id for entry in self._loaded.values())


def routes(package: str) -> Routes:
    """The operations of ``package`` by ``(METHOD, path)``: how a request finds its entry (see :class:`Routes`)."""
    return Routes(package)


def signed_routes(package: str) -> dict[tuple[str, str], bool]:
    """``(METHOD, path) -> signed`` for every operation of ``package``: a signer's default allow-list, read from
    the package's index (no entry is imported)."""
    return {route: signed for route, (_, signed) in _index(package).items()}


def instructions(package: str) -> Mapping[tuple[str, str], str | None]:
    """``(METHOD, path) -> signing instruction`` (``None`` for a public route): Backpack's allow-list."""
    table: Mapping[tuple[str, str], str | None] = _table(package, "INSTRUCTIONS")
    return table


def server_url(package: str) -> str:
    """The production base URL of the generated ``package``: the first of its spec's ``servers``."""
    url: str = _table(package, "SERVER_URL")
    return url


def bundle_text(package: str) -> str:
    """The bundled OpenAPI document ``package`` was generated from (``<package>/openapi.yaml``), as text."""
    from importlib import resources  # here: only the sandbox and tools read the bundle

    return resources.files(package).joinpath(BUNDLE_FILE).read_text(encoding="utf-8")


def endpoint(package: str, operation: OperationInfo) -> Any:
    """The module of ``operation`` in ``package``, with its ``sync``, ``sync_detailed``, ``asyncio`` and
    ``asyncio_detailed`` functions."""
    return importlib.import_module(f"{package}.api.{operation.tag}.{operation.operation_id}")


def _body_model(function: Any) -> Any:
    import inspect  # here: only sample calls need it

    annotation = inspect.signature(function).parameters["body"].annotation
    for candidate in (annotation, *get_args(annotation)):
        if hasattr(candidate, "from_dict"):
            return candidate
    return None


def sample_arguments(
    package: str, operation: OperationInfo, examples: Sequence[tuple[str, object]] | None = None
) -> dict[str, Any]:
    """Keyword arguments (all but ``client``) of a call of ``operation`` made of the spec's examples
    (``operation.examples``, or ``examples`` in their shape: wire name to value, the JSON body under ``"body"``):
    Python names, decimals as ``Decimal``, the JSON body as its generated model."""
    from decimal import Decimal  # here: only sample calls need it

    params = {param.name: param for param in operation.params if param.location != "body"}
    arguments: dict[str, Any] = {}
    for name, value in operation.examples if examples is None else examples:
        if name == "body":
            model = _body_model(endpoint(package, operation).sync)
            arguments["body"] = model.from_dict(value) if model is not None else value
            continue
        param = params[name]
        decimal = isinstance(value, str) and param.format in DECIMAL_FORMATS
        arguments[param.python_name] = Decimal(str(value)) if decimal else value
    return arguments
