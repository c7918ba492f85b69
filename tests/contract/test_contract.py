"""Contract tests: every bundled operation through the public factories, over real HTTP, against the sandbox.

Each call goes through ``auth_plugins.<exchange>.make_client`` with the sandbox's throwaway keys; the sandbox
validates the request against the spec and recomputes the signature from the raw bytes it received. Every
operation: sync and async, sample arguments and arguments that need percent-encoding, with the default key type;
every other key type once per kind of operation (tests/contract/_cases.py). Then, once per kind and key type, the
ways a signed request must be refused: tampered signature, expired timestamp, wrong key, wrong secret, missing
required parameter.
"""

from __future__ import annotations

import base64
import time
from typing import Any, Final

import httpx
import pytest

from auth_plugins import InvalidParameterError
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS, Sandbox
from tests._exchanges import sample
from tests._specs import MATRIX_RUN, all_operations, resolve, snake
from tests.contract._cases import (
    AWKWARD,
    SIGNATURE_HEADERS,
    Case,
    accepts_awkward,
    assert_rejected,
    call,
    contract_cases,
    default_variant,
    expected_body,
    kind,
    make_sandbox_client,
    outcome,
    per_operation,
    representatives,
)

ALL_CASES: Final = list(contract_cases())
CASES: Final = per_operation(ALL_CASES)
SIGNED_SAMPLES: Final = [case for case in representatives(ALL_CASES) if case.signed and case.args == "sample"]
"""The refusals test shared machinery (signer, sandbox verifier, error table): once per kind and key type."""

API_KEYS: Final = {
    ("backpack", "ed25519"): BACKPACK_CREDENTIALS.api_key,
    ("binance", "hmac"): BINANCE_CREDENTIALS.hmac_api_key,
    ("binance", "ed25519"): BINANCE_CREDENTIALS.ed25519_api_key,
    ("okx", "live"): OKX_CREDENTIALS.api_key,
    ("okx", "demo"): OKX_CREDENTIALS.demo_api_key,
}
KEY_HEADERS: Final = {"backpack": "x-api-key", "binance": "x-mbx-apikey", "okx": "ok-access-key"}

# (HTTP status, the exchange's code) per way of being refused; from /work/shared/reference/exchanges.md.
REFUSALS: Final[dict[str, dict[str, tuple[int, int | str]]]] = {
    "tampered-signature": {"backpack": (401, "INVALID_SIGNATURE"), "binance": (400, -1022), "okx": (401, "50113")},
    "expired-timestamp": {"backpack": (401, "UNAUTHORIZED"), "binance": (400, -1021), "okx": (401, "50102")},
    "wrong-key": {"backpack": (401, "UNAUTHORIZED"), "binance": (401, -2015), "okx": (401, "50111")},
    "missing-parameter": {"backpack": (400, "INVALID_CLIENT_REQUEST"), "binance": (400, -1102), "okx": (400, "50014")},
}
TEN_MINUTES_MS: Final = 600_000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _as_json(parsed: Any) -> Any:
    # A top-level JSON array (Binance's list answers) parses into a list of models.
    if isinstance(parsed, list):
        return [_as_json(item) for item in parsed]
    return parsed if isinstance(parsed, str) else parsed.to_dict()


