"""The one place that knows how the generated packages are laid out; ``tests`` pin every name used here.

What ``auth_plugins`` relies on, and nothing else: ``<package>.AuthenticatedClient(base_url, *, token, prefix,
auth_header_name, timeout, hooks)`` and its ``ClientHooks`` protocol (``httpx_client``, ``async_httpx_client``,
``argument_error``); ``<package>.operations`` (``OPERATIONS``, ``ROUTES``, ``SERVER_URL``, Backpack's
``INSTRUCTIONS``); and the public functions of ``<package>.api.<tag>.<operation_id>``. No private attribute of
generated code is read.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from functools import cache
from types import ModuleType
from typing import Any, get_args

from auth_plugins._decimals import DECIMAL_FORMATS
from auth_plugins._operation import OperationInfo

__all__ = ["endpoint", "operations", "sample_arguments", "server_url"]


@cache
def _operations_module(package: str) -> ModuleType:
    return importlib.import_module(f"{package}.operations")


def operations(package: str) -> tuple[OperationInfo, ...]:
    """Every operation of the generated ``package`` (``okx_client``), in the table's order."""
    table: tuple[OperationInfo, ...] = _operations_module(package).OPERATIONS
    return table


def server_url(package: str) -> str:
    """The production base URL of the generated ``package``: the first of its spec's ``servers``."""
    url: str = _operations_module(package).SERVER_URL
    return url


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


def sample_arguments(package: str, operation: OperationInfo) -> dict[str, Any]:
    """Keyword arguments (all but ``client``) of a call of ``operation`` made of the spec's examples
    (``operation.examples``): Python names, decimals as ``Decimal``, the JSON body as its generated model."""
    params = {param.name: param for param in operation.params if param.location != "body"}
    arguments: dict[str, Any] = {}
    for name, value in getattr(operation, "examples", ()):
        if name == "body":
            model = _body_model(endpoint(package, operation).sync)
            arguments["body"] = model.from_dict(value) if model is not None else value
            continue
        param = params[name]
        decimal = param.format in DECIMAL_FORMATS and isinstance(value, str)
        arguments[param.python_name] = Decimal(value) if decimal else value
    return arguments
