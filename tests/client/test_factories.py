"""The public factories: every operation through a generated client over real HTTP, sync and async, with a
loopback server that recomputes each signature from the raw request; env-var factories; safe defaults that cannot
be undone; checked, typed options; reprs.

The server side uses the sandbox's pure verifiers (auth_plugins/sandbox/_signatures.py), which share no code with
the signers and are held to the documented vectors in tests/signers/test_verifiers.py.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from auth_plugins import AuthenticationError, ConfigurationError, ResponseError, RetryPolicy, backpack, binance, okx
from auth_plugins.sandbox._signatures import verify_backpack, verify_binance_ed25519, verify_binance_hmac, verify_okx
from tests._exchanges import sample
from tests._specs import all_operations

# Throwaway credentials. Backpack: RFC 8032 TEST 1 seed (exchanges.md 1.3). Binance: the documentation's
# HMAC pair (exchanges.md 2.2) and the RFC 8032 TEST 2 seed as PKCS#8. OKX: the documentation's secret.
BACKPACK_SECRET = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
BACKPACK_PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
BINANCE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BINANCE_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
BINANCE_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7
-----END PRIVATE KEY-----
"""
BINANCE_ED_PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
OKX_KEY = "sandbox-okx-key-0001"
OKX_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
OKX_PASSPHRASE = "sandbox-passphrase"
SECRETS = (BACKPACK_SECRET, BINANCE_SECRET, BINANCE_PEM.splitlines()[1], OKX_SECRET, OKX_PASSPHRASE)


class SigningServer:
    """Answers every bundled operation with its documented example after verifying the signature."""

    def __init__(self, server: HTTPServer, exchange: str, binance_ed25519: bool = False) -> None:
        self.verdicts: list[tuple[str, bool]] = []
        self.exchange = exchange
        self.binance_ed25519 = binance_ed25519
        for _, method, route, op in (row for row in all_operations() if row[0] == exchange):
            server.expect_request(route, method=method).respond_with_handler(self._handler(op))

    def _handler(self, op: dict[str, Any]) -> Callable[[Request], Response]:
        media, content = next(iter(op["responses"]["200"]["content"].items()))
        example = content["example"]
        body = example if isinstance(example, str) else json.dumps(example)

        def handle(request: Request) -> Response:
            ok = self._verify(op, request) if op.get("security") else not _has_signature(request)
            self.verdicts.append((op["operationId"], ok))
            return Response(body, status=200 if ok else 401, content_type=media)

        return handle

    def _verify(self, op: dict[str, Any], request: Request) -> bool:
        headers = {k.lower(): v for k, v in request.headers.items()}
        query, body = request.query_string, request.get_data()
        if self.exchange == "backpack":
            instruction = op["x-signing"]["instruction"]
            return verify_backpack(instruction, query, body, headers, api_key=BACKPACK_PUBLIC)
        if self.exchange == "binance":
            if headers.get("x-mbx-apikey") != BINANCE_KEY:
                return False
            if self.binance_ed25519:
                return verify_binance_ed25519(query, body, BINANCE_ED_PUBLIC)
            return verify_binance_hmac(query, body, BINANCE_SECRET)
        target = request.environ["RAW_URI"].encode("latin-1")
        return verify_okx(
            request.method, target, body, headers, api_key=OKX_KEY, api_secret=OKX_SECRET, passphrase=OKX_PASSPHRASE
        )


def _has_signature(request: Request) -> bool:
    names = {k.lower() for k in request.headers.keys()}
    return bool({"x-signature", "ok-access-sign"} & names) or b"signature=" in request.query_string


CREDENTIALS: dict[tuple[str, bool], tuple[Callable[..., Any], dict[str, Any]]] = {
    ("backpack", False): (backpack.make_client, {"api_secret": BACKPACK_SECRET}),
    ("binance", False): (binance.make_client, {"api_key": BINANCE_KEY, "api_secret": BINANCE_SECRET}),
    ("binance", True): (binance.make_client, {"api_key": BINANCE_KEY, "private_key": BINANCE_PEM}),
    ("okx", False): (okx.make_client, {"api_key": OKX_KEY, "api_secret": OKX_SECRET, "passphrase": OKX_PASSPHRASE}),
}


