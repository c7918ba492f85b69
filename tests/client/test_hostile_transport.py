"""Hostile servers at the transport: a trickled body or a dripped status line ends each attempt at its deadline,
and a body past the size cap (a 64 MiB JSON, an endless chunked body, a gzip bomb) ends it at once; each call
raises its typed error within attempts x timeout plus the retry waits, the client hangs up on the server, the
memory a call takes stays within a few times the cap (measured in a subprocess), and the same client then
succeeds on a normal answer. Sync and async, every exchange, on tests/_hostile.py's raw-socket servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, Final

import pytest

from auth_plugins import RequestTimeoutError, ResponseError, RetryPolicy
from auth_plugins._factory import DEFAULT_MAX_RESPONSE_BYTES
from tests._exchanges import EXCHANGES, MODES, NAMES, Exchange, call, sample
from tests._hostile import (
    Answer,
    HostileServer,
    MiB,
    OpenClient,
    answer,
    big_json,
    documented,
    drip_status,
    endless_chunked,
    gzip_bomb,
    trickle,
)
from tests._specs import REPO

TIMEOUT_S: Final = 0.2
RETRY: Final = RetryPolicy(max_retries=1, backoff_base_s=0.005, backoff_cap_s=0.02)
ATTEMPTS: Final = RETRY.max_retries + 1
# A loaded machine may add this much to a call; without the deadline a trickle lasts until the server gives up.
SLACK_S: Final = 1.5
GIVE_UP_S: Final = 6.0
BOUND_S: Final = ATTEMPTS * TIMEOUT_S + RETRY.max_retries * RETRY.backoff_cap_s + SLACK_S


def _client(opened: OpenClient, exchange: Exchange, server: HostileServer, **options: Any) -> Any:
    return opened(exchange, server, **{"timeout": TIMEOUT_S, "retry": RETRY, **options})


def _outcome(client: Any, exchange: Exchange, mode: str) -> tuple[Exception | None, float]:
    """One call of the exchange's signed operation on ``client`` (left open): what it raised, and how long it took."""
    started = time.monotonic()
    try:
        call(client, exchange.module(), mode, sample(exchange.name, exchange.signed[1]), enter=False)
    except Exception as error:  # a raw exception too: it fails the assertions, not the test
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def _assert_hung_up(server: HostileServer, count: int) -> None:
    """The client closed each of the ``count`` connections that got a scripted answer (within a generous wait)."""
    until = time.monotonic() + 3.0
    while time.monotonic() < until:
        peers = server.scripted_peers()
        if len(peers) == count and all(peer.gone_at is not None for peer in peers):
            return
        time.sleep(0.02)
    gone = [peer.gone_at is not None for peer in server.scripted_peers()]
    raise AssertionError(f"expected {count} scripted connections, all closed by the client; saw {gone}")


def _assert_recovers(client: Any, exchange: Exchange, server: HostileServer, mode: str) -> None:
    server.reset()
    error, _ = _outcome(client, exchange, mode)
    assert error is None, repr(error)
    assert len(server.received(exchange.path)) == 1


def _assert_ends_at_the_deadlines(
    opened: OpenClient, server: HostileServer, exchange: Exchange, mode: str, slow: Answer
) -> None:
    server.script(exchange.path, *[slow for _ in range(ATTEMPTS)])
    client = _client(opened, exchange, server)
    error, seconds = _outcome(client, exchange, mode)
    assert type(error) is RequestTimeoutError, repr(error)
    assert error.operation == f"GET {exchange.path}"
    assert seconds < BOUND_S, f"{seconds:.2f} s"
    assert len(server.received(exchange.path)) == ATTEMPTS
    _assert_hung_up(server, ATTEMPTS)
    _assert_recovers(client, exchange, server, mode)


# One byte every 50 ms: no single read ever waits as long as the timeout, so only the deadline can end the call.


@pytest.mark.parametrize("mode", MODES)
def test_a_trickled_body_ends_at_each_attempts_deadline(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str
) -> None:
    _assert_ends_at_the_deadlines(opened, hostile, exchange, mode, trickle(0.05, give_up_s=GIVE_UP_S))


@pytest.mark.parametrize("mode", MODES)
def test_a_dripped_status_line_ends_at_each_attempts_deadline(
    opened: OpenClient, hostile_servers: dict[str, HostileServer], mode: str
) -> None:
    # The status line is read before anything exchange-specific happens: one exchange stands for all three.
    server = hostile_servers["binance"]
    server.reset()
    _assert_ends_at_the_deadlines(opened, server, EXCHANGES["binance"], mode, drip_status(0.05, give_up_s=GIVE_UP_S))


