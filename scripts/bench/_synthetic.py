"""Synthetic endpoint files: N clones of one real signed endpoint per exchange, added to a copy of ``specs/``.

What the scale bench and the test-count guard (tests/codegen/test_scaling.py) add to a temporary copy of the
repository. Each clone is the template's text with its path and operationId replaced, so it is a valid endpoint
of the same kind (signed GET with query parameters) whose examples, checks and sandbox answers work unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, NamedTuple

__all__ = ["TEMPLATES", "Template", "add_synthetic_endpoints", "synthetic_name"]


class Template(NamedTuple):
    """The endpoint file a clone is made from, its path line's route and its operationId."""

    file: str
    path: str
    operation_id: str
    prefix: str
    """Where the clones' paths live (``<prefix>/op-0000``): the same API family, so the same rate-limit rules."""


TEMPLATES: Final = {
    "backpack": Template(
        "account.get_max_borrow_quantity.yaml", "/api/v1/account/limits/borrow", "get_max_borrow_quantity", "/api/v1"
    ),
    "binance": Template(
        "margin.query_max_borrow.yaml", "/sapi/v1/margin/maxBorrowable", "query_max_borrow", "/sapi/v1"
    ),
    "okx": Template("account.get_max_loan.yaml", "/api/v5/account/max-loan", "get_max_loan", "/api/v5"),
}


_PREFIX: Final = "synthetic_op_"


def synthetic_name(index: int) -> str:
    """The operationId of the ``index``-th clone."""
    return f"{_PREFIX}{index:04d}"


def add_synthetic_endpoints(specs: Path, exchange: str, count: int) -> list[Path]:
    """Write ``count`` clones of ``exchange``'s template into ``specs/<exchange>/endpoints``; return their files.
    Numbering goes on after the clones already there, so each call adds ``count`` endpoints.

    ``ValueError`` if the template no longer has exactly one path line and one operationId line to replace.
    """
    template = TEMPLATES[exchange]
    endpoints = specs / exchange / "endpoints"
    text = (endpoints / template.file).read_text(encoding="utf-8")
    path_line, id_line = f"  {template.path}:\n", f"operationId: {template.operation_id}\n"
    if text.count(path_line) != 1 or text.count(id_line) != 1:
        raise ValueError(f"{template.file} no longer has exactly one {path_line.strip()!r} and {id_line.strip()!r}")
    tag = template.file.split(".", 1)[0]
    written = []
    start = len(list(endpoints.glob(f"{tag}.{_PREFIX}*.yaml")))
    for index in range(start, start + count):
        name = synthetic_name(index)
        clone = text.replace(path_line, f"  {template.prefix}/synthetic/op-{index:04d}:\n")
        clone = clone.replace(id_line, f"operationId: {name}\n")
        target = endpoints / f"{tag}.{name}.yaml"
        target.write_text(clone, encoding="utf-8")
        written.append(target)
    return written
