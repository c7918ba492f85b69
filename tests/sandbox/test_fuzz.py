"""Bounded property-based fuzz of the sandbox from the bundled specs: no request makes it answer 5xx.

Schemathesis generates requests for every operation of every bundle (generated/<exchange>_client/openapi.yaml):
spec-valid ones, and for operations that take parameters or a body, spec-breaking ones. Signed operations are
signed on the way out by :class:`Signer`, a ``requests`` auth hook that signs the final request bytes with
tests/_sign.py (independent of auth_plugins and of the sandbox's verifier), so valid requests get past
authentication and reach the answer. Properties: never a 5xx (no fault is scripted here); every spec-valid
request is answered 200, with a body reflecting it; every answer validates against the spec (the ``sbx``
fixtures fail the test on any violation). A raw-socket fuzz adds what no spec describes: any method, target,
headers and body bytes. Derandomized and bounded: a fixed budget of examples per exchange and mode, each example
drawing its operation first, so an added operation shares the budget instead of adding to it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, EXCHANGES, OKX_CREDENTIALS, Sandbox
from scripts.codegen.yaml_loader import LOADER
from tests._exchanges import EXCHANGES as FACTS
from tests._sign import backpack_headers, binance_signature, okx_headers, okx_timestamp

EXAMPLES: Final = 40
"""Examples per run of the raw-socket fuzz."""
EXAMPLES_PER_RUN: Final = 100
"""Spec-driven examples per exchange and generation mode, whatever the number of operations (40 per operation and
mode before issue 22: 120 to 200 per exchange and mode)."""

FUZZ_SETTINGS: Final = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@cache
def _document(exchange: str) -> str:
    return resources.files(f"{exchange}_client").joinpath("openapi.yaml").read_text(encoding="utf-8")


def _schema(exchange: str) -> Any:
    # A fresh dict each time: schemathesis normalises the document it is given in place.
    return schemathesis.openapi.from_dict(yaml.load(_document(exchange), Loader=LOADER), config=schemathesis.Config())


def _operations(exchange: str, mode: GenerationMode) -> list[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path, operation)`` of ``exchange`` that ``mode`` applies to (negative: those taking input)."""
    document = yaml.load(_document(exchange), Loader=LOADER)
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if mode is GenerationMode.POSITIVE or operation.get("parameters") or operation.get("requestBody")
    ]


MODES: Final = [
    pytest.param(exchange, mode, id=f"{exchange}-{mode.value}")
    for exchange in EXCHANGES
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if _operations(exchange, mode)
]


class Signer(requests.auth.AuthBase):
    """The hook that signs: a ``requests`` auth that signs the prepared request's final URL and body bytes.

    ``operation`` is the bundle's operation (``security``, ``x-signing``); public operations pass unchanged.
    ``now_ms`` is the sandbox clock. Binance gets ``timestamp`` appended, then ``signature``.
    """

    def __init__(self, exchange: str, operation: dict[str, Any], now_ms: Callable[[], int]) -> None:
        self.exchange = exchange
        self.operation = operation
        self.now_ms = now_ms

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not self.operation.get("security"):
            return request
        assert request.url is not None and request.method is not None
        body = request.body or b""
        body = body.encode("utf-8") if isinstance(body, str) else body
        assert isinstance(body, bytes)
        url = urlsplit(request.url)
        now = self.now_ms()
        if self.exchange == "backpack":
            instruction = self.operation["x-signing"]["instruction"]
            request.headers.update(
                backpack_headers(
                    instruction,
                    url.query,
                    api_key=BACKPACK_CREDENTIALS.api_key,
                    secret_b64=BACKPACK_CREDENTIALS.api_secret,
                    timestamp_ms=now,
                )
            )
        elif self.exchange == "binance":
            query = f"{url.query}&timestamp={now}" if url.query else f"timestamp={now}"
            signature = binance_signature(query.encode() + body, hmac_secret=BINANCE_CREDENTIALS.hmac_api_secret)
            request.url = urlunsplit(url._replace(query=f"{query}&signature={signature}"))
            request.headers["X-MBX-APIKEY"] = BINANCE_CREDENTIALS.hmac_api_key
        else:
            target = f"{url.path}?{url.query}" if url.query else url.path
            request.headers.update(
                okx_headers(
                    request.method,
                    target,
                    body,
                    api_key=OKX_CREDENTIALS.api_key,
                    secret=OKX_CREDENTIALS.api_secret,
                    passphrase=OKX_CREDENTIALS.passphrase,
                    timestamp=okx_timestamp(now),
                )
            )
        return request


