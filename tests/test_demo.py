"""``make demo``: the demo script over the sandbox, its exit status, and ``--live`` wiring (pointed at the sandbox)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Final

import pytest

import scripts.demo
from auth_plugins.sandbox import EXCHANGES, Sandbox, env_assignments
from auth_plugins.sandbox._credentials import factory_arguments
from tests._specs import REPO, all_operations

OPERATIONS: Final = [(exchange, op["operationId"], bool(op.get("security"))) for exchange, _, _, op in all_operations()]
VARIABLES: Final = [f"{exchange.upper()}_{suffix}" for exchange in EXCHANGES for suffix in ("BASE_URL", "DEMO")] + [
    *env_assignments(),
    "BINANCE_PRIVATE_KEY_FILE",
]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.demo", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _rows(stdout: str) -> dict[tuple[str, str], list[str]]:
    return {(cells[0], cells[1]): cells for line in stdout.splitlines() if len(cells := line.split()) >= 4}


# The cross-exchange view, last: (exchange, product) -> the rest of its row, from the documented examples the
# sandbox answers with (the exchanges' doc pages).
CAPACITY: Final = {
    ("backpack", "margin"): ["BTC", "1250.5", "-", "ok"],
    ("binance", "cross-margin"): ["BTC", "1.69248805", "60", "ok"],
    ("binance", "isolated-margin"): ["BTCUSDT", "BTC", "1.69248805", "60", "ok"],
    ("okx", "margin"): ["BTC", "0.1", "-", "ok"],
    ("okx", "flexible-loan"): ["BTC", "0.01113", "3395000", "ok"],
}


def _capacity_rows(stdout: str) -> dict[tuple[str, str], list[str]]:
    view = stdout.split("every exchange asked at once", 1)[1].split("\n\n")[1]
    return {(cells[0], cells[1]): cells[2:] for line in view.splitlines()[1:] if (cells := line.split())}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return {**env, **extra}


def test_the_demo_calls_every_operation_and_exits_0() -> None:
    result = _run(env=_clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _rows(result.stdout)
    for exchange, operation_id, signed in OPERATIONS:
        assert rows[(exchange, operation_id)][2:4] == ["200", "verified" if signed else "public"], result.stdout
    assert f"{len(OPERATIONS)} of {len(OPERATIONS)} calls succeeded" in result.stdout
    assert _capacity_rows(result.stdout) == CAPACITY
    assert result.stdout.endswith("\n5 of 5 venues answered.\n")
    assert result.stderr == ""
    for name, value in env_assignments().items():
        if "SECRET" in name or "PASSPHRASE" in name:
            assert value not in result.stdout


def test_live_mode_reads_keys_and_base_urls_from_the_environment(sbx: Sandbox) -> None:
    urls = {f"{exchange.upper()}_BASE_URL": sbx.base_url(exchange) for exchange in EXCHANGES}
    result = _run("--live", env=_clean_env(**env_assignments(), **urls))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _rows(result.stdout)
    for exchange, operation_id, signed in OPERATIONS:
        assert rows[(exchange, operation_id)][2:4] == ["200", "accepted" if signed else "public"], result.stdout
    signed_records = [r for exchange in EXCHANGES for r in sbx.requests(exchange) if r.auth is not None]
    # Every operation once, then the cross-exchange view's one call per venue and product.
    assert len(signed_records) == sum(signed for _, _, signed in OPERATIONS) + len(CAPACITY)
    assert {r.auth for r in signed_records} == {"ok"}
    assert _capacity_rows(result.stdout) == CAPACITY


def test_live_mode_without_keys_names_the_variables_and_calls_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert scripts.demo.main(["--live"]) == 1
    out = capsys.readouterr().out
    for variable in ("BACKPACK_API_SECRET", "BINANCE_API_KEY", "OKX_API_KEY"):
        assert f"environment variable {variable} is not set" in out


def test_a_refused_signature_makes_the_demo_fail(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine = factory_arguments

    def wrong_okx_secret(exchange: str, **options: Any) -> dict[str, str]:
        arguments = genuine(exchange, **options)
        return {**arguments, "api_secret": "0" * 32} if exchange == "okx" else arguments

    monkeypatch.setattr(scripts.demo, "factory_arguments", wrong_okx_secret)
    assert scripts.demo.main([]) == 1
    out = capsys.readouterr().out
    rows = _rows(out)
    assert rows[("okx", "get_max_loan")][3] == "refused"
    assert rows[("binance", "query_max_borrow")][2:4] == ["200", "verified"]
    capacity = _capacity_rows(out)
    assert capacity[("okx", "margin")][:4] == ["BTC", "-", "-", "AuthenticationError"]
    assert capacity[("okx", "flexible-loan")][:4] == ["BTC", "-", "-", "AuthenticationError"]
    assert capacity[("binance", "cross-margin")] == CAPACITY[("binance", "cross-margin")]
    assert out.endswith("\n3 of 5 venues answered.\n")
