"""Per-call cost: one sync call through our factory client against the same request sent raw, unsigned.

Five sides per case, each its own keep-alive connection to the same server, so the difference between
neighbours says where the time goes:

- ``httpcore``: one raw ``httpcore`` request on a pooled keep-alive connection (``ConnectionPool`` of one), the
  layer a factory-made client drives: the verified request's method, target and body, unsigned, with only the
  headers HTTP/1.1 needs (``Host``, and ``Content-Type`` and ``Content-Length`` with a body), the whole body read.
- ``least``: the least any client that drives httpcore must do for this call, on the same pool: the exact
  request ours sends (its signed target, every header and the body, captured from one call of ours), the bare
  signature primitive of its scheme on a payload of the signed string's length (``_signing``'s primitive, with
  no timestamp, canonical string or header building), and the body parsed into the generated model
  (``json.loads`` + ``from_dict``). No validation, response check, retry, rate limit, deadline or redaction.
  ``least`` over ``httpcore`` is the lowest ratio to raw httpcore any implementation on httpcore can reach.
- ``floor``: a plain ``httpx.Client(base_url=...)`` sending the verified request's method, raw path with
  query and body, unsigned, and reading the whole body (no JSON decoding). This is the issue's floor.
- ``params``: the same plain client, but given the query as a dict (``params=``) and the body as ``json=``,
  the way the generated code hands them to httpx: the cost of httpx encoding them.
- ``generated``: the generated ``sync`` on the generated ``AuthenticatedClient`` built directly with the same
  options but no signer: generated code and parsing into models.
- ``ours``: ``<operation>.sync(client=make_client(...), **sample arguments)``; what ``generated`` lacks is
  the factory's work: the signer plus anything else the factory plugs in.

Each round is a fresh process; inside it, per case, every side warms up, then each "pair" times one batch
of every side in an order that rotates, with ``perf_counter_ns`` over the batch divided by its size. The
client process's CPU time (``process_time_ns``) is kept too: it leaves out the server and the loopback, and
what other processes on the machine do, so it shows the client-side cost alone and drifts less under load.
"""

from __future__ import annotations

import importlib
import json
import time
import typing
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl

import httpcore
import httpx

from ._cases import Case, FloorRequest, api_module, make_ours, sample_kwargs
from ._fresh import run_rounds, worker_main
from ._signing import primitive
from ._stats import percentile, summary

__all__ = ["SIDES", "run_percall"]

SIDES: Final = ("httpcore", "least", "floor", "params", "generated", "ours")

_STALLED_US: Final = 20_000.0
_API_KEY_HEADERS: Final = {"backpack": "X-API-Key", "binance": "X-MBX-APIKEY", "okx": "OK-ACCESS-KEY"}


def _batch(call: Callable[[], object], size: int) -> tuple[float, float]:
    """Wall and process-CPU microseconds per call over a batch of ``size`` calls."""
    cpu, start = time.process_time_ns(), time.perf_counter_ns()
    for _ in range(size):
        call()
    return (time.perf_counter_ns() - start) / size / 1000, (time.process_time_ns() - cpu) / size / 1000


def _raw_sides(raw: httpx.Client, floor: FloorRequest) -> tuple[Callable[[], object], Callable[[], object]]:
    """The ``floor`` and ``params`` calls; each raises unless the server answered 200."""
    path, _, query = floor.target.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    body = floor.body.encode("utf-8")
    headers = {"Content-Type": floor.content_type} if floor.content_type else {}
    document = json.loads(body) if body else None

    def floor_call() -> object:
        if not body:
            return raw.request(floor.method, floor.target).content
        return raw.request(floor.method, floor.target, content=body, headers=headers).content

    def params_call() -> object:
        return raw.request(floor.method, path, params=params, json=document).content

    return floor_call, params_call


def _core_side(pool: httpcore.ConnectionPool, base_url: str, floor: FloorRequest) -> Callable[[], object]:
    """The ``httpcore`` call; raises unless the server answered 200."""
    url = httpx.URL(base_url)
    body = floor.body.encode("utf-8")
    headers = [(b"Host", url.netloc)]
    if body:
        headers += [
            (b"Content-Type", (floor.content_type or "application/json").encode()),
            (b"Content-Length", b"%d" % len(body)),
        ]
    target = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=floor.target.encode())
    method = floor.method.encode()

    def core_call() -> object:
        response = pool.request(method, target, headers=headers, content=body or None)
        if response.status != 200:
            raise RuntimeError(f"httpcore side: {response.status}")
        return response.content

    return core_call


