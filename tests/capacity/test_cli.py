"""The ``exchange-clients`` console script, installed from the wheel into a fresh venv and run as a user runs it.

Every test runs the venv's ``exchange-clients`` in a subprocess against a sandbox on 127.0.0.1: the session's
(``sbx``, whose answers and failures the test scripts; the environment is what the sandbox server exports,
``client_env``), the one ``--sandbox`` starts in the command's own process, or ``exchange-clients sandbox``
serving in another. Nothing contacts a real exchange: where a test points a client at one, a dead local proxy
catches any request that would leave.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from auth_plugins.sandbox import EXCHANGES, Sandbox, client_env
from tests._exchanges import SECRETS
from tests._installed import InstalledDistribution
from tests.capacity._helpers import answer_everything, params

SCRIPT: Final = "exchange-clients"
# Where a request would go if a refusal failed: a closed port on this host (discard), never the internet.
DEAD_PROXY: Final = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}

# What the table shows for tests/capacity/_helpers.py's ANSWERS, written out by hand.
TABLE: Final = """\
exchange  product                  asset  amount                 limit    result
backpack  margin                   BTC    12.000000000000000001        -  ok
binance   cross-margin             BTC     0.00000001                250  ok
binance   isolated-margin BTCUSDT  BTC     0.00000001                250  ok
okx       margin                   BTC     3.5                         -  ok
okx       flexible-loan            BTC     0.75                  1000000  ok
"""


def _row(exchange: str, product: str, amount: str | None, limit: str | None, **extra: Any) -> dict[str, Any]:
    row = {"exchange": exchange, "product": product, "asset": "BTC", "symbol": None, "amount": amount}
    operation = {"backpack": "get_max_borrow_quantity", "binance": "query_max_borrow"}.get(exchange)
    if exchange == "okx":
        operation = "get_max_loan" if product == "margin" else "max_loan_amount"
    return {**row, "limit": limit, "operation": operation, "error": None, "note": None, **extra}


JSON_ROWS: Final = [
    _row("backpack", "margin", "12.000000000000000001", None),
    _row("binance", "cross-margin", "0.00000001", "250"),
    _row("binance", "isolated-margin", "0.00000001", "250", symbol="BTCUSDT"),
    _row("okx", "margin", "3.5", None),
    _row("okx", "flexible-loan", "0.75", "1000000"),
]


def _env(sbx: Sandbox, **overrides: str) -> dict[str, str]:
    """The variables the sandbox server exports (every exchange, at ``sbx``), with ``overrides``."""
    return {**client_env({exchange: sbx.base_url(exchange) for exchange in EXCHANGES}), **overrides}


def _run(
    installed: InstalledDistribution, cwd: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return installed.run(installed.script(SCRIPT), *argv, cwd=cwd, env=env, timeout=60)


def _all_requests(sbx: Sandbox) -> list[Any]:
    return [record for exchange in EXCHANGES for record in sbx.requests(exchange)]


def test_the_table_shows_every_venue_with_exact_amounts_aligned(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    answer_everything(sbx)
    result = _run(installed, tmp_path, "max-borrow", "btc", "--isolated-symbol", "btcusdt", env=_env(sbx))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == TABLE
    assert {record.auth for record in _all_requests(sbx)} == {"ok"}
    assert len(_all_requests(sbx)) == 5


def test_json_prints_one_object_per_venue_with_decimal_strings(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    answer_everything(sbx)
    result = _run(installed, tmp_path, "max-borrow", "BTC", "--isolated-symbol", "BTCUSDT", "--json", env=_env(sbx))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == JSON_ROWS


def test_exchanges_without_keys_are_skipped_with_the_variables_named(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    answer_everything(sbx)
    env = _env(sbx, BINANCE_API_SECRET="", OKX_API_KEY="", OKX_PASSPHRASE="")
    result = _run(installed, tmp_path, "max-borrow", "BTC", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"{SCRIPT}: binance skipped: BINANCE_API_SECRET (or BINANCE_PRIVATE_KEY_FILE) is not set",
        f"{SCRIPT}: okx skipped: OKX_API_KEY and OKX_PASSPHRASE are not set",
    ]
    assert json.loads(result.stdout) == [JSON_ROWS[0]]
    assert [record.operation_id for record in _all_requests(sbx)] == ["get_max_borrow_quantity"]

    only = _run(installed, tmp_path, "max-borrow", "BTC", "--exchange", "okx", "--exchange", "binance", env=_env(sbx))
    assert only.returncode == 0 and only.stderr == ""
    assert [line.split()[:2] for line in only.stdout.splitlines()[1:]] == [
        ["binance", "cross-margin"],
        ["okx", "margin"],
        ["okx", "flexible-loan"],
    ]


@pytest.mark.parametrize("output", ["table", "json"])
def test_one_venue_failing_with_503_exits_1_and_its_row_says_why(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox, output: str
) -> None:
    answer_everything(sbx)
    sbx.fail("okx", "get_max_loan", 503, times=3)  # the first attempt and both retries
    argv = ["max-borrow", "BTC", "--isolated-symbol", "BTCUSDT", *(["--json"] if output == "json" else [])]
    result = _run(installed, tmp_path, *argv, env=_env(sbx))
    assert result.returncode == 1, result.stdout + result.stderr
    if output == "table":
        lines = result.stdout.splitlines()
        failed = "okx       margin                   BTC     -                           -  ServiceUnavailableError"
        assert lines[4].startswith(f"{failed} (HTTP 503, code 50001): "), lines[4]
        assert lines[:4] + lines[5:] == [line for i, line in enumerate(TABLE.splitlines()) if i != 4]
    else:
        rows = json.loads(result.stdout)
        assert rows[:3] + rows[4:] == JSON_ROWS[:3] + JSON_ROWS[4:]
        error = rows[3].pop("error")
        assert {**rows[3], "error": None} == {**JSON_ROWS[3], "amount": None}
        assert (error["class"], error["status"], error["code"]) == ("ServiceUnavailableError", 503, "50001")
        assert error["message"]


@pytest.mark.parametrize("output", ["table", "json"])
def test_an_okx_account_without_a_flexible_loan_order_exits_0_and_its_row_says_so(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox, output: str
) -> None:
    answer_everything(sbx)
    sbx.respond("okx", "max_loan_amount", {"code": "0", "msg": "", "data": []})  # OKX's answer: no order
    argv = ["max-borrow", "BTC", "--isolated-symbol", "BTCUSDT", *(["--json"] if output == "json" else [])]
    result = _run(installed, tmp_path, *argv, env=_env(sbx))
    assert result.returncode == 0, result.stdout + result.stderr
    if output == "table":
        lines = result.stdout.splitlines()
        assert lines[5].split() == ["okx", "flexible-loan", "BTC", "-", "-", "no", "flexible-loan", "order"]
        assert [line.split() for line in lines[:5]] == [line.split() for line in TABLE.splitlines()[:5]]
    else:
        rows = json.loads(result.stdout)
        assert rows[:4] == JSON_ROWS[:4]
        assert rows[4] == {**JSON_ROWS[4], "amount": None, "limit": None, "note": "no flexible-loan order"}


def test_usage_errors_and_no_configured_exchange_exit_2(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    for argv, words in [
        ([], "required: <command>"),
        (["max-borrow"], "required: ASSET"),
        (["max-borrow", "BTC", "--exchange", "kraken"], "invalid choice: 'kraken'"),
        (["max-borrow", "B C"], "asset must be a code such as 'BTC'"),
        (["max-borrow", "BTC", "--isolated-symbol", "BTC/USDT"], "isolated_symbol must be a code"),
        (["max-borrow", "BTC", "--exchange", "okx", "--isolated-symbol", "BTCUSDT"], "leaves Binance out"),
        (["max-withdrawal", "USDC", "--exchange", "okx"], "unrecognized arguments: --exchange"),
    ]:
        result = _run(installed, tmp_path, *argv, env=_env(sbx))
        assert (result.returncode, result.stdout) == (2, ""), (argv, result.stdout, result.stderr)
        assert words in result.stderr, (argv, result.stderr)
    nothing = _run(installed, tmp_path, "max-withdrawal", "USDC", env=_env(sbx, BACKPACK_API_SECRET=""))
    assert (nothing.returncode, nothing.stdout) == (2, "")
    assert nothing.stderr.splitlines() == [
        f"{SCRIPT}: backpack skipped: BACKPACK_API_SECRET is not set",
        f"{SCRIPT}: error: no exchange is configured: set the key variables of one ({SCRIPT} --help lists them), "
        "or try --sandbox",
    ]
    assert _all_requests(sbx) == []


@pytest.mark.parametrize(
    ("variable", "value"), [("OKX_DEMO", "maybe-live"), ("EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT", "desk of {alice}")]
)
def test_a_malformed_variable_exits_2_naming_it_and_not_its_value(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox, variable: str, value: str
) -> None:
    result = _run(installed, tmp_path, "max-borrow", "BTC", env=_env(sbx, **{variable: value}))
    assert (result.returncode, result.stdout) == (2, "")
    assert variable in result.stderr and value not in result.stderr
    assert _all_requests(sbx) == []


def test_sandbox_option_runs_on_a_fresh_sandbox_with_its_throwaway_keys(
    installed: InstalledDistribution, tmp_path: Path
) -> None:
    # No key in the environment at all: --sandbox needs none. The figures are the documented examples the sandbox
    # answers with (the exchanges' doc pages), the asked currency in place.
    result = _run(installed, tmp_path, "max-borrow", "ETH", "--sandbox", "--isolated-symbol", "ETHUSDT", "--json")
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = json.loads(result.stdout)
    assert [(r["exchange"], r["product"], r["asset"], r["amount"], r["limit"], r["error"]) for r in rows] == [
        ("backpack", "margin", "ETH", "1250.5", None, None),
        ("binance", "cross-margin", "ETH", "1.69248805", "60", None),
        ("binance", "isolated-margin", "ETH", "1.69248805", "60", None),
        ("okx", "margin", "ETH", "0.1", None, None),
        ("okx", "flexible-loan", "ETH", "0.01113", "3395000", None),
    ]
    withdrawal = _run(installed, tmp_path, "max-withdrawal", "usdc", "--sandbox", "--auto-borrow")
    assert withdrawal.returncode == 0, withdrawal.stderr
    assert withdrawal.stdout.splitlines()[1].split() == ["backpack", "withdrawal", "USDC", "310.25", "-", "ok"]


def test_max_withdrawal_asks_backpack_with_both_flags(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    sbx.respond(
        "backpack",
        "get_max_withdrawal_quantity",
        {"maxWithdrawalQuantity": "0.000000000000000001", "symbol": "USDC", "autoBorrow": True},
    )
    result = _run(installed, tmp_path, "max-withdrawal", "USDC", "--auto-borrow", "--json", env=_env(sbx))
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["product"], row["amount"], row["error"]) == ("withdrawal", "0.000000000000000001", None)
    (record,) = sbx.requests("backpack")
    assert params(record) == {"symbol": "USDC", "autoBorrow": "true", "autoLendRedeem": "false"}
    assert _all_requests(sbx) == [record]


def test_help_is_complete(installed: InstalledDistribution, tmp_path: Path) -> None:
    top = _run(installed, tmp_path, "--help")
    borrow = _run(installed, tmp_path, "max-borrow", "--help")
    withdrawal = _run(installed, tmp_path, "max-withdrawal", "--help")
    sandbox = _run(installed, tmp_path, "sandbox", "--help")
    for result in (top, borrow, withdrawal, sandbox):
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
    for words in ("max-borrow", "max-withdrawal", "sandbox", "exit status", "BACKPACK_API_SECRET", "OKX_PASSPHRASE"):
        assert words in top.stdout, words
    for words in ("--exchange NAME", "--isolated-symbol SYMBOL", "--json", "--sandbox", "--verbose", "borrowLimit"):
        assert words in borrow.stdout, words
    for path in ("/api/v1/account/limits/borrow", "/sapi/v1/margin/maxBorrowable", "/api/v5/account/max-loan"):
        assert path in borrow.stdout, path
    for words in ("--auto-borrow", "--auto-lend-redeem", "/api/v1/account/limits/withdrawal", "exit status"):
        assert words in withdrawal.stdout, words
    assert sandbox.stdout.startswith("usage: exchange-clients sandbox [-h] [--port PORT]")


def test_no_secret_is_printed_even_with_vv(installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox) -> None:
    answer_everything(sbx)
    sbx.fail("binance", "query_max_borrow", 503)  # a retry, so the clients' log has more to say
    result = _run(installed, tmp_path, "max-borrow", "BTC", "--isolated-symbol", "BTCUSDT", "-vv", env=_env(sbx))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert f"{SCRIPT}: asking okx: {sbx.base_url('okx')} (from OKX_BASE_URL)" in result.stderr
    assert "/sapi/v1/margin/maxBorrowable" in result.stderr  # the clients' debug log is there
    for secret in SECRETS:
        assert secret not in output
    assert "signature=" not in output.replace("signature=[REDACTED]", "")


def test_the_sandbox_keys_are_refused_with_a_real_exchange_base_url(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    # Base URLs unset: production. Binance pointed at its real host explicitly, the others at the sandbox.
    unset = {f"{exchange.upper()}_BASE_URL": "" for exchange in EXCHANGES}
    for env, variable in [
        (_env(sbx, **unset, **DEAD_PROXY), "BACKPACK_API_SECRET"),
        (_env(sbx, BINANCE_BASE_URL="https://api.binance.com", **DEAD_PROXY), "BINANCE_API_KEY"),
    ]:
        result = _run(installed, tmp_path, "max-borrow", "BTC", env=env)
        assert (result.returncode, result.stdout) == (2, ""), result.stdout + result.stderr
        assert f"{variable} holds the sandbox's public throwaway key" in result.stderr, result.stderr
        assert "refusing to send it" in result.stderr
    assert _all_requests(sbx) == []  # refused before anything was sent, to the sandbox as well


def test_the_missing_sandbox_extra_gets_a_clear_message_and_exit_2(
    installed: InstalledDistribution, tmp_path: Path
) -> None:
    # The installed venv has the extra; hiding werkzeug makes it look missing, as after a plain `pip install`.
    program = (
        "import sys; sys.modules['werkzeug'] = None; from auth_plugins._cli import main; sys.exit(main(sys.argv[1:]))"
    )
    for argv in (["max-borrow", "BTC", "--sandbox"], ["sandbox", "--serve-for", "1"]):
        result = installed.run(installed.python, "-c", program, *argv, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert "needs the sandbox extra" in result.stderr and "pip install 'exchange-clients[sandbox]'" in result.stderr


@pytest.fixture
def served(installed: InstalledDistribution, tmp_path: Path) -> Iterator[dict[str, str]]:
    """``exchange-clients sandbox`` serving in its own process; the variables its export lines set."""
    process = subprocess.Popen(
        [str(installed.script(SCRIPT)), "sandbox", "--serve-for", "60"],
        cwd=tmp_path,
        env=installed.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("#   export OKX_DEMO="):
            line = process.stdout.readline()
            assert line, f"the sandbox exited early: {process.communicate(timeout=10)}"
            lines.append(line.rstrip("\n"))
        exports = [shlex.split(line.removeprefix("export "))[0] for line in lines if line.startswith("export ")]
        yield dict(export.split("=", 1) for export in exports)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0 and "stopped" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_the_command_runs_on_the_sandbox_it_serves(
    installed: InstalledDistribution, tmp_path: Path, served: dict[str, str]
) -> None:
    assert served["BACKPACK_BASE_URL"].startswith("http://127.0.0.1:")
    result = _run(installed, tmp_path, "max-borrow", "SOL", "--json", "-v", env=served)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(row["exchange"], row["product"], row["asset"], row["error"]) for row in rows] == [
        ("backpack", "margin", "SOL", None),
        ("binance", "cross-margin", "SOL", None),
        ("okx", "margin", "SOL", None),
        ("okx", "flexible-loan", "SOL", None),
    ]
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