T0: Final = 1_700_000_000_000


@pytest.fixture(scope="module")
def _frozen_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=lambda: T0) as sandbox:
        yield sandbox


@pytest.fixture
def frozen(_frozen_sandbox: Sandbox) -> Iterator[Sandbox]:
    """A sandbox whose clock stands still (so a tiny ``recvWindow`` is never about timing), reset for this test;
    fails the test if any answer it sent broke the spec."""
    _frozen_sandbox.reset()
    yield _frozen_sandbox
    assert not _frozen_sandbox.violations, "\n".join(map(str, _frozen_sandbox.violations))


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.mark.parametrize(("exchange", "mode"), MODES)
def test_generated_requests_never_get_a_5xx(
    frozen: Sandbox, session: requests.Session, exchange: str, mode: GenerationMode
) -> None:
    schema = _schema(exchange)
    operations = _operations(exchange, mode)
    strategies: dict[tuple[str, str], Any] = {}
    base_url = frozen.base_url(exchange)
    statuses: dict[int, int] = {}
    reached: set[str] = set()

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES_PER_RUN)
    @given(data=st.data())
    def send(data: st.DataObject) -> None:
        method, path, operation = data.draw(st.sampled_from(operations), label="operation")
        if (method, path) not in strategies:
            strategies[(method, path)] = schema[path][method.lower()].as_strategy(generation_mode=mode)
        case = data.draw(strategies[(method, path)], label="case")
        kwargs = case.as_transport_kwargs(base_url=base_url)
        signer = Signer(exchange, operation, frozen.now_ms)
        response = session.request(**kwargs, auth=signer, timeout=10)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        reached.add(operation["operationId"])
        described = f"{kwargs['method']} {response.request.url} body={kwargs.get('data') or kwargs.get('json')!r}"
        assert response.status_code < 500, f"{described} -> {response.status_code} {response.text[:300]}"
        if mode is GenerationMode.POSITIVE:
            assert response.status_code == 200, f"{described} -> {response.status_code} {response.text[:300]}"

    send()
    assert sum(statuses.values()) >= 1
    if len(operations) <= 10:  # a small table is fuzzed whole; a large one shares the budget
        assert reached == {operation["operationId"] for _, _, operation in operations}
    if mode is GenerationMode.NEGATIVE:
        assert any(400 <= status < 500 for status in statuses), statuses


# --- Bodies no JSON schema describes --------------------------------------------------------------------------

