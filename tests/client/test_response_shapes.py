"""Response type checks: a 2xx body whose fields break the documented schema's JSON types (a decimal sent as a
JSON number, ``null`` in a required field, a string where an array belongs, a nested field of the wrong type)
is a ``ResponseError`` naming the operation, the field path and the rule, sync and async, over real HTTP;
conforming bodies with extra fields still parse; and the generated ``response`` tables say what the specs say."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest

from auth_plugins import ResponseError
from auth_plugins._generated import operation, routes
from auth_plugins._response_shapes import ShapeMismatch, expected_shape
from auth_plugins.sandbox import Sandbox
from scripts.codegen._schemas import ConstraintError
from scripts.codegen.operations_table import render_operations_module
from tests._exchanges import EXCHANGES, FAST, MODES, NAMES, SECRETS
from tests._specs import load_bundle, operations, parametrized_operations, resolve

BORROW: Final = ("account", "get_max_borrow_quantity")
WITHDRAWAL: Final = ("account", "get_max_withdrawal_quantity")
MAX_BORROW: Final = ("margin", "query_max_borrow")
BINANCE_TIME: Final = ("general", "get_server_time")
MAX_LOAN: Final = ("account", "get_max_loan")
FLEXIBLE: Final = ("flexible_loan", "max_loan_amount")
OKX_TIME: Final = ("public_data", "get_server_time")


def _loan(**changes: Any) -> dict[str, Any]:
    """One OKX ``get_max_loan`` item as documented, with ``changes`` applied (``None`` values kept as null)."""
    item: dict[str, Any] = {
        "instId": "BTC-USDT",
        "mgnMode": "cross",
        "mgnCcy": "",
        "maxLoan": "0.1",
        "ccy": "BTC",
        "side": "sell",
    }
    return {**item, **changes}


def _okx(*items: Any, **envelope: Any) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": list(items), **envelope}


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name != key}


FLEXIBLE_ITEM: Final = {"borrowCcy": "USDT", "maxLoan": "0.01113", "notionalUsd": "0.01113356", "remainingQuota": "1"}

# (case id, exchange, operation (tag, operationId), 200 body, the field path and rule the error must name)
BREAKS: Final[list[tuple[str, str, tuple[str, str], Any, str]]] = [
    # A decimal as a JSON number, on each exchange's signed operations.
    (
        "backpack-decimal-number",
        "backpack",
        BORROW,
        {"maxBorrowQuantity": 1250.5, "symbol": "USDC"},
        "maxBorrowQuantity must be a decimal string (got a number)",
    ),
    (
        "backpack-withdrawal-decimal-number",
        "backpack",
        WITHDRAWAL,
        {"maxWithdrawalQuantity": 310.25, "symbol": "USDC"},
        "maxWithdrawalQuantity must be a decimal string (got a number)",
    ),
    (
        "binance-decimal-number",
        "binance",
        MAX_BORROW,
        {"amount": 1.69248805, "borrowLimit": "60"},
        "amount must be a decimal string (got a number)",
    ),
    (
        "binance-optional-decimal-number",
        "binance",
        MAX_BORROW,
        {"amount": "1.69248805", "borrowLimit": 60},
        "borrowLimit must be a decimal string (got an integer)",
    ),
    (
        "okx-decimal-number",
        "okx",
        MAX_LOAN,
        _okx(_loan(maxLoan=1.69)),
        "data[0].maxLoan must be a decimal string (got a number)",
    ),
    (
        "okx-flexible-decimal-integer",
        "okx",
        FLEXIBLE,
        _okx({**FLEXIBLE_ITEM, "remainingQuota": 3395000}),
        "data[0].remainingQuota must be a decimal string (got an integer)",
    ),
    # null where the spec allows none: required fields, and an optional one that is present.
    (
        "backpack-null-required",
        "backpack",
        BORROW,
        {"maxBorrowQuantity": "1", "symbol": None},
        "symbol must not be null",
    ),
    ("binance-null-required", "binance", MAX_BORROW, {"amount": None}, "amount must not be null"),
    (
        "binance-null-optional",
        "binance",
        MAX_BORROW,
        {"amount": "1", "borrowLimit": None},
        "borrowLimit must not be null",
    ),
    ("okx-null-required", "okx", MAX_LOAN, _okx(_loan(maxLoan=None)), "data[0].maxLoan must not be null"),
    ("okx-null-envelope", "okx", MAX_LOAN, _okx(_loan(), msg=None), "msg must not be null"),
    # Containers of the wrong kind, and nested fields of the wrong type.
    ("okx-string-for-array", "okx", MAX_LOAN, {"code": "0", "msg": "", "data": "BTC-USDT"}, "data must be an array"),
    ("okx-object-for-array", "okx", FLEXIBLE, {"code": "0", "msg": "", "data": FLEXIBLE_ITEM}, "data must be an array"),
    ("okx-string-item", "okx", MAX_LOAN, _okx("BTC-USDT"), "data[0] must be an object (got a string)"),
    ("okx-nested-array", "okx", MAX_LOAN, _okx(_loan(side=["buy"])), "data[0].side must be a string (got an array)"),
    ("okx-second-item", "okx", MAX_LOAN, _okx(_loan(), _loan(instId={"a": 1})), "data[1].instId must be a string"),
    ("okx-nested-missing", "okx", MAX_LOAN, _okx(_without(_loan(), "mgnCcy")), "data[0].mgnCcy is required"),
    # Decimal strings that are not decimals (an empty one included: no documented example has one).
    ("binance-exponent", "binance", MAX_BORROW, {"amount": "1e-8"}, "amount must be a decimal string such as '0.5'"),
    ("okx-empty-decimal", "okx", MAX_LOAN, _okx(_loan(maxLoan="")), "data[0].maxLoan must be a decimal string such"),
    # Booleans, integers and patterns.
    (
        "backpack-boolean-as-string",
        "backpack",
        WITHDRAWAL,
        {"maxWithdrawalQuantity": "1", "symbol": "USDC", "autoBorrow": "true"},
        "autoBorrow must be true or false (got a string)",
    ),
    (
        "binance-time-as-string",
        "binance",
        BINANCE_TIME,
        {"serverTime": "1499827319559"},
        "serverTime must be an integer (got a string)",
    ),
    ("binance-time-as-boolean", "binance", BINANCE_TIME, {"serverTime": True}, "serverTime must be an integer"),
    (
        "okx-time-as-number",
        "okx",
        OKX_TIME,
        _okx({"ts": 1597026383085}),
        "data[0].ts must be a string (got an integer)",
    ),
    ("okx-time-pattern", "okx", OKX_TIME, _okx({"ts": "soon"}), "data[0].ts must match the pattern ^[0-9]+$"),
]


def _route(exchange: str, operation_id: str) -> Any:
    return operation(f"{exchange}_client", operation_id)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "exchange", "operation", "body", "expected"), BREAKS, ids=[row[0] for row in BREAKS])
def test_a_body_breaking_the_documented_types_is_a_response_error_naming_the_field(
    sbx: Sandbox, mode: str, case: str, exchange: str, operation: tuple[str, str], body: Any, expected: str
) -> None:
    operation_id = operation[1]
    sbx.script(exchange, status=200, body=body, operation_id=operation_id)
    with pytest.raises(ResponseError) as info:
        EXCHANGES[exchange].invoke(sbx, mode, operation[1], **FAST)
    error = info.value
    route = _route(exchange, operation_id)
    assert (error.status, error.code, error.operation) == (200, None, f"{route.method} {route.path}")
    assert error.message.startswith(f"body does not match the documented response of {operation_id}: ")
    assert error.message.endswith(expected) or f": {expected}" in error.message, error.message
    assert len(EXCHANGES[exchange].attempts(sbx, operation_id)) == 1  # a contract breach is not retried


@pytest.mark.parametrize("mode", MODES)
def test_the_error_never_repeats_the_offending_value(sbx: Sandbox, mode: str) -> None:
    for value in ("9" * 300 + "x", SECRETS[-2], {"nested": SECRETS[-1]}):
        sbx.script("okx", status=200, body=_okx(_loan(maxLoan=value)), operation_id="get_max_loan")
        with pytest.raises(ResponseError) as info:
            EXCHANGES["okx"].invoke(sbx, mode, **FAST)
        error = info.value
        assert "data[0].maxLoan" in error.message and len(error.message) < 160
        for text in (str(error), repr(error), error.message):
            assert "9" * 20 not in text
            assert not any(secret in text for secret in SECRETS)
        assert not any(secret in error.body_excerpt for secret in SECRETS)


# (case id, exchange, operation, a conforming 200 body with extra or omitted optional fields, a parsed check)
ACCEPTED: Final[list[tuple[str, str, tuple[str, str], Any, tuple[str, ...], str]]] = [
    (
        "okx-extra-fields",
        "okx",
        MAX_LOAN,
        _okx(_loan(extra=1.5, more={"a": None}), _loan(side="buy", maxLoan="-0.25"), extra=[1]),
        ("data", "1", "max_loan"),
        "-0.25",
    ),
    ("binance-optional-absent", "binance", MAX_BORROW, {"amount": "0", "note": 7}, ("amount",), "0"),
    (
        "backpack-booleans-absent",
        "backpack",
        WITHDRAWAL,
        {"maxWithdrawalQuantity": "310.25", "symbol": "USDC", "new": None},
        ("max_withdrawal_quantity",),
        "310.25",
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("case", "exchange", "operation", "body", "attribute", "value"), ACCEPTED, ids=[row[0] for row in ACCEPTED]
)
def test_a_conforming_body_with_extra_fields_or_no_optional_ones_still_parses(
    sbx: Sandbox,
    mode: str,
    case: str,
    exchange: str,
    operation: tuple[str, str],
    body: Any,
    attribute: tuple[str, ...],
    value: str,
) -> None:
    sbx.script(exchange, status=200, body=body, operation_id=operation[1])
    parsed: Any = EXCHANGES[exchange].invoke(sbx, mode, operation[1], detailed=False, **FAST)
    for step in attribute:
        parsed = parsed[int(step)] if step.isdigit() else getattr(parsed, step)
    assert parsed == Decimal(value) and type(parsed) is Decimal and str(parsed) == value


@pytest.mark.parametrize("mode", MODES)
def test_an_undocumented_2xx_is_named_as_such_whatever_its_body(sbx: Sandbox, mode: str) -> None:
    sbx.script("okx", status=202, body=_okx(_loan(maxLoan=1.5)), operation_id="get_max_loan")
    with pytest.raises(ResponseError) as info:
        EXCHANGES["okx"].invoke(sbx, mode, **FAST)
    assert info.value.message == "undocumented status 202 for get_max_loan"


# --- the generated tables -----------------------------------------------------------------------------------


def _expected_fields(exchange: str, schema: Any, path: str = "", required: bool = True) -> list[tuple[Any, ...]]:
    """``(path, type, required, nullable, format, pattern)`` per field of ``schema``, read from the bundle."""
    node = resolve(exchange, schema)
    kind, nullable = node["type"], False
    if isinstance(kind, list):
        [kind], nullable = [value for value in kind if value != "null"], "null" in kind
    rows = [(path, kind, required, nullable, node.get("format"), node.get("pattern"))]
    if kind == "array":
        rows += _expected_fields(exchange, node["items"], f"{path}[]")
    for name, sub in (node.get("properties") or {}).items():
        rows += _expected_fields(exchange, sub, f"{path}.{name}" if path else name, name in node.get("required", []))
    return rows


def _actual_fields(entry: Any) -> list[tuple[Any, ...]]:
    return [(f.path, f.type, f.required, f.nullable, f.format, f.pattern) for f in entry.response]


@pytest.mark.parametrize("exchange", NAMES)
def test_the_response_table_matches_the_spec_for_each_operation(exchange: str) -> None:
    table = routes(f"{exchange}_client")
    for method, route, op in operations(exchange):
        entry = table[(method, route)]
        [status] = [code for code in op["responses"] if str(code).startswith("2")]
        assert entry.response_status == int(status)
        [(media, content)] = resolve(exchange, op["responses"][status])["content"].items()
        expected = _expected_fields(exchange, content["schema"]) if "json" in media else []
        assert _actual_fields(entry) == expected, (exchange, op["operationId"])
    if exchange == "backpack":  # the plain-text server time has nothing to check here
        assert table[("GET", "/api/v1/time")].response == ()


def test_the_tables_hold_the_fields_the_checks_rely_on() -> None:
    okx = _actual_fields(_route("okx", "get_max_loan"))
    assert okx[:5] == [
        ("", "object", True, False, None, None),
        ("code", "string", True, False, None, None),
        ("msg", "string", True, False, None, None),
        ("data", "array", True, False, None, None),
        ("data[]", "object", True, False, None, None),
    ]
    assert ("data[].maxLoan", "string", True, False, "decimal", None) in okx
    binance = _actual_fields(_route("binance", "query_max_borrow"))
    assert ("borrowLimit", "string", False, False, "decimal", None) in binance
    assert ("data[].ts", "string", True, False, None, "^[0-9]+$") in _actual_fields(_route("okx", "get_server_time"))


def _documented_200s() -> list[tuple[str, str, Any, Any]]:
    found = []
    for exchange, method, route, op in parametrized_operations():
        table = routes(f"{exchange}_client")
        [(_, content)] = resolve(exchange, op["responses"]["200"])["content"].items()
        found.append((exchange, op["operationId"], table[(method, route)], content["example"]))
    return found


DOCUMENTED: Final = _documented_200s()


@pytest.mark.parametrize(
    ("exchange", "operation_id", "entry", "example"), DOCUMENTED, ids=[f"{row[0]}-{row[1]}" for row in DOCUMENTED]
)
def test_every_documented_example_has_the_documented_shape(
    exchange: str, operation_id: str, entry: Any, example: Any
) -> None:
    shape = expected_shape(entry, 200)
    if shape is None:
        assert (exchange, operation_id) == ("backpack", "get_server_time")
        return
    shape.check(json.loads(json.dumps(example)))
    assert expected_shape(entry, 202) is None  # only the documented success is checked here


# --- generation ---------------------------------------------------------------------------------------------


def _binance_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = copy.deepcopy(load_bundle("binance"))
    return bundle


def _rendered(bundle: dict[str, Any]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "rendered_operations"}
    exec(render_operations_module(bundle, "specs/binance"), namespace)
    return namespace


def test_a_nullable_field_is_generated_and_checked_as_nullable() -> None:
    bundle = _binance_bundle()
    bundle["components"]["schemas"]["MaxBorrowable"]["properties"]["borrowLimit"]["type"] = ["string", "null"]
    entry = _rendered(bundle)["ROUTES"][("GET", "/sapi/v1/margin/maxBorrowable")]
    assert ("borrowLimit", "string", False, True, "decimal", None) in _actual_fields(entry)
    shape = expected_shape(entry, 200)
    assert shape is not None
    shape.check({"amount": "1", "borrowLimit": None})
    with pytest.raises(ShapeMismatch) as info:
        shape.check({"amount": "1", "borrowLimit": 60.5})
    assert (info.value.path, info.value.rule) == ("borrowLimit", "must be a decimal string (got a number)")
    with pytest.raises(ShapeMismatch, match="amount must not be null"):
        shape.check({"amount": None, "borrowLimit": None})


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s["properties"]["amount"].update(minLength=1), r"\.amount: schema keyword\(s\) minLength"),
        (lambda s: s.update(additionalProperties=False), r"keyword\(s\) additionalProperties are not enforced"),
        (lambda s: s["properties"]["amount"].update(enum=["1"]), r"keyword\(s\) enum"),
        (lambda s: s["properties"]["amount"].update(type=["string", "integer"]), r"type \['string', 'integer'\]"),
        (lambda s: s["properties"]["amount"].update(type="number"), r"type 'number' is not one of"),
        (lambda s: s.update(required=["amount", "limit"]), r"required field\(s\) limit have no schema"),
        (lambda s: s.update({"x-extensible-enum": ["a"]}), r"x-extensible-enum needs a string schema"),
        (lambda s: s["properties"]["amount"].update({"x-extensible-enum": "a"}), r"and a list of strings"),
    ],
    ids=[
        "minLength",
        "additionalProperties-false",
        "enum",
        "two-types",
        "number",
        "undeclared-required",
        "extensible-enum-object",
        "extensible-enum-not-a-list",
    ],
)
def test_a_response_keyword_the_check_cannot_enforce_stops_generation(change: Any, words: str) -> None:
    bundle = _binance_bundle()
    change(bundle["components"]["schemas"]["MaxBorrowable"])
    with pytest.raises(ConstraintError, match=r"GET /sapi/v1/margin/maxBorrowable response 200.*" + words):
        render_operations_module(bundle, "specs/binance")


def test_extensible_enum_values_and_the_spec_file_reach_the_table_and_the_audit() -> None:
    bundle = _binance_bundle()
    bundle["components"]["schemas"]["MaxBorrowable"]["properties"]["amount"]["x-extensible-enum"] = ["1", "2"]
    source = Path("specs/binance/endpoints/margin.query_max_borrow.yaml")
    namespace: dict[str, Any] = {"__name__": "rendered_operations"}
    exec(render_operations_module(bundle, "specs/binance", {"query_max_borrow": source}), namespace)
    entry = namespace["ROUTES"][("GET", "/sapi/v1/margin/maxBorrowable")]
    assert entry.spec_file == "specs/binance/endpoints/margin.query_max_borrow.yaml"
    assert [field.values for field in entry.response if field.path == "amount"] == [("1", "2")]
    shape = expected_shape(entry, 200)
    assert shape is not None
    assert shape.check({"amount": "3"}) == []  # an open enum: the client accepts other values
    assert shape.audit({"amount": "2"}) == []
    assert shape.audit({"amount": "3", "x": [1]}) == [
        ("drift", "amount", "value '3' is not one of the documented values ('1', '2')"),
        ("drift", "x", "undocumented field (an array)"),
    ]
    assert shape.audit({"amount": 3.5}) == [("breaking", "amount", "must be a decimal string (got a number)")]


def test_an_operation_needs_exactly_one_documented_success() -> None:
    bundle = _binance_bundle()
    responses = bundle["paths"]["/api/v3/time"]["get"]["responses"]
    responses["201"] = responses["200"]
    with pytest.raises(ConstraintError, match=r"GET /api/v3/time: needs exactly one documented 2xx status"):
        render_operations_module(bundle, "specs/binance")