def _deflate_bomb(exchange: str, path: str) -> Answer:
    return gzip_bomb(exchange, path, 64, encoding="deflate")


def _endless(exchange: str, path: str) -> Answer:
    return endless_chunked()


OVERSIZED: Final[dict[str, tuple[Callable[[str, str], Answer], str]]] = {
    # case: (answer for exchange and path, which count passes the cap)
    "json-64mib": (big_json, "raw"),
    "endless-chunked": (_endless, "raw"),
    "gzip-bomb": (gzip_bomb, "decoded"),
    "deflate-bomb": (_deflate_bomb, "decoded"),
}
# The answers that keep sending: only a client that hangs up ends them (a bomb is all in the socket buffers).
STREAMED: Final = ("json-64mib", "endless-chunked")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(OVERSIZED))
def test_a_body_past_the_cap_is_a_response_error_and_the_connection_is_closed(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str, case: str
) -> None:
    make, counted = OVERSIZED[case]
    hostile.script(exchange.path, make(exchange.name, exchange.path))
    client = _client(opened, exchange, hostile)
    error, seconds = _outcome(client, exchange, mode)
    assert type(error) is ResponseError, repr(error)
    assert error.status == 200
    assert f"the {counted} body exceeds the client's cap of {DEFAULT_MAX_RESPONSE_BYTES} bytes" in error.message
    assert seconds < BOUND_S, f"{seconds:.2f} s"
    assert len(hostile.received(exchange.path)) == 1  # a broken contract is not retried
    if case in STREAMED:
        _assert_hung_up(hostile, 1)
    _assert_recovers(client, exchange, hostile, mode)


@pytest.mark.parametrize("mode", MODES)
def test_the_cap_is_the_clients_own_and_an_encoding_it_did_not_offer_is_refused(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str
) -> None:
    normal = documented(exchange.name, exchange.path)
    small = _client(opened, exchange, hostile, max_response_bytes=16)
    hostile.script(exchange.path, normal)
    error, _ = _outcome(small, exchange, mode)
    assert type(error) is ResponseError and "cap of 16 bytes" in error.message, repr(error)
    roomy = _client(opened, exchange, hostile, max_response_bytes=4096)
    assert _outcome(roomy, exchange, mode)[0] is None
    hostile.script(exchange.path, answer(200, b"\x00" * 64, headers=[("Content-Encoding", "br")]))
    error, _ = _outcome(roomy, exchange, mode)
    assert type(error) is ResponseError and "content encoding 'br'" in error.message, repr(error)
    _assert_recovers(roomy, exchange, hostile, mode)


# Run in a fresh interpreter: peak RSS before and after the hostile calls, under an address-space limit so that an
# unbounded read fails with MemoryError instead of taking the machine's memory.
_MEASURE: Final = """
import json, resource, sys
from auth_plugins import RetryPolicy
from tests._exchanges import EXCHANGES, call, sample
limit = 1536 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
mode, urls, cases = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
clients = {
    name: EXCHANGES[name].make(url, rate_limit=False, timeout=10, retry=RetryPolicy(max_retries=0))
    for name, url in urls.items()
}
def once(name):
    facts = EXCHANGES[name]
    try:
        call(clients[name], facts.module(), mode, sample(name, facts.signed[1]), enter=False)
    except Exception as error:
        return type(error).__name__
    return "ok"
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
warm = [once(name) for name in clients]  # imports and first connections before measuring
before = peak()
outcomes = [once(name) for name in clients for _ in range(cases)]
print(json.dumps({"warm": warm, "outcomes": outcomes, "growth": peak() - before}))
"""
# Chunks, the joined body and the decoder's window may each hold about the cap at once; a read that is not
# bounded takes 64 MiB and more here.
MEMORY_BOUND: Final = 6 * DEFAULT_MAX_RESPONSE_BYTES


@pytest.mark.parametrize("mode", MODES)
def test_an_oversized_body_takes_memory_of_about_the_cap_only(
    hostile_servers: dict[str, HostileServer], mode: str
) -> None:
    hostile = [big_json, _endless, gzip_bomb]
    for name in NAMES:
        server, path = hostile_servers[name], EXCHANGES[name].path
        server.reset()
        server.script(path, documented(name, path), *[make(name, path) for make in hostile])
    urls = {name: hostile_servers[name].base_url for name in NAMES}
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, mode, json.dumps(urls), str(len(hostile))],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["warm"] == ["ok"] * len(NAMES)
    assert figures["outcomes"] == ["ResponseError"] * (len(NAMES) * len(hostile))
    assert figures["growth"] <= MEMORY_BOUND, f"peak RSS grew by {figures['growth'] / MiB:.1f} MiB"
