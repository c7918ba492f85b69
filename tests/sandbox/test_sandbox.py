"""The sandbox exchange, over real HTTP with plain httpx and the test's own signers (tests/_sign.py).

Expected codes and statuses come from /work/shared/reference/exchanges.md; expected bodies from the specs.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from nacl.signing import SigningKey
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers

from auth_plugins.sandbox import (
    BACKPACK_CREDENTIALS,
    BINANCE_CREDENTIALS,
    OKX_CREDENTIALS,
    Sandbox,
)
from auth_plugins.sandbox._app import ExchangeApp
from auth_plugins.sandbox._validate import response_errors
from tests._sign import (
    backpack_headers,
    binance_signature,
    ed25519_seed_from_pem,
    okx_headers,
    okx_timestamp,
)
from tests._specs import kind_representatives, load_bundle, parametrized_operations, resolve

OKX_MAX_LOAN = "/api/v5/account/max-loan"
OKX_FLEXIBLE = "/api/v5/finance/flexible-loan/max-loan"
BINANCE_BORROW = "/sapi/v1/margin/maxBorrowable"
BACKPACK_BORROW = "/api/v1/account/limits/borrow"
BACKPACK_WITHDRAWAL = "/api/v1/account/limits/withdrawal"
TIME_PATHS = {"backpack": "/api/v1/time", "binance": "/api/v3/time", "okx": "/api/v5/public/time"}
T0 = 1_700_000_000_000


class FakeClock:
    """An injectable Unix-millisecond clock that moves only when told."""

    def __init__(self, now_ms: int = T0) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


@dataclass
class Call:
    """One request to build, sign and send; fields left at their defaults give a valid signed request."""

    exchange: str
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    signed: bool = True
    timestamp_ms: int | None = None
    api_key: str | None = None
    passphrase: str | None = None
    tamper: bool = False
    binance_key: str = "hmac"
    add_timestamp: bool = True
    demo: bool = False
    window_ms: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, sandbox: Sandbox, http: httpx.Client) -> httpx.Response:
        """Sign as the exchange requires (with the sandbox clock unless ``timestamp_ms``) and send."""
        now = sandbox.now_ms() if self.timestamp_ms is None else self.timestamp_ms
        query, headers = self.query, dict(self.headers)
        if self.body:
            headers.setdefault("Content-Type", "application/json")
        if self.signed and self.exchange == "backpack":
            instruction = _instruction(self.method, self.path)
            headers |= backpack_headers(
                instruction,
                query,
                api_key=self.api_key if self.api_key is not None else BACKPACK_CREDENTIALS.api_key,
                secret_b64=BACKPACK_CREDENTIALS.api_secret,
                timestamp_ms=now,
                window_ms=self.window_ms,
                tamper=self.tamper,
            )
        elif self.signed and self.exchange == "binance":
            if self.add_timestamp:
                query = f"{query}&timestamp={now}" if query else f"timestamp={now}"
            payload = query.encode() + self.body
            if self.binance_key == "hmac":
                key = BINANCE_CREDENTIALS.hmac_api_key
                signature = binance_signature(
                    payload, hmac_secret=BINANCE_CREDENTIALS.hmac_api_secret, tamper=self.tamper
                )
            else:
                key = BINANCE_CREDENTIALS.ed25519_api_key
                seed = ed25519_seed_from_pem(BINANCE_CREDENTIALS.ed25519_private_key_pem)
                signature = binance_signature(payload, ed25519_seed=seed, tamper=self.tamper)
            query = f"{query}&signature={signature}" if query else f"signature={signature}"
            headers["X-MBX-APIKEY"] = self.api_key if self.api_key is not None else key
        elif self.signed:
            target = f"{self.path}?{query}" if query else self.path
            default_key = OKX_CREDENTIALS.demo_api_key if self.demo else OKX_CREDENTIALS.api_key
            headers |= okx_headers(
                self.method,
                target,
                self.body,
                api_key=self.api_key if self.api_key is not None else default_key,
                secret=OKX_CREDENTIALS.api_secret,
                passphrase=self.passphrase if self.passphrase is not None else OKX_CREDENTIALS.passphrase,
                timestamp=okx_timestamp(now),
                tamper=self.tamper,
            )
            if self.demo:
                headers["x-simulated-trading"] = "1"
        url = sandbox.base_url(self.exchange) + self.path + (f"?{query}" if query else "")
        return http.request(self.method, url, content=self.body or None, headers=headers)


def backpack(query: str, path: str = BACKPACK_BORROW, **overrides: Any) -> Call:
    """A signed Backpack GET (default: max borrow) with this raw query."""
    return Call("backpack", "GET", path, query, **overrides)


def binance(query: str, **overrides: Any) -> Call:
    """A signed Binance max-borrowable GET; ``timestamp`` and ``signature`` are appended when sent."""
    return Call("binance", "GET", BINANCE_BORROW, query, **overrides)


def okx(query: str, **overrides: Any) -> Call:
    """A signed OKX max-loan GET with this raw query."""
    return Call("okx", "GET", OKX_MAX_LOAN, query, **overrides)


def okx_post(body: bytes, **overrides: Any) -> Call:
    """A signed OKX flexible-loan max-loan POST with this raw JSON body."""
    return Call("okx", "POST", OKX_FLEXIBLE, body=body, **overrides)


def _instruction(method: str, path: str) -> str:
    instruction: str = load_bundle("backpack")["paths"][path][method.lower()]["x-signing"]["instruction"]
    return instruction


def _error(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()["code"]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as client:
        yield client


CLOCK = FakeClock()


@pytest.fixture
def clock() -> FakeClock:
    """The fake clock behind ``fixed`` and ``limited``, set back to ``T0``."""
    CLOCK.now_ms = T0
    return CLOCK


@pytest.fixture(scope="module")
def _fixed_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=CLOCK) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def _limited_sandbox() -> Iterator[Sandbox]:
    with Sandbox(enforce_rate_limits=True, clock=CLOCK) as sandbox:
        yield sandbox


def _fresh(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.reset()
    yield sandbox
    assert not sandbox.violations, sandbox.violations


@pytest.fixture
def fixed(clock: FakeClock, _fixed_sandbox: Sandbox) -> Iterator[Sandbox]:
    """A sandbox on the fake clock, rate limits off, reset for this test."""
    yield from _fresh(_fixed_sandbox)


@pytest.fixture
def limited(clock: FakeClock, _limited_sandbox: Sandbox) -> Iterator[Sandbox]:
    """A sandbox on the fake clock that enforces the documented rate limits, reset for this test."""
    yield from _fresh(_limited_sandbox)


# --- Independent response validation, straight from the committed spec -----------------------------------


@dataclass
class _SpecRequest:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters = field(default_factory=RequestParameters)
    body: bytes | None = None
    content_type: str = "application/json"


@dataclass
class _SpecResponse:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes


@cache
def _openapi(exchange: str) -> OpenAPI:
    return OpenAPI.from_dict(load_bundle(exchange))


def assert_matches_spec(exchange: str, method: str, path: str, response: httpx.Response) -> None:
    """Validate ``response`` against the committed bundle with openapi-core; raises if it does not match."""
    request = _SpecRequest(load_bundle(exchange)["servers"][0]["url"], path, method.lower())
    headers = Headers(list(response.headers.items()))
    answer = _SpecResponse(response.status_code, response.headers["content-type"], headers, response.content)
    _openapi(exchange).validate_response(request, answer)


# --- Every operation, valid request -> documented example ------------------------------------------------


def _sample(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("type") == "boolean":
        return "true"
    if schema.get("type") == "integer":
        return str(min(max(5000, schema.get("minimum", 5000)), schema.get("maximum", 5000)))
    return "BTC"


def _valid_cases() -> list[Any]:
    cases = []
    # Every operation with its exchange's default key; the other key types (shared machinery) once per kind.
    chosen = kind_representatives()
    for exchange, method, path, operation in parametrized_operations():
        variants = ["default"]
        every_key = (exchange, operation["operationId"]) in chosen
        if operation.get("security") and exchange == "binance":
            variants = ["hmac", "ed25519"] if every_key else ["hmac"]
        elif operation.get("security") and exchange == "okx":
            variants = ["live", "demo"] if every_key else ["live"]
        for variant in variants:
            cases.append(
                pytest.param(exchange, method, path, variant, id=f"{exchange}-{operation['operationId']}-{variant}")
            )
    return cases


@pytest.mark.parametrize(("exchange", "method", "path", "variant"), _valid_cases())
def test_valid_request_gets_documented_example(
    sbx: Sandbox, http: httpx.Client, exchange: str, method: str, path: str, variant: str
) -> None:
    operation = load_bundle(exchange)["paths"][path][method.lower()]
    params = [resolve(exchange, p) for p in operation.get("parameters", [])]
    query = urlencode([(p["name"], _sample(resolve(exchange, p["schema"]))) for p in params])
    body = b""
    if "requestBody" in operation:
        body = json.dumps(operation["requestBody"]["content"]["application/json"]["example"]).encode()
    call = Call(exchange, method, path, query, body, signed=bool(operation.get("security")))
    call.binance_key, call.demo = variant, variant == "demo"

    response = call.send(sbx, http)

    assert response.status_code == 200, response.text
    success = operation["responses"]["200"]["content"]
    assert response.headers["content-type"] == next(iter(success))
    if operation["operationId"] == "get_server_time":
        assert abs(_server_time(exchange, response) - sbx.now_ms()) < 5_000
    else:
        asked = dict(parse_qsl(query)) | (json.loads(body) if body else {})
        assert response.json() == _echoed(next(iter(success.values()))["example"], asked)
    assert_matches_spec(exchange, method, path, response)
    assert [r.verdict for r in sbx.requests(exchange)] == ["ok"]


def _echoed(example: Any, asked: dict[str, Any]) -> Any:
    """The example with each field named like an asked parameter holding the asked value (a single instrument)."""
    if isinstance(example, list):
        return [_echoed(item, asked) for item in example]
    if not isinstance(example, dict):
        return example
    echoed = {}
    for key, value in example.items():
        if key in asked and isinstance(value, bool):
            echoed[key] = asked[key] in ("true", True)
        elif key in asked and isinstance(value, str):
            echoed[key] = asked[key]
        else:
            echoed[key] = _echoed(value, asked)
    return echoed


def _server_time(exchange: str, response: httpx.Response) -> int:
    if exchange == "backpack":
        return int(response.text)
    if exchange == "binance":
        value: int = response.json()["serverTime"]
        return value
    return int(response.json()["data"][0]["ts"])


def test_backpack_signs_decoded_params_sorted_by_key_whatever_the_wire_order(sbx: Sandbox, http: httpx.Client) -> None:
    # On the wire: unsorted, and "U" percent-encoded; signed: sorted and decoded.
    call = backpack("symbol=%55SDC&autoLendRedeem=false&autoBorrow=true", BACKPACK_WITHDRAWAL)
    response = call.send(sbx, http)
    assert response.status_code == 200, response.text
    assert sbx.requests("backpack")[0].target.endswith("?symbol=%55SDC&autoLendRedeem=false&autoBorrow=true")


def test_binance_accepts_parameters_in_any_order(sbx: Sandbox, http: httpx.Client) -> None:
    response = binance("recvWindow=5000&isolatedSymbol=BTCUSDT&asset=BTC").send(sbx, http)
    assert response.status_code == 200, response.text


# --- Spec deviations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        pytest.param(backpack(""), 400, "INVALID_CLIENT_REQUEST", id="backpack-missing"),
        pytest.param(binance(""), 400, -1102, id="binance-missing"),
        pytest.param(okx("instId=BTC-USDT"), 400, "50014", id="okx-missing"),
        pytest.param(binance("asset=BTC", add_timestamp=False), 400, -1102, id="binance-no-timestamp"),
    ],
)
def test_missing_required_parameter(sbx: Sandbox, http: httpx.Client, call: Call, status: int, code: object) -> None:
    assert _error(call.send(sbx, http)) == (status, code)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(backpack("symbol=USDC&foo=1"), "INVALID_CLIENT_REQUEST", id="backpack"),
        pytest.param(binance("asset=BTC&foo=1"), -1104, id="binance"),
        pytest.param(okx("mgnMode=cross&foo=1"), "51000", id="okx"),
    ],
)
def test_unknown_parameter(sbx: Sandbox, http: httpx.Client, call: Call, code: object) -> None:
    assert _error(call.send(sbx, http)) == (400, code)


def test_repeated_parameter(sbx: Sandbox, http: httpx.Client) -> None:
    assert _error(binance("asset=BTC&asset=ETH").send(sbx, http)) == (400, -1101)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(
            backpack("symbol=USDC&autoBorrow=maybe", BACKPACK_WITHDRAWAL), "INVALID_CLIENT_REQUEST", id="bool"
        ),
        pytest.param(backpack("symbol=USDC&autoBorrow=True", BACKPACK_WITHDRAWAL), "INVALID_CLIENT_REQUEST", id="True"),
        pytest.param(binance("asset=BTC&recvWindow=soon"), -1100, id="integer"),
        pytest.param(binance("asset=BTC&recvWindow=60001"), -1100, id="maximum"),
    ],
)
def test_wrong_type(sbx: Sandbox, http: httpx.Client, call: Call, code: object) -> None:
    assert _error(call.send(sbx, http)) == (400, code)


def test_value_outside_enum(sbx: Sandbox, http: httpx.Client) -> None:
    response = okx("mgnMode=spot").send(sbx, http)
    assert _error(response) == (400, "51000")
    assert response.json() == {"code": "51000", "msg": "Parameter mgnMode error", "data": []}


def test_pattern_violation(sbx: Sandbox, http: httpx.Client) -> None:
    six = ",".join(["BTC-USDT", "ETH-USDT", "SOL-USDT", "XRP-USDT", "ADA-USDT", "DOT-USDT"])
    five = six.rsplit(",", 1)[0]
    assert _error(okx(urlencode({"mgnMode": "cross", "instId": six})).send(sbx, http)) == (
        400,
        "51000",
    )
    ok = okx(urlencode({"mgnMode": "cross", "instId": five})).send(sbx, http)
    assert ok.status_code == 200


def test_body_missing_required_field(sbx: Sandbox, http: httpx.Client) -> None:
    body = b'{"supCollateral":[{"ccy":"BTC","amt":"1"}]}'
    response = okx_post(body).send(sbx, http)
    assert response.status_code == 400
    assert response.json() == {"code": "50014", "msg": "Parameter borrowCcy can not be empty", "data": []}


@pytest.mark.parametrize("body", [b'{"borrowCcy":', b"[]"], ids=["not-json", "not-object"])
def test_body_unreadable(sbx: Sandbox, http: httpx.Client, body: bytes) -> None:
    assert _error(okx_post(body).send(sbx, http)) == (400, "50002")


def test_body_field_breaks_pattern(sbx: Sandbox, http: httpx.Client) -> None:
    body = b'{"borrowCcy":"USDT","supCollateral":[{"ccy":"BTC","amt":"one"}]}'
    response = okx_post(body).send(sbx, http)
    assert response.json()["msg"] == "Parameter amt error"


# --- Authentication -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        pytest.param(backpack("symbol=USDC", tamper=True), 401, "INVALID_SIGNATURE", id="backpack"),
        pytest.param(binance("asset=BTC", tamper=True), 400, -1022, id="binance-hmac"),
        pytest.param(binance("asset=BTC", tamper=True, binance_key="ed25519"), 400, -1022, id="binance-ed25519"),
        pytest.param(okx("mgnMode=cross", tamper=True), 401, "50113", id="okx"),
        pytest.param(okx_post(b'{"borrowCcy":"USDT"}', tamper=True), 401, "50113", id="okx-post"),
    ],
)
def test_tampered_signature(sbx: Sandbox, http: httpx.Client, call: Call, status: int, code: object) -> None:
    assert _error(call.send(sbx, http)) == (status, code)


def test_signature_covers_the_raw_query(sbx: Sandbox, http: httpx.Client) -> None:
    """Signed for one query, sent with another: every exchange must notice."""
    now = sbx.now_ms()
    headers = okx_headers(
        "GET",
        f"{OKX_MAX_LOAN}?mgnMode=cross",
        b"",
        api_key=OKX_CREDENTIALS.api_key,
        secret=OKX_CREDENTIALS.api_secret,
        passphrase=OKX_CREDENTIALS.passphrase,
        timestamp=okx_timestamp(now),
    )
    response = http.get(f"{sbx.base_url('okx')}{OKX_MAX_LOAN}?mgnMode=isolated", headers=headers)
    assert _error(response) == (401, "50113")
    signature = binance_signature(
        f"asset=BTC&timestamp={now}".encode(), hmac_secret=BINANCE_CREDENTIALS.hmac_api_secret
    )
    url = f"{sbx.base_url('binance')}{BINANCE_BORROW}?asset=ETH&timestamp={now}&signature={signature}"
    assert _error(http.get(url, headers={"X-MBX-APIKEY": BINANCE_CREDENTIALS.hmac_api_key})) == (400, -1022)


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        pytest.param(backpack("symbol=USDC"), 401, "UNAUTHORIZED", id="backpack"),
        pytest.param(binance("asset=BTC"), 400, -1021, id="binance"),
        pytest.param(okx("mgnMode=cross"), 401, "50102", id="okx"),
    ],
)
def test_expired_timestamp(sbx: Sandbox, http: httpx.Client, call: Call, status: int, code: object) -> None:
    response = replace(call, timestamp_ms=sbx.now_ms() - 60_000).send(sbx, http)
    assert _error(response) == (status, code)
    if call.exchange == "backpack":
        assert response.json()["message"] == "Request has expired"


@pytest.mark.parametrize(
    ("exchange", "offset_ms", "window_ms", "accepted"),
    [
        ("backpack", -5000, None, True),
        ("backpack", -5001, None, False),
        ("backpack", 5000, None, True),
        ("backpack", 5001, None, False),
        ("backpack", -60000, 60000, True),
        ("binance", -5000, None, True),
        ("binance", -5001, None, False),
        ("binance", 999, None, True),
        ("binance", 1000, None, False),
        ("binance", -60000, 60000, True),
        ("okx", -30000, None, True),
        ("okx", -30001, None, False),
        ("okx", 30000, None, True),
        ("okx", 30001, None, False),
    ],
)
def test_timestamp_window_edges(
    fixed: Sandbox, http: httpx.Client, exchange: str, offset_ms: int, window_ms: int | None, accepted: bool
) -> None:
    path, query = {
        "backpack": (BACKPACK_BORROW, "symbol=USDC"),
        "binance": (BINANCE_BORROW, "asset=BTC" + (f"&recvWindow={window_ms}" if window_ms else "")),
        "okx": (OKX_MAX_LOAN, "mgnMode=cross"),
    }[exchange]
    call = Call(exchange, "GET", path, query, timestamp_ms=T0 + offset_ms)
    if exchange == "backpack":
        call.window_ms = window_ms
    assert (call.send(fixed, http).status_code == 200) is accepted


def test_skewed_server_clock_rejects_then_accepts(fixed: Sandbox, http: httpx.Client) -> None:
    fixed.skew_ms = 40_000
    call = okx("mgnMode=cross", timestamp_ms=T0)
    assert _error(call.send(fixed, http)) == (401, "50102")
    call.timestamp_ms = fixed.now_ms()
    assert call.send(fixed, http).status_code == 200


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        pytest.param(backpack("symbol=USDC", api_key="A" * 43 + "="), 401, "UNAUTHORIZED", id="backpack"),
        pytest.param(binance("asset=BTC", api_key="not-a-key"), 401, -2015, id="binance"),
        pytest.param(binance("asset=BTC", api_key=""), 401, -2014, id="binance-empty"),
        pytest.param(okx("mgnMode=cross", api_key="not-a-key"), 401, "50111", id="okx"),
        pytest.param(okx("mgnMode=cross", api_key=""), 401, "50103", id="okx-empty"),
    ],
)
def test_wrong_api_key(sbx: Sandbox, http: httpx.Client, call: Call, status: int, code: object) -> None:
    assert _error(call.send(sbx, http)) == (status, code)


def test_backpack_key_of_another_keypair(sbx: Sandbox, http: httpx.Client) -> None:
    """A correctly signed request by a key the exchange does not know is refused as unauthorized."""
    other = SigningKey(bytes(range(32)))
    now = sbx.now_ms()
    headers = backpack_headers(
        "maxBorrowQuantity",
        "symbol=USDC",
        api_key=base64.b64encode(bytes(other.verify_key)).decode(),
        secret_b64=base64.b64encode(bytes(other)).decode(),
        timestamp_ms=now,
    )
    response = http.get(f"{sbx.base_url('backpack')}{BACKPACK_BORROW}?symbol=USDC", headers=headers)
    assert _error(response) == (401, "UNAUTHORIZED")


def test_okx_wrong_passphrase(sbx: Sandbox, http: httpx.Client) -> None:
    response = okx("mgnMode=cross", passphrase="guess").send(sbx, http)
    assert _error(response) == (401, "50105")


@pytest.mark.parametrize(
    ("api_key", "flag", "accepted"),
    [
        (OKX_CREDENTIALS.api_key, None, True),
        (OKX_CREDENTIALS.api_key, "1", False),
        (OKX_CREDENTIALS.demo_api_key, "1", True),
        (OKX_CREDENTIALS.demo_api_key, None, False),
    ],
)
def test_okx_key_environment(sbx: Sandbox, http: httpx.Client, api_key: str, flag: str | None, accepted: bool) -> None:
    call = okx("mgnMode=cross", api_key=api_key)
    if flag is not None:
        call.headers["x-simulated-trading"] = flag
    response = call.send(sbx, http)
    assert response.status_code == 200 if accepted else _error(response) == (401, "50101")


def test_okx_unparseable_timestamp(sbx: Sandbox, http: httpx.Client) -> None:
    headers = okx_headers(
        "GET",
        f"{OKX_MAX_LOAN}?mgnMode=cross",
        b"",
        api_key=OKX_CREDENTIALS.api_key,
        secret=OKX_CREDENTIALS.api_secret,
        passphrase=OKX_CREDENTIALS.passphrase,
        timestamp=str(sbx.now_ms()),
    )
    assert _error(http.get(f"{sbx.base_url('okx')}{OKX_MAX_LOAN}?mgnMode=cross", headers=headers)) == (401, "50112")


def test_binance_ed25519_key_cannot_sign_with_hmac(sbx: Sandbox, http: httpx.Client) -> None:
    call = binance("asset=BTC", api_key=BINANCE_CREDENTIALS.ed25519_api_key)
    assert _error(call.send(sbx, http)) == (400, -1022)


def test_binance_signature_must_be_last(sbx: Sandbox, http: httpx.Client) -> None:
    now = sbx.now_ms()
    payload = f"asset=BTC&timestamp={now}"
    signature = binance_signature(payload.encode(), hmac_secret=BINANCE_CREDENTIALS.hmac_api_secret)
    url = f"{sbx.base_url('binance')}{BINANCE_BORROW}?signature={signature}&{payload}"
    assert _error(http.get(url, headers={"X-MBX-APIKEY": BINANCE_CREDENTIALS.hmac_api_key})) == (400, -1022)


def test_sandbox_credentials_are_consistent() -> None:
    backpack = SigningKey(base64.b64decode(BACKPACK_CREDENTIALS.api_secret))
    assert base64.b64encode(bytes(backpack.verify_key)).decode() == BACKPACK_CREDENTIALS.api_key
    binance = SigningKey(ed25519_seed_from_pem(BINANCE_CREDENTIALS.ed25519_private_key_pem))
    assert bytes(binance.verify_key) == BINANCE_CREDENTIALS.ed25519_public_key
    assert OKX_CREDENTIALS.api_secret not in repr(OKX_CREDENTIALS)


# --- Routing and the spec check on responses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("exchange", "method", "path", "body"),
    [
        ("backpack", "GET", "/api/v1/nope", {"code": "RESOURCE_NOT_FOUND", "message": "No route for GET /api/v1/nope"}),
        ("binance", "GET", "/sapi/v1/nope", {"code": -1000, "msg": "No route for GET /sapi/v1/nope"}),
        ("okx", "GET", "/api/v5/nope", {"code": "404", "msg": "Not Found", "data": []}),
        ("okx", "DELETE", OKX_MAX_LOAN, {"code": "404", "msg": "Not Found", "data": []}),
    ],
)
def test_unknown_route(sbx: Sandbox, http: httpx.Client, exchange: str, method: str, path: str, body: object) -> None:
    response = http.request(method, sbx.base_url(exchange) + path)
    assert response.status_code == 404
    assert response.json() == body
    assert sbx.requests(exchange)[0].operation_id is None


def test_response_check_catches_a_body_that_breaks_the_schema() -> None:
    """The check behind ``violations`` is not vacuous: a 200 without ``amount`` does not pass."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from auth_plugins.sandbox._spec import load_exchange_spec

    spec = load_exchange_spec("binance")
    request = Request(EnvironBuilder(method="GET", path=BINANCE_BORROW).get_environ())
    good = response_errors(spec, request, 200, "application/json", Headers(), b'{"amount":"1"}')
    bad = response_errors(spec, request, 200, "application/json", Headers(), b'{"borrowLimit":"1"}')
    undocumented = response_errors(spec, request, 418, "application/json", Headers(), b'{"code":-1,"msg":""}')
    assert good == []
    assert bad and undocumented


