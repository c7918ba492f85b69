"""The pipeline at N endpoints per exchange: what each added endpoint costs in generation, tests, import and memory.

For each size N, a temporary copy of the repository (the working tree's tracked and untracked files, or a git
revision with ``tree=``) gets N synthetic endpoint files per exchange (:mod:`scripts.bench._synthetic`: clones of one
signed GET each), then, with the copy first on ``PYTHONPATH`` and this checkout's virtual environment:

- **generation**: ``python -m scripts.codegen`` (all three exchanges, interpreter start included);
- **tests**: the suites that take their cases from the bundles (:data:`SUITES`, a subset of ``make test``: at 200
  endpoints the whole suite would measure the same growth for several more minutes), timed end to end, plus the
  number of tests the whole suite collects;
- **import**: fresh interpreters (bytecode compiled beforehand), ``import auth_plugins.<exchange>`` above
  ``import httpx``, then one operation (its generated module and its first route lookup, which loads its table
  entry); best of ``rounds``, in process CPU time (wall time is kept too: on a busy machine it also counts other
  processes' turns);
- **memory**: the same imports under ``tracemalloc`` (KiB allocated and kept), in another fresh interpreter;
- **make test** (``make_test=True``, ``--scale-make-test``): the whole ``make test`` in the copy, timed end to end
  (drift check, ruff, mypy cold, then pytest on every claimed interpreter, each spread over the cores as the
  Makefile says), with each interpreter's pytest time from its summary line. The copy runs on this checkout's
  virtual environments (``.venv`` and the matrix's ``.venv-3.X``, linked into it, never reinstalled), with the copy
  first on ``PYTHONPATH``. Issue 22's target: at most 600 s at N = 200 on 2 cores.

Per added endpoint = (figure at N - figure at 0) / (3 N), since N are added to each of the three exchanges; for
import and memory, which are per exchange, the difference is divided by N.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from ._fresh import REPO
from ._synthetic import TEMPLATES, add_synthetic_endpoints

__all__ = ["SUITES", "render_scale", "run_scale", "scale_targets"]

SUITES: Final = (
    "tests/contract",
    "tests/codegen/test_seam.py",
    "tests/codegen/test_generation.py",
    "tests/client/test_validation.py",
    "tests/client/test_response_shapes.py",
    "tests/sandbox/test_sandbox.py",
    "tests/sandbox/test_fuzz.py",
)
"""Every suite whose cases come from the bundles (so grows with the endpoints), and none that does not."""
QUICK_SUITES: Final = ("tests/codegen/test_seam.py",)
"""``--quick``: one cheap suite, and only tests/contract collected, so the smoke run stays short."""

TARGETS: Final = {
    "test_s_per_endpoint": 0.5,
    "generation_s_per_endpoint": 0.1,
    "import_ms_growth": 2.0,
    "make_test_s": 600.0,
}
"""Issue 22, at 200 endpoints per exchange."""

ONE_OPERATION: Final = {
    exchange: (f"{exchange}_client.api.{template.file.split('.', 1)[0]}.{template.operation_id}", template.path)
    for exchange, template in TEMPLATES.items()
}

_PROBE: Final = """
import sys, time
start = time.perf_counter_ns()
import httpx
base, base_cpu = time.perf_counter_ns(), time.process_time_ns()
if {memory!r}:
    import tracemalloc
    tracemalloc.start()
