"""Property tests: random spec-valid arguments, sent through the public factories, are always validly signed.

Strategies come from each operation's parameter and body schemas in the committed bundles: enums are sampled,
patterns generate matching text (``from_regex``), integers stay within their bounds, booleans are booleans,
decimal strings are exact decimals written out (no float, no exponent), and plain strings are any UTF-8 text
biased towards the characters a query string must percent-encode (``& = + % / ? # ; ,`` and space) and
non-ASCII. The sandbox runs on a frozen clock (as does the client), so every rejection is about the bytes,
never about timing. Each example must be verified by the sandbox and must arrive with exactly the values
that were passed in.

The suite spends one budget per run (:data:`EXAMPLES_PER_RUN`), not per operation: each example draws an operation
and key type, then arguments for it, so an added operation shares the budget instead of adding to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final, get_type_hints
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth_plugins.sandbox import Sandbox
from tests._specs import resolve, snake
from tests.contract._cases import Case, contract_cases, make_sandbox_client

T0: Final = 1_700_000_000_000
EXAMPLES_PER_CASE: Final = 60
"""For the strategy self-checks below."""
EXAMPLES_PER_RUN: Final = 400
"""Random calls per run, whatever the number of operations (8 operation and key pairs x 60 before issue 22)."""
INT64: Final = (-(2**63), 2**63 - 1)

# Plain strings: any UTF-8 text (surrogates excluded: they have no UTF-8 form), with the characters a query
# string must escape drawn often enough to appear in most examples. Built from a list of characters because
# ``st.text`` merges a union of character strategies into one uniform alphabet, which drowns the escapes.
_UTF8: Final = st.characters(codec="utf-8")
ESCAPED: Final = "&=+%/?#;, "
_TEXT_CHAR: Final = st.one_of(st.sampled_from(ESCAPED), _UTF8)


def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """UTF-8 text of ``min_size`` to ``max_size`` characters, rich in characters that need percent-encoding."""
    return st.lists(_TEXT_CHAR, min_size=min_size, max_size=max_size).map("".join)


def strategy_for(exchange: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for ``schema`` (a schema of ``exchange``'s bundle); ``ValueError`` for a shape it cannot
    generate, so a new kind of parameter fails here instead of going untested."""
    schema = resolve(exchange, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", INT64[0]), schema.get("maximum", INT64[1]))
    if kind == "string" and "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True, alphabet=_UTF8)
    if kind == "string" and schema.get("format") == "decimal":
        return st.decimals(-(10**15), 10**15, places=8).map(lambda value: format(value, "f"))
    if kind == "string" and "format" not in schema:
        return text(schema.get("minLength", 0), schema.get("maxLength", 24))
    if kind == "array":
        items = strategy_for(exchange, schema["items"])
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: strategy_for(exchange, s) for name, s in properties.items() if name in required},
            optional={name: strategy_for(exchange, s) for name, s in properties.items() if name not in required},
        )
    raise ValueError(f"no strategy for {exchange} schema {schema!r}")


def arguments(case: Case) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for the generated functions of ``case``: every required parameter, any subset of the
    optional ones, and a body model built from a generated JSON object."""
    parameters = [resolve(case.exchange, p) for p in case.operation.get("parameters", [])]
    strategies = {snake(p["name"]): strategy_for(case.exchange, p["schema"]) for p in parameters}
    required = {name for p in parameters if p.get("required") for name in [snake(p["name"])]}
    kwargs = st.fixed_dictionaries(
        {name: s for name, s in strategies.items() if name in required},
        optional={name: s for name, s in strategies.items() if name not in required},
    )
    if "requestBody" not in case.operation:
        return kwargs
    model = get_type_hints(case.module.sync_detailed)["body"]
    schema = case.operation["requestBody"]["content"]["application/json"]["schema"]
    body = strategy_for(case.exchange, schema).map(model.from_dict)
    return st.tuples(kwargs, body).map(lambda pair: {**pair[0], "body": pair[1]})


def _query_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _assert_sent_as_given(case: Case, kwargs: dict[str, Any], target: str, body: bytes) -> None:
    names = {snake(p["name"]): p["name"] for p in case.operation.get("parameters", [])}
    sent = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
    expected = {names[k]: _query_value(v) for k, v in kwargs.items() if k != "body"}
    assert {k: v for k, v in sent.items() if k in names.values()} == expected
    if "body" in kwargs:
        assert json.loads(body) == kwargs["body"].to_dict()


# One case per operation with arguments and per key type; the awkward/sample split does not apply here.
CASES: Final = [
    case
    for case in contract_cases()
    if case.args == "sample" and (case.operation.get("parameters") or "requestBody" in case.operation)
]


@pytest.fixture(scope="module")
def frozen() -> Iterator[Sandbox]:
    """A sandbox whose clock stands still at ``T0``."""
    with Sandbox(clock=lambda: T0) as sandbox:
        yield sandbox


def test_random_spec_valid_arguments_are_signed_as_the_sandbox_verifies(frozen: Sandbox) -> None:
    # Rate limits are not the subject here (tests/test_rate_limit.py); hundreds of calls would wait on them.
    clients: dict[tuple[str, str], Any] = {}
    seen: set[tuple[str, str, str]] = set()

    def client_for(case: Case) -> Any:
        key = (case.exchange, case.variant)
        if key not in clients:
            clients[key] = make_sandbox_client(
                case.exchange, case.variant, frozen.base_url(case.exchange), clock=lambda: T0, rate_limit=False
            )
        return clients[key]

    @settings(
        max_examples=EXAMPLES_PER_RUN,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(CASES), label="case")
        kwargs = data.draw(arguments(case), label="kwargs")
        frozen.reset()
        response = case.module.sync_detailed(client=client_for(case), **kwargs)
        [record] = frozen.requests(case.exchange)
        assert (record.verdict, record.auth, int(response.status_code)) == ("ok", "ok", 200), case.id
        assert not frozen.violations, frozen.violations
        _assert_sent_as_given(case, kwargs, record.target, record.body)
        seen.add((case.exchange, case.operation_id, case.variant))

    try:
        check()
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
    # The budget reaches every exchange and key type (operations within a kind share it).
    assert {(exchange, variant) for exchange, _, variant in seen} == {(c.exchange, c.variant) for c in CASES}


def test_plain_strings_mix_escaped_and_non_ascii_characters() -> None:
    """The text strategy is not vacuous: most examples hold both a character to escape and a non-ASCII one."""
    both: list[bool] = []

    @settings(max_examples=EXAMPLES_PER_CASE, derandomize=True, database=None)
    @given(text(1, 24))
    def collect(value: str) -> None:
        both.append(bool(set(ESCAPED) & set(value)) and any(ord(char) > 0x7F for char in value))

    collect()
    assert sum(both) > len(both) // 3, f"{sum(both)} of {len(both)}"


def test_decimal_strings_are_plain_exact_decimals() -> None:
    """No request schema uses a bare ``format: decimal`` today (``amt`` has a pattern); keep that branch honest."""
    values: list[str] = []

    @settings(max_examples=EXAMPLES_PER_CASE, derandomize=True, database=None)
    @given(strategy_for("okx", {"type": "string", "format": "decimal"}))
    def collect(value: str) -> None:
        values.append(value)

    collect()
    assert all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value) and str(Decimal(value)) for value in values), values