def test_sandbox_records_its_own_off_spec_answers(monkeypatch: pytest.MonkeyPatch, http: httpx.Client) -> None:
    """If the sandbox ever answers off-spec, it says so in ``violations`` (here: a 200 body without ``amount``)."""
    monkeypatch.setattr(ExchangeApp, "_success_body", lambda self, *args: b"{}")
    with Sandbox() as sandbox:
        response = binance("asset=BTC").send(sandbox, http)
        assert (response.status_code, response.content) == (200, b"{}")
        [violation] = sandbox.violations
        assert (violation.exchange, violation.status) == ("binance", 200)
        assert violation.target.startswith(f"{BINANCE_BORROW}?asset=BTC&timestamp=")


# --- Scripted faults and the request log ---------------------------------------------------------------------


def test_script_canned_status_body_and_headers(sbx: Sandbox, http: httpx.Client) -> None:
    sbx.script(
        "okx", status=503, body={"code": "50001", "msg": "Service temporarily unavailable"}, headers={"X-A": "1"}
    )
    response = okx("mgnMode=cross").send(sbx, http)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-a"] == "1"
    assert response.json() == {"code": "50001", "msg": "Service temporarily unavailable"}
    record = sbx.requests("okx")[0]
    assert (record.verdict, record.auth, record.status) == ("scripted", "ok", 503)