import importlib
profile = importlib.import_module("auth_plugins.{exchange}._profile").PROFILE
runtime, runtime_cpu = time.perf_counter_ns(), time.process_time_ns()
importlib.import_module({module!r})
profile.routes[("GET", {path!r})]
one, one_cpu = time.perf_counter_ns(), time.process_time_ns()
kept = tracemalloc.get_traced_memory()[0] if {memory!r} else 0
print(base - start, runtime - base, one - runtime, kept, runtime_cpu - base_cpu, one_cpu - runtime_cpu)
"""


def _copy_tree(tree: str | None, target: Path) -> None:
    """The working tree's files (``git ls-files``, untracked included, minus ignored), or revision ``tree``."""
    target.mkdir(parents=True)
    if tree is not None:
        archive = subprocess.run(["git", "archive", tree], cwd=REPO, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    files = [name.decode() for name in listed if name and (REPO / name.decode()).is_file()]
    subprocess.run(["cp", "--parents", "-p", "-t", str(target), *files], cwd=REPO, check=True)


def _env(copy: Path, cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPACK_", "BINANCE_", "OKX_", "PYTEST_"))}
    env["PYTHONPATH"] = f"{copy}{os.pathsep}{copy / 'generated'}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _timed(
    command: list[str], copy: Path, env: dict[str, str], timeout: float, ok: tuple[int, ...] = (0,)
) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        raise RuntimeError(f"{' '.join(command)} failed in {copy}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return elapsed, result.stdout


def _imports(copy: Path, env: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for exchange, (module, path) in ONE_OPERATION.items():
        runs = []
        for memory in (False, *([False] * rounds), True):
            code = _PROBE.format(exchange=exchange, module=module, path=path, memory=memory)
            _, stdout = _timed([sys.executable, "-c", code], copy, env, 120)
            runs.append([int(value) for value in stdout.split()])
        timed = runs[1:-1]  # the first run compiles the bytecode
        # Process CPU time: on a busy machine the wall clock also counts other processes' turns.
        out[exchange] = {
            "runtime_ms": round(min(r[4] for r in timed) / 1e6, 2),
            "one_operation_ms": round(min(r[5] for r in timed) / 1e6, 2),
            "runtime_wall_ms": round(min(r[1] for r in timed) / 1e6, 2),
            "one_operation_wall_ms": round(min(r[2] for r in timed) / 1e6, 2),
            "httpx_ms": round(min(r[0] for r in timed) / 1e6, 2),
            "memory_kib": round(runs[-1][3] / 1024, 1),
        }
    return out


_SUMMARY: Final = re.compile(r"^=*\s*(\d+ (?:passed|failed)\b.*?) in ([\d.]+)s\b", re.M)
"""A pytest summary line: ``1801 passed, 2 skipped in 150.23s (0:02:30)``, with or without ``=`` around it."""
_MAKE_TEST_TIMEOUT_S: Final = 3 * 3600


def _make_test(copy: Path, env: dict[str, str]) -> dict[str, Any]:
    """``make test`` in ``copy`` on this checkout's virtual environments: wall time, status, pytest per interpreter."""
    # A clone, as `make test` runs in: tests that copy the repository list its files with git.
    identity = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@127.0.0.1"}
    identity |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@127.0.0.1"}
    for git in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "scale copy"]):
        subprocess.run(["git", *git], cwd=copy, env={**env, **identity}, capture_output=True, check=True)
    for venv in [REPO / ".venv", *sorted(REPO.glob(".venv-3.*"))]:
        if venv.is_dir():
            (copy / venv.name).symlink_to(venv, target_is_directory=True)
    # -o: the checkout's environment counts as set up (the copy's pyproject.toml may look newer): never reinstalled.
    command = ["make", "--no-print-directory", "-o", ".venv/.installed-stamp", "test"]
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=copy, env=env, capture_output=True, text=True, timeout=_MAKE_TEST_TIMEOUT_S, check=False
    )
    elapsed = time.perf_counter() - start
    summaries = _SUMMARY.findall(result.stdout)
    return {
        "wall_s": round(elapsed, 1),
        "status": "passed" if result.returncode == 0 else f"FAILED (exit {result.returncode})",
        "pytest_s": [round(float(seconds), 1) for _, seconds in summaries],
        "pytest_summaries": [summary for summary, _ in summaries],
        "failures": re.findall(r"^FAILED (\S+)", result.stdout, re.M),
        "tail": "" if result.returncode == 0 else (result.stdout[-2000:] + result.stderr[-1000:]),
    }


def _count(stdout: str, outcome: str) -> int:
    found = re.search(rf"(\d+) {outcome}", stdout)
    return int(found.group(1)) if found else 0


