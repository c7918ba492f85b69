"""The public factories: every operation through a generated client over real HTTP, sync and async, with a
loopback server that recomputes each signature from the raw request; env-var factories; safe defaults; reprs.

The server side uses tests/_verifiers.py, which imports nothing from auth_plugins.
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

from auth_plugins import AuthenticationError, ResponseError, backpack, binance, okx
from scripts.sample_calls import SAMPLE_CALLS
from tests._specs import all_operations
from tests._verifiers import verify_backpack, verify_binance_ed25519, verify_binance_hmac, verify_okx

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
            return verify_backpack(instruction, query, body, headers, public_key_b64=BACKPACK_PUBLIC)
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


def factory(exchange: str, base_url: str, binance_ed25519: bool = False) -> Any:
    if exchange == "backpack":
        return backpack.make_client(BACKPACK_SECRET, base_url=base_url)
    if exchange == "binance":
        if binance_ed25519:
            return binance.make_client(BINANCE_KEY, private_key=BINANCE_PEM, base_url=base_url)
        return binance.make_client(BINANCE_KEY, api_secret=BINANCE_SECRET, base_url=base_url)
    return okx.make_client(OKX_KEY, OKX_SECRET, OKX_PASSPHRASE, base_url=base_url)


CASES = [("backpack", False), ("binance", False), ("binance", True), ("okx", False)]


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver_ipv4
    httpserver_ipv4.clear()


def test_the_sample_calls_cover_every_operation() -> None:
    assert set(SAMPLE_CALLS) == {(ex, op["operationId"]) for ex, _, _, op in all_operations()}


@pytest.mark.parametrize(("exchange", "ed25519"), CASES, ids=["backpack", "binance-hmac", "binance-ed25519", "okx"])
def test_every_operation_is_signed_as_the_exchange_verifies_it_sync_and_async(
    server: HTTPServer, exchange: str, ed25519: bool
) -> None:
    signing = SigningServer(server, exchange, ed25519)
    operations = [(op["tags"][0], op["operationId"]) for ex, _, _, op in all_operations() if ex == exchange]
    with factory(exchange, server.url_for("").rstrip("/"), ed25519) as client:
        for tag, operation_id in operations:
            module = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
            result = module.sync_detailed(client=client, **SAMPLE_CALLS[(exchange, operation_id)]())
            assert result.status_code == 200, (operation_id, result.content)

    async def run_async() -> None:
        async with factory(exchange, server.url_for("").rstrip("/"), ed25519) as client:
            for tag, operation_id in operations:
                module = importlib.import_module(f"{exchange}_client.api.{tag}.{operation_id}")
                result = await module.asyncio_detailed(client=client, **SAMPLE_CALLS[(exchange, operation_id)]())
                assert result.status_code == 200, (operation_id, result.content)

    asyncio.run(run_async())
    assert [op for op, _ in signing.verdicts] == [op for _, op in operations] * 2
    assert all(ok for _, ok in signing.verdicts), signing.verdicts


def test_a_wrong_secret_is_caught_by_the_server(server: HTTPServer) -> None:
    signing = SigningServer(server, "okx")
    from okx_client.api.account import get_max_loan

    with okx.make_client(OKX_KEY, "0" * 32, OKX_PASSPHRASE, base_url=server.url_for("").rstrip("/")) as client:
        with pytest.raises(AuthenticationError) as info:
            get_max_loan.sync_detailed(client=client, mgn_mode="cross")
    assert info.value.status == 401
    assert signing.verdicts == [("get_max_loan", False)]


def test_factory_defaults_are_safe() -> None:
    for client in (
        backpack.make_client(BACKPACK_SECRET),
        binance.make_client(BINANCE_KEY, api_secret=BINANCE_SECRET),
        okx.make_client(OKX_KEY, OKX_SECRET, OKX_PASSPHRASE),
    ):
        httpx_client = client.get_httpx_client()
        assert httpx_client.timeout == httpx.Timeout(10.0)
        assert client.raise_on_unexpected_status is True
        assert httpx_client.follow_redirects is False
        assert str(httpx_client.base_url).startswith("https://")
    assert (
        str(okx.make_client(OKX_KEY, OKX_SECRET, OKX_PASSPHRASE).get_httpx_client().base_url) == "https://www.okx.com"
    )
    custom = binance.make_client(BINANCE_KEY, api_secret=BINANCE_SECRET, base_url="http://127.0.0.1:9", timeout=2.5)
    assert str(custom.get_httpx_client().base_url) == "http://127.0.0.1:9"
    assert custom.get_httpx_client().timeout == httpx.Timeout(2.5)
    with pytest.raises(TypeError, match="set by the factory"):
        okx.make_client(OKX_KEY, OKX_SECRET, OKX_PASSPHRASE, httpx_args={"auth": None})


def test_an_undocumented_status_and_a_redirect_are_not_silently_accepted(server: HTTPServer) -> None:
    from binance_client.api.general import get_server_time

    server.expect_request("/api/v3/time").respond_with_data("", status=302, headers={"Location": "http://127.0.0.2/x"})
    with binance.make_client(BINANCE_KEY, api_secret=BINANCE_SECRET, base_url=server.url_for("").rstrip("/")) as c:
        with pytest.raises(ResponseError) as info:
            get_server_time.sync(client=c)
    assert info.value.status == 302
    assert len(server.log) == 1


def test_bad_key_material_fails_at_construction_without_echoing_it() -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: backpack.make_client("not base64!"), "not valid base64"),
        (lambda: backpack.make_client("c2hvcnQ="), "exactly 32 bytes"),
        (lambda: backpack.make_client(""), "empty"),
        (lambda: binance.make_client(BINANCE_KEY), "exactly one of api_secret or private_key"),
        (lambda: binance.make_client(BINANCE_KEY, api_secret="s3cr3t", private_key=BINANCE_PEM), "not both"),
        (lambda: binance.make_client(BINANCE_KEY, private_key="-----BEGIN RSA PRIVATE KEY-----\nAA==\n"), "PEM"),
        (lambda: okx.make_client(OKX_KEY, OKX_SECRET, ""), "passphrase is empty"),
    ]
    for build, reason in cases:
        with pytest.raises(ValueError, match=reason) as info:
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
    with pytest.raises(ValueError, match=f"environment variable {missing} is not set"):
        FROM_ENV[missing]()


def test_env_factories_build_working_clients(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert backpack.client_from_env().token == BACKPACK_PUBLIC
    assert okx.client_from_env().get_httpx_client().auth.demo is False  # type: ignore[union-attr]
    monkeypatch.setenv("OKX_DEMO", "1")
    assert okx.client_from_env().get_httpx_client().auth.demo is True  # type: ignore[union-attr]
    monkeypatch.setenv("OKX_DEMO", "maybe")
    with pytest.raises(ValueError, match="OKX_DEMO must be"):
        okx.client_from_env()
    assert "hmac" in repr(binance.client_from_env().get_httpx_client().auth)

    monkeypatch.delenv("BINANCE_API_SECRET")
    with pytest.raises(ValueError, match="BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE is not set"):
        binance.client_from_env()
    key_file = tmp_path / "binance.pem"
    key_file.write_text(BINANCE_PEM)
    monkeypatch.setenv("BINANCE_PRIVATE_KEY_FILE", str(key_file))
    assert "ed25519" in repr(binance.client_from_env().get_httpx_client().auth)
    monkeypatch.setenv("BINANCE_API_SECRET", BINANCE_SECRET)
    with pytest.raises(ValueError, match="only one of"):
        binance.client_from_env()


def test_no_repr_or_str_of_an_auth_or_client_shows_a_secret() -> None:
    clients: list[Any] = [
        backpack.make_client(BACKPACK_SECRET),
        binance.make_client(BINANCE_KEY, api_secret=BINANCE_SECRET),
        binance.make_client(BINANCE_KEY, private_key=BINANCE_PEM),
        okx.make_client(OKX_KEY, OKX_SECRET, OKX_PASSPHRASE),
    ]
    for client in clients:
        auth = client.get_httpx_client().auth
        for text in (repr(client), str(client), repr(auth), str(auth)):
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
    assert str(from_env().get_httpx_client().base_url) == "http://127.0.0.1:9/"
    assert str(from_env(base_url="http://127.0.0.1:8/").get_httpx_client().base_url) == "http://127.0.0.1:8/"