def test_script_times_then_normal_again(sbx: Sandbox, http: httpx.Client) -> None:
    sbx.script("binance", times=2, status=500, body=b"", operation_id="query_max_borrow")
    statuses = []
    for _ in range(3):
        statuses.append(binance("asset=BTC").send(sbx, http).status_code)
        time.sleep(0.002)
    assert statuses == [500, 500, 200]
    records = sbx.requests("binance")
    assert [r.auth for r in records] == ["ok", "ok", "ok"]
    timestamps = [r.timestamp_ms for r in records]
    assert all(t is not None for t in timestamps) and len(set(timestamps)) == 3


def test_script_only_hits_its_operation(sbx: Sandbox, http: httpx.Client) -> None:
    sbx.script("okx", status=429, body={"code": "50011", "msg": "Too Many Requests"}, operation_id="get_max_loan")
    assert http.get(sbx.base_url("okx") + TIME_PATHS["okx"]).status_code == 200
    assert okx("mgnMode=cross").send(sbx, http).status_code == 429


def test_script_delay_answers_normally_but_late(sbx: Sandbox, http: httpx.Client) -> None:
    sbx.script("backpack", delay_s=0.3)
    started = time.monotonic()
    response = backpack("symbol=USDC").send(sbx, http)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_script_delay_exceeds_client_timeout(sbx: Sandbox) -> None:
    sbx.script("okx", delay_s=0.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sbx.base_url("okx") + TIME_PATHS["okx"], timeout=0.1)


