"""Hostile-server figures for any version of the clients: how long each call takes to end, how much the process
grows, what it raises, and whether the same client then works.

    .venv/bin/python scripts/bench/hostile.py                  # this checkout
    PYTHONPATH=<other>:<other>/generated .venv/bin/python scripts/bench/hostile.py    # another version

Each scenario runs in a process of its own (so its peak RSS is its own, under an address-space limit), with the
servers of tests/_hostile.py in that process. One still running after ``--cap`` seconds is killed and reported as
such, with its peak RSS so far. Run it as a file, not with ``-m``: the version under test comes first on
``PYTHONPATH`` and may bring ``scripts`` and ``tests`` packages of its own. Prints a JSON line per scenario,
exchange and mode; ``--json`` writes them all. Figures, not assertions: the tests in tests/client assert.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import importlib
import importlib.util
import inspect
import json
import logging
import os
import pickle
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

HERE: Final = Path(__file__).resolve()
HELPER: Final = HERE.parents[2] / "tests" / "_hostile.py"
EXCHANGES: Final = ("backpack", "binance", "okx")
SIGNED: Final = {
    "backpack": ("account.get_max_borrow_quantity", "/api/v1/account/limits/borrow", {"symbol": "USDC"}),
    "binance": ("margin.query_max_borrow", "/sapi/v1/margin/maxBorrowable", {"asset": "BTC"}),
    "okx": ("account.get_max_loan", "/api/v5/account/max-loan", {"mgn_mode": "cross"}),
}
TIME_PATHS: Final = {"backpack": "/api/v1/time", "binance": "/api/v3/time", "okx": "/api/v5/public/time"}
# Made-up credentials in each exchange's format: the servers verify nothing.
CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "backpack": {"api_secret": base64.b64encode(bytes(range(32))).decode()},
    "binance": {"api_key": "K" * 64, "api_secret": "S" * 64},
    "okx": {"api_key": "0123abcd-0123-4567-89ab-0123456789ab", "api_secret": "F" * 32, "passphrase": "Phrase-42!"},
}
DEEP: Final = b"[" * 100_000 + b"]" * 100_000
DEEP_STATUSES: Final = (400, 401, 429, 500, 503)


def _helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_hostile", HELPER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_hostile"] = module
    spec.loader.exec_module(module)
    return module


def _client(exchange: str, base_url: str, timeout: float, **credentials: str) -> Any:
    factory = importlib.import_module(f"auth_plugins.{exchange}").make_client
    options: dict[str, Any] = {"base_url": base_url, "timeout": timeout, "rate_limit": False}
    if "max_retries" in inspect.signature(factory).parameters:  # before the one factory: retries as keywords
        options.update(backoff_base_s=0.005, backoff_cap_s=0.02)
    else:
        options["retry"] = importlib.import_module("auth_plugins").RetryPolicy(backoff_base_s=0.005, backoff_cap_s=0.02)
    return factory(**(credentials or CREDENTIALS[exchange]), **options)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Run:
    """One scenario's process: the helper module, its server and client, and what the scenario records."""

    hostile: ModuleType
    server: Any
    client: Any
    exchange: str
    mode: str
    timeout: float

    @property
    def signed(self) -> str:
        """The path of the signed operation called."""
        return SIGNED[self.exchange][1]

    def call(self, mode: str = "") -> str:
        """One signed call; ``"ok"`` or the class of what it raised."""
        dotted, _, arguments = SIGNED[self.exchange]
        module = importlib.import_module(f"{self.exchange}_client.api.{dotted}")
        try:
            if (mode or self.mode) == "sync":
                module.sync_detailed(client=self.client, **arguments)
            else:
                asyncio.run(module.asyncio_detailed(client=self.client, **arguments))
        except Exception as error:  # what escapes is the figure
            return f"{type(error).__module__}.{type(error).__name__}"
        return "ok"


def _scripted(make: Callable[[Run], Any]) -> Callable[[Run], list[str]]:
    """A scenario whose three next answers to the signed path are ``make(run)`` (enough for every retry)."""

    def scenario(run: Run) -> list[str]:
        run.server.script(run.signed, *[make(run) for _ in range(3)])
        return [run.call()]

    return scenario


def _stamp(exchange: str, received: Any) -> str:
    """The date a signed request was stamped with, or its milliseconds when they are no date."""
    if exchange == "okx":
        return str(received.headers.get("ok-access-timestamp"))
    if exchange == "backpack":
        text = received.headers.get("x-timestamp", "")
    else:
        text = received.target.partition("timestamp=")[2].partition("&")[0]
    try:
        return datetime.datetime.fromtimestamp(int(text) / 1000, datetime.UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return f"{text!r} ms (no date)"


def _server_time(raw: str) -> Callable[[Run], list[str]]:
    """A timestamp error, then ``raw`` as the server time; then a normal call: is the client still usable, and what
    does it stamp its request with?"""

    def scenario(run: Run) -> list[str]:
        run.server.script(run.signed, run.hostile.timestamp_error(run.exchange))
        run.server.script(TIME_PATHS[run.exchange], run.hostile.server_time(run.exchange, raw))
        found = [run.call()]
        before = len(run.server.received(run.signed))
        found.append("then " + run.call())
        sent = run.server.received(run.signed)[before:]
        found.append(f"stamped {_stamp(run.exchange, sent[-1])}" if sent else "then nothing sent")
        return found

    return scenario


def _deep(status: int) -> Callable[[Run], list[str]]:
    """JSON nested 100,000 deep with ``status``."""
    return _scripted(lambda run: run.hostile.answer(status, DEEP))


def _pickle(run: Run) -> list[str]:
    http = run.client.get_httpx_client()
    signer = http.pipeline.auth if hasattr(http, "pipeline") else getattr(http, "_auth", None)
    secrets = {name: value.encode() for name, value in CREDENTIALS[run.exchange].items() if name != "api_key"}
    if run.exchange == "backpack":
        secrets["seed"] = base64.b64decode(CREDENTIALS["backpack"]["api_secret"])
    found = []
    for name, target in (("signer", signer), ("client", run.client)):
        try:
            data = pickle.dumps(target)
        except Exception as error:
            found.append(f"{name}: {type(error).__name__}")
            continue
        inside = [secret for secret, value in secrets.items() if value in data]
        found.append(f"{name}: {len(data)} bytes holding {', '.join(inside) or 'no secret'}")
    return found


def _entered_twice(run: Run) -> list[str]:
    """``async with client`` in each of two ``asyncio.run`` calls."""
    dotted, _, arguments = SIGNED[run.exchange]
    module = importlib.import_module(f"{run.exchange}_client.api.{dotted}")

    async def entered() -> None:
        async with run.client:
            await module.asyncio_detailed(client=run.client, **arguments)

    found = []
    for _ in range(2):
        try:
            asyncio.run(entered())
            found.append("ok")
        except Exception as error:  # what escapes is the figure
            found.append(f"{type(error).__module__}.{type(error).__name__}")
    return found


def _many_clients(run: Run) -> list[str]:
    """``$HOSTILE_CLIENTS`` (default 1,500) clients with distinct credentials: the time to make the first and the
    last ten, then to redact a record."""
    count = int(os.environ.get("HOSTILE_CLIENTS", "1500"))
    times = []
    made = []
    for number in range(count):
        credentials = dict(CREDENTIALS[run.exchange])
        if run.exchange == "backpack":
            credentials["api_secret"] = base64.b64encode(number.to_bytes(32, "big")).decode()
        else:
            credentials["api_key"] = f"{number:08d}" + credentials["api_key"][8:]
        started = time.perf_counter()
        made.append(_client(run.exchange, run.server.base_url, run.timeout, **credentials))
        times.append(time.perf_counter() - started)
    redaction = importlib.import_module("auth_plugins._redaction")
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "GET %s", ("/x?a=1&signature=00",), None)
    started = time.perf_counter()
    for _ in range(1000):
        redaction.RedactingFilter().filter(record)
    per_record_us = (time.perf_counter() - started) * 1000
    return [
        f"clients 1-10: {sum(times[:10]) * 100:.2f} ms each",
        f"clients {count - 9}-{count}: {sum(times[-10:]) * 100:.2f} ms each",
        f"redacting a record: {per_record_us:.1f} us",
    ]


SCENARIOS: Final[dict[str, Callable[[Run], list[str]]]] = {
    "trickle": _scripted(lambda run: run.hostile.trickle(0.5)),
    "drip-status": _scripted(lambda run: run.hostile.drip_status(0.5)),
    "json-64mib": _scripted(lambda run: run.hostile.big_json(run.exchange, run.signed)),
    "endless-chunked": _scripted(lambda run: run.hostile.endless_chunked()),
    "gzip-bomb": _scripted(lambda run: run.hostile.gzip_bomb(run.exchange, run.signed)),
    **{f"deep-{status}": _deep(status) for status in DEEP_STATUSES},
    "server-time-1e20": _server_time("1" + "0" * 20),
    "server-time-0": _server_time("0"),
    "server-time-5": _server_time("5"),
    "pickle": _pickle,
    "two-loops": lambda run: [run.call("async"), run.call("async")],
    "two-loops-entered": _entered_twice,
    "many-clients": _many_clients,
}
# Scenarios after which a normal call shows whether the client recovered.
RECOVERY: Final = ("trickle", "drip-status", "json-64mib", "endless-chunked", "gzip-bomb", "deep-")


def _child(scenario: str, exchange: str, mode: str, timeout: float) -> dict[str, Any]:
    hostile = _helper()
    with hostile.HostileServer(exchange) as server:
        run = Run(hostile, server, _client(exchange, server.base_url, timeout), exchange, mode, timeout)
        warm = run.call()  # imports and the first connection paid before measuring
        if scenario == "gzip-bomb":
            hostile.gzip_bomb(exchange, run.signed)  # built (and cached) before measuring: it is the server's
        before, started = _rss_mib(), time.monotonic()
        outcomes = SCENARIOS[scenario](run)
        seconds, growth = time.monotonic() - started, _rss_mib() - before
        attempts = len(server.received(run.signed)) - 1
        if scenario.startswith(RECOVERY):
            server.reset()
            outcomes.append("then " + run.call())
    return {
        "warm": warm,
        "seconds": round(seconds, 2),
        "rss_growth_mib": round(growth, 1),
        "outcomes": outcomes,
        "signed_requests": attempts,
    }


def _peak_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _run(scenario: str, exchange: str, mode: str, options: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(HERE), "--child", scenario, exchange, mode, "--timeout", str(options.timeout)]
    command += ["--memory-mib", str(options.memory_mib)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
    peak = None
    while process.poll() is None and time.monotonic() - started < options.cap:
        peak = _peak_mib(process.pid) or peak
        time.sleep(0.2)
    if process.poll() is None:
        peak = _peak_mib(process.pid) or peak
        process.kill()
        process.communicate()
        return {"still_running_at_s": options.cap, "peak_rss_mib": peak}
    out, err = process.communicate()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        return {"crashed": (err.strip().splitlines() or ["no output"])[-1], "exit": process.returncode}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios (with ``--child``, one of them, in this process) and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=3, metavar=("SCENARIO", "EXCHANGE", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=1.0, help="the clients' timeout (default 1 s)")
    parser.add_argument("--cap", type=float, default=60.0, help="kill a scenario after this many seconds")
    parser.add_argument("--memory-mib", type=int, default=3072, help="address-space limit of each scenario")
    parser.add_argument("--modes", default="sync,async")
    parser.add_argument("--exchanges", default=",".join(EXCHANGES))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    options = parser.parse_args(argv)
    if options.child:
        limit = options.memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        scenario, exchange, mode = options.child
        print(json.dumps(_child(scenario, exchange, mode, options.timeout)), flush=True)
        return 0
    results = []
    for scenario in options.scenarios.split(","):
        modes = ["async"] if scenario.startswith("two-loops") else options.modes.split(",")
        for mode in modes:
            for exchange in options.exchanges.split(","):
                figures = _run(scenario, exchange, mode, options)
                results.append({"scenario": scenario, "exchange": exchange, "mode": mode, **figures})
                print(json.dumps(results[-1]), flush=True)
    if options.json:
        options.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
