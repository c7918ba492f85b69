"""The ``exchange_sandbox`` pytest fixture, registered through the ``pytest11`` entry point ``exchange_sandbox``.

pytest loads this module in every project where the distribution is installed, with or without the
``sandbox`` extra, so it imports nothing but pytest: the sandbox (werkzeug, openapi-core, PyYAML) is imported
when a test first asks for the fixture, and a missing extra fails that test with the command that installs
it. Disable the plugin with ``-p no:exchange_sandbox``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._fixture import ExchangeSandbox

__all__ = ["exchange_sandbox"]

_MISSING_EXTRA = (
    "the exchange_sandbox fixture needs the sandbox extra: pip install 'exchange-clients[sandbox]' "
    "(importing the sandbox failed: {error})"
)


@pytest.fixture(scope="session")
def _exchange_sandbox_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeSandbox]:
    """One sandbox exchange for the whole session, started on first use; ``exchange_sandbox`` resets it."""
    try:
        from ._fixture import ExchangeSandbox
        from ._sandbox import Sandbox
    except ImportError as error:
        pytest.fail(_MISSING_EXTRA.format(error=error), pytrace=False)
    with Sandbox() as sandbox:
        yield ExchangeSandbox(sandbox, tmp_path_factory.mktemp("exchange-sandbox"))


@pytest.fixture
def exchange_sandbox(_exchange_sandbox_session: ExchangeSandbox) -> Iterator[ExchangeSandbox]:
    """A clean sandbox exchange (Backpack, Binance, OKX on 127.0.0.1) for this test: see ``ExchangeSandbox``.

    Reset before the test: no chosen answers, faults or records, ``skew_ms`` 0, rate limits not enforced.
    After the test, any answer the sandbox sent that broke the spec (a sandbox bug) fails it.
    """
    sandbox = _exchange_sandbox_session
    sandbox.reset()
    yield sandbox
    violations = sandbox.violations
    if violations:
        pytest.fail(
            "the sandbox exchange sent answers that break the spec (a sandbox bug):\n"
            + "\n".join(map(str, violations)),
            pytrace=False,
        )
