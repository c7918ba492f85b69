"""The runtime's notice of a stale spec: one WARNING per undocumented field, once, bounded, never the value.

Answers come from the sandbox scripted to drift (``respond(..., drift=True)``) over real HTTP, through factory
clients; the bound is also driven with hostile bodies of 10,000 distinct field names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

import pytest
from binance_client.api.margin import query_max_borrow
from okx_client.api.account import get_max_loan

from auth_plugins import _undocumented
from auth_plugins._generated import operations
from auth_plugins._response_shapes import MAX_UNDOCUMENTED, expected_shape
from auth_plugins.sandbox import BINANCE_CREDENTIALS, Sandbox
from tests._exchanges import EXCHANGES
from tests._specs import load_bundle

VALUE: Final = "value-that-must-never-be-logged"
OKX_FILE: Final = "specs/okx/endpoints/account.get_max_loan.yaml"
BINANCE_FILE: Final = "specs/binance/endpoints/margin.query_max_borrow.yaml"


def _loan(**extra: Any) -> dict[str, Any]:
    item = {"instId": "BTC-USDT", "mgnMode": "cross", "mgnCcy": "", "maxLoan": "0.1", "ccy": "BTC", "side": "sell"}
    return {"code": "0", "msg": "", "data": [{**item, **extra}, {**item, **extra}]}


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    _undocumented.forget()
    yield
    _undocumented.forget()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "auth_plugins" and r.levelno == logging.WARNING]


def _ask_binance(sbx: Sandbox) -> Decimal:
    with EXCHANGES["binance"].client(sbx) as client:
        answer = query_max_borrow.sync(client=client, asset="BTC")
    assert answer is not None
    return answer.amount


def test_an_undocumented_field_is_logged_once_with_operation_path_and_spec_file_never_the_value(
    sbx: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sbx.respond("binance", "query_max_borrow", {"amount": "2.5", "borrowLimit": "9", "newField": VALUE}, drift=True)
    with caplog.at_level(logging.WARNING, logger="auth_plugins"):
        assert _ask_binance(sbx) == Decimal("2.5")  # accepted: the documented fields are all there
        assert _ask_binance(sbx) == Decimal("2.5")
    (message,) = _warnings(caplog)  # once, though it came twice
    assert message == (
        "query_max_borrow (GET /sapi/v1/margin/maxBorrowable) answered an undocumented field newField (a string): "
        f"add it to {BINANCE_FILE} (logged once per field; EXCHANGE_CLIENTS_WARN_UNDOCUMENTED=0 turns this off)"
    )
    assert VALUE not in caplog.text


def test_a_nested_field_in_okx_data_is_named_by_its_schema_path_once_for_all_items(
    sbx: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sbx.respond("okx", "get_max_loan", _loan(interestRate=VALUE), drift=True)
    with caplog.at_level(logging.WARNING, logger="auth_plugins"), EXCHANGES["okx"].client(sbx) as client:
        answer = get_max_loan.sync(client=client, mgn_mode="cross", inst_id="BTC-USDT")
    assert answer is not None and len(answer.data) == 2
    (message,) = _warnings(caplog)
    assert "answered an undocumented field data[].interestRate (a string)" in message
    assert OKX_FILE in message and VALUE not in caplog.text


def test_the_documented_off_switch_silences_it(
    sbx: Sandbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    sbx.respond("binance", "query_max_borrow", {"amount": "2.5", "newField": "x"}, drift=True)
    monkeypatch.setenv("EXCHANGE_CLIENTS_WARN_UNDOCUMENTED", "0")
    with caplog.at_level(logging.WARNING, logger="auth_plugins"):
        _ask_binance(sbx)
    assert _warnings(caplog) == []
    monkeypatch.delenv("EXCHANGE_CLIENTS_WARN_UNDOCUMENTED")
    with caplog.at_level(logging.WARNING, logger="auth_plugins"):
        _ask_binance(sbx)
    assert len(_warnings(caplog)) == 1  # on again: the switch, not the once-only rule, kept it quiet


@pytest.mark.parametrize("logger_filter", ["installed", "removed"])
def test_a_field_name_that_is_a_secret_or_a_forged_log_line_is_scrubbed(
    sbx: Sandbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, logger_filter: str
) -> None:
    hostile = {"amount": "1", BINANCE_CREDENTIALS.hmac_api_secret: 1, "x\nWARNING forged line": 2}
    sbx.respond("binance", "query_max_borrow", hostile, drift=True)
    with EXCHANGES["binance"].client(sbx) as client, caplog.at_level(logging.WARNING, logger="auth_plugins"):
        if logger_filter == "removed":  # the message is scrubbed itself, not only by the logger's filter
            monkeypatch.setattr(logging.getLogger("auth_plugins"), "filters", [])
        query_max_borrow.sync(client=client, asset="BTC")
    messages = _warnings(caplog)
    assert len(messages) == 2
    assert BINANCE_CREDENTIALS.hmac_api_secret not in caplog.text
    assert any("field [REDACTED] (an integer)" in message for message in messages)
    assert all("\n" not in message for message in messages)
    assert any("x\\nWARNING forged line" in message for message in messages)


def test_ten_thousand_undocumented_names_from_a_hostile_answer_cost_a_bounded_few_warnings(
    sbx: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    hostile: dict[str, Any] = {"amount": "1", **{f"field{index:05}": index for index in range(10_000)}}
    sbx.respond("binance", "query_max_borrow", hostile, drift=True)
    with caplog.at_level(logging.WARNING, logger="auth_plugins"):
        assert _ask_binance(sbx) == Decimal("1")
        assert _ask_binance(sbx) == Decimal("1")
    messages = _warnings(caplog)
    assert len(messages) == MAX_UNDOCUMENTED  # 32 of one answer's 10,000; the same ones are not logged again
    assert len(_undocumented._seen) == MAX_UNDOCUMENTED


def test_what_is_remembered_stays_bounded_however_many_fresh_names_come(caplog: pytest.LogCaptureFixture) -> None:
    # Straight through the check the pipeline runs: 100 hostile answers of 10,000 fresh names each.
    operation = next(op for op in operations("binance_client") if op.operation_id == "query_max_borrow")
    shape = expected_shape(operation, 200)
    assert shape is not None
    with caplog.at_level(logging.WARNING, logger="auth_plugins"):
        for answer in range(100):
            body = {"amount": "1", **{f"a{answer}-{index}-" + "x" * 500: 0 for index in range(10_000)}}
            _undocumented.notice(operation, shape.check(body))
    messages = _warnings(caplog)
    assert len(_undocumented._seen) == _undocumented.MAX_REMEMBERED
    assert len(messages) == _undocumented.MAX_REMEMBERED + 1
    assert messages[-1] == "more than 1024 distinct undocumented fields seen: no more are logged in this process"
    longest = max(len(path) for _, path in _undocumented._seen)
    assert longest <= _undocumented.MAX_PATH_CHARS + 3  # cut, with "..."


def test_a_body_without_undocumented_fields_reports_none() -> None:
    for exchange in ("okx", "binance", "backpack"):
        for operation in operations(f"{exchange}_client"):
            shape = expected_shape(operation, operation.response_status)
            if shape is not None:
                extras = shape.check(_documented_body(operation))
                assert extras == [], (operation.operation_id, extras)


def _documented_body(operation: Any) -> Any:
    """The spec's own example answer of ``operation``."""
    responses = load_bundle(operation.spec_file.split("/")[1])["paths"][operation.path][operation.method.lower()][
        "responses"
    ]
    (content,) = responses[str(operation.response_status)]["content"].values()
    return content["example"]
