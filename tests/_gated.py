"""Signed sandbox clients that run request gates before each request, for the gate tests.

Stand-in for the factories' pipeline: an ``httpx`` client whose ``send`` looks the route up in the generated
route table (``auth_plugins._generated.routes``) and runs each gate on the unsigned request, then signs and
sends it. No retries, so
a 429 reaches the test as a response. To test through the real pipeline instead, make :func:`gated_client`
return ``make_client(..., base_url=base_url, gates=gates)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from auth_plugins._gates import RequestGate
from auth_plugins._generated import routes as generated_routes
from auth_plugins.backpack import BackpackAuth
from auth_plugins.binance import BinanceAuth
from auth_plugins.okx import OkxAuth
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS

__all__ = ["API_KEYS", "gated_client"]

API_KEYS = {
    "backpack": BACKPACK_CREDENTIALS.api_key,
    "binance": BINANCE_CREDENTIALS.hmac_api_key,
    "okx": OKX_CREDENTIALS.api_key,
}


def _signer(exchange: str, demo: bool) -> httpx.Auth:
    if exchange == "backpack":
        return BackpackAuth(BACKPACK_CREDENTIALS.api_secret)
    if exchange == "binance":
        return BinanceAuth(BINANCE_CREDENTIALS.hmac_api_key, api_secret=BINANCE_CREDENTIALS.hmac_api_secret)
    key = OKX_CREDENTIALS.demo_api_key if demo else OKX_CREDENTIALS.api_key
    return OkxAuth(key, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase, demo=demo)


class _Gated(httpx.Client):
    def __init__(self, routes: Mapping[tuple[str, str], Any], gates: Sequence[RequestGate], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._routes, self._gates = routes, gates

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        operation = self._routes[(request.method, request.url.path)]
        for gate in self._gates:
            gate.before_send(operation, request)
        return super().send(request, **kwargs)


class _AsyncGated(httpx.AsyncClient):
    def __init__(self, routes: Mapping[tuple[str, str], Any], gates: Sequence[RequestGate], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._routes, self._gates = routes, gates

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        operation = self._routes[(request.method, request.url.path)]
        for gate in self._gates:
            await gate.abefore_send(operation, request)
        return await super().send(request, **kwargs)


def gated_client(exchange: str, base_url: str, gates: Sequence[RequestGate], *, demo: bool = False) -> Any:
    """A signed ``<exchange>_client.AuthenticatedClient`` on ``base_url`` (sandbox credentials) whose sync and
    async requests pass ``gates`` first; ``demo`` selects OKX's demo key."""
    package = importlib.import_module(f"{exchange}_client")
    routes = generated_routes(f"{exchange}_client")
    auth = _signer(exchange, demo)
    options: dict[str, Any] = {"base_url": base_url, "auth": auth, "timeout": 10.0}
    client = package.AuthenticatedClient(base_url=base_url, token="")
    client.set_httpx_client(_Gated(routes, gates, **options))
    client.set_async_httpx_client(_AsyncGated(routes, gates, **options))
    return client