def factory(exchange: str, base_url: str | None = None, binance_ed25519: bool = False, **options: Any) -> Any:
    make, credentials = CREDENTIALS[(exchange, binance_ed25519)]
    if base_url is not None:
        options["base_url"] = base_url
    return make(**{**credentials, **options})


CASES = [("backpack", False), ("binance", False), ("binance", True), ("okx", False)]


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver_ipv4
    httpserver_ipv4.clear()


@pytest.mark.parametrize(("exchange", "ed25519"), CASES, ids=["backpack", "binance-hmac", "binance-ed25519", "okx"])
def test_every_operation_is_signed_as_the_exchange_verifies_it_sync_and_async(
    server: HTTPServer, exchange: str, ed25519: bool
) -> None:
    signing = SigningServer(server, exchange, ed25519)
    operations = [(op["tags"][0], op["operationId"]) for ex, _, _, op in all_operations() if ex == exchange]
    with factory(exchange, server.url_for("").rstrip("/"), ed25519) as client:
        for tag, operation_id in operations:
            module = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
            result = module.sync_detailed(client=client, **sample(exchange, operation_id))
            assert result.status_code == 200, (operation_id, result.content)

    async def run_async() -> None:
        async with factory(exchange, server.url_for("").rstrip("/"), ed25519) as client:
            for tag, operation_id in operations:
                module = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
                result = await module.asyncio_detailed(client=client, **sample(exchange, operation_id))
                assert result.status_code == 200, (operation_id, result.content)

    asyncio.run(run_async())
    assert [op for op, _ in signing.verdicts] == [op for _, op in operations] * 2
    assert all(ok for _, ok in signing.verdicts), signing.verdicts


def test_a_wrong_secret_is_caught_by_the_server(server: HTTPServer) -> None:
    signing = SigningServer(server, "okx")
    from okx_client.api.account import get_max_loan

    with factory("okx", server.url_for("").rstrip("/"), api_secret="0" * 32) as client:
        with pytest.raises(AuthenticationError) as info:
            get_max_loan.sync_detailed(client=client, mgn_mode="cross")
    assert info.value.status == 401
    assert signing.verdicts == [("get_max_loan", False)]


def test_factory_defaults_are_safe() -> None:
    for exchange, ed25519 in CREDENTIALS:
        httpx_client = factory(exchange, binance_ed25519=ed25519).get_httpx_client()
        assert httpx_client.timeout == httpx.Timeout(10.0)
        assert httpx_client.follow_redirects is False
        assert str(httpx_client.base_url).startswith("https://")
        assert httpx_client.pipeline.retry == RetryPolicy()
    assert str(factory("okx").get_httpx_client().base_url) == "https://www.okx.com"
    custom = factory("binance", "http://127.0.0.1:9", timeout=2.5)
    assert str(custom.get_httpx_client().base_url) == "http://127.0.0.1:9"
    assert custom.get_httpx_client().timeout == httpx.Timeout(2.5)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("follow_redirects", True, "never follows redirects"),
        ("auth", None, "the signer is the factory's"),
        ("httpx_args", {"transport": None}, "typed options"),
        ("max_retries", 3, "unknown option 'max_retries'"),
        ("timeot", 3, "unknown option 'timeot'"),
    ],
)
def test_safety_defaults_and_unknown_options_are_refused_by_name(option: str, value: Any, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        factory("okx", **{option: value})


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"base_url": "127.0.0.1:8080"}, "must start with http:// or https://"),
        ({"base_url": "https://www.okx.com/api/v5"}, "must have no path"),
        ({"base_url": "https://www.okx.com/?x=1"}, "must have no path, query or fragment"),
        ({"base_url": "https://user:pw@www.okx.com"}, "must not hold credentials"),
        ({"base_url": 8080}, "must be a string"),
        ({"timeout": -1}, "timeout must be a number greater than 0"),
        ({"timeout": 0}, "timeout must be a number greater than 0"),
        ({"timeout": float("nan")}, "timeout must be"),
        ({"timeout": True}, "timeout must be"),
        ({"demo": "yes"}, "demo must be True or False"),
        ({"max_response_bytes": 1.5}, "max_response_bytes must be an integer"),
        ({"retry": 3}, "retry must be a RetryPolicy"),
        ({"rate_limit": "yes"}, "rate_limit: .*the scheme must be redis://"),
        ({"rate_limit": 3}, "rate_limit: rate_limit must be True, False"),
        ({"verify_ssl": 1}, "verify_ssl must be"),
        ({"clock": 5}, "clock must be a callable"),
    ],
)
def test_factory_arguments_are_checked_before_anything_is_built(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        factory("okx", **options)


def test_credentials_are_keyword_only_and_named_alike_on_every_exchange() -> None:
    for make in (backpack.make_client, binance.make_client, okx.make_client):
        with pytest.raises(TypeError):
            make("positional")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="api_key is not the public key of api_secret"):
        backpack.make_client(api_secret=BACKPACK_SECRET, api_key=BINANCE_KEY)
    assert backpack.make_client(api_secret=BACKPACK_SECRET, api_key=BACKPACK_PUBLIC).token == BACKPACK_PUBLIC


def test_an_undocumented_status_and_a_redirect_are_not_silently_accepted(server: HTTPServer) -> None:
    from binance_client.api.general import get_server_time

    server.expect_request("/api/v3/time").respond_with_data("", status=302, headers={"Location": "http://127.0.0.2/x"})
    with factory("binance", server.url_for("").rstrip("/")) as c:
        with pytest.raises(ResponseError) as info:
            get_server_time.sync(client=c)
    assert info.value.status == 302
    assert len(server.log) == 1


def test_bad_key_material_fails_at_construction_without_echoing_it() -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: backpack.make_client(api_secret="not base64!"), "api_secret: Ed25519 seed is not valid base64"),
        (lambda: backpack.make_client(api_secret="c2hvcnQ="), "api_secret: .*exactly 32 bytes"),
        (lambda: backpack.make_client(api_secret=""), "empty"),
        (lambda: binance.make_client(api_key=BINANCE_KEY), "exactly one of api_secret or private_key"),
        (lambda: binance.make_client(api_key=BINANCE_KEY, api_secret="s3cr3t", private_key=BINANCE_PEM), "not both"),
        (
            lambda: binance.make_client(api_key=BINANCE_KEY, private_key="-----BEGIN RSA PRIVATE KEY-----\nAA==\n"),
            "private_key: PEM",
        ),
        (lambda: okx.make_client(api_key=OKX_KEY, api_secret=OKX_SECRET, passphrase=""), "passphrase is empty"),
    ]
    for build, reason in cases:
        with pytest.raises(ConfigurationError, match=reason) as info:
            build()
        for secret in (*SECRETS, "s3cr3t", "not base64!", "c2hvcnQ="):
            assert secret not in str(info.value)


ENV = {
    "BACKPACK_API_SECRET": BACKPACK_SECRET,
    "BINANCE_API_KEY": BINANCE_KEY,
    "BINANCE_API_SECRET": BINANCE_SECRET,
    "OKX_API_KEY": OKX_KEY,
    "OKX_API_SECRET": OKX_SECRET,
    "OKX_PASSPHRASE": OKX_PASSPHRASE,
}
FROM_ENV: dict[str, Callable[[], Any]] = {
    "BACKPACK_API_SECRET": backpack.client_from_env,
    "BINANCE_API_KEY": binance.client_from_env,
    "OKX_API_KEY": okx.client_from_env,
    "OKX_API_SECRET": okx.client_from_env,
    "OKX_PASSPHRASE": okx.client_from_env,
}


@pytest.mark.parametrize("missing", sorted(FROM_ENV))
def test_env_factories_name_the_missing_variable(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigurationError, match=f"environment variable {missing} is not set"):
        FROM_ENV[missing]()


