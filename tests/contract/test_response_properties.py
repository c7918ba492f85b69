"""Property tests of the response side: the client's shape check and the generated models agree.

For every operation with a JSON success body, bodies are generated from the response schema in the bundle
(written here, independently of the check's compiled table): required fields always, optional ones sometimes,
unknown extra fields, decimal strings with more digits than a float holds, trailing zeros and signs (whole parts
without leading zeros, as exchanges write them). Then:

- every spec-valid body passes the shape check, and the generated model reads it and writes it back exactly
  (``from_dict(body).to_dict() == body``, decimals as the same strings);
- a body with one value replaced by arbitrary JSON, or an unknown field added, either fails the check with
  ``ShapeMismatch``, or, if it passes, still parses: the check accepting a body implies the generated code cannot
  fail on it.

Each property spends one budget per run (:data:`EXAMPLES`), not per operation: every example draws an operation
first, so an added operation shares the budget instead of adding to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, get_args, get_origin, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth_plugins._generated import endpoint, operations
from auth_plugins._response_shapes import ShapeMismatch, expected_shape
from tests._exchanges import EXCHANGES, NAMES
from tests._specs import operations as bundle_operations
from tests._specs import resolve

EXAMPLES: Final = 300
"""Examples per property per run, whatever the number of operations (7 operations x 100 before issue 22)."""
SETTINGS: Final = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)

_DIGITS: Final = st.text("0123456789", min_size=1, max_size=30)
# Whole parts as exchanges write them (no leading zeros: Decimal("007") is written back as "7").
_WHOLE: Final = st.just("0") | st.builds(lambda first, rest: first + rest, st.sampled_from("123456789"), _DIGITS)
DECIMALS: Final = st.builds(
    lambda sign, whole, fraction: f"{sign}{whole}{'.' + fraction if fraction else ''}",
    st.sampled_from(["", "-"]),
    _WHOLE,
    st.one_of(st.just(""), _DIGITS, _DIGITS.map(lambda d: d + "000")),
)
JSON: Final = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def body_strategy(exchange: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """JSON values valid for a response ``schema`` of ``exchange``'s bundle, unknown fields included."""
    schema = resolve(exchange, schema)
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        others = [k for k in kind if k != "null"]
        return st.none() | body_strategy(exchange, {**schema, "type": others[0]})
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers()
    if kind == "string":
        if schema.get("format") == "decimal":
            return DECIMALS
        if schema.get("format") == "decimal-or-empty":
            return DECIMALS | st.just("")
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(max_size=12)
    if kind == "array":
        return st.lists(body_strategy(exchange, schema.get("items", {})), max_size=3)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        known = st.fixed_dictionaries(
            {name: body_strategy(exchange, s) for name, s in properties.items() if name in required},
            optional={name: body_strategy(exchange, s) for name, s in properties.items() if name not in required},
        )
        extra = st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k not in properties), JSON, max_size=2)
        return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})
    if not schema:
        return JSON
    raise ValueError(f"no strategy for {exchange} response schema {schema!r}")


@dataclass(frozen=True)
class _Parsed:
    items: list[Any]

    def to_dict(self) -> list[Any]:
        return [item.to_dict() for item in self.items]


@dataclass(frozen=True)
class _ListModel:
    """A top-level JSON array answer (Binance's lists): the generated code reads and writes it item by item."""

    item: Any

    def from_dict(self, body: Any) -> _Parsed:
        return _Parsed([self.item.from_dict(entry) for entry in body])


def _model(hint: Any) -> Any:
    return _ListModel(get_args(hint)[0]) if get_origin(hint) is list else hint


def _cases() -> list[Any]:
    cases = []
    for exchange in NAMES:
        package = EXCHANGES[exchange].package
        for operation in operations(package):
            shape = expected_shape(operation, operation.response_status)
            if shape is None:
                continue  # Backpack's plain-text server time: checked as text, not JSON
            module = endpoint(package, operation)
            model = _model(get_type_hints(module.sync)["return"])
            bundle_operation = next(
                op for _, _, op in bundle_operations(exchange) if op["operationId"] == operation.operation_id
            )
            content = bundle_operation["responses"][str(operation.response_status)]["content"]
            schema = next(media["schema"] for kind, media in content.items() if "json" in kind)
            cases.append(pytest.param(exchange, operation, model, schema, id=f"{exchange}-{operation.operation_id}"))
    return cases


CASES: Final = _cases()


def _mutated(body: Any, data: st.DataObject) -> Any:
    """``body`` with, somewhere at any depth, one value replaced by arbitrary JSON or an unknown field added."""
    choices = ["replace"]
    if isinstance(body, dict):
        choices += ["add"] + (["descend"] if body else [])
    elif isinstance(body, list) and body:
        choices.append("descend")
    choice = data.draw(st.sampled_from(choices))
    if choice == "replace":
        return data.draw(JSON)
    if choice == "add":
        return {**body, "unknownField" + data.draw(st.text("xyz", max_size=3)): data.draw(JSON)}
    if isinstance(body, dict):
        key = data.draw(st.sampled_from(sorted(body)))
        return {**body, key: _mutated(body[key], data)}
    index = data.draw(st.integers(0, len(body) - 1))
    return [*body[:index], _mutated(body[index], data), *body[index + 1 :]]


def test_a_spec_valid_body_passes_the_check_and_round_trips_through_the_model() -> None:
    seen: set[str] = set()

    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        exchange, operation, model, schema = data.draw(st.sampled_from(CASES), label="operation").values
        body = data.draw(body_strategy(exchange, schema), label="body")
        shape = expected_shape(operation, operation.response_status)
        assert shape is not None
        shape.check(body)
        assert model.from_dict(body).to_dict() == body
        seen.add(exchange)

    check()
    assert seen == {case.values[0] for case in CASES}  # the budget reached every exchange


def test_a_body_the_check_accepts_always_parses() -> None:
    outcomes: set[str] = set()

    @SETTINGS
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        exchange, operation, model, schema = data.draw(st.sampled_from(CASES), label="operation").values
        body = data.draw(body_strategy(exchange, schema), label="body")
        shape = expected_shape(operation, operation.response_status)
        assert shape is not None
        broken = json.loads(json.dumps(_mutated(body, data)))
        try:
            shape.check(broken)
        except ShapeMismatch:
            outcomes.add("refused")
            return
        outcomes.add("accepted")
        model.from_dict(broken)

    check()
    assert outcomes == {"refused", "accepted"}, outcomes  # both branches were exercised
