"""Clock re-sync: measuring the offset to the exchange's server time on demand, and recovering by itself from a
skewed clock with exactly one re-sync, sync and async, against the sandbox's skewable clock."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import httpx
import pytest

from auth_plugins import ServiceUnavailableError, TimestampError, aresync_clock, resync_clock
from auth_plugins.sandbox import Sandbox
from tests._exchanges import EXCHANGES, FAST, MODES, NAMES, NO_RETRY, assert_fresh_and_valid, sample

SKEW_MS: Final = 120_000
# Loopback round trips take a few milliseconds; the midpoint estimate is off by at most half of one.
TOLERANCE_MS: Final = 250
# What each exchange answers a request signed with a stale or future timestamp (the sandbox's codes).
TIMESTAMP_VERDICT: Final = {"backpack": "UNAUTHORIZED", "binance": "-1021", "okx": "50102"}


def _server_time_calls(sbx: Sandbox, exchange: str) -> int:
    return sum(record.operation_id == "get_server_time" for record in sbx.requests(exchange))


def _measure_then_call(client: Any, exchange: str, mode: str) -> int:
    """``resync_clock`` (or ``aresync_clock``) then one signed call, in one open client; returns the offset."""
    endpoint = EXCHANGES[exchange].module()
    kwargs = sample(exchange, EXCHANGES[exchange].signed[1])
    if mode == "sync":
        with client:
            offset = resync_clock(client)
            endpoint.sync_detailed(client=client, **kwargs)
        return offset

    async def run() -> int:
        async with client:
            offset = await aresync_clock(client)
            await endpoint.asyncio_detailed(client=client, **kwargs)
        return offset

    return asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
@pytest.mark.parametrize("skew_ms", [SKEW_MS, -SKEW_MS, 0])
def test_resync_clock_measures_the_offset_and_the_signer_uses_it(
    sbx: Sandbox, mode: str, exchange: str, skew_ms: int
) -> None:
    sbx.skew_ms = skew_ms
    client = EXCHANGES[exchange].client(sbx)
    offset = _measure_then_call(client, exchange, mode)
    assert abs(offset - skew_ms) < TOLERANCE_MS
    assert client.get_httpx_client().pipeline.signer.offset_ms == offset
    assert [record.operation_id for record in sbx.requests(exchange)] == [
        "get_server_time",
        EXCHANGES[exchange].signed[1],
    ]
    signed = EXCHANGES[exchange].attempts(sbx)
    assert [record.auth for record in signed] == ["ok"]
    assert signed[0].timestamp_ms is not None
    assert abs(signed[0].timestamp_ms - signed[0].received_ms) < TOLERANCE_MS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exchange", NAMES)
@pytest.mark.parametrize("skew_ms", [SKEW_MS, -SKEW_MS])
def test_a_skewed_server_clock_is_recovered_from_with_one_resync(
    sbx: Sandbox, mode: str, exchange: str, skew_ms: int
) -> None:
    sbx.skew_ms = skew_ms
    assert EXCHANGES[exchange].invoke(sbx, mode, **FAST).status_code == 200
    operation_id = EXCHANGES[exchange].signed[1]
    assert [record.operation_id for record in sbx.requests(exchange)] == [operation_id, "get_server_time", operation_id]
    first, retry = EXCHANGES[exchange].attempts(sbx)
    assert first.auth == TIMESTAMP_VERDICT[exchange]
    assert_fresh_and_valid(EXCHANGES[exchange], [retry])
    assert retry.timestamp_ms is not None and first.timestamp_ms is not None
    assert abs(retry.timestamp_ms - first.timestamp_ms - skew_ms) < TOLERANCE_MS


@pytest.mark.parametrize("mode", MODES)
def test_the_resync_happens_with_retries_off_and_only_once(sbx: Sandbox, mode: str) -> None:
    sbx.skew_ms = SKEW_MS
    body = {"code": "50102", "msg": "Timestamp request expired.", "data": []}
    sbx.script("okx", times=3, status=401, body=body, operation_id="get_max_loan")
    with pytest.raises(TimestampError) as info:
        EXCHANGES["okx"].invoke(sbx, mode, **NO_RETRY)
    assert info.value.code == "50102"
    assert [record.operation_id for record in sbx.requests("okx")] == [
        "get_max_loan",
        "get_server_time",
        "get_max_loan",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_resync_raises_the_timestamp_error_caused_by_the_failure(sbx: Sandbox, mode: str) -> None:
    sbx.skew_ms = SKEW_MS
    sbx.script("binance", times=3, status=503, body=b"", operation_id="get_server_time")
    with pytest.raises(TimestampError) as info:
        EXCHANGES["binance"].invoke(sbx, mode, **FAST)
    assert isinstance(info.value.__cause__, ServiceUnavailableError)
    assert _server_time_calls(sbx, "binance") == 3
    assert len(EXCHANGES["binance"].attempts(sbx)) == 1


def test_the_offset_is_shared_by_the_sync_and_async_sides(sbx: Sandbox) -> None:
    sbx.skew_ms = SKEW_MS
    client = EXCHANGES["okx"].client(sbx)
    offset = resync_clock(client)
    endpoint = EXCHANGES["okx"].module()

    async def run() -> int:
        async with client:
            status: int = (await endpoint.asyncio_detailed(client=client, mgn_mode="cross")).status_code
            return status

    assert asyncio.run(run()) == 200
    assert [record.auth for record in EXCHANGES["okx"].attempts(sbx)] == ["ok"]
    assert client.get_async_httpx_client().pipeline.signer.offset_ms == offset


def test_resync_refuses_clients_not_made_by_a_factory() -> None:
    from okx_client import AuthenticatedClient

    plain = AuthenticatedClient(base_url="http://127.0.0.1:9", token="key")
    with pytest.raises(TypeError, match="factory"):
        resync_clock(plain)
    with pytest.raises(TypeError, match="factory"):
        asyncio.run(aresync_clock(plain))
    with pytest.raises(TypeError, match="factory"):
        resync_clock(httpx.Client())
