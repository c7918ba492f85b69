"""Test helpers: repository paths and the committed bundled specs."""

from __future__ import annotations

import builtins
import os
import re
from collections.abc import Iterator
from functools import cache
from keyword import iskeyword
from pathlib import Path
from typing import Any, Final

import yaml

from auth_plugins._openapi import follow
from scripts.codegen.yaml_loader import LOADER
from tests._exchanges import sample

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
NAMES = ("backpack", "binance", "okx")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def bundle_path(exchange: str) -> Path:
    """The committed bundle of one exchange: ``generated/<exchange>_client/openapi.yaml``."""
    return REPO / "generated" / f"{exchange}_client" / "openapi.yaml"


@cache
def load_bundle(exchange: str) -> dict[str, Any]:
    """The committed bundled OpenAPI document of one exchange (parsed once per test run)."""
    data: dict[str, Any] = yaml.load(bundle_path(exchange).read_text(encoding="utf-8"), Loader=LOADER)
    return data


def operations(exchange: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(METHOD, path, operation)`` for every operation in one exchange's bundle."""
    for route, item in load_bundle(exchange)["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), route, item[method]


def all_operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """``(exchange, METHOD, path, operation)`` for every operation of every exchange."""
    return [(exchange, *op) for exchange in NAMES for op in operations(exchange)]


MATRIX_RUN_VARIABLE: Final = "EXCHANGE_CLIENTS_TESTS_MATRIX"
MATRIX_RUN: Final = os.environ.get(MATRIX_RUN_VARIABLE) == "1"
"""``EXCHANGE_CLIENTS_TESTS_MATRIX=1``, set by scripts/matrix.py for the interpreters after the first. There:

- tests parametrized per operation take one operation per kind (:func:`operation_kind`) instead of every one. What
  differs between operations of a kind is data (names, paths, parameters, examples), which the first interpreter
  checks operation by operation; what an interpreter can change is the code every operation of a kind shares,
  which one operation exercises;
- tests marked ``pipeline`` are deselected (tests/conftest.py): they run the maintainer tools (scripts/, not in
  the wheel; ``make generate`` and the doc tools run on ``.venv``'s Python) over a copy of the repository.

So the other interpreters check what the package claims for them, at a cost that does not grow with the number of
endpoints."""


def operation_kind(exchange: str, method: str, operation: dict[str, Any]) -> tuple[str, bool, str, bool]:
    """What shared machinery sees of an operation: ``(exchange, signed, METHOD, has a JSON body)``."""
    return exchange, bool(operation.get("security")), method.upper(), "requestBody" in operation


@cache
def kind_representatives() -> frozenset[tuple[str, str]]:
    """``(exchange, operationId)`` of one operation per :func:`operation_kind`: the one whose sample call sends the
    most values (a body counts its fields), so rules about several parameters (sorting, joining) have something to
    act on; the first in :func:`all_operations` order among equals."""
    best: dict[tuple[str, bool, str, bool], tuple[int, str, str]] = {}
    for exchange, method, _, operation in all_operations():
        sent = sample(exchange, operation["operationId"]).values()
        richness = sum(len(value.to_dict()) if hasattr(value, "to_dict") else 1 for value in sent)
        kind = operation_kind(exchange, method, operation)
        if kind not in best or richness > best[kind][0]:
            best[kind] = (richness, exchange, operation["operationId"])
    return frozenset((exchange, operation_id) for _, exchange, operation_id in best.values())


def parametrized_operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """What a test parametrized per operation takes: :func:`all_operations`, or under :data:`MATRIX_RUN` only the
    :func:`kind_representatives`."""
    if not MATRIX_RUN:
        return all_operations()
    chosen = kind_representatives()
    return [row for row in all_operations() if (row[0], row[3]["operationId"]) in chosen]


# Names openapi-python-client suffixes with "_" (its strings.RESERVED_WORDS, "id" excepted).
RESERVED: Final = frozenset(dir(builtins)) | {"self", "true", "false", "datetime"}


def snake(name: str) -> str:
    """camelCase to snake_case as a reader would spell it (``instId`` -> ``inst_id``), with the generator's
    ``_`` after a Python keyword or builtin (OKX's ``type`` is the argument ``type_``)."""
    spelled = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return f"{spelled}_" if iskeyword(spelled) or (spelled in RESERVED and spelled != "id") else spelled


def resolve(exchange: str, node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` in one exchange's bundle (with the one follower, ``auth_plugins._openapi``)."""
    target: dict[str, Any] = follow(load_bundle(exchange), node)
    return target
