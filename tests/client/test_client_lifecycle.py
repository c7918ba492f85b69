"""A client's life besides its calls: one pickling rule for every signer and client (refused with a clear
``TypeError``, so no secret can reach the bytes); a redactor that costs only the client's own secrets and goes
with the client; one client across successive event loops and ``with`` blocks; and frame locals, as error
trackers capture them, that hold no signature and no key. On tests/_hostile.py's servers, every exchange."""

from __future__ import annotations

import asyncio
import base64
import copy
import gc
import pickle
import traceback
import weakref
from collections.abc import Callable
from typing import Any, Final

import httpx
import pytest

from auth_plugins import RequestTimeoutError, ServerError, _redaction
from auth_plugins.backpack import BackpackAuth
from auth_plugins.binance import BinanceAuth
from auth_plugins.okx import OkxAuth
from auth_plugins.sandbox import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS
from tests._exchanges import FAST, MODES, NO_RETRY, SECRETS, Exchange, call, sample
from tests._hostile import HostileServer, OpenClient, answer, trickle

UNUSED_URL: Final = "http://127.0.0.1:9"

SIGNERS: Final[dict[str, Callable[[], httpx.Auth]]] = {
    "backpack-ed25519": lambda: BackpackAuth(BACKPACK_CREDENTIALS.api_secret),
    "binance-hmac": lambda: BinanceAuth(
        BINANCE_CREDENTIALS.hmac_api_key, api_secret=BINANCE_CREDENTIALS.hmac_api_secret
    ),
    "binance-ed25519": lambda: BinanceAuth(
        BINANCE_CREDENTIALS.ed25519_api_key, private_key=BINANCE_CREDENTIALS.ed25519_private_key_pem
    ),
    "okx-hmac": lambda: OkxAuth(OKX_CREDENTIALS.api_key, OKX_CREDENTIALS.api_secret, OKX_CREDENTIALS.passphrase),
}


def _refuses_every_copy(target: Any) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="holds credentials and cannot be pickled"):
            pickle.dumps(target, protocol)
    with pytest.raises(TypeError, match="cannot be pickled"):
        copy.deepcopy(target)


@pytest.mark.parametrize("signer", list(SIGNERS))
def test_every_signer_refuses_to_be_pickled_or_copied(signer: str) -> None:
    auth = SIGNERS[signer]()
    _refuses_every_copy(auth)
    with pytest.raises(TypeError, match=type(auth).__name__):
        copy.copy(auth)


def test_every_client_refuses_to_be_pickled_with_a_message_naming_it(exchange: Exchange) -> None:
    for variant in exchange.variants:
        client = exchange.make(UNUSED_URL, variant)
        with pytest.raises(TypeError, match="a factory-made client holds credentials"):
            pickle.dumps(client)
        _refuses_every_copy(client)
        http, async_http = client.get_httpx_client(), client.get_async_httpx_client()
        for target in (http, async_http, http.pipeline, http.pipeline.auth, http.pipeline.redactor):
            _refuses_every_copy(target)


# --- redaction ---------------------------------------------------------------------------------------------------


def _distinct(exchange: Exchange, number: int) -> dict[str, Any]:
    """Credentials no other client has: a different seed (Backpack, whose key derives from it) or API key."""
    if exchange.name == "backpack":
        return {"api_secret": base64.b64encode(number.to_bytes(32, "big")).decode()}
    return {"api_key": f"key-{number:06d}-{exchange.name}-0123456789"}


def _held(client: Any) -> int:
    """How many secrets the client's redactor scrubs (the alternatives of its one pattern)."""
    pattern = client.get_httpx_client().pipeline.redactor._pattern
    return 0 if pattern is None else len(pattern.pattern.split("|"))


def _module_state() -> dict[str, int]:
    """The size of every collection the redaction module holds at module level."""
    return {name: len(value) for name, value in vars(_redaction).items() if isinstance(value, list | dict | set)}


