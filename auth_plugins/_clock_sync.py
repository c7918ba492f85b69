"""Measuring a client's clock offset to the exchange, on demand (the pipeline also does it by itself)."""

from __future__ import annotations

from typing import Any

from auth_plugins._pipeline import AsyncPipelineClient, SyncPipelineClient

__all__ = ["async_sync_clock", "sync_clock"]


def sync_clock(client: Any) -> int:
    """Measure ``client``'s clock offset to the exchange, make its signer use it, and return it in ms.

    ``client`` is one made by an ``auth_plugins`` factory. One call to the exchange's public server-time
    operation (retried like any read); the offset is ``server time - midpoint of the round trip``, and every
    later request, sync or async, is timestamped ``local clock + offset``. Raises ``TypeError`` for other
    clients and an :class:`~auth_plugins.errors.ExchangeError` if the server time cannot be had.
    """
    http = client.get_httpx_client() if hasattr(client, "get_httpx_client") else None
    if not isinstance(http, SyncPipelineClient):
        raise TypeError("sync_clock needs a client made by an auth_plugins factory (make_client, client_from_env)")
    return http.sync_clock()


async def async_sync_clock(client: Any) -> int:
    """Async twin of :func:`sync_clock`, over the client's ``httpx.AsyncClient``."""
    http = client.get_async_httpx_client() if hasattr(client, "get_async_httpx_client") else None
    if not isinstance(http, AsyncPipelineClient):
        raise TypeError(
            "async_sync_clock needs a client made by an auth_plugins factory (make_client, client_from_env)"
        )
    return await http.sync_clock()
