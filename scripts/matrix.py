"""``python -m scripts.matrix``: the test suite on every Python the package claims (``make test`` runs it ``--all``).

The interpreters are the ``Programming Language :: Python :: 3.X`` classifiers of pyproject.toml, so what the
package claims is what is tested. Without ``--all``, the running interpreter (``.venv``'s) is left out (``make
test-matrix``); ``make test`` runs the drift check, ruff and mypy, then this with ``--all``: the whole pytest suite
once on each claimed Python, .venv's on itself and each other one in its own virtual environment ``.venv-3.X`` with
the ``dev`` extra installed editable (rebuilt when pyproject.toml is newer than its stamp). The environments are
built first, one after the other; then the runs go at once (the sandbox and Redis fixtures start their own servers
on free ports), each one's output going to a temporary file that is printed whole, under a header, when that run
ends, and a table ends the output with each run's status, time and pytest summary line. Drift, ruff and mypy do not
depend on the interpreter and are not repeated.

An interpreter is ``$PYTHON_3_X`` when set (e.g. ``PYTHON_3_13=/opt/python3.13/bin/python3.13``), else the first
of ``python3.X`` on ``PATH`` and the ``$PYENV_ROOT/versions/3.X.*`` builds (``~/.pyenv`` by default), newest first,
that runs and reports that version (a pyenv shim for a version not selected does not). One that is not found is
skipped, saying so; ``$PYTHON_3_X`` naming something else, a venv that cannot be built or a failing suite fails
the run. Other arguments go to pytest (``make test`` passes pytest-xdist's ``-n auto --dist worksteal``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

__all__ = ["Outcome", "claimed_versions", "find_interpreter", "main"]

REPO: Final = Path(__file__).resolve().parents[1]
_CLASSIFIER: Final = re.compile(r"^Programming Language :: Python :: (3\.\d+)$")
_STAMP: Final = ".installed-stamp"


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


def _prepare(version: str) -> Path | Outcome:
    """The Python of ``.venv-3.X`` to test ``version`` with, or the outcome that ends it (skipped or FAILED)."""
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
        return _venv(version, interpreter) / "bin" / "python"
    except (OSError, subprocess.CalledProcessError) as error:
        return Outcome(version, "FAILED", f"could not build .venv-{version}: {error}", time.monotonic() - started)


@dataclass
class _Running:
    """One interpreter's pytest run in progress, its output going to a temporary file until it ends."""

    version: str
    process: subprocess.Popen[bytes]
    output: IO[bytes]
    started: float

    def finish(self) -> Outcome:
        """Print the run's whole output under a header; its outcome (the detail is pytest's summary line)."""
        self.output.seek(0)
        text = self.output.read().decode(errors="replace")
        self.output.close()
        print(f"\n== Python {self.version}: pytest output", flush=True)
        sys.stdout.write(text)
        sys.stdout.flush()
        last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
        status = "passed" if self.process.returncode == 0 else "FAILED"
        return Outcome(self.version, status, last, time.monotonic() - self.started)


def _start(version: str, python: Path, pytest_args: list[str]) -> _Running:
    output = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [str(python), "-m", "pytest", *pytest_args], cwd=REPO, stdout=output, stderr=subprocess.STDOUT
    )
    return _Running(version, process, output, time.monotonic())


def _run_all(pythons: dict[str, Path], pytest_args: list[str]) -> list[Outcome]:
    """Run the suite on every interpreter at once; print each one's output whole as it ends (first done, first
    shown), so the runs share the machine's cores without mixing their lines."""
    running = [_start(version, python, pytest_args) for version, python in pythons.items()]
    outcomes: list[Outcome] = []
    while running:
        done = next((run for run in running if run.process.poll() is not None), None)
        if done is None:
            time.sleep(0.2)
            continue
        running.remove(done)
        outcomes.append(done.finish())
    return outcomes


def _run(version: str, pytest_args: list[str]) -> Outcome:
    """The suite on one interpreter (found, checked, its venv built), its output printed when it ends."""
    prepared = _prepare(version)
    if isinstance(prepared, Outcome):
        return prepared
    return _run_all({version: prepared}, pytest_args)[0]


def main(argv: list[str] | None = None) -> int:
    """Run the suite on every claimed version but the running one (``--all``: the running one too, on its own
    interpreter), all at once; print a table; 1 if any failed, else 0."""
    pytest_args = list(sys.argv[1:] if argv is None else argv)
    every = "--all" in pytest_args
    pytest_args = [arg for arg in pytest_args if arg != "--all"]
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    versions = [version for version in claimed_versions() if every or version != running]
    outcomes: list[Outcome] = []
    pythons: dict[str, Path] = {}
    for version in versions:
        prepared = Path(sys.executable) if version == running else _prepare(version)
        if isinstance(prepared, Outcome):
            outcomes.append(prepared)
        else:
            pythons[version] = prepared
    if pythons:
        print(f"== pytest on Python {', '.join(pythons)} at once; each one's output follows when it ends", flush=True)
    outcomes += _run_all(pythons, pytest_args)
    outcomes.sort(key=lambda outcome: versions.index(outcome.version))
    tested = "every Python" if every else f"Python {running} is make test's"
    print(f"\nPython matrix ({tested}; pyproject.toml claims {', '.join(claimed_versions())})")
    for outcome in outcomes:
        print(f"  {outcome.version}  {outcome.status:7}  {outcome.seconds:6.0f} s  {outcome.detail}")
    return 1 if any(outcome.status == "FAILED" for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
