"""Contract: for every operation in the bundled specs and every error status it documents, a factory-made client
raises the typed error for it (sync, async, plain and ``*_detailed``), never returns the error body as data.

The operations and statuses come from the bundled specs; a status added to a spec without a row
in ``EXPECTED`` fails here until the table says what it must raise. The pipeline raises before the generated code
parses anything, so the calls run once per kind of operation (tests/contract/_cases.py) and documented status:
on the kind's representative, for every status any operation of that kind documents.
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
from tests.contract._cases import Case, contract_cases, kind, representatives

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


def _per_kind() -> list[tuple[str, str, str, int]]:
    first: dict[tuple[str, bool, str, bool], Case] = {}
    kinds: dict[str, tuple[str, bool, str, bool]] = {}
    for case in representatives(contract_cases()):
        first.setdefault(kind(case), case)
    for case in contract_cases():
        kinds[f"{case.exchange}.{case.operation_id}"] = kind(case)
    chosen: dict[tuple[tuple[str, bool, str, bool], int], tuple[str, str, str, int]] = {}
    for exchange, _, operation_id, status in DOCUMENTED:
        representative = first[kinds[f"{exchange}.{operation_id}"]]
        row = (exchange, representative.tag, representative.operation_id, status)
        chosen.setdefault((kind(representative), status), row)
    return list(chosen.values())


PER_KIND: Final = _per_kind()
"""One row per kind of operation and documented error status, on the kind's representative."""


def test_every_documented_error_status_has_an_expected_class() -> None:
    assert DOCUMENTED
    assert {status for *_, status in DOCUMENTED} <= set(EXPECTED)
    # Every (exchange, status) some operation documents is called on a representative of that operation's kind.
    assert {(ex, status) for ex, *_, status in DOCUMENTED} == {(ex, status) for ex, *_, status in PER_KIND}


def _call(sbx: Sandbox, exchange: str, operation_id: str, mode: str, detailed: bool) -> Any:
    facts = EXCHANGES[exchange]
    client = facts.client(sbx, **NO_RETRY)
    return call(client, facts.module(operation_id), mode, sample(exchange, operation_id), detailed=detailed)


@pytest.mark.parametrize(
    ("exchange", "tag", "operation_id", "status"),
    PER_KIND,
    ids=[f"{ex}-{op}-{status}" for ex, _, op, status in PER_KIND],
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
