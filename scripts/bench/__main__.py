"""``python -m scripts.bench``: run every benchmark, print the table, write the JSON (``make bench``).

Sections: ``percall``, ``fanout``, ``signing``, ``imports``, ``generation``, ``redis``, ``telemetry``, ``scale``
(default: all). Every run first verifies each benchmarked call against the real sandbox. ``--quick`` shrinks every
section to seconds (for the test that keeps this from rotting; its figures mean nothing) and calls one operation per
exchange, HTTP method and signing (``QUICK_CASES``), not every one.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from ._cases import CASES, FANOUT_CASES, QUICK_CASES, credentials
from ._fanout import run_fanout
from ._fresh import REPO
from ._generation import run_generation
from ._imports import run_imports
from ._percall import run_percall
from ._redis import run_redis
from ._report import render, targets, write_json
from ._scale import run_scale
from ._server import SERVER_KINDS, ServerProcess
from ._signing import SCHEMES, run_signing
from ._telemetry import run_telemetry
from ._verify import Verified, verify_cases

__all__ = ["Parameters", "main"]

SECTIONS: Final = ("percall", "fanout", "signing", "imports", "generation", "redis", "telemetry", "scale")
DEFAULT_JSON: Final = REPO / "build" / "bench.json"


@dataclass(frozen=True)
class Parameters:
    """How much of everything to run; :meth:`full` is ``make bench``, :meth:`quick` the smoke test."""

    percall_rounds: int
    percall_pairs: int
    percall_batch: int
    percall_warmup: int
    fanout_rounds: int
    fanout_pairs: int
    fanout_requests: int
    fanout_concurrency: tuple[int, ...]
    signing_rounds: int
    signing_batches: int
    signing_batch: int
    import_rounds: int
    generation_rounds: int
    generation_sizes: tuple[int, ...]
    generation_exchanges: tuple[str, ...]
    redis_batches: int
    redis_batch: int
    scale_sizes: tuple[int, ...]
    scale_rounds: int

    @classmethod
    def full(cls) -> Parameters:
        """The default run: about seven minutes on a 2-core machine, half of it the 1,000-operation generation."""
        return cls(
            percall_rounds=5,
            percall_pairs=12,
            percall_batch=20,
            percall_warmup=30,
            fanout_rounds=2,
            fanout_pairs=2,
            fanout_requests=500,
            fanout_concurrency=(50, 10),
            signing_rounds=3,
            signing_batches=5,
            signing_batch=1000,
            import_rounds=7,
            generation_rounds=2,
            generation_sizes=(10, 100, 1000),
            generation_exchanges=("backpack", "binance", "okx"),
            redis_batches=20,
            redis_batch=500,
            scale_sizes=(0, 50, 200),
            scale_rounds=5,
        )

    @classmethod
    def quick(cls) -> Parameters:
        """Seconds: one tiny round of everything, for the smoke test."""
        return cls(
            percall_rounds=1,
            percall_pairs=2,
            percall_batch=5,
            percall_warmup=5,
            fanout_rounds=1,
            fanout_pairs=1,
            fanout_requests=40,
            fanout_concurrency=(4,),
            signing_rounds=1,
            signing_batches=2,
            signing_batch=20,
            import_rounds=1,
            generation_rounds=1,
            generation_sizes=(1, 2),
            generation_exchanges=("backpack",),
            redis_batches=3,
            redis_batch=50,
            scale_sizes=(0, 1),
            scale_rounds=1,
        )


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs{f' ({model})' if model else ''}, "
        f"Python {platform.python_version()}, httpx {httpx.__version__}"
    )


def _cpus(pin: bool) -> tuple[int | None, int | None]:
    """(client CPU, server CPU) when pinning is asked for and at least two CPUs are available."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[0], available[-1]


def _method(p: Parameters, server: str, client_cpu: int | None, server_cpu: int | None) -> list[str]:
    pinning = (
        f"client processes pinned to CPU {client_cpu}, server to CPU {server_cpu}"
        if client_cpu is not None
        else "no CPU pinning"
    )
    return [
        f"server: {server} HTTP/1.1 keep-alive on 127.0.0.1 in its own process, answering each operation with its "
        f"documented 200 example and content type, no checks; {pinning}",
        "ours: auth_plugins.<exchange>.make_client(sandbox credentials, base_url=server) + generated "
        "<operation>.sync(**the spec's example arguments) (sign, generated code, parse into models); "
        "arguments built once",
        "floor: one plain httpx.Client(base_url=server), same method, path, query and body, unsigned, reading the "
        "whole body (no JSON decoding); both keep one keep-alive connection",
        f"per call: {p.percall_rounds} rounds in fresh processes; per case {p.percall_warmup} warm-up calls a side, "
        f"then {p.percall_pairs} times one {p.percall_batch}-call batch of each side (floor, params, generated, ours) "
        "in rotating order, timed with perf_counter_ns (wall) and process_time_ns (client CPU); GC on",
        "rate limiting: switched off with make_client(rate_limit=False)",
        f"fan-out: {p.fanout_requests} requests at concurrency C = {' and '.join(map(str, p.fanout_concurrency))} "
        "through <operation>.asyncio vs httpx.AsyncClient, both with Limits(max_connections=C, all kept alive), "
        f"4 C warm-up requests a side; {p.fanout_rounds} rounds in fresh processes of "
        f"{p.fanout_pairs} back-to-back pairs, order alternating (AB BA ...)",
        f"signing: next(auth.sync_auth_flow(request)) on prebuilt requests, {p.signing_batches} batches of "
        f"{p.signing_batch} after one warm-up batch, {p.signing_rounds} rounds in fresh processes",
        f"imports: best of {p.import_rounds} fresh interpreters each, bytecode compiled beforehand",
        f"generation: fresh process per run into temporary directories, {p.generation_rounds} runs per exchange; "
        f"synthetic specs of {', '.join(map(str, p.generation_sizes))} operations once each",
        f"redis: a private redis-server on 127.0.0.1 (pinned to the server CPU when pinning), in this process "
        f"{p.redis_batches} rounds of one {p.redis_batch}-call batch per side (ours: acquire + release; floors: one "
        "PING, one no-op EVALSHA) in rotating order after one warm-up batch each, sync and async",
        f"scale: N = {', '.join(map(str, p.scale_sizes))} synthetic endpoints per exchange in a temporary copy "
        f"(scripts/bench/_scale.py); imports best of {p.scale_rounds} fresh interpreters",
    ]


def _verification(verified: list[Verified]) -> dict[str, Any]:
    signed = sum(1 for v in verified if v.auth == "ok")
    return {
        "summary": (
            f"signatures verified: {signed} signed calls and {len(verified) - signed} public calls answered 200 "
            "by the sandbox, which validated each request against its spec and recomputed its signature"
        ),
        "cases": {v.case.key: {"auth": v.auth, "floor": v.floor.to_json()} for v in verified},
    }


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run (figures meaningless)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write results ({DEFAULT_JSON})")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help="comma-separated subset of " + ",".join(SECTIONS)
    )
    parser.add_argument("--server", choices=SERVER_KINDS, default="asyncio", help="benchmark server implementation")
    parser.add_argument("--no-pin", action="store_true", help="do not pin client and server to separate CPUs")
    parser.add_argument("--sizes", help="synthetic spec sizes for generation, e.g. 10,100,1000")
    parser.add_argument("--rounds", type=int, help="per-call rounds (fresh processes)")
    parser.add_argument("--requests", type=int, help="fan-out requests")
    parser.add_argument("--concurrency", help="fan-out concurrencies, e.g. 50,10")
    parser.add_argument("--scale-sizes", help="synthetic endpoints per exchange for the scale section, e.g. 0,50,200")
    parser.add_argument("--scale-tree", help="measure the scale section on this git revision instead of the tree")
    parser.add_argument(
        "--scale-make-test",
        action="store_true",
        help="scale section: also time the whole make test in each copy (about 5 to 10 minutes per size)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.sections.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return args


def _parameters(args: argparse.Namespace) -> Parameters:
    p = Parameters.quick() if args.quick else Parameters.full()
    changes: dict[str, Any] = {}
    if args.sizes:
        changes["generation_sizes"] = tuple(int(size) for size in args.sizes.split(","))
    if args.rounds:
        changes["percall_rounds"] = args.rounds
    if args.requests:
        changes["fanout_requests"] = args.requests
    if args.concurrency:
        changes["fanout_concurrency"] = tuple(int(c) for c in args.concurrency.split(","))
    if args.scale_sizes:
        changes["scale_sizes"] = tuple(int(size) for size in args.scale_sizes.split(","))
    return Parameters(**{**asdict(p), **changes})


class _Clock:
    """Wall time per section, for the budget (``meta.section_wall_s``); announces each section on stderr."""

    def __init__(self) -> None:
        self.sections: dict[str, float] = {}
        self._name: str | None = None
        self._start = time.perf_counter()

    def step(self, name: str, note: str = "") -> None:
        self.stop()
        print(f"... {name}{note}", file=sys.stderr, flush=True)
        self._name, self._start = name, time.perf_counter()

    def stop(self) -> None:
        if self._name is not None:
            self.sections[self._name] = round(time.perf_counter() - self._start, 1)
            self._name = None


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, print the report, write the JSON; return the exit status (0 unless it broke)."""
    args = _parse(argv)
    p = _parameters(args)
    sections = args.sections.split(",")
    client_cpu, server_cpu = _cpus(not args.no_pin)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": _machine(),
            "quick": args.quick,
            "server": args.server,
            "rate_limit_switched_off": True,
            "parameters": {
                "percall": {
                    "rounds": p.percall_rounds,
                    "pairs": p.percall_pairs,
                    "batch": p.percall_batch,
                    "warmup": p.percall_warmup,
                },
                "fanout": {
                    "rounds": p.fanout_rounds,
                    "pairs": p.fanout_pairs,
                    "requests": p.fanout_requests,
                    "concurrency": p.fanout_concurrency,
                },
                "signing": {"rounds": p.signing_rounds, "batches": p.signing_batches, "batch": p.signing_batch},
                "imports": {"rounds": p.import_rounds},
                "generation": {
                    "rounds": p.generation_rounds,
                    "sizes": list(p.generation_sizes),
                    "exchanges": list(p.generation_exchanges),
                },
                "redis": {"batches": p.redis_batches, "batch": p.redis_batch},
                "scale": {"sizes": list(p.scale_sizes), "rounds": p.scale_rounds},
            },
            "method": _method(p, args.server, client_cpu, server_cpu),
        }
    }
    clock = _Clock()
    clock.step("verification")
    verified = verify_cases(QUICK_CASES if args.quick else CASES)
    results["verification"] = _verification(verified)
    creds = credentials()
    items = [{"case": asdict(v.case), "floor": v.floor.to_json()} for v in verified]
    floors = {v.case.key: v.floor.to_json() for v in verified}

    if {"percall", "fanout", "telemetry"} & set(sections):
        with ServerProcess(args.server, cpu=server_cpu) as server:
            if "percall" in sections:
                clock.step("per_call")
                results["per_call"] = run_percall(
                    server.base_url,
                    items,
                    creds,
                    rounds=p.percall_rounds,
                    pairs=p.percall_pairs,
                    batch=p.percall_batch,
                    warmup=p.percall_warmup,
                    cpu=client_cpu,
                )
            if "fanout" in sections:
                clock.step("fanout")
                fanout_items = [item for item in items if any(item["case"] == asdict(c) for c in FANOUT_CASES)]
                results["fanout"] = run_fanout(
                    server.base_url,
                    fanout_items,
                    creds,
                    rounds=p.fanout_rounds,
                    pairs=p.fanout_pairs,
                    requests=p.fanout_requests,
                    concurrency=p.fanout_concurrency,
                    cpu=client_cpu,
                )
            if "telemetry" in sections:
                clock.step("telemetry")
                results["telemetry"] = run_telemetry(
                    server.base_url,
                    items,
                    creds,
                    rounds=p.percall_rounds,
                    pairs=p.percall_pairs,
                    batch=p.percall_batch,
                    warmup=p.percall_warmup,
                    cpu=client_cpu,
                )
    if "signing" in sections:
        clock.step("signing")
        requests = {scheme: floors[key] for scheme, key in SCHEMES.items()}
        results["signing"] = run_signing(
            requests,
            creds,
            rounds=p.signing_rounds,
            batches=p.signing_batches,
            batch=p.signing_batch,
            cpu=client_cpu,
        )
    if "imports" in sections:
        clock.step("imports")
        results["imports"] = run_imports(rounds=p.import_rounds)
    if "generation" in sections:
        clock.step("generation", " (a 1,000-operation spec takes minutes)")
        results["generation"] = run_generation(
            rounds=p.generation_rounds,
            sizes=p.generation_sizes,
            exchanges=p.generation_exchanges,
            whole_command=not args.quick,
        )
    if "redis" in sections:
        clock.step("redis")
        results["redis"] = run_redis(batches=p.redis_batches, batch=p.redis_batch, cpu=server_cpu)
    if "scale" in sections:
        clock.step("scale", " (a copy of the repository per size; minutes at 200 endpoints)")
        results["scale"] = run_scale(
            sizes=p.scale_sizes,
            rounds=p.scale_rounds,
            tree=args.scale_tree,
            quick=args.quick,
            make_test=args.scale_make_test,
        )
    clock.stop()
    results["targets"] = targets(results)
    results["meta"]["section_wall_s"] = clock.sections
    results["meta"]["wall_s"] = round(time.perf_counter() - started, 1)
    write_json(results, args.json)
    print(render(results), end="")
    print(f"\n(wall time {results['meta']['wall_s']} s; JSON written to {args.json})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
