"""``exchange-clients check-live``, installed from the wheel and run as a user runs it, against the session sandbox
scripted to drift (``respond(..., drift=True)``) or left as documented. Nothing contacts a real exchange: the
environment points every client at the sandbox on 127.0.0.1, and a dead local proxy catches anything else.

Expected findings, paths and spec files are written out here by hand, not read from the code under test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Final, cast
from xml.etree import ElementTree

import pytest
import yaml

import auth_plugins._cli._check_live as check_live_module
from auth_plugins._cli import main
from auth_plugins._generated import operations
from auth_plugins.sandbox import BINANCE_CREDENTIALS, EXCHANGES, Sandbox, client_env
from tests._exchanges import SECRETS
from tests._installed import InstalledDistribution
from tests._readme import block
from tests._specs import REPO, all_operations
from tests.capacity._helpers import params

SCRIPT: Final = "exchange-clients"
DEAD_PROXY: Final = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
SECTION: Final = "Checking the live API against the specs"

# The shipped read-only operations, in the order the command reports them, with the file that specifies it.
SPEC_FILES: Final = {
    ("backpack", "get_max_borrow_quantity"): "specs/backpack/endpoints/account.get_max_borrow_quantity.yaml",
    ("backpack", "get_max_withdrawal_quantity"): "specs/backpack/endpoints/account.get_max_withdrawal_quantity.yaml",
    ("backpack", "get_server_time"): "specs/backpack/endpoints/system.get_server_time.yaml",
    ("binance", "get_server_time"): "specs/binance/endpoints/general.get_server_time.yaml",
    ("binance", "query_max_borrow"): "specs/binance/endpoints/margin.query_max_borrow.yaml",
    ("okx", "get_max_loan"): "specs/okx/endpoints/account.get_max_loan.yaml",
    ("okx", "max_loan_amount"): "specs/okx/endpoints/flexible_loan.max_loan_amount.yaml",
    ("okx", "get_server_time"): "specs/okx/endpoints/public_data.get_server_time.yaml",
}
READ_ONLY: Final = [(exchange, op["operationId"]) for exchange, _, _, op in all_operations() if op["x-read-only"]]
"""Every read-only operation of the bundles, in their order: the shipped ones and any endpoint file added since
(one YAML file adds an operation; no test here needs editing for it)."""


def test_the_shipped_read_only_operations_are_in_the_bundles_in_the_order_reported() -> None:
    assert [key for key in READ_ONLY if key in SPEC_FILES] == list(SPEC_FILES)


_LOAN: Final = {"instId": "BTC-USDT", "mgnMode": "cross", "mgnCcy": "", "maxLoan": "0.1", "ccy": "BTC", "side": "sell"}
_FLEXIBLE: Final = {"borrowCcy": "USDT", "maxLoan": "0.5", "notionalUsd": "100.5", "remainingQuota": "1000"}


def _okx(item: dict[str, Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": [item, item]}


# (exchange, operation, drifted answer, result, finding kind, schema path, rule)
KINDS: Final = [
    pytest.param(
        "binance",
        "query_max_borrow",
        {"amount": "1", "borrowLimit": "2", "interestRate": "0.01"},
        "drift",
        ("drift", "interestRate", "undocumented field (a string)"),
        id="undocumented-top-level-field",
    ),
    pytest.param(
        "okx",
        "get_max_loan",
        _okx({**_LOAN, "loanQuota": {"used": "1"}}),
        "drift",
        ("drift", "data[].loanQuota", "undocumented field (an object)"),
        id="nested-field-in-okx-data",
    ),
    pytest.param(
        "okx",
        "get_max_loan",
        _okx({**_LOAN, "side": "borrow"}),
        "drift",
        ("drift", "data[].side", "value 'borrow' is not one of the documented values ('buy', 'sell', '')"),
        id="new-enum-value",
    ),
    pytest.param(
        "backpack",
        "get_max_borrow_quantity",
        {"symbol": "BTC"},
        "breaking",
        ("breaking", "maxBorrowQuantity", "is required"),
        id="missing-required-field",
    ),
    pytest.param(
        "okx",
        "max_loan_amount",
        _okx({**_FLEXIBLE, "maxLoan": 0.5}),
        "breaking",
        ("breaking", "data[].maxLoan", "must be a decimal string (got a number)"),
        id="amount-as-json-number",
    ),
]


def _env(sbx: Sandbox, **overrides: str) -> dict[str, str]:
    return {**client_env({exchange: sbx.base_url(exchange) for exchange in EXCHANGES}), **DEAD_PROXY, **overrides}


def _run(
    installed: InstalledDistribution, cwd: Path, *argv: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return installed.run(installed.script(SCRIPT), "check-live", *argv, cwd=cwd, env=env, timeout=60)


def _requests(sbx: Sandbox) -> list[Any]:
    return [record for exchange in EXCHANGES for record in sbx.requests(exchange)]


def test_the_unscripted_sandbox_is_clean_exit_0_every_read_only_operation_once(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    result = _run(installed, tmp_path, "--json", env=_env(sbx))
    assert (result.returncode, result.stderr) == (0, "")
    rows = json.loads(result.stdout)
    assert [(row["exchange"], row["operation"]) for row in rows] == READ_ONLY
    for row in rows:
        assert (row["result"], row["findings"], row["error"]) == ("clean", [], None), row
        assert row["spec_file"] == SPEC_FILES.get((row["exchange"], row["operation"]), row["spec_file"])
        assert (REPO / row["spec_file"]).is_file()
    called = [(record.operation_id, record.verdict) for record in _requests(sbx)]
    assert sorted(called) == sorted((operation, "ok") for _, operation in READ_ONLY)


@pytest.mark.parametrize(("exchange", "operation_id", "answer", "result_kind", "finding"), KINDS)
def test_each_kind_of_drift_is_reported_naming_its_spec_file(
    installed: InstalledDistribution,
    tmp_path: Path,
    sbx: Sandbox,
    exchange: str,
    operation_id: str,
    answer: Any,
    result_kind: str,
    finding: tuple[str, str, str],
) -> None:
    sbx.respond(exchange, operation_id, answer, drift=True)
    junit = tmp_path / "check-live.xml"
    result = _run(installed, tmp_path, "--json", "--junit-xml", str(junit), env=_env(sbx))
    assert (result.returncode, result.stderr) == (1, "")
    rows = {(row["exchange"], row["operation"]): row for row in json.loads(result.stdout)}
    row = rows.pop((exchange, operation_id))
    spec_file = SPEC_FILES[exchange, operation_id]
    assert (row["result"], row["spec_file"], row["error"]) == (result_kind, spec_file, None)
    kind, path, rule = finding
    assert row["findings"] == [{"kind": kind, "path": path, "rule": rule}]
    assert all(other["result"] == "clean" for other in rows.values())

    suite = ElementTree.parse(junit).getroot()
    counts = (suite.get("tests"), suite.get("failures"), suite.get("errors"))
    assert (suite.tag, *counts) == ("testsuite", str(len(READ_ONLY)), "1", "0")
    (failed,) = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    failure = failed.find("failure")
    assert failure is not None
    assert (failed.get("classname"), failed.get("name"), failed.get("file")) == (
        f"check-live.{exchange}",
        operation_id,
        spec_file,
    )
    assert failure.get("message") == f"{result_kind}: edit {spec_file}"
    assert f"{kind}: {path} {rule}" in (failure.text or "")

    table = _run(installed, tmp_path, env=_env(sbx))
    assert table.returncode == 1
    (line,) = [line for line in table.stdout.splitlines() if f" {operation_id} " in line and exchange in line]
    assert line.split()[2:4] == [kind, path] and line.endswith(spec_file) and rule in line


def test_the_table_in_the_readme_is_what_a_drifted_okx_answer_prints(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    sbx.respond("okx", "get_max_loan", _okx({**_LOAN, "side": "borrow", "loanQuota": "5"}), drift=True)
    result = _run(installed, tmp_path, "--exchange", "okx", env=_env(sbx))
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == block(SECTION, 1).text


def test_no_secret_is_printed_even_with_vv_and_a_server_echoing_one_as_a_field_name(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    secret = BINANCE_CREDENTIALS.hmac_api_secret
    sbx.respond("binance", "query_max_borrow", {"amount": "1", secret: secret}, drift=True)
    sbx.fail("okx", "get_max_loan", 503)  # a retry, so the clients' log has more to say
    junit = tmp_path / "out.xml"
    result = _run(installed, tmp_path, "-vv", "--junit-xml", str(junit), env=_env(sbx))
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr + junit.read_text(encoding="utf-8")
    assert "/sapi/v1/margin/maxBorrowable" in result.stderr  # the clients' debug log is there
    assert "binance   query_max_borrow" in result.stdout and "[REDACTED]" in result.stdout
    for known in SECRETS:
        assert known not in output
    assert "signature=" not in output.replace("signature=[REDACTED]", "")


def test_usage_errors_and_no_configured_exchange_exit_2_sending_nothing(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    no_keys = {"BACKPACK_API_SECRET": "", "BINANCE_API_KEY": "", "OKX_API_KEY": ""}
    nothing = _run(installed, tmp_path, env=_env(sbx, **no_keys))
    assert (nothing.returncode, nothing.stdout) == (2, "")
    assert "no exchange is configured" in nothing.stderr
    for argv in (["--param", "noSuchParameter=1"], ["--param", "novalue"], ["--exchange", "kraken"]):
        result = _run(installed, tmp_path, *argv, env=_env(sbx))
        assert (result.returncode, result.stdout) == (2, ""), argv
        assert result.stderr, argv
    unwritable = _run(installed, tmp_path, "--junit-xml", str(tmp_path / "no" / "such" / "dir.xml"), env=_env(sbx))
    assert (unwritable.returncode, unwritable.stdout) == (2, "")
    assert "cannot write --junit-xml" in unwritable.stderr
    assert _requests(sbx) == []


def test_asset_and_param_override_the_sample_arguments(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    argv = ("--asset", "eth", "--param", "get_max_loan.mgnMode=isolated", "--param", "autoBorrow=false")
    result = _run(installed, tmp_path, *argv, env=_env(sbx))
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    asked = {record.operation_id: params(record) for record in _requests(sbx)}
    assert asked["get_max_borrow_quantity"] == {"symbol": "ETH"}
    assert asked["get_max_withdrawal_quantity"] == {"symbol": "ETH", "autoBorrow": "false", "autoLendRedeem": "false"}
    assert asked["query_max_borrow"] == {"asset": "ETH"}  # the sample isolatedSymbol (BTCUSDT) dropped
    assert asked["get_max_loan"] == {"mgnMode": "isolated", "ccy": "ETH"}  # the sample instId dropped
    assert asked["max_loan_amount"]["borrowCcy"] == "ETH"


def test_only_read_only_operations_are_called(
    sbx: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # get_max_loan, marked as one that does not only read: never called, never listed.
    def marked(package: str) -> tuple[Any, ...]:
        return tuple(
            cast(Any, op)._replace(read_only=False) if op.operation_id == "get_max_loan" else op
            for op in operations(package)
        )

    monkeypatch.setattr(check_live_module, "operations", marked)
    for name, value in _env(sbx).items():
        monkeypatch.setenv(name, value)
    assert main(["check-live", "--exchange", "okx", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["operation"] for row in rows] == [op for ex, op in READ_ONLY if ex == "okx" and op != "get_max_loan"]
    assert "get_max_loan" not in {record.operation_id for record in sbx.requests("okx")}


def test_help_documents_the_command(installed: InstalledDistribution, tmp_path: Path) -> None:
    result = installed.run(installed.script(SCRIPT), "check-live", "--help", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    for words in ("--asset ASSET", "--param", "--junit-xml FILE", "--json", "--sandbox", "exit status", "drift"):
        assert words in result.stdout, words
    top = installed.run(installed.script(SCRIPT), "--help", cwd=tmp_path)
    assert "check-live" in top.stdout


def test_the_readme_commands_run_against_the_sandbox(
    installed: InstalledDistribution, tmp_path: Path, sbx: Sandbox
) -> None:
    # The keys and base URLs in the environment are the sandbox's: "your keys" here reach 127.0.0.1 only.
    commands = [line.split("#")[0].strip() for line in block(SECTION, 0).text.splitlines() if line.strip()]
    assert commands and all(command.startswith("exchange-clients check-live") for command in commands)
    for command in commands:
        result = installed.run("bash", "-c", command, cwd=tmp_path, env=_env(sbx), timeout=60)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert "clean" in result.stdout, command
    assert (tmp_path / "check-live.xml").is_file()


def test_the_readme_ci_snippet_runs_the_canary_nightly_with_secrets_from_the_ci() -> None:
    snippet = block(SECTION, 2)
    assert snippet.lang == "yaml"
    workflow = yaml.safe_load(snippet.text)
    assert workflow[True]["schedule"][0]["cron"]  # `on:` reads as True in YAML 1.1
    (job,) = workflow["jobs"].values()
    steps = " ".join(str(step.get("run", "")) for step in job["steps"])
    assert "pip install" in steps
    assert "exchange-clients check-live" in steps and "--junit-xml" in steps
    env = {name: value for step in job["steps"] for name, value in (step.get("env") or {}).items()}
    assert env and all(str(value).startswith("${{ secrets.") for value in env.values())


def _in_process(sbx: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    for name, value in _env(sbx).items():
        monkeypatch.setenv(name, value)
    status = main(["check-live", "--json", *argv])
    return status, {row["operation"]: row for row in json.loads(capsys.readouterr().out)}


def test_an_undocumented_status_is_breaking(
    sbx: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sbx.script("binance", status=202, body={"amount": "1"}, operation_id="query_max_borrow")
    status, rows = _in_process(sbx, monkeypatch, capsys, "--exchange", "binance")
    assert status == 1
    assert rows["query_max_borrow"]["result"] == "breaking"
    assert rows["query_max_borrow"]["findings"] == [{"kind": "breaking", "path": "", "rule": "undocumented status 202"}]
    assert rows["get_server_time"]["result"] == "clean"


def test_an_operation_the_exchange_refuses_is_an_error_and_exit_1(
    sbx: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sbx.fail("okx", "get_max_loan", 401)
    junit = tmp_path / "check-live.xml"
    status, rows = _in_process(sbx, monkeypatch, capsys, "--exchange", "okx", "--junit-xml", str(junit))
    assert status == 1
    row = rows["get_max_loan"]
    assert (row["result"], row["findings"]) == ("error", [])
    assert row["error"].startswith("AuthenticationError: ")
    assert row["spec_file"] == SPEC_FILES["okx", "get_max_loan"]
    suite = ElementTree.parse(junit).getroot()
    okx_read_only = sum(exchange == "okx" for exchange, _ in READ_ONLY)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (str(okx_read_only), "0", "1")
    (case,) = [case for case in suite.iter("testcase") if case.find("error") is not None]
    error = case.find("error")
    assert case.get("name") == "get_max_loan" and error is not None
    assert error.get("message") == row["error"]
    assert f"spec file: {SPEC_FILES['okx', 'get_max_loan']}" in (error.text or "")
