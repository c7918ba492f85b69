"""The ``exchange_sandbox`` pytest fixture (plugin ``auth_plugins.sandbox._pytest_plugin``), as a user's test uses it.

Our own suite gets the fixture exactly as users do: through the ``pytest11`` entry point of the installed
(editable) distribution. Expected error codes come from /work/shared/reference/exchanges.md.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from auth_plugins import (
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    RequestTimeoutError,
    ResponseError,
    RetryPolicy,
    ServerError,
    ServiceUnavailableError,
    TransportError,
    backpack,
    binance,
    okx,
)
from auth_plugins.sandbox import (
    BACKPACK_CREDENTIALS,
    BINANCE_CREDENTIALS,
    EXCHANGES,
    OKX_CREDENTIALS,
    ExchangeSandbox,
    SandboxRequest,
)
from auth_plugins.sandbox._spec import load_exchange_spec
from tests._exchanges import sample
from tests._specs import REPO

# One signed, read-only operation per exchange: (tag, operationId).
SIGNED: Final = {
    "backpack": ("account", "get_max_borrow_quantity"),
    "binance": ("margin", "query_max_borrow"),
    "okx": ("account", "get_max_loan"),
}
KEY_HEADERS: Final = {"backpack": "x-api-key", "binance": "x-mbx-apikey", "okx": "ok-access-key"}
NO_RETRY: Final = {"retry": RetryPolicy(max_retries=0)}


def _call(client: Any, exchange: str, operation: tuple[str, str] | None = None) -> Any:
    """One ``sync`` call of ``operation`` (default: the exchange's signed one) with its sample arguments."""
    tag, operation_id = operation or SIGNED[exchange]
    module = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
    return module.sync(client=client, **sample(exchange, operation_id))


def _signed(requests: list[SandboxRequest]) -> list[SandboxRequest]:
    return [request for request in requests if request.signed]


# --- Clients, base URLs and the environment ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exchange", "kwargs", "key"),
    [
        pytest.param("backpack", {}, BACKPACK_CREDENTIALS.api_key, id="backpack"),
        pytest.param("binance", {}, BINANCE_CREDENTIALS.hmac_api_key, id="binance-hmac"),
        pytest.param("binance", {"private_key": True}, BINANCE_CREDENTIALS.ed25519_api_key, id="binance-ed25519"),
        pytest.param(
            "binance",
            {"private_key": BINANCE_CREDENTIALS.ed25519_private_key_pem.encode()},
            BINANCE_CREDENTIALS.ed25519_api_key,
            id="binance-ed25519-pem",
        ),
        pytest.param("okx", {}, OKX_CREDENTIALS.api_key, id="okx-live"),
        pytest.param("okx", {"demo": True}, OKX_CREDENTIALS.demo_api_key, id="okx-demo"),
    ],
)
def test_client_signs_with_the_sandbox_keys(
    exchange_sandbox: ExchangeSandbox, exchange: str, kwargs: dict[str, Any], key: str
) -> None:
    with exchange_sandbox.client(exchange, **kwargs) as client:
        assert _call(client, exchange) is not None
    [request] = exchange_sandbox.requests
    assert (request.exchange, request.operation_id, request.status) == (exchange, SIGNED[exchange][1], 200)
    assert request.signature_valid and request.headers[KEY_HEADERS[exchange]] == key
    assert (request.headers.get("x-simulated-trading") == "1") is bool(kwargs.get("demo"))


def test_client_kwargs_go_to_the_factory_and_win(exchange_sandbox: ExchangeSandbox) -> None:
    with exchange_sandbox.client("okx", api_secret="0" * 32, **NO_RETRY) as client, pytest.raises(AuthenticationError):
        _call(client, "okx")
    with exchange_sandbox.client("binance", private_key=True, api_key=BINANCE_CREDENTIALS.hmac_api_key) as client:
        with pytest.raises(AuthenticationError):
            _call(client, "binance")
    assert [r.signature_valid for r in exchange_sandbox.requests] == [False, False]


def test_base_urls_are_loopback_and_distinct(exchange_sandbox: ExchangeSandbox) -> None:
    urls = {exchange_sandbox.base_url(exchange) for exchange in EXCHANGES}
    assert len(urls) == 3 and all(url.startswith("http://127.0.0.1:") for url in urls)
    with pytest.raises(ValueError, match="kraken"):
        exchange_sandbox.base_url("kraken")


