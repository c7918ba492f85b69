"""Contract: for every operation in the bundled specs and every error status it documents, a factory-made client
raises the typed error for it (sync, async, plain and ``*_detailed``), never returns the error body as data.

The operations and statuses come from the bundled specs; a status added to a spec without a row
in ``EXPECTED`` fails here until the table says what it must raise.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from auth_plugins import (
    APIError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
)
from auth_plugins.sandbox import Sandbox
from tests._exchanges import EXCHANGES, NO_RETRY, call, sample
from tests._specs import all_operations

EXPECTED: Final[dict[int, type[APIError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    429: RateLimitError,
    500: ServerError,
    503: ServiceUnavailableError,
}
# A code each exchange really answers with for the status (exchanges.md), so the table and the status agree.
CODES: Final[dict[str, dict[int, int | str]]] = {
    "backpack": {
        400: "INVALID_CLIENT_REQUEST",
        401: "UNAUTHORIZED",
        429: "TOO_MANY_REQUESTS",
        500: "SERVER_ERROR",
        503: "MAINTENANCE",
    },
    "binance": {400: -1102, 401: -2015, 429: -1003, 500: -1001, 503: -1008},
    "okx": {400: "51000", 401: "50113", 429: "50011", 500: "50026", 503: "50001"},
}
CALLS: Final = [("sync", True), ("sync", False), ("async", True), ("async", False)]

DOCUMENTED: Final = [
    (exchange, op["tags"][0], op["operationId"], int(status))
    for exchange, _, _, op in all_operations()
    for status in op["responses"]
    if status.isdecimal() and int(status) >= 400
]


def test_every_documented_error_status_has_an_expected_class() -> None:
    assert DOCUMENTED
    assert {status for *_, status in DOCUMENTED} <= set(EXPECTED)


def _call(sbx: Sandbox, exchange: str, operation_id: str, mode: str, detailed: bool) -> Any:
    facts = EXCHANGES[exchange]
    client = facts.client(sbx, **NO_RETRY)
    return call(client, facts.module(operation_id), mode, sample(exchange, operation_id), detailed=detailed)


@pytest.mark.parametrize(
    ("exchange", "tag", "operation_id", "status"),
    DOCUMENTED,
    ids=[f"{ex}-{op}-{status}" for ex, _, op, status in DOCUMENTED],
)
def test_a_documented_error_status_raises_its_typed_error(
    sbx: Sandbox, exchange: str, tag: str, operation_id: str, status: int
) -> None:
    code = CODES[exchange][status]
    for mode, detailed in CALLS:
        sbx.reset()
        sbx.script(
            exchange,
            status=status,
            body=EXCHANGES[exchange].error_body(code, "documented error"),
            operation_id=operation_id,
        )
        with pytest.raises(APIError) as info:
            _call(sbx, exchange, operation_id, mode, detailed)
        error = info.value
        assert type(error) is EXPECTED[status], (mode, detailed, error)
        assert (error.status, error.code, error.message) == (status, code, "documented error")
        assert [record.status for record in sbx.requests(exchange)] == [status]
