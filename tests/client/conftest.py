"""Fixtures of the client tests: the hostile servers of tests/_hostile.py, one per exchange for the whole run, and
clients on them that are closed when the test ends."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests._exchanges import NAMES, Exchange
from tests._hostile import HostileServer, OpenClient


@pytest.fixture(scope="session")
def hostile_servers() -> Iterator[dict[str, HostileServer]]:
    """A :class:`HostileServer` per exchange, started once; tests take ``hostile``, which resets it."""
    servers = {name: HostileServer(name) for name in NAMES}
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def hostile(hostile_servers: dict[str, HostileServer], exchange: Exchange) -> HostileServer:
    """The hostile server of the ``exchange`` under test, with no script and no requests recorded."""
    server = hostile_servers[exchange.name]
    server.reset()
    return server


@pytest.fixture
def opened() -> Iterator[OpenClient]:
    """Makes clients on a hostile server (see :data:`OpenClient`) and closes their kept-alive connections at the end
    of the test (the async side's close with the event loops ``asyncio.run`` shuts down)."""
    made: list[Any] = []

    def open_client(exchange: Exchange, server: HostileServer, variant: str = "", **options: Any) -> Any:
        made.append(exchange.make(server.base_url, variant, **{"rate_limit": False, **options}))
        return made[-1]

    yield open_client
    for client in made:
        client.get_httpx_client().close()