def _measure(
    size: int, tree: str | None, suites: tuple[str, ...], rounds: int, collect: str, make_test: bool
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-scale-{size}-") as tmp:
        copy, cache = Path(tmp) / "repo", str(Path(tmp) / "pycache")
        _copy_tree(tree, copy)
        for exchange in TEMPLATES:
            add_synthetic_endpoints(copy / "specs", exchange, size)
        env = _env(copy, cache)
        generation_s, _ = _timed([sys.executable, "-m", "scripts.codegen"], copy, env, 3600)
        imports = _imports(copy, env, rounds)
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=", "-p", "no:cacheprovider"]
        _, listing = _timed([*command, collect], copy, env, 1800)
        collected = sum(1 for line in listing.splitlines() if "::" in line)
        pytest = [sys.executable, "-m", "pytest", "-q", "-rf", "-o", "addopts=", "-p", "no:cacheprovider", *suites]
        # Exit status 1 is failed tests: still timed and reported (a test may not hold for synthetic clones).
        test_s, output = _timed(pytest, copy, env, 7200, ok=(0, 1))
        whole = _make_test(copy, env) if make_test else None
    return {
        "generation_s": round(generation_s, 2),
        "test_s": round(test_s, 1),
        "tests_passed": _count(output, "passed"),
        "tests_failed": _count(output, "failed"),
        "failures": re.findall(r"^FAILED (\S+)", output, re.M),
        "collected_all": collected,
        "imports": imports,
        **({"make_test": whole} if whole is not None else {}),
    }


def run_scale(
    *, sizes: tuple[int, ...], rounds: int, tree: str | None = None, quick: bool = False, make_test: bool = False
) -> dict[str, Any]:
    """Measure each size (the first should be 0, the baseline); return the figures and the per-endpoint costs.

    ``tree`` is a git revision to measure instead of the working tree (for before/after figures); ``make_test``
    also times the whole ``make test`` in each copy (minutes per size: not part of the default ``make bench``).
    """
    suites = QUICK_SUITES if quick else SUITES
    results: dict[str, Any] = {
        "tree": tree or "working tree",
        "suites": list(suites),
        "collected": "tests/contract" if quick else "tests",
        "sizes": {},
    }
    for size in sizes:
        print(f"... scale: {size} synthetic endpoints per exchange", file=sys.stderr, flush=True)
        collect = "tests/contract" if quick else "tests"
        results["sizes"][str(size)] = _measure(size, tree, suites, rounds, collect, make_test)
    base = results["sizes"][str(sizes[0])]
    per_endpoint: dict[str, Any] = {}
    for size in sizes[1:]:
        row, added = results["sizes"][str(size)], (size - sizes[0])
        if added <= 0:
            continue
        per_endpoint[str(size)] = {
            "test_s": round((row["test_s"] - base["test_s"]) / (added * len(TEMPLATES)), 3),
            "tests_collected": round((row["collected_all"] - base["collected_all"]) / (added * len(TEMPLATES)), 2),
            "generation_s": round((row["generation_s"] - base["generation_s"]) / (added * len(TEMPLATES)), 4),
            "import_growth_ms": {
                exchange: round(row["imports"][exchange]["runtime_ms"] - base["imports"][exchange]["runtime_ms"], 2)
                for exchange in TEMPLATES
            },
            "one_operation_growth_ms": {
                exchange: round(
                    row["imports"][exchange]["one_operation_ms"] - base["imports"][exchange]["one_operation_ms"], 2
                )
                for exchange in TEMPLATES
            },
            "memory_kib_per_endpoint": {
                exchange: round(
                    (row["imports"][exchange]["memory_kib"] - base["imports"][exchange]["memory_kib"]) / added, 2
                )
                for exchange in TEMPLATES
            },
        }
    results["per_endpoint"] = per_endpoint
    return results


def scale_targets(scale: dict[str, Any]) -> list[dict[str, Any]]:
    """Target rows (issue 22) for the largest size measured."""
    rows = _make_test_targets(scale)
    if not scale.get("per_endpoint"):
        return rows
    size = max(scale["per_endpoint"], key=int)
    row = scale["per_endpoint"][size]
    growth = max(row["import_growth_ms"].values())
    return rows + [
        {
            "what": f"test s per added endpoint (N = {size})",
            "target": f"<= {TARGETS['test_s_per_endpoint']}",
            "measured": row["test_s"],
            "met": row["test_s"] <= TARGETS["test_s_per_endpoint"],
        },
        {
            "what": f"generation s per added endpoint (N = {size})",
            "target": f"<= {TARGETS['generation_s_per_endpoint']}",
            "measured": row["generation_s"],
            "met": row["generation_s"] <= TARGETS["generation_s_per_endpoint"],
        },
        {
            "what": f"import auth_plugins.<exchange> growth ms (N = {size})",
            "target": f"<= {TARGETS['import_ms_growth']}",
            "measured": growth,
            "met": growth <= TARGETS["import_ms_growth"],
        },
    ]


def _make_test_targets(scale: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``make test`` row for the largest size whose ``make test`` was timed (none when it was not)."""
    timed = [int(size) for size, row in scale.get("sizes", {}).items() if "make_test" in row]
    if not timed:
        return []
    whole = scale["sizes"][str(max(timed))]["make_test"]
    passed = whole["status"] == "passed"
    return [
        {
            "what": f"make test s, 2 cores (N = {max(timed)})" + ("" if passed else f": {whole['status']}"),
            "target": f"<= {TARGETS['make_test_s']:.0f}",
            "measured": whole["wall_s"],
            "met": passed and whole["wall_s"] <= TARGETS["make_test_s"],
        }
    ]


def render_scale(scale: dict[str, Any]) -> list[str]:
    """The scale section of the printed report."""
    out = [
        f"Scale ({scale['tree']}; N synthetic endpoints added per exchange in a temporary copy; generation = python -m "
        f"scripts.codegen, all three; tests = {' '.join(scale['suites'])} end to end; "
        f"collected = {scale['collected']}; "
        "import = CPU ms above `import httpx`, best of fresh interpreters: auth_plugins.<exchange>, then one "
        "operation's module and first call lookup; memory = KiB kept by those imports)"
    ]
    header = ["N", "generation s", "tests s", "passed", "failed", "collected", *(f"import {e}" for e in TEMPLATES)]
    header += [f"one op {e}" for e in TEMPLATES] + [f"KiB {e}" for e in TEMPLATES]
    rows = []
    for size, row in scale["sizes"].items():
        imports = row["imports"]
        rows.append(
            [
                size,
                f"{row['generation_s']:.2f}",
                f"{row['test_s']:.1f}",
                str(row["tests_passed"]),
                str(row["tests_failed"]),
                str(row["collected_all"]),
                *(f"{imports[e]['runtime_ms']:.2f}" for e in TEMPLATES),
                *(f"{imports[e]['one_operation_ms']:.2f}" for e in TEMPLATES),
                *(f"{imports[e]['memory_kib']:.0f}" for e in TEMPLATES),
            ]
        )
    out += _table(header, rows)
    for size, row in scale["per_endpoint"].items():
        imports, one, memory = (
            json.dumps(row[key]) for key in ("import_growth_ms", "one_operation_growth_ms", "memory_kib_per_endpoint")
        )
        out.append(
            f"  per added endpoint at N = {size}: tests {row['test_s']:+.3f} s ({row['tests_collected']:+.1f} "
            f"collected), generation {row['generation_s']:+.4f} s; import growth ms {imports}, one operation {one}; "
            f"memory KiB per endpoint {memory}"
        )
    for size, row in scale["sizes"].items():
        if "make_test" in row:
            whole = row["make_test"]
            pytests = " + ".join(f"{seconds:.0f}" for seconds in whole["pytest_s"])
            out.append(
                f"  make test at N = {size}: {whole['wall_s']:.0f} s, {whole['status']} (pytest per interpreter, "
                f".venv's then the matrix's: {pytests} s; the rest is the drift check, ruff, mypy and start-up)"
            )
            out += [f"    {summary}" for summary in whole["pytest_summaries"]]
            if whole["tail"]:
                out += ["    " + line for line in whole["tail"].splitlines()[-15:]]
    failures = sorted({test for row in scale["sizes"].values() for test in row["failures"]})
    if failures:
        out.append("  failed in a copy (timed all the same): " + ", ".join(failures))
    return [*out, ""]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines
