"""Async fan-out: N requests at concurrency C through our ``asyncio`` calls versus a plain ``httpx.AsyncClient``.

C workers share one iterator of N request slots and each awaits its calls one after another, so exactly C
requests are in flight until the slots run out. Both sides use the same ``httpx.Limits`` (C connections, all
kept alive) against the same server; rate limiting is switched off when the factory has the switch. Each
round is a fresh process running, per case, a warm-up of both sides and then ``pairs`` back-to-back runs of
ours and the floor, in an order that alternates (AB BA AB ...). The per-pair ratio is the robust figure:
at high concurrency httpx's connection pool makes throughput swing between runs, for both sides alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ._cases import Case, FloorRequest, api_module, make_ours, sample_kwargs
from ._fresh import run_rounds, worker_main
from ._stats import summary

__all__ = ["run_fanout"]


async def _run(call: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> tuple[float, float]:
    """Requests per second (wall) and client CPU microseconds per request of one run."""
    slots = iter(range(requests))

    async def worker() -> None:
        for _ in slots:
            await call()

    cpu, start = time.process_time_ns(), time.perf_counter_ns()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall_s = (time.perf_counter_ns() - start) / 1e9
    return requests / wall_s, (time.process_time_ns() - cpu) / requests / 1000


async def _measure_case(item: dict[str, Any], payload: dict[str, Any], concurrency: int) -> dict[str, list[float]]:
    case, floor = Case(**item["case"]), FloorRequest(**item["floor"])
    base_url, requests = payload["base_url"], payload["requests"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    kwargs = sample_kwargs(case)
    call = api_module(case).asyncio
    content = floor.body.encode("utf-8")
    headers = {"Content-Type": floor.content_type} if floor.content_type else {}
    client = make_ours(case, payload["credentials"], base_url, limits=limits)
    async with client, httpx.AsyncClient(base_url=base_url, limits=limits) as raw:

        async def ours() -> object:
            return await call(client=client, **kwargs)

        async def floor_call() -> object:
            return (await raw.request(floor.method, floor.target, content=content, headers=headers)).content

        if await ours() is None:
            raise RuntimeError(f"{case.key}: the benchmark server did not answer 200")
        await _run(ours, concurrency * 4, concurrency)
        await _run(floor_call, concurrency * 4, concurrency)
        rates: dict[str, list[float]] = {"ours": [], "floor": [], "ours_cpu": [], "floor_cpu": []}
        for pair in range(payload["pairs"]):
            order = ("ours", "floor") if (pair + payload["round"]) % 2 == 0 else ("floor", "ours")
            for side in order:
                rate, cpu_us = await _run(ours if side == "ours" else floor_call, requests, concurrency)
                rates[side].append(rate)
                rates[f"{side}_cpu"].append(cpu_us)
        return rates


def _label(key: str, concurrency: int) -> str:
    return f"{key} C={concurrency}"


def _measure(payload: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    return {
        _label(Case(**item["case"]).key, concurrency): asyncio.run(_measure_case(item, payload, concurrency))
        for item in payload["cases"]
        for concurrency in payload["concurrency"]
    }


def run_fanout(
    base_url: str,
    cases: list[dict[str, Any]],
    credentials: dict[str, dict[str, str]],
    *,
    rounds: int,
    pairs: int,
    requests: int,
    concurrency: tuple[int, ...],
    cpu: int | None,
) -> dict[str, Any]:
    """Run ``rounds`` fresh worker processes of ``pairs`` pairs each, per case at each ``concurrency``
    (keys ``"<case> C=<concurrency>"``); per case and concurrency, requests per second of ours and
    of the floor (median, p10, p90 over runs), ``ratio`` = median ours / median floor (higher is better, 1.0 is
    the floor), ``ratio_paired``: the median and p10-p90 of ours / floor within each back-to-back pair, and the
    client CPU microseconds per request of each side (``ours_cpu_us``, ``floor_cpu_us``)."""
    payload = {
        "base_url": base_url,
        "cases": cases,
        "credentials": credentials,
        "requests": requests,
        "concurrency": list(concurrency),
        "pairs": pairs,
        "cpu": cpu,
    }
    merged = run_rounds("_fanout", rounds, payload)
    out: dict[str, Any] = {}
    for key, per_side in merged.items():
        ours, floor = summary(per_side["ours"]), summary(per_side["floor"])
        paired = summary([o / f for o, f in zip(per_side["ours"], per_side["floor"], strict=True)])
        out[key] = {
            "concurrency": int(key.rsplit("C=", 1)[1]),
            "ours_rps": ours,
            "floor_rps": floor,
            "ratio": round(ours["median"] / floor["median"], 3),
            "ratio_paired": paired,
            "ours_cpu_us": summary(per_side["ours_cpu"]),
            "floor_cpu_us": summary(per_side["floor_cpu"]),
        }
    return out


if __name__ == "__main__":
    worker_main(_measure)