@pytest.mark.parametrize(("binance_key", "okx_demo"), [("hmac", False), ("ed25519", True)])
def test_env_drives_every_client_from_env(
    exchange_sandbox: ExchangeSandbox, monkeypatch: pytest.MonkeyPatch, binance_key: Any, okx_demo: bool
) -> None:
    # Whatever the developer's shell had, setting every variable env() returns decides.
    monkeypatch.setenv("BINANCE_API_SECRET", "from-the-shell")
    monkeypatch.setenv("BINANCE_PRIVATE_KEY_FILE", "/nonexistent.pem")
    monkeypatch.setenv("OKX_DEMO", "1" if not okx_demo else "0")
    env = exchange_sandbox.env(binance_key=binance_key, okx_demo=okx_demo)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for factory in (backpack, binance, okx):
        with factory.client_from_env() as client:
            _call(client, factory.__name__.rsplit(".", 1)[1])
    requests = exchange_sandbox.requests
    assert [r.exchange for r in requests] == list(EXCHANGES)
    assert all(r.signature_valid for r in requests)
    binance_request, okx_request = requests[1], requests[2]
    expected_binance_key = BINANCE_CREDENTIALS.ed25519_api_key if binance_key == "ed25519" else None
    assert binance_request.headers["x-mbx-apikey"] == (expected_binance_key or BINANCE_CREDENTIALS.hmac_api_key)
    assert okx_request.headers["ok-access-key"] == (
        OKX_CREDENTIALS.demo_api_key if okx_demo else OKX_CREDENTIALS.api_key
    )
    if binance_key == "ed25519":
        key_file = Path(env["BINANCE_PRIVATE_KEY_FILE"])
        assert key_file.read_text() == BINANCE_CREDENTIALS.ed25519_private_key_pem
        assert key_file.stat().st_mode & 0o077 == 0
        assert env["BINANCE_API_SECRET"] == ""
    else:
        assert env["BINANCE_PRIVATE_KEY_FILE"] == ""


# --- respond ----------------------------------------------------------------------------------------------------


def test_respond_answers_that_operation_from_now_on(exchange_sandbox: ExchangeSandbox) -> None:
    body = {"code": "0", "msg": "", "data": [{**_OKX_LOAN, "maxLoan": "7.5"}]}
    exchange_sandbox.respond("okx", "get_max_loan", body)
    with exchange_sandbox.client("okx") as client:
        first, second = _call(client, "okx"), _call(client, "okx")
        flexible = _call(client, "okx", ("flexible_loan", "max_loan_amount"))
    assert [item.max_loan for item in first.data] == [Decimal("7.5")] and second.to_dict() == first.to_dict()
    assert flexible.data[0].max_loan == Decimal("0.01113")  # other operations keep their own answers
    exchange_sandbox.reset()
    with exchange_sandbox.client("okx") as client:
        assert [item.max_loan for item in _call(client, "okx").data] == [
            Decimal("0.1"),
            Decimal("0.2"),
        ] * 2  # two instruments asked


_OKX_LOAN: Final = {"instId": "BTC-USDT", "mgnMode": "cross", "mgnCcy": "", "maxLoan": "1", "ccy": "BTC", "side": "buy"}


