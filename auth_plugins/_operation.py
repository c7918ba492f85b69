"""What ``auth_plugins`` reads of a generated ``<exchange>_client.operations`` table, and how it links its entries.

The generated packages define ``Operation``, ``Param``, ``RateLimit`` and ``ResponseField`` themselves (they never
import ``auth_plugins``); these Protocols are the one typed view of them on this side, used by the signers'
route tables, the request gates, the validator and the response checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["OperationInfo", "ParamInfo", "RateLimitInfo", "ResponseFieldInfo", "link_paths"]


class RateLimitInfo(Protocol):
    """A documented limit: ``limit`` units of weight per ``window_ms``, keyed on ``"ip"``, ``"api-key"``,
    ``"account"`` or ``"master-account"``; ``budget`` names the budget (a shared pool, or the operationId for the
    endpoint's own), ``used_weight_header`` the header that reports the exchange's own count of it, if any."""

    @property
    def limit(self) -> int: ...
    @property
    def window_ms(self) -> int: ...
    @property
    def keyed_on(self) -> str: ...
    @property
    def weight(self) -> int: ...
    @property
    def budget(self) -> str: ...
    @property
    def used_weight_header(self) -> str | None: ...


class ParamInfo(Protocol):
    """One request parameter or JSON body field and the spec's checks on it (``None``/empty: no check)."""

    @property
    def name(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def type(self) -> str: ...
    @property
    def python_name(self) -> str: ...
    @property
    def format(self) -> str | None: ...
    @property
    def enum(self) -> tuple[str, ...]: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def min_length(self) -> int | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def minimum(self) -> int | None: ...
    @property
    def maximum(self) -> int | None: ...
    @property
    def min_items(self) -> int | None: ...
    @property
    def max_items(self) -> int | None: ...
    @property
    def max_list_items(self) -> int | None: ...


class ResponseFieldInfo(Protocol):
    """One field of a documented success body (``path`` ``""`` is the body, ``data[]`` the items of ``data``)."""

    @property
    def path(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def nullable(self) -> bool: ...
    @property
    def format(self) -> str | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def values(self) -> tuple[str, ...]: ...


class OperationInfo(Protocol):
    """One entry of a generated operation table (``<package>.entries.<operationId>.OPERATION``, an instance of
    the generated ``operations.Operation``)."""

    @property
    def operation_id(self) -> str: ...
    @property
    def tag(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def signed(self) -> bool: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def rate_limit(self) -> RateLimitInfo | None: ...
    @property
    def instruction(self) -> str | None: ...
    @property
    def params(self) -> Sequence[ParamInfo]: ...
    @property
    def body(self) -> ParamInfo | None: ...
    @property
    def response_status(self) -> int: ...
    @property
    def response(self) -> Sequence[ResponseFieldInfo]: ...
    @property
    def examples(self) -> Sequence[tuple[str, object]]: ...
    @property
    def spec_file(self) -> str: ...


N = TypeVar("N")


def link_paths(entries: Iterable[tuple[str, N]]) -> list[N]:
    """Link compiled nodes named by path, parents before children, and return those without a parent, in order.

    Nodes have ``items`` (``None`` until linked) and ``fields`` (a tuple) attributes. ``a[]`` becomes the
    ``items`` of ``a``; ``a.b`` and ``a[].b`` become ``fields`` of ``a`` and ``a[]``; a top-level name becomes a
    field of ``""`` (the body itself) when there is one, else it has no parent.
    """
    nodes: dict[str, Any] = {}
    roots: list[N] = []
    for path, node in entries:
        nodes[path] = node
        if path.endswith("[]"):
            nodes[path[:-2]].items = node
            continue
        parent = path.rsplit(".", 1)[0] if "." in path else ("" if path and "" in nodes else None)
        if parent is None:
            roots.append(node)
        else:
            owner = nodes[parent]
            owner.fields = (*owner.fields, node)
    return roots
