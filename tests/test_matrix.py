"""The Python matrix (scripts/matrix.py, the end of ``make test``; ``make test-matrix`` alone): it tests what the
classifiers claim, finds each interpreter where the docstring says, and skips, saying so, one that is absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from scripts import matrix
from tests._specs import MATRIX_RUN_VARIABLE, REPO


def test_the_classifiers_claim_3_11_to_3_13_and_the_running_interpreter() -> None:
    claimed = matrix.claimed_versions()
    assert claimed == ["3.11", "3.12", "3.13"]
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in claimed


def test_make_test_runs_the_matrix_after_the_suite_and_ci_runs_make_test() -> None:
    commands = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines() if line.startswith("make")]
    assert commands == ["make test"]
    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed-stamp", "test"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    pytest_at = next(i for i, line in enumerate(lines) if "/pytest " in line)
    matrix_at = next(i for i, line in enumerate(lines) if "scripts.matrix" in line)
    assert pytest_at < matrix_at, dry.stdout
    # Every interpreter's run is spread over the cores the same way (pytest-xdist).
    assert all(lines[i].endswith(" -n auto --dist worksteal") for i in (pytest_at, matrix_at)), dry.stdout


def _fake_python(path: Path, reports: str = "3.13") -> Path:
    """An executable that answers the version probe with ``reports``, or fails when ``reports`` is empty (a shim)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {reports}\n" if reports else "#!/bin/sh\nexit 127\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_an_interpreter_is_the_variable_then_path_then_the_newest_pyenv_build(tmp_path: Path) -> None:
    pyenv = tmp_path / "pyenv"
    older = _fake_python(pyenv / "versions" / "3.13.0" / "bin" / "python3.13")
    newer = _fake_python(pyenv / "versions" / "3.13.10" / "bin" / "python3.13")
    _fake_python(pyenv / "versions" / "3.13.11-dev" / "bin" / "python3.13")  # not a release: ignored
    on_path = _fake_python(tmp_path / "bin" / "python3.13")
    shim = _fake_python(tmp_path / "shims" / "python3.13", reports="")
    empty = str(tmp_path / "nowhere")
    assert matrix.find_interpreter("3.13", {"PATH": str(shim.parent), "PYENV_ROOT": str(pyenv)}) == newer
    assert older != newer
    assert matrix.find_interpreter("3.13", {"PATH": empty, "PYENV_ROOT": str(pyenv)}) == newer
    assert matrix.find_interpreter("3.13", {"PATH": str(on_path.parent), "PYENV_ROOT": str(pyenv)}) == on_path
    chosen = {"PATH": str(on_path.parent), "PYENV_ROOT": str(pyenv), "PYTHON_3_13": "/opt/py/bin/python3.13"}
    assert matrix.find_interpreter("3.13", chosen) == Path("/opt/py/bin/python3.13")
    assert matrix.find_interpreter("3.12", {"PATH": empty, "PYENV_ROOT": str(pyenv)}) is None


def test_an_absent_interpreter_is_skipped_saying_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.delenv("PYTHON_3_99", raising=False)
    outcome = matrix._run("3.99", [])
    assert outcome.status == "skipped"
    assert "python3.99 not found" in outcome.detail and "PYTHON_3_99" in outcome.detail


def test_a_wrong_interpreter_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_3_99", sys.executable)
    outcome = matrix._run("3.99", [])
    assert outcome.status == "FAILED" and outcome.detail == f"{sys.executable} is not Python 3.99"
    assert not (REPO / ".venv-3.99").exists()


@pytest.mark.skipif(os.name != "posix", reason="the matrix builds POSIX venvs")
def test_the_other_interpreters_run_the_per_operation_tests_per_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in venv whose "python -m pytest" prints the variable the tests read (tests/_specs.py's MATRIX_RUN).
    venv = tmp_path / ".venv-3.99"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text(f'#!/bin/sh\necho "per kind: ${MATRIX_RUN_VARIABLE}"\n', encoding="utf-8")
    (venv / "bin" / "python").chmod(0o755)
    monkeypatch.setattr(matrix, "find_interpreter", lambda version: Path(sys.executable))
    monkeypatch.setattr(matrix, "_version_of", lambda interpreter: "3.99")
    monkeypatch.setattr(matrix, "_venv", lambda version, interpreter: venv)
    monkeypatch.delenv(MATRIX_RUN_VARIABLE, raising=False)
    outcome = matrix._run("3.99", [])
    assert (outcome.status, outcome.detail) == ("passed", "per kind: 1")


@pytest.mark.skipif(os.name != "posix", reason="the matrix builds POSIX venvs")
def test_the_venvs_are_ignored_by_git_ruff_and_mypy() -> None:
    assert ".venv-*/" in (REPO / ".gitignore").read_text().splitlines()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '".venv-*"' in pyproject and "^\\\\.venv(-[0-9.]+)?/" in pyproject


def test_a_matrix_run_leaves_out_the_pipeline_tests_and_only_them() -> None:
    def collected(matrix_run: bool) -> set[str]:
        env = {k: v for k, v in os.environ.items() if k != MATRIX_RUN_VARIABLE}
        if matrix_run:
            env[MATRIX_RUN_VARIABLE] = "1"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-o",
            "addopts=",
            "-p",
            "no:xdist",
            *PIPELINE_FILES,
        ]
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return {line for line in result.stdout.splitlines() if "::" in line}

    everything, on_the_matrix = collected(False), collected(True)
    left_out = {test.split("::")[1].split("[")[0] for test in everything - on_the_matrix}
    assert on_the_matrix < everything and left_out == PIPELINE_TESTS


PIPELINE_FILES: Final = ("tests/codegen/test_adding_an_endpoint.py", "tests/test_bench.py")
PIPELINE_TESTS: Final = {
    "test_one_yaml_file_and_make_generate_add_a_signed_contract_tested_endpoint",
    "test_a_misplaced_empty_string_example_stops_generation_naming_the_file_and_field",
    "test_a_required_parameter_without_an_example_stops_generation_naming_the_file",
    "test_a_schema_keyword_the_client_cannot_enforce_stops_generation_naming_the_file",
    "test_a_quick_run_writes_every_section_with_positive_ratios",
}