def _sent_by(client: Any, call: Callable[[], object]) -> httpx.Request:
    """The request ``call`` sends through the factory-made ``client`` (captured at its connection)."""
    connection = client.get_httpx_client()._connection
    seen: list[httpx.Request] = []
    send: Callable[[httpx.Request], httpx.Response] = connection.handle_request

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return send(request)

    connection.handle_request = capture
    try:
        call()
    finally:
        del connection.handle_request
    return seen[-1]


def _least_side(pool: httpcore.ConnectionPool, case: Case, sent: httpx.Request) -> Callable[[], object]:
    """The ``least`` call (see the module docstring); raises unless the server answered 200."""
    url = sent.url
    target = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)
    method, headers, body = sent.method.encode(), list(sent.headers.raw), sent.content or None
    sign = None if case.scheme == "public" else primitive(case.scheme, len(url.raw_path) + len(body or b"") + 40)
    model = typing.get_type_hints(api_module(case).sync)["return"]
    parse = getattr(model, "from_dict", None)

    def least_call() -> object:
        if sign is not None:
            sign()
        response = pool.request(method, target, headers=headers, content=body)
        if response.status != 200:
            raise RuntimeError(f"least side: {response.status}")
        content = response.content
        return parse(json.loads(content)) if parse is not None else content

    return least_call


def _unsigned_client(case: Case, base_url: str) -> Any:
    """The generated ``AuthenticatedClient`` with the factory's options but without its signer."""
    package = importlib.import_module(f"{case.exchange}_client")
    return package.AuthenticatedClient(
        base_url=base_url,
        token="benchmark-key",
        prefix="",
        auth_header_name=_API_KEY_HEADERS[case.exchange],
        timeout=httpx.Timeout(10.0),
        follow_redirects=False,
    )


def _measure_case(item: dict[str, Any], payload: dict[str, Any]) -> dict[str, list[float]]:
    case, floor = Case(**item["case"]), FloorRequest(**item["floor"])
    base_url, size = payload["base_url"], payload["batch"]
    kwargs = sample_kwargs(case)
    sync = api_module(case).sync
    with (
        make_ours(case, payload["credentials"], base_url) as client,
        _unsigned_client(case, base_url) as unsigned,
        httpx.Client(base_url=base_url) as raw,
        httpcore.ConnectionPool(max_connections=1, max_keepalive_connections=1) as pool,
    ):
        floor_call, params_call = _raw_sides(raw, floor)
        core_call = _core_side(pool, base_url, floor)

        def generated() -> object:
            return sync(client=unsigned, **kwargs)

        def ours() -> object:
            return sync(client=client, **kwargs)

        calls = {
            "httpcore": core_call,
            "least": _least_side(pool, case, _sent_by(client, ours)),
            "floor": floor_call,
            "params": params_call,
            "generated": generated,
            "ours": ours,
        }
        probe = raw.request(floor.method, floor.target, content=floor.body.encode("utf-8"))
        if probe.status_code != 200 or ours() is None or generated() is None:
            raise RuntimeError(f"{case.key}: the benchmark server did not answer 200")
        warm = {side: _batch(calls[side], payload["warmup"])[0] for side in SIDES}
        if warm["ours"] > _STALLED_US and warm["ours"] > 20 * warm["floor"]:
            # A limiter gate honouring documented limits would make this a benchmark of its sleeps.
            raise RuntimeError(f"{case.key}: {warm['ours']:.0f} us per call; is the client rate limited or stalled?")
        times: dict[str, list[float]] = {key: [] for side in SIDES for key in (side, f"{side}_cpu")}
        for pair in range(payload["pairs"]):
            shift = (pair + payload["round"]) % len(SIDES)
            for side in SIDES[shift:] + SIDES[:shift]:
                wall, cpu = _batch(calls[side], size)
                times[side].append(wall)
                times[f"{side}_cpu"].append(cpu)
    return times


def _measure(payload: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    items: list[dict[str, Any]] = payload["cases"]
    # Rotate the case order per round so no case always runs first (coldest) or last.
    shift = payload["round"] % len(items)
    return {Case(**item["case"]).key: _measure_case(item, payload) for item in items[shift:] + items[:shift]}


def _steps(median: dict[str, float]) -> dict[str, float]:
    return {
        "httpx_client": round(median["floor"] - median["httpcore"], 1),
        "httpx_params": round(median["params"] - median["floor"], 1),
        "generated_and_parsing": round(median["generated"] - median["params"], 1),
        "factory_and_signing": round(median["ours"] - median["generated"], 1),
    }


def run_percall(
    base_url: str,
    cases: list[dict[str, Any]],
    credentials: dict[str, dict[str, str]],
    *,
    rounds: int,
    pairs: int,
    batch: int,
    warmup: int,
    cpu: int | None,
) -> dict[str, Any]:
    """Run ``rounds`` fresh worker processes and aggregate per case.

    ``cases`` are ``{"case": Case fields, "floor": FloorRequest fields}``. Per case: microseconds per call of
    each side (median, p10, p90 over all batches of all rounds), ``ratio`` = median ours / median floor with
    the median and p10-p90 of the per-pair ratios, ``steps_us``: the median differences between neighbouring
    sides, and the same for the client's CPU time per call (``cpu_us``, ``cpu_ratio``).
    """
    payload = {
        "base_url": base_url,
        "cases": cases,
        "credentials": credentials,
        "pairs": pairs,
        "batch": batch,
        "warmup": warmup,
        "cpu": cpu,
    }
    merged = run_rounds("_percall", rounds, payload)
    out: dict[str, Any] = {}
    for item in cases:
        case = Case(**item["case"])
        times = merged[case.key]
        stats = {side: summary(times[side]) for side in SIDES}
        median = {side: stats[side]["median"] for side in SIDES}
        pair_ratios = [o / f for o, f in zip(times["ours"], times["floor"], strict=True)]
        core_ratios = [o / f for o, f in zip(times["ours"], times["httpcore"], strict=True)]
        least_ratios = [o / f for o, f in zip(times["least"], times["httpcore"], strict=True)]
        cpu_stats = {side: summary(times[f"{side}_cpu"]) for side in SIDES}
        out[case.key] = {
            "exchange": case.exchange,
            "operation": case.operation,
            "scheme": case.scheme,
            "primary": case.primary,
            "method": item["floor"]["method"],
            "target": item["floor"]["target"],
            "ours_us": stats["ours"],
            "floor_us": stats["floor"],
            "params_us": stats["params"],
            "generated_us": stats["generated"],
            "overhead_us": round(median["ours"] - median["floor"], 1),
            "steps_us": _steps(median),
            "ratio": round(median["ours"] / median["floor"], 3),
            "ratio_paired": round(percentile(pair_ratios, 50), 3),
            "ratio_p10": round(percentile(pair_ratios, 10), 3),
            "ratio_p90": round(percentile(pair_ratios, 90), 3),
            "httpcore_us": stats["httpcore"],
            "ratio_httpcore": round(median["ours"] / median["httpcore"], 3),
            "ratio_httpcore_paired": round(percentile(core_ratios, 50), 3),
            "ratio_httpcore_p10": round(percentile(core_ratios, 10), 3),
            "ratio_httpcore_p90": round(percentile(core_ratios, 90), 3),
            "floor_over_httpcore": round(median["floor"] / median["httpcore"], 3),
            "least_us": stats["least"],
            "least_over_httpcore": round(median["least"] / median["httpcore"], 3),
            "least_over_httpcore_paired": round(percentile(least_ratios, 50), 3),
            "least_over_httpcore_p10": round(percentile(least_ratios, 10), 3),
            "least_over_httpcore_p90": round(percentile(least_ratios, 90), 3),
            "cpu_us": cpu_stats,
            "cpu_steps_us": _steps({side: cpu_stats[side]["median"] for side in SIDES}),
            "cpu_ratio": round(cpu_stats["ours"]["median"] / cpu_stats["floor"]["median"], 3),
            "cpu_ratio_httpcore": round(cpu_stats["ours"]["median"] / cpu_stats["httpcore"]["median"], 3),
        }
    return out


if __name__ == "__main__":
    worker_main(_measure)
