"""Every code block in the README runs, as written, in a test: :data:`RUN_BY` says which test runs each one, and
the first test fails when a block is added that no test runs (or a test names a block that is gone).

Python blocks run in a fresh interpreter whose environment holds the variables ``python -m auth_plugins.sandbox``
exports, against the session sandbox; a ``text`` block right after one is its exact output. The quickstart runs
in bash, from a directory whose ``.venv`` is the installed wheel's venv (the distribution users get), with the
lines that build that venv left out. The two-command block is what CI runs; here make only dry-runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest
from okx_client.api.account import get_max_loan

import auth_plugins.errors
from auth_plugins import InvalidParameterError
from auth_plugins.sandbox import EXCHANGES, Sandbox, client_env
from tests._exchanges import EXCHANGES as FACTS
from tests._installed import InstalledDistribution
from tests._readme import Block, block, blocks
from tests._specs import REPO
from tests.sandbox.test_installed import USER_TESTS

RUN_BY: Final = {
    ("Quickstart", 0): "test_the_quickstart_runs_as_written_from_the_installed_distribution",
    ("Quickstart", 1): "test_the_quickstart_runs_as_written_from_the_installed_distribution",
    ("Quickstart", 2): "test_the_quickstart_runs_as_written_from_the_installed_distribution",
    ("Quickstart", 3): "test_the_quickstart_runs_as_written_from_the_installed_distribution",
    ("Borrowing capacity across exchanges", 0): "test_python_blocks_run_against_the_sandbox",
    ("Borrowing capacity across exchanges", 1): "test_python_blocks_run_against_the_sandbox",
    ("Borrowing capacity across exchanges", 2): "test_the_command_examples_run_from_the_installed_distribution",
    ("The two commands", 0): "test_the_two_commands_are_make_targets",
    ("Signed clients", 0): "test_python_blocks_run_against_the_sandbox",
    ("Errors", 0): "test_the_error_tree_is_the_one_in_errors_py",
    ("Errors", 1): "test_python_blocks_run_against_the_sandbox",
    ("Retries", 0): "test_python_blocks_run_against_the_sandbox",
    ("Clock", 0): "test_python_blocks_run_against_the_sandbox",
    ("Rate limits", 0): "test_python_blocks_run_against_the_sandbox",
    ("Rate limits", 1): "test_python_blocks_run_against_the_sandbox",
    ("Rate limits", 2): "test_python_blocks_run_against_the_sandbox",
    ("Telemetry", 0): "test_the_telemetry_example_runs_from_the_installed_distribution_with_the_extra",
    ("Telemetry", 1): "test_the_telemetry_example_runs_from_the_installed_distribution_with_the_extra",
    ("Testing your code against the sandbox", 0): "test_the_sandbox_example_is_the_installed_user_test",
    ("Checking the live API against the specs", 0): "tests/capacity/test_check_live.py",
    ("Checking the live API against the specs", 1): "tests/capacity/test_check_live.py",
    ("Checking the live API against the specs", 2): "tests/capacity/test_check_live.py",
    ("Adding an endpoint", 0): "tests/docs_check/test_doc_tools_end_to_end.py",
    ("Adding an endpoint", 1): "tests/docs_check/test_doc_tools_end_to_end.py",
    ("Adding an endpoint", 2): "tests/codegen/test_adding_an_endpoint.py",
    ("Adding an endpoint", 3): "tests/codegen/test_adding_an_endpoint.py",
    ("Adding an endpoint", 4): "tests/codegen/test_adding_an_endpoint.py",
    ("Adding an endpoint", 5): "tests/codegen/test_adding_an_endpoint.py",
    ("When an exchange changes its docs", 0): "test_the_doc_drift_commands_run_as_written",
    ("Architecture", 0): "test_the_architecture_names_what_is_there",
    ("Internals", 0): "test_the_validation_message_is_the_one_raised",
    ("Internals", 1): "test_python_blocks_run_against_the_sandbox",
}

# The python blocks themselves; a text block registered with them is the output of the block before it.
PYTHON_BLOCKS: Final = sorted(
    key
    for key, test in RUN_BY.items()
    if test == "test_python_blocks_run_against_the_sandbox" and block(*key).lang == "python"
)


def test_every_block_is_run_by_a_test() -> None:
    present = {(b.section, b.index) for b in blocks()}
    assert present == set(RUN_BY), f"blocks no test runs: {present - set(RUN_BY)}; gone: {set(RUN_BY) - present}"
    for name in set(RUN_BY.values()):
        assert name in globals() or (REPO / name).is_file(), name


def _sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPACK_", "BINANCE_", "OKX_", "PYTEST_"))}
    env.update(client_env({exchange: sandbox.base_url(exchange) for exchange in EXCHANGES}))
    env.pop("PYTHONPATH", None)
    return env


def _output_after(code: Block) -> str | None:
    following = [b for b in blocks() if b.section == code.section and b.index == code.index + 1]
    return following[0].text if following and following[0].lang == "text" else None


@pytest.mark.parametrize(("section", "index"), PYTHON_BLOCKS, ids=[f"{s}-{i}" for s, i in PYTHON_BLOCKS])
def test_python_blocks_run_against_the_sandbox(sbx: Sandbox, tmp_path: Path, section: str, index: int) -> None:
    code = block(section, index)
    assert code.lang == "python"
    (tmp_path / "block.py").write_text(code.text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-W", "error", "block.py"],
        cwd=tmp_path,
        env=_sandbox_env(sbx),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = _output_after(code)
    if expected is not None:
        assert result.stdout == expected
    records = [r for exchange in EXCHANGES for r in sbx.requests(exchange)]
    assert all(r.auth in (None, "ok") and r.verdict == "ok" for r in records)


def test_the_error_tree_is_the_one_in_errors_py() -> None:
    doc = auth_plugins.errors.__doc__ or ""
    tree = doc.split("::\n\n", 1)[1].split("\n\n\n", 1)[0].split("\nAn :class:", 1)[0]
    documented = "\n".join(line[4:] for line in tree.rstrip().splitlines())
    assert block("Errors", 0).text.rstrip() == documented


def test_the_sandbox_example_is_the_installed_user_test() -> None:
    # tests/sandbox/test_installed.py runs USER_TESTS with pytest in the installed wheel's venv.
    assert block("Testing your code against the sandbox", 0).text in USER_TESTS


def test_the_two_commands_are_make_targets() -> None:
    lines = [line.split("#")[0].split() for line in block("The two commands", 0).text.splitlines()]
    assert lines == [["make", "demo"], ["make", "test"]]
    for target in ("demo", "test"):
        dry = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, check=False)
        assert dry.returncode == 0, dry.stderr


def test_the_doc_drift_commands_run_as_written(tmp_path: Path) -> None:
    update, compare = (
        line.split("#")[0].split() for line in block("When an exchange changes its docs", 0).text.splitlines()
    )
    assert (update[:2], compare[:2]) == (["make", "update-specs"], ["make", "check-docs"])
    assert update[2] == compare[2] and update[2].startswith("DOCS=")
    # update-specs writes specs/: on the real checkout only its dry run, and the command itself on a copy.
    dry = subprocess.run(["make", "-n", *update[1:]], cwd=REPO, capture_output=True, text=True, check=False)
    assert dry.returncode == 0 and f"scripts.docs_check update-specs {update[2][5:]}" in dry.stdout, dry.stderr
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    applied = subprocess.run(
        [sys.executable, "-m", "scripts.docs_check", "update-specs", update[2][5:], "--specs", str(tmp_path / "specs")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert applied.stdout.splitlines()[-1] == "update-specs: 0 edit(s) applied to 0 file(s), 0 left to review"
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed-stamp", *compare[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "; 0 difference(s), 0 unreadable" in result.stdout


def test_the_quickstart_runs_as_written_from_the_installed_distribution(
    installed: InstalledDistribution, tmp_path: Path
) -> None:
    shell, table, code, output = (block("Quickstart", i) for i in range(4))
    assert (shell.lang, table.lang, code.lang, output.lang) == ("sh", "text", "python", "text")
    lines = [line for line in shell.text.splitlines() if line.split("#")[0].strip() != "make venv"]
    assert len(lines) == len(shell.text.splitlines()) - 1, "the quickstart starts with make venv"
    (tmp_path / ".venv").symlink_to(installed.venv)
    (tmp_path / "quickstart.py").write_text(code.text, encoding="utf-8")
    script = "\n".join(["set -e", *lines, "python quickstart.py", "kill $EXCHANGE_SANDBOX_PID"])
    result = installed.run("bash", "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == table.text + output.text


def test_the_command_examples_run_from_the_installed_distribution(
    installed: InstalledDistribution, tmp_path: Path
) -> None:
    commands = [
        line.split("#")[0].strip() for line in block("Borrowing capacity across exchanges", 2).text.splitlines()
    ]
    assert all(command.startswith("exchange-clients ") for command in commands)
    for command in commands:
        result = installed.run("bash", "-c", command, cwd=tmp_path)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert result.stdout.strip(), command


def test_the_telemetry_example_runs_from_the_installed_distribution_with_the_extra(
    installed: InstalledDistribution, sbx: Sandbox, tmp_path: Path
) -> None:
    code, output = block("Telemetry", 0), block("Telemetry", 1)
    assert (code.lang, output.lang) == ("python", "text")
    (tmp_path / "telemetry.py").write_text(code.text, encoding="utf-8")
    env = client_env({exchange: sbx.base_url(exchange) for exchange in EXCHANGES})
    result = installed.run(installed.python, "-W", "error", "telemetry.py", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == output.text
    (record,) = sbx.requests("okx")
    assert record.auth == "ok" and record.verdict == "ok"


def test_the_validation_message_is_the_one_raised(sbx: Sandbox) -> None:
    with FACTS["okx"].client(sbx) as client, pytest.raises(InvalidParameterError) as caught:
        get_max_loan.sync(client=client, mgn_mode="cross", inst_id="A-B,C-D,E-F,G-H,I-J,K-L")
    assert f"{type(caught.value).__name__}: {caught.value}" == block("Internals", 0).text.strip()


def test_the_architecture_names_what_is_there() -> None:
    # Every path-like word of the tree (a file or folder name) exists in the repository.
    text = block("Architecture", 0).text
    names = {word.rstrip("/,:;") for word in text.split() if word.endswith(("/", ".py", ".py,"))}
    everything = {p.name for p in REPO.rglob("*") if not any(part.startswith((".venv", ".git")) for part in p.parts)}
    missing = sorted(n for n in names if n and "<" not in n and n.split("/")[-1] not in everything)
    assert missing == []