def test_script_drop_closes_the_connection(sbx: Sandbox, http: httpx.Client) -> None:
    sbx.script("binance", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        binance("asset=BTC").send(sbx, http)
    assert binance("asset=BTC").send(sbx, http).status_code == 200
    assert [(r.verdict, r.status) for r in sbx.requests("binance")] == [("dropped", None), ("ok", 200)]


def test_script_rejects_contradictions(sbx: Sandbox) -> None:
    with pytest.raises(ValueError):
        sbx.script("okx", drop=True, status=500)
    with pytest.raises(ValueError):
        sbx.script("okx", operation_id="no_such_operation")
    with pytest.raises(ValueError):
        sbx.script("kraken")


def test_request_log_keeps_what_was_sent(sbx: Sandbox, http: httpx.Client) -> None:
    body = b'{"borrowCcy":"USDT"}'
    okx_post(body).send(sbx, http)
    okx("mgnMode=spot").send(sbx, http)
    first, second = sbx.requests("okx")
    assert (first.method, first.target, first.body, first.operation_id) == (
        "POST",
        OKX_FLEXIBLE,
        body,
        "max_loan_amount",
    )
    assert first.headers["ok-access-key"] == OKX_CREDENTIALS.api_key
    assert first.verdict == "ok" and first.timestamp_ms is not None
    assert abs(first.timestamp_ms - first.received_ms) < 5_000
    assert (second.target, second.verdict, second.status) == (f"{OKX_MAX_LOAN}?mgnMode=spot", "51000", 400)
    sbx.reset()
    assert sbx.requests("okx") == []


# --- Clock and rate limits -------------------------------------------------------------------------------------


def test_server_time_follows_clock_and_skew(fixed: Sandbox, http: httpx.Client, clock: FakeClock) -> None:
    fixed.skew_ms = 1234
    clock.now_ms = T0 + 10
    expected = T0 + 10 + 1234
    assert http.get(fixed.base_url("backpack") + TIME_PATHS["backpack"]).text == str(expected)
    assert http.get(fixed.base_url("binance") + TIME_PATHS["binance"]).json() == {"serverTime": expected}
    okx = http.get(fixed.base_url("okx") + TIME_PATHS["okx"]).json()
    assert okx == {"code": "0", "msg": "", "data": [{"ts": str(expected)}]}


def test_okx_flexible_loan_limit_five_per_two_seconds(limited: Sandbox, http: httpx.Client, clock: FakeClock) -> None:
    call = okx_post(b'{"borrowCcy":"USDT"}')
    assert [call.send(limited, http).status_code for _ in range(5)] == [200] * 5
    refused = call.send(limited, http)
    assert refused.status_code == 429
    assert refused.json() == {"code": "50011", "msg": "Too Many Requests", "data": []}
    # keyed on the user: the demo key has its own budget
    assert okx_post(b'{"borrowCcy":"USDT"}', demo=True).send(limited, http).status_code == 200
    clock.now_ms += 1999
    assert call.send(limited, http).status_code == 429
    clock.now_ms += 1
    assert call.send(limited, http).status_code == 200
    assert limited.rate_limited("okx") == 2


def test_binance_max_borrow_weight_750_allows_240_per_minute_per_account(
    limited: Sandbox, http: httpx.Client, clock: FakeClock
) -> None:
    call = binance("asset=BTC")
    for sent in range(240):
        response = call.send(limited, http)
        assert response.status_code == 200, (sent, response.text)
    assert response.headers["x-sapi-used-uid-weight-1m"] == "180000"
    refused = call.send(limited, http)
    assert _error(refused) == (429, -1003)
    assert refused.headers["retry-after"] == "60"
    # Both sandbox keys belong to one account (UID): the Ed25519 key finds the budget spent too.
    assert _error(binance("asset=BTC", binance_key="ed25519").send(limited, http)) == (429, -1003)
    # Server time draws on the /api/* IP pool, another budget, and reports it in its own header.
    answered = http.get(limited.base_url("binance") + TIME_PATHS["binance"])
    assert answered.status_code == 200 and answered.headers["x-mbx-used-weight-1m"] == "1"
    clock.now_ms += 60_000
    assert call.send(limited, http).status_code == 200
    assert limited.rate_limited("binance") == 2


def test_weight_another_program_used_is_counted_and_reported(limited: Sandbox, http: httpx.Client) -> None:
    assert limited.use_weight("binance", "query_max_borrow", 180_000 - 750) == 179_250
    answered = binance("asset=BTC").send(limited, http)
    assert answered.status_code == 200 and answered.headers["x-sapi-used-uid-weight-1m"] == "180000"
    assert _error(binance("asset=BTC").send(limited, http)) == (429, -1003)
    with pytest.raises(ValueError, match="does not fit"):
        limited.use_weight("binance", "query_max_borrow", 750)
    with pytest.raises(ValueError, match="documents no rate limit"):
        limited.use_weight("backpack", "get_max_borrow_quantity", 1)


def test_okx_answers_an_order_the_account_does_not_have_with_empty_data(sbx: Sandbox, http: httpx.Client) -> None:
    unknown = okx_post(b'{"borrowCcy":"USDT","ordId":"999"}').send(sbx, http)
    assert unknown.status_code == 200 and unknown.json() == {"code": "0", "msg": "", "data": []}
    known = okx_post(b'{"borrowCcy":"USDT","ordId":"12345"}').send(sbx, http)
    assert [item["borrowCcy"] for item in known.json()["data"]] == ["USDT"]
    oldest = okx_post(b'{"borrowCcy":"USDT"}').send(sbx, http)  # no ordId: the account's oldest order
    assert len(oldest.json()["data"]) == 1
    assert sbx.violations == []


def test_undocumented_limits_are_not_enforced(limited: Sandbox, http: httpx.Client) -> None:
    call = backpack("symbol=USDC")
    assert {call.send(limited, http).status_code for _ in range(30)} == {200}
    assert limited.rate_limited("backpack") == 0


def test_rate_limits_are_off_by_default(sbx: Sandbox, http: httpx.Client) -> None:
    call = okx_post(b'{"borrowCcy":"USDT"}')
    assert {call.send(sbx, http).status_code for _ in range(8)} == {200}


# --- More spec deviations: empty values, no body, an auth header beyond its documented maximum ---------------


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(backpack("symbol="), "INVALID_CLIENT_REQUEST", id="backpack-required"),
        pytest.param(binance("asset="), -1102, id="binance-required"),
        pytest.param(okx("mgnMode="), "50014", id="okx-required"),
        pytest.param(okx("mgnMode=cross&instId="), "50014", id="okx-optional"),
    ],
)
def test_empty_parameter_value(sbx: Sandbox, http: httpx.Client, call: Call, code: object) -> None:
    assert _error(call.send(sbx, http)) == (400, code)


