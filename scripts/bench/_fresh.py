"""Run one measurement in a fresh interpreter: JSON in on stdin, JSON out on stdout.

Rounds run in fresh processes so that one round's warm caches, heap growth and garbage do not carry into
the next (the issue asks for it; on a noisy 2-core machine it also spreads drift across rounds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

__all__ = ["REPO", "child_env", "pin", "run_fresh", "run_rounds", "worker_main"]

REPO: Final = Path(__file__).resolve().parents[2]


def child_env() -> dict[str, str]:
    """The environment for child interpreters: ours, with the repository on ``PYTHONPATH`` (for ``scripts``)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def pin(cpu: int | None) -> None:
    """Pin this process to ``cpu`` when given and the platform can (Linux); otherwise do nothing."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def run_fresh(module: str, payload: dict[str, Any], *, timeout_s: float = 900) -> Any:
    """Run ``python -m scripts.bench.<module>`` with ``payload`` as JSON on stdin; return its JSON stdout.

    Raises ``RuntimeError`` with the tail of the child's stderr when it exits non-zero.
    """
    result = subprocess.run(
        [sys.executable, "-m", f"scripts.bench.{module}"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=child_env(),
        timeout=timeout_s,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark worker {module} failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def run_rounds(module: str, rounds: int, payload: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Run :func:`run_fresh` ``rounds`` times, ``payload`` with ``"round"`` set to each round's index, and merge what
    the workers return (``{case: {series: [values]}}``) by concatenating each series across rounds."""
    merged: dict[str, dict[str, list[float]]] = {}
    for round_index in range(rounds):
        result: dict[str, dict[str, list[float]]] = run_fresh(module, {**payload, "round": round_index})
        for key, series in result.items():
            into = merged.setdefault(key, {name: [] for name in series})
            for name, values in series.items():
                into[name] += values
    return merged


def worker_main(measure: Callable[[dict[str, Any]], Any]) -> None:
    """Entry point of a worker module: read the payload, pin to ``payload["cpu"]``, print ``measure``'s JSON."""
    payload = json.load(sys.stdin)
    pin(payload.get("cpu"))
    result = measure(payload)
    sys.stdout.write(json.dumps(result))