FLEXIBLE: Final = "/api/v5/finance/flexible-loan/max-loan"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'\xff\xfe{"borrowCcy":"USDT"}', id="not-utf8"),
        pytest.param(b'{"borrowCcy":"\xff"}', id="not-utf8-inside-json"),
        pytest.param(b"\x00\x01\x02", id="binary"),
        pytest.param(b"borrowCcy=USDT", id="form"),
        pytest.param(b'{"borrowCcy":', id="truncated-json"),
        pytest.param(b"NaN", id="not-an-object"),
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "text/plain"])
def test_unreadable_bodies_get_the_exchanges_own_400(sbx: Sandbox, body: bytes, content_type: str) -> None:
    """Defect (a): a non-UTF-8 JSON body made openapi-core's error message itself fail, and the sandbox sent 500."""
    response = requests.post(sbx.base_url("okx") + FLEXIBLE, data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json() == {"code": "50002", "msg": "Json data format error", "data": []}


def test_signed_unreadable_body_gets_the_same_400(sbx: Sandbox) -> None:
    operation = yaml.load(_document("okx"), Loader=LOADER)["paths"][FLEXIBLE]["post"]
    request = requests.Request(
        "POST", sbx.base_url("okx") + FLEXIBLE, data=b"\xc3\x28", headers={"Content-Type": "application/json"}
    )
    prepared = Signer("okx", operation, sbx.now_ms)(request.prepare())
    with requests.Session() as http:
        response = http.send(prepared, timeout=10)
    assert (response.status_code, response.json()["code"]) == (400, "50002")


# --- Raw requests: any method, target, headers and body ---------------------------------------------------------

RAW_EXAMPLES: Final = 100
_TOKEN: Final = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


def _encoded(raw: bytes) -> str:
    return "".join(f"%{byte:02X}" for byte in raw)


def _targets(exchange: str) -> st.SearchStrategy[str]:
    """Request targets for ``exchange``: its own paths with random queries, and random percent-encoded paths."""
    paths = st.sampled_from(sorted(yaml.load(_document(exchange), Loader=LOADER)["paths"]))
    pairs = st.lists(st.tuples(_TOKEN, st.binary(max_size=8)), max_size=4)
    return st.one_of(
        paths,
        st.builds(lambda p, q: f"{p}?{q}", paths, st.binary(max_size=40).map(_encoded)),
        st.builds(lambda p, q: f"{p}?{'&'.join(f'{k}={_encoded(v)}' for k, v in q)}", paths, pairs),
        st.binary(min_size=1, max_size=40).map(lambda b: "/" + _encoded(b)),
    )


_HEADER_NAMES: Final = st.sampled_from(
    [
        "Content-Type",
        "X-API-Key",
        "X-Signature",
        "X-Timestamp",
        "X-Window",
        "X-MBX-APIKEY",
        "OK-ACCESS-KEY",
        "OK-ACCESS-SIGN",
        "OK-ACCESS-TIMESTAMP",
        "OK-ACCESS-PASSPHRASE",
        "x-simulated-trading",
    ]
)
_HEADER_VALUE: Final = st.binary(max_size=30).map(lambda b: bytes(c for c in b if c not in b"\r\n\x00"))


def _raw_status(port: int, method: str, target: str, headers: list[tuple[str, bytes]], body: bytes) -> int:
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode("latin-1")
    head += b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    head += f"Content-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head + body)
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_raw_requests_never_get_a_5xx(sbx: Sandbox, exchange: str) -> None:
    port = int(sbx.base_url(exchange).rsplit(":", 1)[1])
    statuses: set[int] = set()

    # The plain server-time request is always among the cases, so the 200 in the final check never rests on luck.
    @settings(FUZZ_SETTINGS, max_examples=RAW_EXAMPLES)
    @example(method="GET", target=FACTS[exchange].time_path, headers=[], body=b"")
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
        target=_targets(exchange),
        headers=st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUE), max_size=5),
        body=st.one_of(
            st.binary(max_size=60),
            st.builds(lambda v: json.dumps({"borrowCcy": v}).encode(), st.text(max_size=10)),
        ),
    )
    def send(method: str, target: str, headers: list[tuple[str, bytes]], body: bytes) -> None:
        status = _raw_status(port, method, target, headers, body)
        statuses.add(status)
        assert status < 500, (method, target, headers, body, status)

    send()
    assert {200, 404} <= statuses and len(sbx.requests(exchange)) >= RAW_EXAMPLES


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_server_time_documents_no_400_so_it_ignores_what_it_does_not_read(sbx: Sandbox, exchange: str) -> None:
    """Found by the raw fuzz: a 400 where the operation documents none is an answer the exchange never gives."""
    path = yaml.load(_document(exchange), Loader=LOADER)["paths"]
    time_path = next(p for p, item in path.items() if item.get("get", {}).get("operationId") == "get_server_time")
    response = requests.get(f"{sbx.base_url(exchange)}{time_path}?foo=1&foo=2", data=b"\xff", timeout=10)
    assert response.status_code == 200
