"""Shared fixtures: the sandbox exchange, over real HTTP on 127.0.0.1, from the shipped pytest plugin."""

import os

import pytest

from auth_plugins.sandbox import ExchangeSandbox, Sandbox
from tests._exchanges import EXCHANGES, NAMES, Exchange
from tests._installed import InstalledDistribution, install_distribution, shared_distribution
from tests._specs import MATRIX_RUN


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pipeline: runs the maintainer pipeline (scripts/) over a copy of the repository; not on the matrix's "
        "other interpreters (tests/_specs.py, MATRIX_RUN)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MATRIX_RUN:
        return
    deselected = [item for item in items if item.get_closest_marker("pipeline") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("pipeline") is None]


@pytest.fixture(scope="session")
def sandbox(_exchange_sandbox_session: ExchangeSandbox) -> Sandbox:
    """The session's sandbox exchange: the one the shipped ``exchange_sandbox`` fixture runs (see
    auth_plugins/sandbox/_pytest_plugin.py), as the lower-level :class:`Sandbox`. Tests should use ``sbx``."""
    return _exchange_sandbox_session.sandbox


@pytest.fixture
def sbx(exchange_sandbox: ExchangeSandbox) -> Sandbox:
    """The sandbox as the shipped ``exchange_sandbox`` fixture hands it over: reset for this test (rate limits
    off), and the test fails if any answer it sent broke the spec."""
    return exchange_sandbox.sandbox


@pytest.fixture(params=NAMES)
def exchange(request: pytest.FixtureRequest) -> Exchange:
    """Each exchange in turn, as the table of facts the tests use (tests/_exchanges.py)."""
    facts: Exchange = EXCHANGES[request.param]
    return facts


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledDistribution:
    """The wheel installed with its ``sandbox`` extra and pytest into one venv, built on first use for the whole
    run (from PyPI); see tests/_installed.py. Under pytest-xdist, the workers share one build in the run's
    temporary directory (each worker's is a folder of it)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return shared_distribution(tmp_path_factory.getbasetemp().parent)
    return install_distribution(tmp_path_factory.mktemp("installed"))
