"""Generation time: each real exchange, and synthetic specs of growing size, generated into temporary directories.

Every job is a fresh process calling ``scripts.codegen.generate_exchange`` (bundle, openapi-python-client
with its ruff post-hooks, headers, ``operations.py``) into a temporary directory; ``generated/`` and
``specs/`` are only read. The bundler and the generator subprocess are timed separately by wrapping the two
functions ``generate_exchange`` calls, in the worker only. A synthetic spec of N operations is OKX's
``_base.yaml`` plus N copies of ``account.get_max_loan.yaml`` with distinct paths and operationIds. The whole
``python -m scripts.codegen --out DIR`` (three exchanges, interpreter start included, without the ``mypy``
step of ``make generate``) is timed as well.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from ._fresh import REPO, child_env, run_fresh, worker_main
from ._stats import linear_fit, summary

__all__ = ["run_generation", "write_synthetic_spec"]

EXCHANGES: Final = ("backpack", "binance", "okx")
TEMPLATE_EXCHANGE: Final = "okx"
TEMPLATE_ENDPOINT: Final = "account.get_max_loan.yaml"
TEMPLATE_PATH: Final = "/api/v5/account/max-loan"
TEMPLATE_OPERATION: Final = "get_max_loan"


def write_synthetic_spec(root: Path, operations: int) -> Path:
    """Write ``root/okx`` (the OKX generator config applies by name) holding ``operations`` cloned endpoints.

    Each clone is the template's text with its path and operationId replaced. Returns the exchange
    directory, ready for ``generate_exchange``; ``ValueError`` if the template no longer has those lines.
    """
    source = REPO / "specs" / TEMPLATE_EXCHANGE
    exchange_dir = root / TEMPLATE_EXCHANGE
    (exchange_dir / "endpoints").mkdir(parents=True)
    shutil.copy(source / "_base.yaml", exchange_dir / "_base.yaml")
    template = (source / "endpoints" / TEMPLATE_ENDPOINT).read_text(encoding="utf-8")
    path_line, id_line = f"  {TEMPLATE_PATH}:\n", f"operationId: {TEMPLATE_OPERATION}\n"
    if template.count(path_line) != 1 or template.count(id_line) != 1:
        raise ValueError(f"{TEMPLATE_ENDPOINT} no longer has exactly one {path_line.strip()!r} and {id_line.strip()!r}")
    for index in range(operations):
        name = f"synthetic_op_{index:04d}"
        text = template.replace(path_line, f"  /api/v5/synthetic/op-{index:04d}:\n")
        text = text.replace(id_line, f"operationId: {name}\n")
        (exchange_dir / "endpoints" / f"account.{name}.yaml").write_text(text, encoding="utf-8")
    return exchange_dir


def _timed(stages: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def _measure(payload: dict[str, Any]) -> dict[str, float]:
    from scripts.codegen import generate

    stages: dict[str, float] = {}
    # Stage timings only: the wrappers call the originals unchanged, in this throwaway process.
    for attribute, stage in (("bundle_exchange", "bundle_s"), ("_run_generator", "generator_s")):
        if hasattr(generate, attribute):
            setattr(generate, attribute, _timed(stages, stage, getattr(generate, attribute)))
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        root = Path(tmp)
        if payload["kind"] == "synthetic":
            exchange_dir = write_synthetic_spec(root / "specs", payload["operations"])
        else:
            exchange_dir = REPO / "specs" / payload["exchange"]
        start = time.perf_counter()
        generate.generate_exchange(exchange_dir, root / "out")
        total = time.perf_counter() - start
    return {"total_s": total, **stages}


def _whole_command() -> float:
    with tempfile.TemporaryDirectory(prefix="bench-gen-all-") as tmp:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scripts.codegen", "--out", tmp],
            cwd=REPO,
            env=child_env(),
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def run_generation(
    *, rounds: int, sizes: tuple[int, ...], exchanges: tuple[str, ...] = EXCHANGES, whole_command: bool = True
) -> dict[str, Any]:
    """Time each exchange ``rounds`` times, the whole command ``rounds`` times (unless not ``whole_command``; then
    ``whole_command_s`` is None), each synthetic size once.

    Returns seconds: per exchange ``total_s`` (median, p10, p90, best) and stage medians; per synthetic size
    the stages and seconds per operation; the least-squares line through the synthetic points and the
    log-log slope between the two largest sizes (1.0 is linear growth).
    """
    per_exchange: dict[str, list[dict[str, float]]] = {exchange: [] for exchange in exchanges}
    whole: list[float] = []
    for _ in range(rounds):
        for exchange in exchanges:
            per_exchange[exchange].append(run_fresh("_generation", {"kind": "exchange", "exchange": exchange}))
        if whole_command:
            whole.append(_whole_command())
    synthetic: dict[str, Any] = {}
    for size in sizes:
        result: dict[str, float] = run_fresh("_generation", {"kind": "synthetic", "operations": size}, timeout_s=1800)
        synthetic[str(size)] = {**{k: round(v, 3) for k, v in result.items()}, "per_op_s": result["total_s"] / size}
    out: dict[str, Any] = {
        "exchanges": {
            exchange: {
                "total_s": {**summary([r["total_s"] for r in runs]), "best": round(min(r["total_s"] for r in runs), 3)},
                "bundle_s": summary([r.get("bundle_s", 0.0) for r in runs])["median"],
                "generator_s": summary([r.get("generator_s", 0.0) for r in runs])["median"],
            }
            for exchange, runs in per_exchange.items()
        },
        "whole_command_s": summary(whole) if whole else None,
        "synthetic": synthetic,
    }
    if len(sizes) >= 2:
        xs = [float(size) for size in sizes]
        intercept, slope = linear_fit(xs, [synthetic[str(size)]["total_s"] for size in sizes])
        big, bigger = sorted(sizes)[-2:]
        growth = math.log(synthetic[str(bigger)]["total_s"] / synthetic[str(big)]["total_s"]) / math.log(bigger / big)
        out["fit"] = {"intercept_s": round(intercept, 3), "per_op_s": round(slope, 4), "loglog_slope": round(growth, 3)}
    return out


if __name__ == "__main__":
    worker_main(_measure)