def test_respond_still_checks_requests_and_signatures(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.respond("binance", "query_max_borrow", {"amount": "9"})
    with exchange_sandbox.client("binance", api_secret="0" * 64, **NO_RETRY) as client:
        with pytest.raises(AuthenticationError):
            _call(client, "binance")
    with exchange_sandbox.client("binance") as client:
        assert _call(client, "binance").amount == Decimal("9")


def test_respond_server_time_text(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.respond("backpack", "get_server_time", "1700000000000")
    response = httpx.get(exchange_sandbox.base_url("backpack") + "/api/v1/time")
    assert (response.status_code, response.text) == (200, "1700000000000")


@pytest.mark.parametrize(
    ("exchange", "operation_id", "body", "named"),
    [
        pytest.param("binance", "query_max_borrow", {"amount": 2.5}, "amount must be a decimal string", id="number"),
        pytest.param("binance", "query_max_borrow", {"borrowLimit": "1"}, "amount is required", id="required"),
        pytest.param("binance", "query_max_borrow", {"amount": "1e5"}, "amount must be a decimal", id="exponent"),
        pytest.param(
            "okx",
            "get_max_loan",
            {"code": "0", "msg": "", "data": [{**_OKX_LOAN, "maxLoan": None}]},
            r"data\[0\]\.maxLoan must not be null",
            id="nested-null",
        ),
        pytest.param("okx", "max_loan_amount", {"code": 0, "msg": "", "data": []}, "code must be a string", id="type"),
        pytest.param("okx", "max_loan_amount", [], "the body must be an object", id="not-object"),
        pytest.param("backpack", "get_server_time", "soon", "does not match", id="text-pattern"),
        pytest.param("backpack", "get_server_time", 1700000000000, "give the body as a str", id="text-type"),
        pytest.param("binance", "get_server_time", {"serverTime": {1, 2}}, "not JSON", id="not-json"),
        pytest.param("okx", "no_such_operation", {}, "no_such_operation", id="unknown-operation"),
    ],
)
def test_respond_refuses_answers_the_exchange_would_never_send(
    exchange_sandbox: ExchangeSandbox, exchange: str, operation_id: str, body: Any, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        exchange_sandbox.respond(exchange, operation_id, body)


# --- fail ---------------------------------------------------------------------------------------------------------

RATE_LIMIT_BODIES: Final[dict[str, dict[str, Any]]] = {
    "backpack": {"code": "TOO_MANY_REQUESTS", "message": "Too many requests"},
    "binance": {
        "code": -1003,
        "msg": "Too much request weight used; current limit exceeded. Please use WebSocket Streams for live updates.",
    },
    "okx": {"code": "50011", "msg": "Too Many Requests", "data": []},
}


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_fail_429_with_retry_after_raises_rate_limit_error(exchange_sandbox: ExchangeSandbox, exchange: str) -> None:
    exchange_sandbox.fail(exchange, SIGNED[exchange][1], 429, retry_after=30)
    with exchange_sandbox.client(exchange) as client, pytest.raises(RateLimitError) as caught:
        _call(client, exchange)  # 30 s is above the client's Retry-After cap: raised at once, not retried
    assert (caught.value.status, caught.value.retry_after) == (429, 30.0)
    assert caught.value.code == RATE_LIMIT_BODIES[exchange]["code"]
    [request] = exchange_sandbox.requests
    assert request.signature_valid and request.status == 429
    with exchange_sandbox.client(exchange) as client:
        assert _call(client, exchange) is not None  # times=1: the next call is answered normally


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_fail_answers_the_exchange_shape_and_header(exchange_sandbox: ExchangeSandbox, exchange: str) -> None:
    exchange_sandbox.fail(exchange, "get_server_time", 429, retry_after=1.5)
    path = load_exchange_spec(exchange).operation("get_server_time").path
    response = httpx.get(exchange_sandbox.base_url(exchange) + path)
    assert response.status_code == 429
    assert response.json() == RATE_LIMIT_BODIES[exchange]
    assert response.headers["retry-after"] == "1.5"
    assert "json" in response.headers["content-type"]


def test_every_documented_error_status_has_a_default_that_validates(exchange_sandbox: ExchangeSandbox) -> None:
    """``fail`` validates its answer against the documented error response, so none of these may raise."""
    for exchange in EXCHANGES:
        for operation in load_exchange_spec(exchange).operations:
            for status in operation.content_types:
                if status >= 400:
                    exchange_sandbox.fail(exchange, operation.operation_id, status)


@pytest.mark.parametrize(
    ("exchange", "status", "kwargs", "error", "code"),
    [
        ("backpack", 400, {"code": "INVALID_SYMBOL", "message": "Invalid symbol"}, BadRequestError, "INVALID_SYMBOL"),
        ("backpack", 503, {}, ServiceUnavailableError, "MAINTENANCE"),
        ("binance", 400, {"code": -1121, "message": "Invalid symbol."}, BadRequestError, -1121),
        ("binance", 401, {}, AuthenticationError, -2015),
        ("okx", 400, {"code": 51000}, BadRequestError, "51000"),
        ("okx", 401, {}, AuthenticationError, "50113"),
    ],
)
def test_fail_code_and_message(
    exchange_sandbox: ExchangeSandbox, exchange: str, status: int, kwargs: Any, error: type[Exception], code: Any
) -> None:
    exchange_sandbox.fail(exchange, SIGNED[exchange][1], status, **kwargs)
    with exchange_sandbox.client(exchange, **NO_RETRY) as client, pytest.raises(error) as caught:
        _call(client, exchange)
    assert getattr(caught.value, "code", None) == code
    if "message" in kwargs:
        assert getattr(caught.value, "message", None) == kwargs["message"]


def test_fail_times_outlasts_the_clients_retries(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.fail("okx", "get_max_loan", 503, times=2)
    with exchange_sandbox.client("okx", retry=RetryPolicy(max_retries=1, backoff_base_s=0.001)) as client:
        with pytest.raises(ServiceUnavailableError):
            _call(client, "okx")
        assert _call(client, "okx") is not None
    assert [(r.status, r.signature_valid) for r in exchange_sandbox.requests] == [(503, True)] * 2 + [(200, True)]


@pytest.mark.parametrize(
    ("exchange", "status", "kwargs", "named"),
    [
        ("binance", 429, {"code": "-1003"}, "negative int"),
        ("binance", 429, {"code": 1003}, "negative int"),
        ("okx", 429, {"code": "rate"}, "string of digits"),
        ("backpack", 429, {"code": 42}, "name"),
        ("okx", 302, {}, "400-599"),
        ("okx", 418, {}, "pass code="),
        ("okx", 429, {"retry_after": -1}, "retry_after"),
        ("okx", 429, {"times": 0}, "times"),
    ],
)
def test_fail_refuses_what_the_exchange_would_not_send(
    exchange_sandbox: ExchangeSandbox, exchange: str, status: int, kwargs: Any, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        exchange_sandbox.fail(exchange, SIGNED[exchange][1], status, **kwargs)


# --- Transport faults ---------------------------------------------------------------------------------------------


def test_drop(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.drop("binance", "query_max_borrow")
    with exchange_sandbox.client("binance", **NO_RETRY) as client, pytest.raises(TransportError):
        _call(client, "binance")
    assert [r.status for r in exchange_sandbox.requests] == [None]


def test_slow(exchange_sandbox: ExchangeSandbox) -> None:
    exchange_sandbox.slow("okx", 0.5, "get_max_loan")
    with exchange_sandbox.client("okx", timeout=0.1, **NO_RETRY) as client, pytest.raises(RequestTimeoutError):
        _call(client, "okx")
    exchange_sandbox.slow("okx", 0.2)
    with exchange_sandbox.client("okx") as client:
        assert _call(client, "okx") is not None  # late but answered


@pytest.mark.parametrize(("status", "error"), [(502, ServerError), (200, ResponseError)])
def test_html_page(exchange_sandbox: ExchangeSandbox, status: int, error: type[Exception]) -> None:
    exchange_sandbox.html("backpack", "get_max_borrow_quantity", status=status)
    with exchange_sandbox.client("backpack", **NO_RETRY) as client, pytest.raises(error):
        _call(client, "backpack")
    response = httpx.get(exchange_sandbox.base_url("backpack") + "/api/v1/time")
    assert response.status_code == 200  # times=1, and only that operation


@pytest.mark.parametrize(("close_connection", "error"), [(False, ResponseError), (True, TransportError)])
def test_truncate(exchange_sandbox: ExchangeSandbox, close_connection: bool, error: type[Exception]) -> None:
    exchange_sandbox.truncate("okx", "get_max_loan", close_connection=close_connection)
    with exchange_sandbox.client("okx", **NO_RETRY) as client, pytest.raises(error):
        _call(client, "okx")
    [request] = exchange_sandbox.requests
    assert request.signature_valid and request.status == 200


def test_faults_refuse_unknown_operations(exchange_sandbox: ExchangeSandbox) -> None:
    for fault in (exchange_sandbox.drop, exchange_sandbox.html, exchange_sandbox.truncate):
        with pytest.raises(ValueError, match="nope"):
            fault("okx", "nope")


# --- Records, clock and rate limits ----------------------------------------------------------------------------


def test_requests_record_what_arrived_in_order(exchange_sandbox: ExchangeSandbox) -> None:
    with exchange_sandbox.client("okx") as okx_client, exchange_sandbox.client("binance") as binance_client:
        _call(okx_client, "okx", ("flexible_loan", "max_loan_amount"))
        _call(binance_client, "binance")
    httpx.get(exchange_sandbox.base_url("okx") + "/api/v5/public/time")
    flexible, borrow, time_request = exchange_sandbox.requests
    assert (flexible.exchange, flexible.method, flexible.path) == (
        "okx",
        "POST",
        "/api/v5/finance/flexible-loan/max-loan",
    )
    assert flexible.body == {"ordId": "12345", "borrowCcy": "USDT", "supCollateral": [{"ccy": "BTC", "amt": "0.5"}]}
    assert flexible.params == {} and flexible.signature_valid
    assert borrow.operation_id == "query_max_borrow" and borrow.body is None
    assert {k: borrow.params[k] for k in ("asset", "isolatedSymbol", "recvWindow")} == {
        "asset": "BTC",
        "isolatedSymbol": "BTCUSDT",
        "recvWindow": "5000",
    }
    assert {"timestamp", "signature"} <= borrow.params.keys() and borrow.signature_valid
    assert (time_request.operation_id, time_request.signed, time_request.signature_valid) == (
        "get_server_time",
        False,
        False,
    )


def test_skew_ms_moves_the_server_clock(exchange_sandbox: ExchangeSandbox) -> None:
    assert exchange_sandbox.skew_ms == 0
    exchange_sandbox.skew_ms = 120_000
    with exchange_sandbox.client("binance") as client:
        assert _call(client, "binance") is not None  # rejected once, clock re-synced, accepted
    statuses = [(r.operation_id, r.signature_valid) for r in exchange_sandbox.requests]
    assert statuses == [("query_max_borrow", False), ("get_server_time", False), ("query_max_borrow", True)]


def test_rate_limit_enforcement_switches(exchange_sandbox: ExchangeSandbox) -> None:
    assert exchange_sandbox.enforce_rate_limits is False
    exchange_sandbox.enforce_rate_limits = True
    operation = ("flexible_loan", "max_loan_amount")  # OKX documents 5 requests per 2 s
    with exchange_sandbox.client("okx", rate_limit=False, **NO_RETRY) as client:
        for _ in range(5):
            _call(client, "okx", operation)
        with pytest.raises(RateLimitError):
            _call(client, "okx", operation)
        exchange_sandbox.enforce_rate_limits = False
        _call(client, "okx", operation)


# --- The plugin itself ------------------------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}


def test_the_plugin_imports_without_the_sandbox_extra() -> None:
    """pytest imports the plugin in every project with the distribution installed: it must not need werkzeug."""
    code = (
        "import sys\n"
        "for name in ('werkzeug', 'openapi_core', 'yaml'):\n"
        "    sys.modules[name] = None  # as if the sandbox extra were not installed\n"
        "import auth_plugins.sandbox._pytest_plugin\n"
        "import auth_plugins.sandbox as sandbox\n"
        "try:\n"
        "    sandbox.Sandbox\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'exchange-clients[sandbox]'" in result.stdout


def test_a_missing_extra_fails_the_test_using_the_fixture_with_the_install_command(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import sys

            # As if the sandbox extra were not installed (other plugins may have imported werkzeug already).
            for name in list(sys.modules):
                if name.split(".")[0] in ("werkzeug", "openapi_core", "yaml"):
                    sys.modules[name] = None
            """
        )
    )
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            def test_uses_the_sandbox(exchange_sandbox):
                pass

            def test_does_not():
                pass
            """
        )
    )
    result = _pytest_in(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout, result.stdout
    assert "pip install 'exchange-clients[sandbox]'" in result.stdout


def _pytest_in(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis", "-rE"],
        cwd=directory,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_answer_breaking_the_spec_fails_the_test_at_teardown(tmp_path: Path) -> None:
    """A sandbox bug must not pass for a green contract test: the fixture reports its violations."""
    (tmp_path / "conftest.py").write_text(
        "from auth_plugins.sandbox._app import ExchangeApp\n\n"
        "ExchangeApp._success_body = lambda self, *args: b'{}'  # a sandbox that answers off-spec\n"
    )
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import httpx

            def test_time(exchange_sandbox):
                assert httpx.get(exchange_sandbox.base_url("binance") + "/api/v3/time").status_code == 200
            """
        )
    )
    result = _pytest_in(tmp_path)
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert "the sandbox exchange sent answers that break the spec" in result.stdout
