"""A user's script, outside the repository, type-checks under ``mypy --strict`` against the installed wheel and
reads every operation's amount as a ``Decimal`` with no narrowing, sync and async; then it runs on the sandbox.

mypy runs from this venv with ``--python-executable`` pointing at the installed distribution's interpreter, so
it finds the packages as users have them (non-editable, PEP 561 ``py.typed``), not this checkout. The script
pins each type with ``typing.assert_type``: a union with an error model, ``None``, ``str`` or ``Any`` fails it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Final

from auth_plugins.sandbox import EXCHANGES, Sandbox, client_env
from tests._installed import InstalledDistribution

SCRIPT: Final = textwrap.dedent(
    """
    import asyncio
    from decimal import Decimal
    from typing import assert_type

    from auth_plugins import backpack, binance, okx
    from backpack_client.api.account import get_max_borrow_quantity, get_max_withdrawal_quantity
    from binance_client.api.margin import query_max_borrow
    from okx_client.api.account import get_max_loan
    from okx_client.api.flexible_loan import max_loan_amount
    from okx_client.models import MaxLoanAmountRequest, MaxLoanAmountResponse, SupplementaryCollateral
    from okx_client.types import Response

    REQUEST = MaxLoanAmountRequest(
        borrow_ccy="USDT", sup_collateral=[SupplementaryCollateral(ccy="BTC", amt=Decimal("0.50"))]
    )


    def read_sync() -> list[Decimal]:
        with backpack.client_from_env() as bp, binance.client_from_env() as bn, okx.client_from_env() as ok:
            borrow = get_max_borrow_quantity.sync(client=bp, symbol="USDC").max_borrow_quantity
            withdraw = get_max_withdrawal_quantity.sync(client=bp, symbol="USDC").max_withdrawal_quantity
            margin = query_max_borrow.sync(client=bn, asset="BTC").amount
            loans = [item.max_loan for item in get_max_loan.sync(client=ok, mgn_mode="cross", inst_id="BTC-USDT").data]
            detailed = max_loan_amount.sync_detailed(client=ok, body=REQUEST)
            assert_type(detailed, Response[MaxLoanAmountResponse])
            flexible = detailed.parsed.data[0].max_loan
        for amount in (borrow, withdraw, margin, flexible, *loans):
            assert_type(amount, Decimal)
        return [borrow, withdraw, margin, flexible, *loans]


    async def read_async() -> list[Decimal]:
        async with backpack.client_from_env() as bp, binance.client_from_env() as bn, okx.client_from_env() as ok:
            borrow, margin, loan, flexible = await asyncio.gather(
                get_max_borrow_quantity.asyncio(client=bp, symbol="USDC"),
                query_max_borrow.asyncio(client=bn, asset="BTC"),
                get_max_loan.asyncio(client=ok, mgn_mode="cross", inst_id="BTC-USDT"),
                max_loan_amount.asyncio(client=ok, body=REQUEST),
            )
        amounts = [borrow.max_borrow_quantity, margin.amount, loan.data[0].max_loan, flexible.data[0].max_loan]
        for amount in amounts:
            assert_type(amount, Decimal)
        return amounts


    print(" ".join(str(amount) for amount in read_sync()))
    print(" ".join(str(amount) for amount in asyncio.run(read_async())))
    """
)


def test_a_user_script_reads_every_amount_as_decimal_under_mypy_strict(
    installed: InstalledDistribution, sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "treasury.py").write_text(SCRIPT, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(installed.python)]
    checked = subprocess.run(
        [*mypy, "treasury.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found in 1 source file" in checked.stdout

    env = installed.env() | client_env({exchange: sandbox.base_url(exchange) for exchange in EXCHANGES})
    ran = subprocess.run(
        [str(installed.python), "-W", "error", "treasury.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    # The documented examples, exactly: Decimal keeps every digit the exchange sent.
    assert ran.stdout.splitlines() == ["1250.5 310.25 1.69248805 0.01113 0.1 0.2", "1250.5 1.69248805 0.1 0.01113"]


def test_the_same_script_with_a_narrowing_mistake_fails_mypy(installed: InstalledDistribution, tmp_path: Path) -> None:
    # Proof that the check can fail: claiming an amount is a str is an error mypy reports.
    wrong = SCRIPT.replace("assert_type(amount, Decimal)\n    return [", "assert_type(amount, str)\n    return [")
    assert wrong != SCRIPT
    (tmp_path / "treasury.py").write_text(wrong, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(installed.python)]
    checked = subprocess.run(
        [*mypy, "treasury.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert checked.returncode == 1 and 'Expression is of type "Decimal", not "str"' in checked.stdout, checked.stdout
