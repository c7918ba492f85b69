"""The distribution as users get it: the wheel, built once, installed with its ``sandbox`` and ``otel`` extras (and
the OpenTelemetry SDK a user of ``otel`` adds) into one venv.

``install_distribution(directory)`` builds the wheel from a clean copy of the sources (so stale files in a
local ``build/`` cannot slip in), creates a virtual environment and runs ``pip install
'<wheel>[sandbox,otel]' opentelemetry-sdk==<ours> pytest==<ours>`` from the package index. The ``installed``
session fixture in tests/conftest.py calls it once per run; every test that needs the installed distribution
(the user-style contract test, a console script, the telemetry example) shares that one venv through
:class:`InstalledDistribution`.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests._specs import REPO

__all__ = ["InstalledDistribution", "install_distribution", "shared_distribution"]

# What the wheel is built from; everything else in the repository is development-only.
_SOURCES: Final = ("pyproject.toml", "README.md", "auth_plugins", "generated")
_INSTALL_TIMEOUT_S: Final = 600


@dataclass(frozen=True)
class InstalledDistribution:
    """A venv holding the built wheel with its ``sandbox`` and ``otel`` extras, the OpenTelemetry SDK and pytest,
    outside the repository.

    ``wheel`` is the built file, ``venv`` the environment's directory.
    """

    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.venv / "bin" / "python"

    def script(self, name: str) -> Path:
        """The path of console script ``name`` installed in the venv (it may not exist)."""
        return self.venv / "bin" / name

    def env(self) -> dict[str, str]:
        """This process's environment as the venv's user would have it: venv first on ``PATH``, no
        ``PYTHONPATH``, no variables of ours or pytest's, and no exchange credentials."""
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
            and not name.startswith(("PYTEST_", "BACKPACK_", "BINANCE_", "OKX_"))
        }
        env["PATH"] = os.pathsep.join([str(self.venv / "bin"), env.get("PATH", "")])
        env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def run(
        self, *argv: str | Path, cwd: Path, timeout: float = 120, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` (a venv program first: ``self.python``, ``self.script(...)``) in ``cwd`` with
        :meth:`env` plus ``env`` (e.g. exchange credentials); never raises for a non-zero exit status."""
        return subprocess.run(
            [str(arg) for arg in argv],
            cwd=cwd,
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _checked(argv: list[str], cwd: Path, timeout: float) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def install_distribution(directory: Path) -> InstalledDistribution:
    """Build the wheel in ``directory`` and install it with the ``sandbox`` and ``otel`` extras, the OpenTelemetry
    SDK and pytest into a new venv there.

    Needs the package index (PyPI) for the dependencies; ``RuntimeError`` with pip's output if a step fails.
    """
    source = directory / "source"
    source.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    for name in _SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=ignore)
        else:
            shutil.copy2(origin, source / name)
    dist = directory / "dist"
    # Built without isolation, with this venv's pinned hatchling: offline, and the same build as CI's.
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), "."]
    _checked(build, source, _INSTALL_TIMEOUT_S)
    (wheel,) = dist.glob("exchange_clients-*.whl")
    venv = directory / "venv"
    _checked([sys.executable, "-m", "venv", str(venv)], directory, _INSTALL_TIMEOUT_S)
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in ("pytest", "opentelemetry-sdk")]
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _checked([*install, f"{wheel}[sandbox,otel]", *pins], directory, _INSTALL_TIMEOUT_S)
    return InstalledDistribution(wheel=wheel, venv=venv)


def shared_distribution(directory: Path) -> InstalledDistribution:
    """:func:`install_distribution` into ``directory / "installed"`` once for every process of a run that asks:
    the first builds it under a lock on ``directory / "installed.lock"``, the others wait and reuse it (pytest-xdist
    workers share their run's temporary directory). A build that failed is not reused: the next asker retries."""
    target, done = directory / "installed", directory / "installed.done"
    with (directory / "installed.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            shutil.rmtree(target, ignore_errors=True)
            install_distribution(target)
            done.touch()
    (wheel,) = (target / "dist").glob("exchange_clients-*.whl")
    return InstalledDistribution(wheel=wheel, venv=target / "venv")
