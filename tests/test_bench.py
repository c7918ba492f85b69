"""``make bench`` keeps working: its server answers like the specs, and a ``--quick`` run yields every section.

Nothing here asserts a speed: the figures of a quick run are meaningless, only their shape is checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth_plugins._generated import operation
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS
from scripts.bench._cases import CASES, FANOUT_CASES, QUICK_CASES, Case
from scripts.bench._scale import _SUMMARY, render_scale, scale_targets
from scripts.bench._server import ServerProcess
from scripts.bench._stats import linear_fit, percentile
from scripts.bench._telemetry import TELEMETRY_CASES
from tests._specs import REPO, all_operations, resolve


def test_percentiles_interpolate_and_the_fit_recovers_a_line() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 10) == pytest.approx(1.4)
    intercept, slope = linear_fit([10.0, 100.0, 1000.0], [3.0, 21.0, 201.0])
    assert intercept == pytest.approx(1.0)
    assert slope == pytest.approx(0.2)
    with pytest.raises(ValueError):
        percentile([], 50)


def _documented_200(exchange: str, op: dict[str, Any]) -> tuple[str, Any]:
    content_type, media = next(iter(resolve(exchange, op["responses"]["200"])["content"].items()))
    return content_type, media["example"]


def test_the_bench_server_answers_every_operation_with_its_documented_200() -> None:
    with ServerProcess("asyncio") as server, httpx.Client(base_url=server.base_url) as client:
        for exchange, method, route, op in all_operations():
            content_type, example = _documented_200(exchange, op)
            response = client.request(method, route + "?a=1", content=b'{"x":1}' if method == "POST" else None)
            assert response.status_code == 200, f"{exchange} {method} {route}"
            assert response.headers["content-type"] == content_type
            assert (response.text if "json" not in content_type else response.json()) == example
        assert client.get("/nowhere").status_code == 404


def test_the_quick_cases_are_one_operation_per_exchange_method_and_scheme() -> None:
    def kind(case: Case) -> tuple[str, str, str]:
        return case.exchange, operation(f"{case.exchange}_client", case.operation).method, case.scheme

    assert {kind(case) for case in QUICK_CASES} == {kind(case) for case in CASES}
    assert len({kind(case) for case in QUICK_CASES}) == len(QUICK_CASES) < len(CASES)
    assert set(FANOUT_CASES) <= set(QUICK_CASES) and set(TELEMETRY_CASES) <= {case.key for case in QUICK_CASES}


@pytest.mark.pipeline
def test_a_quick_run_writes_every_section_with_positive_ratios(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "-m", "scripts.bench", "--quick", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,  # the scale section copies the repository twice; minutes on a busy 2-core machine
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))

    sections = {"meta", "verification", "per_call", "fanout", "signing", "imports", "generation", "redis", "scale"}
    sections.add("targets")
    assert sections <= set(results)
    signed = sum(1 for case in QUICK_CASES if case.scheme != "public")
    summary = f"signatures verified: {signed} signed calls and {len(QUICK_CASES) - signed} public calls answered 200"
    assert results["verification"]["summary"].startswith(summary)
    assert set(results["per_call"]) == {case.key for case in QUICK_CASES}
    for row in results["per_call"].values():
        assert row["ratio"] > 0 and row["ours_us"]["median"] > 0 and row["floor_us"]["median"] > 0
        assert (
            set(row["steps_us"])
            == set(row["cpu_steps_us"])
            == {"httpx_client", "httpx_params", "generated_and_parsing", "factory_and_signing"}
        )
        assert row["cpu_ratio"] > 0
        assert row["ratio_httpcore"] > 0 and row["httpcore_us"]["median"] > 0 and row["cpu_ratio_httpcore"] > 0
        assert row["least_us"]["median"] > 0 and row["least_over_httpcore"] > 0
    assert len(results["fanout"]) == len(FANOUT_CASES) and all(row["ratio"] > 0 for row in results["fanout"].values())
    assert set(results["signing"]) == {"hmac-hex", "hmac-base64", "ed25519", "ed25519 (binance)"}
    assert all(row["ours_us"]["median"] > 0 for row in results["signing"].values())
    assert set(results["imports"]["exchanges"]) == {"backpack", "binance", "okx", "all three"}
    assert all(row["best_ms"] > 0 for row in results["imports"]["exchanges"].values())
    assert results["generation"]["exchanges"]["backpack"]["total_s"]["median"] > 0
    assert set(results["generation"]["synthetic"]) == {"1", "2"} and "fit" in results["generation"]
    shared = results["redis"]
    if shutil.which("redis-server") is None:
        assert "redis-server not found" in shared["skipped"] and "Shared budget on Redis: skipped" in run.stdout
    else:
        for mode in ("sync", "async"):
            assert shared[mode]["call_us"]["median"] > 0 and shared[mode]["ping_us"]["median"] > 0
            # Counted by Redis: one round trip per call (2.0 if each release went alone again).
            assert 1.0 <= shared[mode]["round_trips_per_call"] < 1.5
        assert "round trips" in run.stdout and shared["server_us_per_script_call"]["ours"] > 0
    telemetry = results["telemetry"]
    assert set(telemetry) == set(TELEMETRY_CASES) and "OpenTelemetry instrumentation" in run.stdout
    for row in telemetry.values():
        assert all(row["wall_us"][side]["median"] > 0 for side in ("off", "noop", "sdk"))
        assert row["noop_ratio"] > 0 and row["sdk_ratio"] > 0 and row["sdk_cpu_ratio"] > 0
    assert results["targets"] and all(isinstance(row["met"], bool) for row in results["targets"])
    assert "Per call" in run.stdout and "Targets" in run.stdout and "x core" in run.stdout
    assert "The least any client driving httpcore must do" in run.stdout
    scale = results["scale"]
    assert set(scale["sizes"]) == {"0", "1"} and set(scale["per_endpoint"]) == {"1"}
    assert all(row["generation_s"] > 0 and row["imports"]["okx"]["runtime_ms"] > 0 for row in scale["sizes"].values())
    assert scale["sizes"]["1"]["collected_all"] > scale["sizes"]["0"]["collected_all"]  # the clones are collected
    assert "Scale (" in run.stdout

    # The run handles throwaway credentials and signed requests; none of it may reach its output.
    secrets = [
        BACKPACK_CREDENTIALS.api_secret,
        BINANCE_CREDENTIALS.hmac_api_secret,
        OKX_CREDENTIALS.api_secret,
        OKX_CREDENTIALS.passphrase,
        "signature=",
    ]
    for text in (run.stdout, run.stderr, out.read_text(encoding="utf-8")):
        assert not [secret for secret in secrets if secret in text]


def test_the_scale_section_reads_make_tests_summaries_and_reports_the_600_s_target() -> None:
    output = (
        "== Python 3.11: pytest output\n....\n1801 passed, 2 skipped in 150.23s (0:02:30)\n"
        "== Python 3.12: pytest output\n=== 1 failed, 1800 passed, 2 skipped in 160.5s (0:02:40) ===\n"
    )
    assert [seconds for _, seconds in _SUMMARY.findall(output)] == ["150.23", "160.5"]
    imports = {
        e: {"runtime_ms": 1.0, "one_operation_ms": 1.0, "memory_kib": 1.0} for e in ("backpack", "binance", "okx")
    }
    row: dict[str, Any] = {"generation_s": 1.0, "test_s": 1.0, "tests_passed": 1, "tests_failed": 0, "failures": []}
    row |= {"collected_all": 1, "imports": imports}
    whole: dict[str, Any] = {"wall_s": 590.0, "status": "passed", "pytest_s": [150.2, 160.5], "failures": []}
    whole |= {"tail": "", "pytest_summaries": ["1801 passed, 2 skipped"]}
    sizes: dict[str, Any] = {"0": row, "200": {**row, "make_test": whole}}
    scale: dict[str, Any] = {"tree": "t", "suites": [], "collected": "tests", "per_endpoint": {}, "sizes": sizes}
    assert scale_targets(scale) == [
        {"what": "make test s, 2 cores (N = 200)", "target": "<= 600", "measured": 590.0, "met": True}
    ]
    scale["sizes"]["200"]["make_test"] = {**whole, "wall_s": 500.0, "status": "FAILED (exit 2)"}
    assert [r["met"] for r in scale_targets(scale)] == [False]  # a failing make test meets no time target
    assert any("make test at N = 200: 500 s, FAILED (exit 2)" in line for line in render_scale(scale))
    del scale["sizes"]["200"]["make_test"]
    assert scale_targets(scale) == []  # not timed (no --scale-make-test): no row
    assert scale_targets({}) == []  # a run without the scale section (--sections percall,redis)