def test_a_redactor_holds_its_own_secrets_only_and_goes_with_its_client(exchange: Exchange) -> None:
    first = exchange.make(UNUSED_URL, **_distinct(exchange, 0))
    held, state = _held(first), _module_state()
    assert held >= 2  # the key and the secret at least
    earlier = [exchange.make(UNUSED_URL, **_distinct(exchange, number)) for number in range(1, 301)]
    latest = exchange.make(UNUSED_URL, **_distinct(exchange, 301))
    assert _held(latest) == held
    assert _module_state() == state
    pipelines = [client.get_httpx_client().pipeline for client in earlier]
    released = [weakref.ref(item) for pipeline in pipelines for item in (pipeline.redactor, pipeline.auth)]
    for closing in earlier[:150]:
        closing.get_httpx_client().close()  # closed or not, a client's secrets go with it
    del earlier, pipelines, closing
    gc.collect()
    assert [ref() for ref in released] == [None] * len(released)


# --- event loops and re-entry ------------------------------------------------------------------------------------


def test_one_client_serves_successive_event_loops_entered_or_not(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange
) -> None:
    client = opened(exchange, hostile, timeout=0.3, **NO_RETRY)
    endpoint, arguments = exchange.module(), sample(exchange.name, exchange.signed[1])

    async def plain() -> int:
        status: int = (await endpoint.asyncio_detailed(client=client, **arguments)).status_code
        return status

    async def entered() -> int:
        async with client:
            return await plain()

    assert [asyncio.run(run()) for run in (plain, plain, entered, entered, plain)] == [200] * 5
    hostile.script(exchange.path, trickle(0.05, give_up_s=3.0))
    with pytest.raises(RequestTimeoutError):
        asyncio.run(entered())
    assert asyncio.run(entered()) == 200
    assert len(hostile.received(exchange.path)) == 7


def test_a_closed_client_can_be_entered_again(opened: OpenClient, hostile: HostileServer, exchange: Exchange) -> None:
    client = opened(exchange, hostile)
    endpoint, arguments = exchange.module(), sample(exchange.name, exchange.signed[1])
    for _ in range(2):
        with client:
            assert endpoint.sync_detailed(client=client, **arguments).status_code == 200
    assert endpoint.sync_detailed(client=client, **arguments).status_code == 200


# --- frame locals ------------------------------------------------------------------------------------------------


def _raised(client: Any, module: Any, arguments: dict[str, Any], mode: str) -> Exception:
    """What one call raised; the frames of its traceback start here, so the test's own locals are not in them."""
    try:
        call(client, module, mode, arguments, enter=False)
    except Exception as error:
        return error
    raise AssertionError("the call did not fail")


def _wire_secrets(exchange: Exchange, server: HostileServer) -> list[str]:
    """The signatures, keys and passphrases the server received."""
    found = []
    for seen in server.received(exchange.path):
        if exchange.signature_header is None:
            found.append(seen.target.rpartition("signature=")[2])
        else:
            found.append(seen.headers[exchange.signature_header])
        found += [
            seen.headers[name] for name in (exchange.api_key_header, "ok-access-passphrase") if name in seen.headers
        ]
    return found


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failure", ["deadline", "server-error"])
def test_captured_frame_locals_hold_no_signature_or_key(
    opened: OpenClient, hostile: HostileServer, exchange: Exchange, mode: str, failure: str
) -> None:
    for variant in exchange.variants:
        hostile.reset()
        # The 502 is retried, so the locals of a rebuilt attempt are captured too.
        retry = NO_RETRY if failure == "deadline" else FAST
        client = opened(exchange, hostile, variant, timeout=0.15, **retry)
        failing = trickle(0.05, give_up_s=2.0) if failure == "deadline" else answer(502, b"<html>bad gateway</html>")
        hostile.script(exchange.path, *[failing for _ in range(3)])
        error = _raised(client, exchange.module(), sample(exchange.name, exchange.signed[1]), mode)
        assert isinstance(error, RequestTimeoutError if failure == "deadline" else ServerError), repr(error)
        captured = traceback.TracebackException.from_exception(error, capture_locals=True)
        rendered = "".join(captured.format())
        assert "request = <Request('GET'" in rendered  # the locals are there, quietly
        wire = _wire_secrets(exchange, hostile)
        assert len(wire) >= (2 if failure == "deadline" else 6)
        for number, needle in enumerate((*wire, *SECRETS)):
            assert needle not in rendered, f"{variant}: secret #{number} is in the captured locals"
