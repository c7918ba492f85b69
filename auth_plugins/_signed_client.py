"""Plugging the pipeline clients into a generated ``AuthenticatedClient``."""

from __future__ import annotations

from typing import Any

import httpx

from auth_plugins._pipeline import AsyncPipelineClient, Pipeline, SyncPipelineClient

__all__ = ["PipelineClientMixin"]


class PipelineClientMixin:
    """Mixed in before a generated ``AuthenticatedClient``: its ``httpx`` clients become pipeline clients.

    They are built lazily with exactly the settings the generated class would use (base URL, cookies,
    headers with the API-key header, timeout, TLS, redirects, ``httpx_args``), so ``with_headers``,
    ``with_timeout`` and ``attrs.evolve`` copies keep the pipeline. The subclass declares ``_pipeline`` as an
    attrs field (``pipeline=`` in its constructor).
    """

    _pipeline: Pipeline
    _client: httpx.Client | None
    _async_client: httpx.AsyncClient | None

    def get_httpx_client(self) -> httpx.Client:
        """The :class:`~auth_plugins._pipeline.SyncPipelineClient` behind ``sync*`` calls, built on first use."""
        if self._client is None:
            self._client = SyncPipelineClient(pipeline=self._pipeline, **_settings(self))
        return self._client

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """The :class:`~auth_plugins._pipeline.AsyncPipelineClient` behind ``asyncio*`` calls, built on first use."""
        if self._async_client is None:
            self._async_client = AsyncPipelineClient(pipeline=self._pipeline, **_settings(self))
        return self._async_client


def _settings(client: Any) -> dict[str, Any]:
    # The same arguments, and the same API-key header, as the generated get_httpx_client would use.
    client._headers[client.auth_header_name] = f"{client.prefix} {client.token}" if client.prefix else client.token
    return {
        "base_url": client._base_url,
        "cookies": client._cookies,
        "headers": client._headers,
        "timeout": client._timeout,
        "verify": client._verify_ssl,
        "follow_redirects": client._follow_redirects,
        **client._httpx_args,
    }