@pytest.mark.parametrize(
    ("variable", "value", "from_env", "words"),
    [
        ("BACKPACK_API_SECRET", "not base64!", backpack.client_from_env, "BACKPACK_API_SECRET: .*not valid base64"),
        ("BACKPACK_API_SECRET", "c2hvcnQ=", backpack.client_from_env, "BACKPACK_API_SECRET: .*exactly 32 bytes"),
        ("OKX_BASE_URL", "www.okx.com", okx.client_from_env, "OKX_BASE_URL must start with http"),
        ("BINANCE_BASE_URL", "https://api.binance.com/sapi", binance.client_from_env, "BINANCE_BASE_URL must have no"),
        ("OKX_DEMO", "maybe", okx.client_from_env, "OKX_DEMO must be"),
    ],
)
def test_env_factories_name_the_variable_and_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, from_env: Callable[[], Any], words: str
) -> None:
    for name, setting in ENV.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"environment variable {words}") as info:
        from_env()
    assert value not in str(info.value)


def _auth(client: Any) -> Any:
    """The signer of a factory-made client."""
    return client.get_httpx_client().pipeline.auth


def test_env_factories_build_working_clients(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert backpack.client_from_env().token == BACKPACK_PUBLIC
    assert _auth(okx.client_from_env()).demo is False
    monkeypatch.setenv("OKX_DEMO", "1")
    assert _auth(okx.client_from_env()).demo is True
    assert "hmac" in repr(_auth(binance.client_from_env()))

    monkeypatch.delenv("BINANCE_API_SECRET")
    with pytest.raises(ConfigurationError, match="BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE is not set"):
        binance.client_from_env()
    key_file = tmp_path / "binance.pem"
    monkeypatch.setenv("BINANCE_PRIVATE_KEY_FILE", str(key_file))
    with pytest.raises(ConfigurationError, match="BINANCE_PRIVATE_KEY_FILE: cannot read it"):
        binance.client_from_env()
    key_file.write_text("-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n")
    with pytest.raises(ConfigurationError, match="BINANCE_PRIVATE_KEY_FILE: PEM is not an Ed25519"):
        binance.client_from_env()
    key_file.write_text(BINANCE_PEM)
    assert "ed25519" in repr(_auth(binance.client_from_env()))
    monkeypatch.setenv("BINANCE_API_SECRET", BINANCE_SECRET)
    with pytest.raises(ConfigurationError, match="only one of"):
        binance.client_from_env()


def test_no_repr_or_str_of_an_auth_or_client_shows_a_secret() -> None:
    clients: list[Any] = [factory(exchange, binance_ed25519=ed25519) for exchange, ed25519 in CREDENTIALS]
    for client in clients:
        http: Any = client.get_httpx_client()
        for text in (repr(client), str(client), repr(http.pipeline), repr(http.pipeline.auth), str(http.pipeline.auth)):
            for secret in (*SECRETS, BINANCE_KEY, OKX_KEY, BACKPACK_PUBLIC):
                assert secret not in text, (secret, text)


@pytest.mark.parametrize(
    ("variable", "from_env", "production"),
    [
        ("BACKPACK_BASE_URL", backpack.client_from_env, "https://api.backpack.exchange"),
        ("BINANCE_BASE_URL", binance.client_from_env, "https://api.binance.com"),
        ("OKX_BASE_URL", okx.client_from_env, "https://www.okx.com"),
    ],
)
def test_env_factories_take_the_base_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, from_env: Callable[..., Any], production: str
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert str(from_env().get_httpx_client().base_url).rstrip("/") == production
    monkeypatch.setenv(variable, "http://127.0.0.1:9/")
    assert str(from_env().get_httpx_client().base_url).rstrip("/") == "http://127.0.0.1:9"
    assert str(from_env(base_url="http://127.0.0.1:8/").get_httpx_client().base_url).rstrip("/") == "http://127.0.0.1:8"