def test_the_cases_cover_every_operation_key_and_awkward_parameter() -> None:
    operations = {(ex, op["operationId"]) for ex, _, _, op in all_operations()}
    if MATRIX_RUN:  # the interpreters after the first: each kind's representative only
        operations = {(case.exchange, case.operation_id) for case in representatives(ALL_CASES)}
    assert {(case.exchange, case.operation_id) for case in CASES} == operations
    for exchange, operation_id in operations:  # every operation, sync and async, with its default key
        ran = [c for c in CASES if (c.exchange, c.operation_id) == (exchange, operation_id)]
        assert {c.variant for c in ran} >= {default_variant(exchange, ran[0].signed)}
    assert {(case.exchange, case.variant) for case in CASES if case.signed} == set(API_KEYS)
    kinds = {kind(case) for case in ALL_CASES}
    assert {kind(case) for case in SIGNED_SAMPLES} == {k for k in kinds if k[1]}  # every signed kind is refused
    for case in ALL_CASES:  # every key type on every kind
        assert any((kind(c), c.variant) == (kind(case), case.variant) for c in CASES)
    for exchange, _, _, op in all_operations():
        if (exchange, op["operationId"]) not in operations:
            continue
        sent = sample(exchange, op["operationId"])
        params = [p for p in op.get("parameters", []) if snake(p["name"]) in sent]
        if any(accepts_awkward(resolve(exchange, p["schema"])) for p in params):
            assert (exchange, op["operationId"], "awkward") in {(c.exchange, c.operation_id, c.args) for c in CASES}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_operation_passes_the_sandbox_and_parses_the_documented_example(sbx: Sandbox, case: Case, mode: str) -> None:
    client = make_sandbox_client(case.exchange, case.variant, sbx.base_url(case.exchange))

    status, parsed = call(case, client, mode)

    records = sbx.requests(case.exchange)
    assert status == 200
    assert [(r.operation_id, r.status, r.verdict) for r in records] == [(case.operation_id, 200, "ok")] * 2
    if case.signed:
        assert [r.auth for r in records] == ["ok", "ok"]
        key = API_KEYS[(case.exchange, case.variant)]
        assert all(r.headers[KEY_HEADERS[case.exchange]] == key for r in records), "not sent with the variant's key"
    else:
        assert [r.auth for r in records] == [None, None]
        assert not any(name in r.headers for r in records for name in SIGNATURE_HEADERS)
        assert not any("signature=" in r.target for r in records)
    if case.args == "awkward":
        assert all(AWKWARD in r.body.decode() or "%C3%9C" in r.target for r in records)
    for result, record in zip(parsed, records, strict=True):
        assert _as_json(result) == expected_body(case, record)
        if case.operation_id == "get_server_time":
            assert abs(record.received_ms - _now_ms()) < 5_000


# --- Refusals ----------------------------------------------------------------------------------------------


def _flip(signature: str) -> str:
    # "0" and "1" are valid in hex and base64 alike, so the result still parses and must fail verification.
    return ("1" if signature[0] == "0" else "0") + signature[1:]


