"""Cold import: ``auth_plugins.<exchange>`` plus every operation module of its generated package, above httpx.

Each measurement is a fresh interpreter that times ``import httpx`` and then, in the same process, the
exchange's modules (so the figure is exactly what we add on top of httpx). Bytecode caches are warm (the
modules were imported before), the interpreter is not: best (minimum) of several, interleaved across
exchanges. A further fresh interpreter per exchange runs with ``-X importtime`` to name the modules that
cost the most, for when the target is missed.

Bytecode goes to a temporary ``PYTHONPYCACHEPREFIX`` (and ``PYTHONDONTWRITEBYTECODE`` is lifted for these
children): an installed package has its ``.pyc`` files, and timing the compiler would say nothing about us.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Any, Final

from ._fresh import REPO, child_env
from ._stats import summary

__all__ = ["import_modules", "run_imports"]

EXCHANGES: Final = ("backpack", "binance", "okx")

_PROBE: Final = """
import time
start = time.perf_counter_ns()
import httpx
middle = time.perf_counter_ns()
import importlib
for name in {modules!r}:
    importlib.import_module(name)
print(middle - start, time.perf_counter_ns() - middle)
"""


def import_modules(exchange: str) -> list[str]:
    """``auth_plugins.<exchange>`` and every ``<exchange>_client.api.<tag>.<operation>`` module, by file name."""
    api = REPO / "generated" / f"{exchange}_client" / "api"
    operations = sorted(
        f"{exchange}_client.api.{path.parent.name}.{path.stem}"
        for path in api.glob("*/*.py")
        if path.stem != "__init__"
    )
    return [f"auth_plugins.{exchange}", *operations]


def _env(cache: str) -> dict[str, str]:
    env = child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _probe(modules: list[str], cache: str) -> tuple[float, float]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(modules=modules)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(cache),
        check=True,
    )
    httpx_ns, ours_ns = result.stdout.split()
    return int(httpx_ns) / 1e6, int(ours_ns) / 1e6


def _heaviest(modules: list[str], cache: str, top: int = 5) -> list[dict[str, Any]]:
    """The ``top`` top-level packages by summed self time, from ``-X importtime`` after httpx is imported.

    Summing per top-level package shows what a dependency costs as a whole (``asyncio`` is ~20 small modules).
    The figures include ``-X importtime``'s own overhead, so they add up to more than the probe measures.
    """
    code = "import httpx, sys; sys.stderr.write('--- after httpx\\n'); import importlib\n"
    code += "".join(f"importlib.import_module({name!r})\n" for name in modules)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(cache),
        check=True,
    )
    totals: dict[str, float] = {}
    for line in result.stderr.split("--- after httpx\n", 1)[-1].splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        package = name.split(".", 1)[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1000
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return [{"package": package, "self_ms": round(ms, 1)} for package, ms in ranked]


def run_imports(*, rounds: int) -> dict[str, Any]:
    """Per exchange and for all three together: ``above_httpx_ms`` (best, median), plus ``httpx_ms``.

    Returns ``{"httpx_ms": {...}, "exchanges": {name: {"modules": n, "above_httpx_ms": {...}, "best_ms": x,
    "heaviest": [...]}}}``; ``best_ms`` is the minimum over ``rounds`` fresh interpreters.
    """
    groups = {exchange: import_modules(exchange) for exchange in EXCHANGES}
    groups["all three"] = [name for exchange in EXCHANGES for name in groups[exchange]]
    httpx_ms: list[float] = []
    above: dict[str, list[float]] = {name: [] for name in groups}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        _probe(groups["all three"], cache)  # compile bytecode once, outside the measurement
        for _ in range(rounds):
            for name, modules in groups.items():
                base, ours = _probe(modules, cache)
                httpx_ms.append(base)
                above[name].append(ours)
        heaviest = {name: _heaviest(modules, cache) for name, modules in groups.items() if name != "all three"}
    return {
        "httpx_ms": {**summary(httpx_ms), "best": round(min(httpx_ms), 2)},
        "exchanges": {
            name: {
                "modules": len(modules),
                "above_httpx_ms": summary(above[name]),
                "best_ms": round(min(above[name]), 2),
                "heaviest": heaviest.get(name, []),
            }
            for name, modules in groups.items()
        },
    }
