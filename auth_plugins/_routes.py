"""The allow-list every signer consults: which routes it signs, which it passes through, which it refuses.

Signers fail closed. A route the table marks signed is signed; a route it marks public is sent unsigned;
any other route raises :class:`UnknownOperationError` from ``auth_flow`` before the request is yielded, so
nothing reaches the network. The default tables are generated from the specs (``<exchange>_client.operations``).
"""

from collections.abc import Mapping
from typing import TypeVar

import httpx

from auth_plugins.errors import UnknownOperationError

__all__ = ["lookup", "normalise"]

V = TypeVar("V")


def normalise(table: Mapping[tuple[str, str], V]) -> dict[tuple[str, str], V]:
    """Copy ``table`` with upper-cased methods, since httpx upper-cases ``request.method``."""
    return {(method.upper(), path): value for (method, path), value in table.items()}


def lookup(table: Mapping[tuple[str, str], V], request: httpx.Request, exchange: str) -> V:
    """Return ``table[(method, path)]`` for ``request``, or raise :class:`UnknownOperationError` naming the route."""
    try:
        return table[(request.method, request.url.path)]
    except KeyError:
        raise UnknownOperationError(
            f"{request.method} {request.url.path} is not a known {exchange} operation; refusing to send it"
        ) from None