class TamperingTransport(httpx.BaseTransport):
    """A real HTTP transport that changes one character of the signature after the signer has run."""

    def __init__(self) -> None:
        self.tampered = 0
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Alter ``X-Signature``, ``OK-ACCESS-SIGN`` or the ``signature`` query parameter, then send."""
        for name in ("X-Signature", "OK-ACCESS-SIGN"):
            if name in request.headers:
                request.headers[name] = _flip(request.headers[name])
                self.tampered += 1
        head, separator, signature = request.url.query.rpartition(b"&signature=")
        if separator:
            request.url = request.url.copy_with(query=head + separator + _flip(signature.decode()).encode())
            self.tampered += 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


def _send(case: Case, client: Any, **overrides: Any) -> Any:
    return case.module.sync_detailed(client=client, **{**case.kwargs(), **overrides})


@pytest.mark.parametrize("case", SIGNED_SAMPLES, ids=[case.id for case in SIGNED_SAMPLES])
def test_a_tampered_signature_is_refused(sbx: Sandbox, case: Case) -> None:
    transport = TamperingTransport()
    status, code = REFUSALS["tampered-signature"][case.exchange]
    url = sbx.base_url(case.exchange)
    with make_sandbox_client(case.exchange, case.variant, url, transport=transport) as client:
        assert_rejected(sbx, case.exchange, lambda: _send(case, client), status, code)
    assert transport.tampered == 1


@pytest.mark.parametrize("case", SIGNED_SAMPLES, ids=[case.id for case in SIGNED_SAMPLES])
def test_an_expired_timestamp_is_refused(sbx: Sandbox, case: Case) -> None:
    status, code = REFUSALS["expired-timestamp"][case.exchange]
    url = sbx.base_url(case.exchange)
    with make_sandbox_client(case.exchange, case.variant, url, clock=lambda: _now_ms() - TEN_MINUTES_MS) as client:
        result = outcome(lambda: _send(case, client))
    first, *rest = sbx.requests(case.exchange)
    assert (first.operation_id, first.status, first.verdict) == (case.operation_id, status, str(code))
    assert first.timestamp_ms is not None and first.received_ms - first.timestamp_ms >= TEN_MINUTES_MS
    if result == (200, None):
        # The client recovered the only legitimate way: it read the exchange's server time, corrected its
        # clock offset and sent the request again, freshly signed.
        assert [(r.operation_id, r.verdict) for r in rest] == [("get_server_time", "ok"), (case.operation_id, "ok")]
    else:
        assert result == (status, str(code)) and rest == []


def _wrong_key(case: Case) -> dict[str, str]:
    if case.exchange == "backpack":
        # A valid seed of another key pair: the derived X-API-Key is unknown to the exchange.
        return {"api_secret": base64.b64encode(bytes(range(32))).decode()}
    return {"api_key": "not-a-registered-key-0000"}


@pytest.mark.parametrize("case", SIGNED_SAMPLES, ids=[case.id for case in SIGNED_SAMPLES])
def test_a_wrong_key_is_refused(sbx: Sandbox, case: Case) -> None:
    status, code = REFUSALS["wrong-key"][case.exchange]
    with make_sandbox_client(case.exchange, case.variant, sbx.base_url(case.exchange), **_wrong_key(case)) as client:
        assert_rejected(sbx, case.exchange, lambda: _send(case, client), status, code)


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        pytest.param(case, 400, -1022, id=case.id)
        for case in SIGNED_SAMPLES
        if case.exchange == "binance" and case.variant == "hmac"
    ]
    + [pytest.param(case, 401, "50113", id=case.id) for case in SIGNED_SAMPLES if case.exchange == "okx"],
)
def test_the_right_key_with_a_wrong_secret_is_refused(sbx: Sandbox, case: Case, status: int, code: int | str) -> None:
    url = sbx.base_url(case.exchange)
    with make_sandbox_client(case.exchange, case.variant, url, api_secret="0" * 32) as client:
        assert_rejected(sbx, case.exchange, lambda: _send(case, client), status, code)


MISSING: Final = [
    pytest.param(case, snake(p["name"]), id=f"{case.id}-{p['name']}")
    for case in SIGNED_SAMPLES
    for p in case.operation.get("parameters", [])
    if resolve(case.exchange, p).get("required") and case.variant in ("ed25519", "live", "hmac")
]


@pytest.mark.parametrize(("case", "argument"), MISSING)
def test_a_missing_required_parameter_is_refused(sbx: Sandbox, case: Case, argument: str) -> None:
    status, code = REFUSALS["missing-parameter"][case.exchange]
    with make_sandbox_client(case.exchange, case.variant, sbx.base_url(case.exchange)) as client:
        # The generated code drops None arguments, so the parameter would not be sent at all: the client's
        # validator refuses it first, and the sandbox sees nothing.
        with pytest.raises(InvalidParameterError) as refused:
            _send(case, client, **{argument: None})
        assert refused.value.python_name == argument
        assert sbx.requests(case.exchange) == []

        # The same request, signed by the factory's own signer but sent past the validator, is refused by the
        # sandbox with the exchange's code, as the real exchange would.
        request_kwargs = case.module._get_kwargs(client, **{**case.kwargs(), argument: None})
        signer = client.get_httpx_client().pipeline.auth
        with httpx.Client(base_url=sbx.base_url(case.exchange), auth=signer) as raw:
            response = raw.request(**request_kwargs)
    record = sbx.requests(case.exchange)[-1]
    assert (response.status_code, record.status) == (status, status)
    assert response.json()["code"] == code
    assert record.auth == "ok", "the request was validly signed; only the parameter is missing"
