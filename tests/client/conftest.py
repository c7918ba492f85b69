"""Fixtures of the client tests: the hostile servers of tests/_hostile.py, one per exchange for the whole run."""

from collections.abc import Iterator

import pytest

from tests._exchanges import NAMES, Exchange
from tests._hostile import HostileServer


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
