"""The Python matrix (scripts/matrix.py, the end of ``make test``; ``make test-matrix`` alone): it tests what the
classifiers claim, finds each interpreter where the docstring says, and skips, saying so, one that is absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import matrix
from tests._specs import REPO


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
    checked_at = next(i for i, line in enumerate(lines) if line.endswith("/mypy"))
    (matrix_at,) = [i for i, line in enumerate(lines) if "scripts.matrix" in line]
    assert checked_at < matrix_at, dry.stdout
    # Every claimed Python, .venv's included, each run spread over the cores by pytest-xdist.
    assert lines[matrix_at].endswith("python -m scripts.matrix --all -n auto --dist worksteal"), dry.stdout


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
def test_the_venvs_are_ignored_by_git_ruff_and_mypy() -> None:
    assert ".venv-*/" in (REPO / ".gitignore").read_text().splitlines()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '".venv-*"' in pyproject and "^\\\\.venv(-[0-9.]+)?/" in pyproject


def test_the_runs_go_at_once_and_each_output_is_shown_whole_under_its_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each fake "python -m pytest" announces itself, then waits (up to 60 s) for the other's announcement: run one
    # after the other, each would wait in vain and report "alone".
    fakes = {"3.98": (tmp_path / "a", tmp_path / "b", 0), "3.99": (tmp_path / "b", tmp_path / "a", 1)}
    pythons = {}
    for version, (mine, other, status) in fakes.items():
        python = tmp_path / version / "python"
        python.parent.mkdir()
        python.write_text(
            f'#!/bin/sh\necho "first of $3"\ntouch {mine}\nfor _ in $(seq 600); do\n'
            f"  [ -e {other} ] && echo '{status} failed, 2 passed in 1.0s' && exit {status}\n  sleep 0.1\ndone\n"
            "echo alone\nexit 3\n"
        )
        python.chmod(0o755)
        pythons[version] = python
    outcomes = matrix._run_all(pythons, ["tests/a"])
    assert {(o.version, o.status, o.detail) for o in outcomes} == {
        ("3.98", "passed", "0 failed, 2 passed in 1.0s"),
        ("3.99", "FAILED", "1 failed, 2 passed in 1.0s"),
    }
    shown = capsys.readouterr().out
    for version in pythons:  # each run's lines together, under its header
        header = shown.index(f"== Python {version}: pytest output")
        assert shown.index("first of tests/a", header) < shown.index("passed in 1.0s", header)