def test_body_absent_where_required(sbx: Sandbox, http: httpx.Client) -> None:
    assert _error(okx_post(b"").send(sbx, http)) == (400, "50002")


@pytest.mark.parametrize("window_ms", [0, 60_001])
def test_backpack_window_outside_its_documented_range(sbx: Sandbox, http: httpx.Client, window_ms: int) -> None:
    response = backpack("symbol=USDC", window_ms=window_ms).send(sbx, http)
    assert _error(response) == (400, "INVALID_CLIENT_REQUEST")


def test_the_sandbox_logs_no_request_lines(
    sbx: Sandbox, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """werkzeug's access log would print each request target, and Binance's carries ``signature=``."""
    from binance_client.api.margin import query_max_borrow

    from auth_plugins import binance

    creds = BINANCE_CREDENTIALS
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    url = sbx.base_url("binance")
    with binance.make_client(api_key=creds.hmac_api_key, api_secret=creds.hmac_api_secret, base_url=url) as client:
        assert query_max_borrow.sync(client=client, asset="BTC") is not None
    assert sbx.requests("binance")[-1].status == 200
    out, err = capfd.readouterr()
    logged = out + err + "".join(record.getMessage() for record in caplog.records)
    assert "signature=" not in logged and "maxBorrowable" not in logged


@pytest.mark.parametrize("exchange", ["backpack", "binance", "okx"])
def test_the_documents_the_sandbox_validates_against_are_valid_openapi(exchange: str) -> None:
    """The sandbox loads them unchecked (the bundle is checked when built); the request document is its own
    rewrite of the bundle, so it is checked here, with the validator openapi-core would have run."""
    from openapi_spec_validator import validate

    from auth_plugins.sandbox._spec import load_exchange_spec

    spec = load_exchange_spec(exchange)
    for api in (spec.request_api, spec.response_api):
        validate(api.spec.read_value())
