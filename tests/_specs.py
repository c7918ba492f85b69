"""Test helpers: repository paths and the committed bundled specs."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator
from functools import cache
from keyword import iskeyword
from pathlib import Path
from typing import Any, Final

import yaml

from auth_plugins._openapi import follow

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
    # libyaml's loader when PyYAML has it: a bundle of hundreds of operations parses in a fraction of the time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(bundle_path(exchange).read_text(encoding="utf-8"), Loader=loader)
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
