"""Shared fixtures: the sandbox exchange, over real HTTP on 127.0.0.1."""

from collections.abc import Iterator

import pytest

from auth_plugins.sandbox import Sandbox
from tests._exchanges import EXCHANGES, NAMES, Exchange
from tests._installed import InstalledDistribution, install_distribution


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the whole run, rate limits off. Tests should use ``sbx``, which resets it."""
    with Sandbox() as instance:
        yield instance


@pytest.fixture
def sbx(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The session sandbox, reset for this test; fails the test if any answer it sent broke the spec."""
    sandbox.reset()
    yield sandbox
    violations = sandbox.violations
    assert not violations, "the sandbox sent responses that break the spec:\n" + "\n".join(map(str, violations))


@pytest.fixture(params=NAMES)
def exchange(request: pytest.FixtureRequest) -> Exchange:
    """Each exchange in turn, as the table of facts the tests use (tests/_exchanges.py)."""
    facts: Exchange = EXCHANGES[request.param]
    return facts


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledDistribution:
    """The wheel installed with its ``sandbox`` extra and pytest into one venv, built on first use for the whole
    run (from PyPI); see tests/_installed.py."""
    return install_distribution(tmp_path_factory.mktemp("installed"))
