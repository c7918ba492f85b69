"""Hostile answers: bodies no parser should choke on (nesting 100,000 deep, numbers that do not fit, bad UTF-8,
hostile ``Retry-After`` values) on a success and on every error status, and server times no exchange could
send (``1`` followed by 20 zeros, 0, 5, 5,000 digits). Every call ends in its typed error, a retryable status is
retried whatever its body, a refused server time leaves the clock as it was, and the same client then succeeds
and re-syncs again at the next timestamp error. Sync and async, every exchange, on tests/_hostile.py's servers."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import pytest

from auth_plugins import (
    APIError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ResponseError,
    RetryPolicy,
    ServerError,
    ServiceUnavailableError,
    TimestampError,
    aresync_clock,
    resync_clock,
)
from tests._exchanges import MODES, Exchange, call, sample
from tests._hostile import HostileServer, OpenClient, Received, answer, server_time, timestamp_error

RETRY: Final = RetryPolicy(max_retries=2, backoff_base_s=0.005, backoff_cap_s=0.02)
DIGITS: Final = "1" + "0" * 5000  # past int()'s 4,300-digit limit

GARBAGE: Final[dict[str, bytes]] = {
    "nested-arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested-objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "long-integer": b'{"code": %s, "msg": "x", "message": "x"}' % DIGITS.encode(),
    "huge-integer-code": b'{"code": 99999999999999999999999999, "msg": "x", "message": "x"}',
    "overflowing-floats": b'{"code": 1e999999, "msg": -1e999999, "message": 1e999999, "data": [1e999999]}',
    "bad-utf8": b'{"code": "\xff\xfe", "msg": "\xc3\x28", "message": "\xed\xa0\x80"}',
}
# What the status alone says when the body cannot: the class each error status must raise.
STATUS_CLASS: Final[dict[int, type[APIError]]] = {
    200: ResponseError,
    400: BadRequestError,
    401: AuthenticationError,
    429: RateLimitError,
    500: ServerError,
    503: ServiceUnavailableError,
}
RETRIED: Final = (429, 500, 503)


def _client(opened: OpenClient, exchange: Exchange, server: HostileServer) -> Any:
    return opened(exchange, server, timeout=2.0, retry=RETRY)


def _outcome(client: Any, exchange: Exchange, mode: str) -> Exception | None:
    try:
        call(client, exchange.module(), mode, sample(exchange.name, exchange.signed[1]), enter=False)
    except Exception as error:  # a raw exception too: it fails the assertion, not the test
        return error
    return None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", list(STATUS_CLASS))
def test_a_garbage_body_is_the_typed_error_of_its_status(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str, status: int
) -> None:
    client = _client(opened, exchange, hostile)
    attempts = RETRY.max_retries + 1 if status in RETRIED else 1
    for case, body in GARBAGE.items():
        hostile.reset()
        hostile.script(exchange.path, *[answer(status, body) for _ in range(attempts)])
        error = _outcome(client, exchange, mode)
        assert type(error) is STATUS_CLASS[status], (case, repr(error))
        assert isinstance(error, APIError) and error.status == status
        assert len(hostile.received(exchange.path)) == attempts, case
        hostile.reset()
        assert _outcome(client, exchange, mode) is None, case


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", RETRIED)
def test_a_retryable_status_is_retried_whatever_its_body(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str, status: int
) -> None:
    client = _client(opened, exchange, hostile)
    garbage = list(GARBAGE.values())
    for first, second in zip(garbage, garbage[1:], strict=False):
        hostile.reset()
        hostile.script(exchange.path, answer(status, first), answer(status, second))
        assert _outcome(client, exchange, mode) is None
        assert len(hostile.received(exchange.path)) == 3


@pytest.mark.parametrize("mode", MODES)
def test_a_hostile_retry_after_is_never_waited_for_nor_raised_raw(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str
) -> None:
    client = _client(opened, exchange, hostile)
    # Unreadable or negative: the policy's own backoff; absurdly long: raised at once, carrying the value.
    for value in ("1e999", "nan", "-5", DIGITS, "Tue, 01 Jan 99999 00:00:00 GMT", "\x7f\x01"):
        hostile.reset()
        hostile.script(exchange.path, answer(429, b"", headers=[("Retry-After", value)]))
        assert _outcome(client, exchange, mode) is None, value
        assert len(hostile.received(exchange.path)) == 2
    for value in ("99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"):
        hostile.reset()
        hostile.script(exchange.path, answer(429, b"", headers=[("Retry-After", value)]))
        error = _outcome(client, exchange, mode)
        assert type(error) is RateLimitError and error.retry_after is not None and error.retry_after > 1e9, value
        assert len(hostile.received(exchange.path)) == 1


# --- server time -------------------------------------------------------------------------------------------------

ABSURD: Final[dict[str, tuple[str, type[APIError]]]] = {
    # case: (the server time as sent, the class of the refusal)
    "1e20": ("1" + "0" * 20, TimestampError),
    "zero": ("0", TimestampError),
    "five": ("5", TimestampError),
    "two-days-ahead": (str(int((datetime.datetime.now(datetime.UTC).timestamp() + 2 * 86_400) * 1000)), TimestampError),
    "5000-digits": (DIGITS, ResponseError),
}
# The signers read the local clock; a request stamped more than this far from it was stamped with a bad offset.
STAMP_TOLERANCE_MS: Final = 60_000


def _stamp_ms(exchange: Exchange, received: Received) -> int:
    """The timestamp a signed request carried, in Unix ms."""
    if exchange.name == "binance":
        return int(parse_qs(urlsplit(received.target).query)["timestamp"][0])
    if exchange.name == "backpack":
        return int(received.headers["x-timestamp"])
    moment = datetime.datetime.fromisoformat(received.headers["ok-access-timestamp"].replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)


def _now_ms() -> int:
    return int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(ABSURD))
def test_an_absurd_server_time_is_refused_and_the_client_resyncs_at_the_next_timestamp_error(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str, case: str
) -> None:
    raw, refusal = ABSURD[case]
    client = _client(opened, exchange, hostile)
    signer = client.get_httpx_client().pipeline.signer

    hostile.script(exchange.path, timestamp_error(exchange.name))
    hostile.script(exchange.time_path, server_time(exchange.name, raw))
    error = _outcome(client, exchange, mode)
    assert type(error) is TimestampError, repr(error)
    assert type(error.__cause__) is refusal, repr(error.__cause__)
    if refusal is TimestampError:
        assert "refused the" in str(error.__cause__)
    assert signer.offset_ms == 0
    assert [seen.path for seen in hostile.received()] == [exchange.path, exchange.time_path]

    # Still usable: the next call goes out stamped with the local clock and succeeds.
    hostile.reset()
    assert _outcome(client, exchange, mode) is None
    (sent,) = hostile.received(exchange.path)
    assert abs(_stamp_ms(exchange, sent) - _now_ms()) < STAMP_TOLERANCE_MS

    # And the next timestamp error re-syncs again, this time to a believable clock two minutes ahead.
    hostile.reset()
    hostile.script(exchange.path, timestamp_error(exchange.name))
    hostile.script(exchange.time_path, server_time(exchange.name, str(_now_ms() + 120_000)))
    assert _outcome(client, exchange, mode) is None
    assert [seen.path for seen in hostile.received()] == [exchange.path, exchange.time_path, exchange.path]
    assert abs(signer.offset_ms - 120_000) < STAMP_TOLERANCE_MS
    assert abs(_stamp_ms(exchange, hostile.received(exchange.path)[-1]) - _now_ms() - 120_000) < STAMP_TOLERANCE_MS


@pytest.mark.parametrize("mode", MODES)
def test_resync_clock_refuses_an_absurd_time_and_keeps_the_offset(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str
) -> None:
    client = _client(opened, exchange, hostile)
    signer = client.get_httpx_client().pipeline.signer

    def resync() -> int:
        if mode == "sync":
            return resync_clock(client)
        return asyncio.run(aresync_clock(client))

    hostile.script(exchange.time_path, server_time(exchange.name, str(_now_ms() - 30_000)))
    believable = resync()
    assert abs(believable + 30_000) < STAMP_TOLERANCE_MS and signer.offset_ms == believable
    for case, (raw, refusal) in ABSURD.items():
        hostile.reset()
        hostile.script(exchange.time_path, server_time(exchange.name, raw))
        with pytest.raises(refusal) as info:
            resync()
        assert info.value.operation == f"GET {exchange.time_path}", case
        assert signer.offset_ms == believable, case
        assert len(hostile.received(exchange.time_path)) == 1, case  # a refusal is not retried


def test_a_server_time_outside_2020_to_2100_is_refused_even_when_the_local_clock_agrees(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange
) -> None:
    # A host clock stuck in 1970 agrees with a server answering 5: the epoch range, not the window, refuses it.
    client = opened(exchange, hostile, clock=lambda: 5, retry=RETRY)
    hostile.script(exchange.time_path, server_time(exchange.name, "5"))
    with pytest.raises(TimestampError, match=r"outside 2020-01-01\.\.2100-01-01"):
        resync_clock(client)
    assert client.get_httpx_client().pipeline.signer.offset_ms == 0
