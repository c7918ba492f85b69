"""Turn the benchmark's results into targets met or missed, a plain-text table and a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from ._redis import redis_targets, render_redis
from ._scale import render_scale, scale_targets

__all__ = ["TARGETS", "render", "targets", "write_json"]

TARGETS: Final = {
    "per_call_hmac": 1.05,
    "per_call_ed25519": 1.10,
    "per_call_httpcore_hmac": 1.10,
    "per_call_httpcore_ed25519": 1.20,
    "fanout": 0.95,
    "import_ms": 20.0,
    "generation_s": 2.0,
    "generation_loglog_slope": 1.10,
}
"""The issues' targets (per call against raw httpx: issue 11; against raw httpcore: issue 22). Growth counts as "no
worse than linear" up to a log-log slope of 1.10 (noise)."""


def _per_call_limit(scheme: str, floor: str = "") -> float | None:
    if scheme.startswith("hmac"):
        return TARGETS[f"per_call{floor}_hmac"]
    if scheme == "ed25519":
        return TARGETS[f"per_call{floor}_ed25519"]
    return None


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target and subject: ``what``, ``target``, ``measured``, ``met`` (reported, never asserted)."""
    rows: list[dict[str, Any]] = []
    for key, row in results.get("per_call", {}).items():
        limit = _per_call_limit(row["scheme"])
        if limit is not None:
            rows.append({"what": f"per-call ratio {key}", "target": f"<= {limit}", "measured": row["ratio"]})
            rows[-1]["met"] = row["ratio"] <= limit
        core = _per_call_limit(row["scheme"], "_httpcore")
        if core is not None and "ratio_httpcore" in row:
            measured = row["ratio_httpcore"]
            rows.append({"what": f"per-call ratio to httpcore {key}", "target": f"<= {core}", "measured": measured})
            rows[-1]["met"] = measured <= core
        if core is not None and "least_over_httpcore" in row:
            # Not a target of ours: whether the target above can be met at all by a client that drives httpcore.
            least = row["least_over_httpcore"]
            what = f"least any httpcore client can do, ratio to httpcore {key}"
            rows.append({"what": what, "target": f"<= {core}", "measured": least, "met": least <= core})
    for key, row in results.get("fanout", {}).items():
        limit = TARGETS["fanout"]
        rows.append({"what": f"fan-out ratio {key}", "target": f">= {limit}", "measured": row["ratio"]})
        rows[-1]["met"] = row["ratio"] >= limit
    for name, row in results.get("imports", {}).get("exchanges", {}).items():
        if name == "all three":
            continue
        limit = TARGETS["import_ms"]
        rows.append({"what": f"import ms above httpx, {name}", "target": f"<= {limit}", "measured": row["best_ms"]})
        rows[-1]["met"] = row["best_ms"] <= limit
    generation = results.get("generation", {})
    for name, row in generation.get("exchanges", {}).items():
        limit = TARGETS["generation_s"]
        measured = row["total_s"]["median"]
        rows.append({"what": f"generation s, {name}", "target": f"< {limit}", "measured": measured})
        rows[-1]["met"] = measured < limit
    if "fit" in generation:
        limit = TARGETS["generation_loglog_slope"]
        slope = generation["fit"]["loglog_slope"]
        rows.append({"what": "generation growth (log-log slope)", "target": f"<= {limit}", "measured": slope})
        rows[-1]["met"] = slope <= limit
    rows += redis_targets(results.get("redis", {}))
    rows += scale_targets(results.get("scale", {}))
    return rows


def _spread(stats: dict[str, float], digits: int = 1) -> str:
    return f"{stats['median']:.{digits}f} [{stats['p10']:.{digits}f}-{stats['p90']:.{digits}f}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines


def _met(value: bool | None) -> str:
    return "-" if value is None else ("met" if value else "MISSED")


def render(results: dict[str, Any]) -> str:
    """The results as the plain-text report ``make bench`` prints (also used for the README)."""
    meta = results["meta"]
    out = [f"make bench, {meta['date']}: {meta['machine']}", ""]
    out += ["Method:", *(f"  {line}" for line in meta["method"]), ""]
    out += [f"Verification: {results['verification']['summary']}", ""]

    per_call = results.get("per_call")
    if per_call:
        out.append(
            "Per call (sync; wall microseconds per call, median [p10-p90] over batches; floor = raw httpx.Client; "
            "ratio = median ours / median floor; paired = median [p10-p90] of ours/floor over neighbouring batches; "
            "cpu = the same ratio in client CPU time; core = one raw httpcore request on a pooled connection, x core "
            "= median ours / median core, paired and cpu likewise)"
        )
        rows = []
        for key, row in per_call.items():
            limit = _per_call_limit(row["scheme"])
            core = _per_call_limit(row["scheme"], "_httpcore")
            rows.append(
                [
                    key + ("" if row["primary"] else " *"),
                    _spread(row["ours_us"]),
                    _spread(row["floor_us"]),
                    f"{row['overhead_us']:+.1f}",
                    f"{row['ratio']:.3f}",
                    f"{row['ratio_paired']:.3f} [{row['ratio_p10']:.2f}-{row['ratio_p90']:.2f}]",
                    f"{row['cpu_ratio']:.3f}",
                    "-" if limit is None else f"<= {limit:.2f} {_met(row['ratio'] <= limit)}",
                    _spread(row["httpcore_us"]),
                    f"{row['ratio_httpcore']:.3f}",
                    f"{row['ratio_httpcore_paired']:.3f} "
                    f"[{row['ratio_httpcore_p10']:.2f}-{row['ratio_httpcore_p90']:.2f}]",
                    f"{row['cpu_ratio_httpcore']:.3f}",
                    "-" if core is None else f"<= {core:.2f} {_met(row['ratio_httpcore'] <= core)}",
                ]
            )
        header = ["case", "ours us", "floor us", "+us", "ratio", "paired", "cpu", "target"]
        header += ["core us", "x core", "paired", "cpu", "target"]
        out += _table(header, rows)
        out += ["  * not one of the five signed operations (extra scheme or unsigned server time)", ""]
        out.append(
            "Where the per-call time goes (client CPU microseconds per call, medians: raw httpcore, then what each "
            "step adds: httpx.Client over it (= the floor); httpx encoding params=/json= as the generated code passes "
            "them; the generated code and parsing into models; the factory's signer and pipeline)"
        )
        rows = [
            [
                key,
                f"{row['cpu_us']['httpcore']['median']:.1f}",
                f"{row['cpu_steps_us']['httpx_client']:+.1f}",
                f"{row['cpu_steps_us']['httpx_params']:+.1f}",
                f"{row['cpu_steps_us']['generated_and_parsing']:+.1f}",
                f"{row['cpu_steps_us']['factory_and_signing']:+.1f}",
                f"{row['cpu_us']['ours']['median']:.1f}",
            ]
            for key, row in per_call.items()
        ]
        out += _table(["case", "httpcore", "+httpx", "+params", "+generated", "+factory", "= ours"], rows) + [""]
        if all("least_us" in row for row in per_call.values()):
            out.append(
                "The least any client driving httpcore must do (wall microseconds per call, median [p10-p90]; least = "
                "the exact request ours sends, signed target, headers and body, on the same raw httpcore pool, plus "
                "the bare signature primitive and parsing the body into the generated model, nothing else; x core = "
                "median least / median core, paired = median [p10-p90] of least / core over neighbouring batches)"
            )
            rows = []
            for key, row in per_call.items():
                core = _per_call_limit(row["scheme"], "_httpcore")
                rows.append(
                    [
                        key,
                        _spread(row["httpcore_us"]),
                        _spread(row["least_us"]),
                        f"{row['least_over_httpcore']:.3f}",
                        f"{row['least_over_httpcore_paired']:.3f} "
                        f"[{row['least_over_httpcore_p10']:.2f}-{row['least_over_httpcore_p90']:.2f}]",
                        _spread(row["ours_us"]),
                        "-"
                        if core is None
                        else f"<= {core:.2f} {'possible' if row['least_over_httpcore'] <= core else 'out of reach'}",
                    ]
                )
            out += _table(["case", "core us", "least us", "x core", "paired", "ours us", "target on httpcore"], rows)
            out += [""]

    fanout = results.get("fanout")
    if fanout:
        params = results["meta"]["parameters"]["fanout"]
        concurrency = " and ".join(map(str, params["concurrency"]))
        out.append(
            f"Async fan-out ({params['requests']} requests at concurrency C = {concurrency}; "
            "requests per second, median [p10-p90] over runs; ratio = median ours / median floor; paired = median "
            "[p10-p90] of ours / floor over back-to-back runs; higher is better)"
        )
        rows = [
            [
                key,
                _spread(row["ours_rps"], 0),
                _spread(row["floor_rps"], 0),
                f"{row['ratio']:.3f}",
                _spread(row["ratio_paired"], 2),
                f"{row['ours_cpu_us']['median']:.0f} / {row['floor_cpu_us']['median']:.0f}",
                f">= {TARGETS['fanout']:.2f} {_met(row['ratio'] >= TARGETS['fanout'])}",
            ]
            for key, row in fanout.items()
        ]
        header = ["case", "ours req/s", "floor req/s", "ratio", "paired", "cpu us/req ours / floor", "target"]
        out += _table(header, rows) + [""]

    signing = results.get("signing")
    if signing:
        out.append("Signing alone (microseconds per signature, median [p10-p90]; primitive = the crypto call alone)")
        rows = [
            [scheme, _spread(row["ours_us"], 2), _spread(row["primitive_us"], 2), f"{row['overhead_us']:+.2f}"]
            for scheme, row in signing.items()
        ]
        out += _table(["scheme", "ours us", "primitive us", "+us"], rows) + [""]

    imports = results.get("imports")
    if imports:
        httpx_ms = imports["httpx_ms"]
        out.append(
            f"Cold import (ms above `import httpx` in the same fresh interpreter; best and median of "
            f"{httpx_ms['n'] // len(imports['exchanges'])}; `import httpx` itself: best {httpx_ms['best']:.1f} ms)"
        )
        rows = []
        for name, row in imports["exchanges"].items():
            heaviest = ", ".join(f"{h['package']} {h['self_ms']:.1f}" for h in row["heaviest"][:4])
            met = _met(row["best_ms"] <= TARGETS["import_ms"])
            target = "-" if name == "all three" else f"<= {TARGETS['import_ms']:.0f} {met}"
            median = f"{row['above_httpx_ms']['median']:.1f}"
            rows.append([name, str(row["modules"]), f"{row['best_ms']:.1f}", median, target, heaviest])
        header = ["exchange", "modules", "best", "median", "target", "heaviest packages (self ms, -X importtime)"]
        out += _table(header, rows) + [""]

    generation = results.get("generation")
    if generation:
        out.append(
            "Generation (seconds; fresh process per run; bundle = scripts/codegen/bundle.py, generator = opc + ruff)"
        )
        rows = [
            [
                name,
                _spread(row["total_s"], 2),
                f"{row['bundle_s']:.2f}",
                f"{row['generator_s']:.2f}",
                f"< {TARGETS['generation_s']:.0f} {_met(row['total_s']['median'] < TARGETS['generation_s'])}",
            ]
            for name, row in generation["exchanges"].items()
        ]
        rows += [
            [
                f"synthetic {size} ops",
                f"{row['total_s']:.2f}",
                f"{row.get('bundle_s', 0.0):.2f}",
                f"{row.get('generator_s', 0.0):.2f}",
                f"{row['per_op_s'] * 1000:.0f} ms/op",
            ]
            for size, row in generation["synthetic"].items()
        ]
        out += _table(["spec", "total s", "bundle s", "generator s", "target / per op"], rows)
        whole = generation.get("whole_command_s")
        if whole:
            out.append(f"  python -m scripts.codegen --out DIR (all three, end to end): {_spread(whole, 2)} s")
        fit = generation.get("fit")
        if fit:
            met = _met(fit["loglog_slope"] <= TARGETS["generation_loglog_slope"])
            out.append(
                f"  fit: {fit['intercept_s']:.2f} s + {fit['per_op_s'] * 1000:.0f} ms per operation; log-log slope "
                f"between the two largest sizes {fit['loglog_slope']:.2f} (1.00 = linear; target <= "
                f"{TARGETS['generation_loglog_slope']:.2f}: {met})"
            )
        out.append("")

    shared = results.get("redis")
    if shared:
        out += render_redis(shared, _table)

    telemetry = results.get("telemetry")
    if telemetry:
        out += _telemetry_table(telemetry)

    if results.get("scale"):
        out += render_scale(results["scale"])

    rows = [[row["what"], row["target"], str(row["measured"]), _met(row["met"])] for row in results["targets"]]
    out += ["Targets (reported, not asserted)", *_table(["what", "target", "measured", ""], rows)]
    return "\n".join(out) + "\n"


def _telemetry_table(telemetry: dict[str, Any]) -> list[str]:
    out = [
        "OpenTelemetry instrumentation (sync; wall microseconds per call, median [p10-p90] over batches; off = not "
        "instrumented, noop = instrumented with no-op providers, sdk = SDK tracer and meter, spans dropped by the "
        "exporter; ratio and +us against off, cpu = the same ratio in client CPU time)"
    ]
    rows = [
        [
            key,
            _spread(row["wall_us"]["off"]),
            _spread(row["wall_us"]["noop"]),
            _spread(row["wall_us"]["sdk"]),
            f"{row['noop_ratio']:.3f} ({row['noop_added_us']:+.1f})",
            f"{row['sdk_ratio']:.3f} ({row['sdk_added_us']:+.1f})",
            f"{row['noop_cpu_ratio']:.3f} / {row['sdk_cpu_ratio']:.3f}",
        ]
        for key, row in telemetry.items()
    ]
    header = ["case", "off us", "noop us", "sdk us", "noop ratio (+us)", "sdk ratio (+us)", "cpu noop / sdk"]
    return out + _table(header, rows) + [""]


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write ``results`` to ``path`` (parents created), indented, keys in insertion order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
