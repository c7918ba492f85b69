"""Binance request signing (HMAC-SHA256 or Ed25519 over query string + body)."""

import base64
import hashlib
import hmac
from collections.abc import Generator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from auth_plugins._clock import Clock, SignerClock
from auth_plugins._generated import signed_routes
from auth_plugins._keys import load_ed25519_pkcs8_pem, mask_api_key
from auth_plugins._routes import lookup, normalise
from auth_plugins._secrets import Unpicklable
from auth_plugins._urls import with_query

__all__ = ["BinanceAuth"]

MAX_RECV_WINDOW_MS = 60_000


class BinanceAuth(SignerClock, Unpicklable, httpx.Auth):
    """Sign Binance ``SIGNED`` (``USER_DATA``/``TRADE``) requests, as in Binance's "SIGNED Endpoint security".

    Give exactly one of ``api_secret`` (HMAC-SHA256, hex signature) or ``private_key`` (an unencrypted
    PKCS#8 Ed25519 PEM; base64 signature, percent-encoded). ``api_key`` is sent as ``X-MBX-APIKEY``.

    Each request gets ``recvWindow=<recv_window_ms>`` (only when set, 1..60000) and ``timestamp=<ms>``
    appended to its raw query string, in that order. The signed payload is the resulting query bytes
    followed directly by the body bytes, exactly as sent; ``&signature=<sig>`` is then appended to the raw
    query without re-encoding anything already there. ``timestamp`` is ``clock() + offset_ms`` (``clock``
    returns Unix epoch milliseconds, default the system clock; ``offset_ms`` may be changed at any time).

    ``routes`` maps ``(METHOD, path)`` to whether the route is signed; it is the allow-list of what may be
    sent (default: the table generated from the specs, ``binance_client.operations``). A public route passes
    through unsigned; a route not in it raises ``auth_plugins.UnknownOperationError`` before anything is sent.
    A request whose query already carries ``timestamp`` or ``signature`` (or ``recvWindow`` while
    ``recv_window_ms`` is set) raises ``ValueError`` before it is yielded, since sending it would put the
    parameter on the wire twice.
    """

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        *,
        api_secret: str | None = None,
        private_key: str | bytes | None = None,
        recv_window_ms: int | None = None,
        clock: Clock | None = None,
        routes: Mapping[tuple[str, str], bool] | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is empty")
        if api_secret is not None and private_key is not None:
            raise ValueError("give exactly one of api_secret or private_key, not both")
        if recv_window_ms is not None and (
            isinstance(recv_window_ms, bool)
            or not isinstance(recv_window_ms, int)
            or not 1 <= recv_window_ms <= MAX_RECV_WINDOW_MS
        ):
            raise ValueError(f"recv_window_ms must be an integer in 1..{MAX_RECV_WINDOW_MS}")

        self._key: hmac.HMAC | Any
        if api_secret is not None:
            if not api_secret:
                raise ValueError("api_secret is empty")
            self._key = hmac.new(api_secret.encode("utf-8"), digestmod=hashlib.sha256)
        elif private_key is not None:
            # pynacl is imported only for Ed25519 keys: HMAC users need not pay its import time.
            from nacl.signing import SigningKey

            try:
                seed = load_ed25519_pkcs8_pem(private_key)
            except ValueError as error:
                raise ValueError(f"private_key: {error}") from None
            self._key = SigningKey(seed)
        else:
            raise ValueError("give exactly one of api_secret or private_key")

        self._api_key = api_key
        self._masked_api_key = mask_api_key(api_key)
        self._recv_window_ms = recv_window_ms
        self._prefix = b"" if recv_window_ms is None else b"recvWindow=%d&" % recv_window_ms
        reserved = {b"timestamp", b"signature"}
        if recv_window_ms is not None:
            reserved.add(b"recvWindow")
        self._reserved = frozenset(reserved)
        self._start_clock(clock)
        self._routes = normalise(routes if routes is not None else signed_routes("binance_client"))

    @property
    def recv_window_ms(self) -> int | None:
        """The ``recvWindow`` added to each request, or ``None`` when the caller controls it."""
        return self._recv_window_ms

    def __repr__(self) -> str:
        method = "hmac-sha256" if isinstance(self._key, hmac.HMAC) else "ed25519"
        return (
            f"{type(self).__name__}(api_key={self._masked_api_key!r}, method={method!r}, "
            f"recv_window_ms={self._recv_window_ms!r})"
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign ``request`` in place (query and ``X-MBX-APIKEY``) and yield it once; public routes unsigned."""
        if not lookup(self._routes, request, "Binance"):
            yield request
            return
        query = request.url.query
        if query:
            for segment in query.split(b"&"):
                name = segment.partition(b"=")[0]
                if name in self._reserved:
                    reason = f"request query already contains {name.decode('ascii')!r}, which BinanceAuth adds itself"
                    raise ValueError(reason)
        added = self._prefix + b"timestamp=%d" % self._now_ms()
        query = query + b"&" + added if query else added

        payload = query + request.content
        if not isinstance(self._key, hmac.HMAC):
            raw = self._key.sign(payload).signature
            signature = quote(base64.b64encode(raw), safe="").encode("ascii")
        else:
            # Copying the keyed HMAC skips re-deriving the inner/outer pads on every request.
            mac = self._key.copy()
            mac.update(payload)
            signature = mac.hexdigest().encode("ascii")

        request.url = with_query(request.url, query + b"&signature=" + signature)
        request.headers["X-MBX-APIKEY"] = self._api_key
        yield request
