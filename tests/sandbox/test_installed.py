"""Done-when for shipping the sandbox: the built wheel, installed with ``[sandbox]`` into a fresh venv, gives a
user's project the ``exchange_sandbox`` fixture, and a user-style test file outside the repository passes there.

The file checks a typed result after ``respond``, a ``RateLimitError`` after ``fail(..., 429, retry_after=...)``
and a refused invalid ``respond``, as the README shows, plus the environment for ``client_from_env`` and OKX demo
keys. It runs with warnings as errors, as a strict project would, and the standalone server runs from the venv.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Final

from tests._installed import InstalledDistribution

# The README's example is the first test, verbatim.
USER_TESTS: Final = textwrap.dedent(
    """
    from decimal import Decimal

    import pytest
    from auth_plugins import RateLimitError
    from binance_client.api.margin import query_max_borrow


    def test_my_treasury_code_against_the_sandbox(exchange_sandbox):
        exchange_sandbox.respond("binance", "query_max_borrow", {"amount": "2.5", "borrowLimit": "100"})
        with exchange_sandbox.client("binance") as client:
            assert query_max_borrow.sync(client=client, asset="BTC").amount == Decimal("2.5")
            exchange_sandbox.fail("binance", "query_max_borrow", 429, retry_after=30)
            with pytest.raises(RateLimitError) as caught:
                query_max_borrow.sync(client=client, asset="BTC")
        assert caught.value.retry_after == 30
        with pytest.raises(ValueError, match="amount"):
            exchange_sandbox.respond("binance", "query_max_borrow", {"amount": 2.5})


    def test_typed_results_and_records(exchange_sandbox):
        from binance_client.models import MaxBorrowable
        from okx_client.api.account import get_max_loan

        with exchange_sandbox.client("binance", private_key=True) as client:
            assert isinstance(query_max_borrow.sync(client=client, asset="ETH"), MaxBorrowable)
        with exchange_sandbox.client("okx", demo=True) as client:
            result = get_max_loan.sync(client=client, mgn_mode="cross", inst_id="ETH-USDT")
        assert {item.ccy for item in result.data} == {"ETH", "USDT"}
        assert [(r.exchange, r.signature_valid) for r in exchange_sandbox.requests] == [
            ("binance", True),
            ("okx", True),
        ]


    def test_client_from_env(exchange_sandbox, monkeypatch):
        from auth_plugins import backpack
        from backpack_client.api.account import get_max_borrow_quantity

        for name, value in exchange_sandbox.env(binance_key="ed25519").items():
            monkeypatch.setenv(name, value)
        with backpack.client_from_env() as client:
            assert get_max_borrow_quantity.sync(client=client, symbol="SOL").symbol == "SOL"
    """
)


def test_a_user_project_runs_its_contract_tests_on_the_installed_sandbox(
    installed: InstalledDistribution, tmp_path: Path
) -> None:
    project = tmp_path / "user-project"
    project.mkdir()
    (project / "test_contract.py").write_text(USER_TESTS)
    where = installed.run(installed.python, "-c", "import auth_plugins.sandbox as s; print(s.__file__)", cwd=project)
    assert where.returncode == 0 and where.stdout.startswith(str(installed.venv)), where.stdout + where.stderr
    result = installed.run(installed.python, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout, result.stdout


def test_the_installed_standalone_server_serves_and_stops(installed: InstalledDistribution, tmp_path: Path) -> None:
    result = installed.run(installed.python, "-m", "auth_plugins.sandbox", "--serve-for", "0.2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "export BINANCE_API_SECRET=" in result.stdout and "#   export BINANCE_PRIVATE_KEY_FILE=" in result.stdout
