"""``python -m scripts.matrix``: the test suite on every other Python the package claims (the end of ``make test``).

The interpreters are the ``Programming Language :: Python :: 3.X`` classifiers of pyproject.toml, so what the
package claims is what is tested. ``make test`` runs pytest on the interpreter of ``.venv``, then this: the whole
pytest suite once on each of the others, with tests parametrized per operation taking one operation per kind and
without the tests of the maintainer pipeline over a copy of the repository (:data:`MATRIX_RUN`; tests/_specs.py says
why), so their runs do not grow with the number of endpoints; sequentially (the sandbox and Redis fixtures start their
own servers), each in its own virtual environment ``.venv-3.X`` with the ``dev`` extra installed editable (rebuilt
when pyproject.toml is newer than its stamp).
Drift, ruff and mypy do not depend on the interpreter and are not repeated.

An interpreter is ``$PYTHON_3_X`` when set (e.g. ``PYTHON_3_13=/opt/python3.13/bin/python3.13``), else the first
of ``python3.X`` on ``PATH`` and the ``$PYENV_ROOT/versions/3.X.*`` builds (``~/.pyenv`` by default), newest first,
that runs and reports that version (a pyenv shim for a version not selected does not). One that is not found is
skipped, saying so; ``$PYTHON_3_X`` naming something else, a venv that cannot be built or a failing suite fails
the run. Extra arguments go to pytest (``make test`` passes pytest-xdist's ``-n auto --dist worksteal``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["Outcome", "claimed_versions", "find_interpreter", "main"]

REPO: Final = Path(__file__).resolve().parents[1]
_CLASSIFIER: Final = re.compile(r"^Programming Language :: Python :: (3\.\d+)$")
_STAMP: Final = ".installed-stamp"
MATRIX_RUN: Final = ("EXCHANGE_CLIENTS_TESTS_MATRIX", "1")
"""The environment variable tests/_specs.py reads (its ``MATRIX_RUN``), and the value that turns it on."""


def claimed_versions(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The ``3.X`` versions pyproject.toml's classifiers claim, oldest first."""
    classifiers = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("classifiers", [])
    found = {match.group(1) for text in classifiers if (match := _CLASSIFIER.match(text))}
    return sorted(found, key=lambda version: tuple(map(int, version.split("."))))


def _version_of(interpreter: Path) -> str | None:
    """``3.X`` as ``interpreter`` reports it; None when it does not run (a pyenv shim for a version not selected)."""
    try:
        probe = subprocess.run(
            [str(interpreter), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return None
    return probe.stdout.strip() if probe.returncode == 0 else None


def find_interpreter(version: str, environ: dict[str, str] | None = None) -> Path | None:
    """Python ``version`` (``3.X``): ``$PYTHON_3_X`` as given; else the first of ``python3.X`` on ``PATH`` and the
    pyenv builds (newest first) that runs and reports that version; else None."""
    env = os.environ if environ is None else environ
    override = env.get(f"PYTHON_{version.replace('.', '_')}")
    if override:
        return Path(override)
    candidates: list[Path] = []
    on_path = shutil.which(f"python{version}", path=env.get("PATH"))
    if on_path:
        candidates.append(Path(on_path))
    root = Path(env.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    builds = sorted(
        (p for p in root.glob(f"{version}.*") if re.fullmatch(rf"{re.escape(version)}\.\d+", p.name)),
        key=lambda p: int(p.name.rsplit(".", 1)[1]),
        reverse=True,
    )
    candidates += [build / "bin" / f"python{version}" for build in builds]
    return next((c for c in candidates if c.is_file() and _version_of(c) == version), None)


@dataclass(frozen=True)
class Outcome:
    """One interpreter's result: ``status`` is ``passed``, ``FAILED`` or ``skipped``; ``detail`` says why or how."""

    version: str
    status: str
    detail: str
    seconds: float


def _venv(version: str, interpreter: Path) -> Path:
    """``.venv-3.X`` with the dev extra installed editable, (re)built when pyproject.toml is newer than its stamp."""
    venv = REPO / f".venv-{version}"
    stamp = venv / _STAMP
    if stamp.is_file() and stamp.stat().st_mtime >= (REPO / "pyproject.toml").stat().st_mtime:
        return venv
    python = venv / "bin" / "python"
    if not python.is_file():
        subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{REPO}[dev]"], check=True, cwd=REPO)
    stamp.touch()
    return venv


def _run(version: str, pytest_args: list[str]) -> Outcome:
    started = time.monotonic()
    interpreter = find_interpreter(version)
    if interpreter is None:
        variable = f"PYTHON_{version.replace('.', '_')}"
        reason = f"python{version} not found (set {variable}, put python{version} on PATH or install it with pyenv)"
        return Outcome(version, "skipped", reason, 0.0)
    print(f"== Python {version}: {interpreter}", flush=True)
    try:
        reported = _version_of(interpreter)
        if reported != version:
            return Outcome(version, "FAILED", f"{interpreter} is not Python {version}", time.monotonic() - started)
        venv = _venv(version, interpreter)
    except (OSError, subprocess.CalledProcessError) as error:
        return Outcome(version, "FAILED", f"could not build .venv-{version}: {error}", time.monotonic() - started)
    # Streamed, so CI shows progress; the last line is pytest's summary ("1234 passed, 5 skipped in 240.1s").
    last = ""
    with subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "pytest", *pytest_args],
        cwd=REPO,
        env={**os.environ, MATRIX_RUN[0]: MATRIX_RUN[1]},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as tests:
        assert tests.stdout is not None
        for line in tests.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            last = line.strip() or last
    status = "passed" if tests.returncode == 0 else "FAILED"
    return Outcome(version, status, last, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    """Run the suite on every claimed version but the running one; print a table; 1 if any failed, else 0."""
    pytest_args = list(sys.argv[1:] if argv is None else argv)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    versions = [version for version in claimed_versions() if version != running]
    outcomes = [_run(version, pytest_args) for version in versions]
    print(f"\nPython matrix (Python {running} is make test's; pyproject.toml claims {', '.join(claimed_versions())})")
    for outcome in outcomes:
        print(f"  {outcome.version}  {outcome.status:7}  {outcome.seconds:6.0f} s  {outcome.detail}")
    return 1 if any(outcome.status == "FAILED" for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
