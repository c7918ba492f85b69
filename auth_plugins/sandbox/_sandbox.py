"""The sandbox: one real HTTP server on 127.0.0.1 per exchange, each in a daemon thread."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Final, Literal

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ._answers import error_answer, success_body
from ._app import ExchangeApp
from ._credentials import BACKPACK_CREDENTIALS, BINANCE_CREDENTIALS, OKX_CREDENTIALS
from ._faults import Script
from ._records import RequestRecord, Violation
from ._spec import EXCHANGES

__all__ = ["Sandbox"]


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without its access log: request lines carry Binance's ``signature=`` query."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing; ``Sandbox.requests`` records every request instead."""


# serve_forever() notices shutdown() only between polls; the default 0.5 s would make close() slow.
_POLL_INTERVAL_S = 0.05
_OWN_KEYS: Final = {
    "backpack": BACKPACK_CREDENTIALS.api_key,
    "binance": BINANCE_CREDENTIALS.hmac_api_key,
    "okx": OKX_CREDENTIALS.api_key,
}


_HTML_PAGE: Final = (
    "<!DOCTYPE html>\n<html><head><title>{status} Bad Gateway</title></head>\n<body><center><h1>{status} Bad Gateway"
    "</h1></center><hr><center>cloudflare</center></body></html>\n"
)


def _listening_socket(port: int) -> socket.socket:
    """A TCP socket listening on 127.0.0.1:``port`` (0: a free port); ``OSError`` if it cannot be bound."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", port))
        listening.listen(128)
    except BaseException:
        listening.close()
        raise
    return listening


def _system_clock() -> int:
    return time.time_ns() // 1_000_000


class Sandbox:
    """Fake Backpack, Binance and OKX servers on loopback, driven by the bundled specs.

    The servers start in the constructor on free ports and stop in ``close()`` (or on leaving a ``with``
    block). ``clock`` returns Unix milliseconds (default: the system clock); the sandbox's notion of now is
    ``clock() + skew_ms``, where ``skew_ms`` may be changed at any time to simulate a skewed server clock.
    With ``enforce_rate_limits`` (also settable at any time) each operation's documented ``x-rate-limit`` is
    enforced. ``first_port`` fixes the ports: Backpack on it, Binance on the next, OKX on the one after
    (``OSError`` if one is taken). A test chooses answers with ``respond`` (success bodies, checked against
    the spec) and ``fail`` (the exchange's errors), and transport faults with ``drop``, ``slow``, ``html`` and
    ``truncate``; ``script`` is the general, unchecked form behind them.
    """

    def __init__(
        self,
        *,
        enforce_rate_limits: bool = False,
        clock: Callable[[], int] | None = None,
        first_port: int | None = None,
    ) -> None:
        self.skew_ms: int = 0
        self._clock = clock if clock is not None else _system_clock
        counter = itertools.count(1)
        sequence_lock = threading.Lock()

        def sequence() -> int:
            with sequence_lock:
                return next(counter)

        self._apps = {
            exchange: ExchangeApp(
                exchange, now_ms=self.now_ms, enforce_rate_limits=enforce_rate_limits, sequence=sequence
            )
            for exchange in EXCHANGES
        }
        self._servers: dict[str, BaseWSGIServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for offset, (exchange, app) in enumerate(self._apps.items()):
                port = 0 if first_port is None else first_port + offset
                # Bound here, not by make_server, which answers a taken port with sys.exit(1).
                with _listening_socket(port) as listening:
                    server = make_server(
                        "127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler, fd=listening.fileno()
                    )
                thread = threading.Thread(
                    target=server.serve_forever, args=(_POLL_INTERVAL_S,), name=f"sandbox-{exchange}", daemon=True
                )
                thread.start()
                self._servers[exchange] = server
                self._threads.append(thread)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop every server and wait for their threads; safe to call more than once."""
        servers, self._servers = self._servers, {}
        for server in servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    @property
    def enforce_rate_limits(self) -> bool:
        """Whether each operation's documented ``x-rate-limit`` is enforced (429 in the exchange's shape)."""
        return all(app.enforce_rate_limits for app in self._apps.values())

    @enforce_rate_limits.setter
    def enforce_rate_limits(self, value: bool) -> None:
        for app in self._apps.values():
            app.enforce_rate_limits = bool(value)

    def now_ms(self) -> int:
        """The sandbox's current time: ``clock() + skew_ms``, in Unix milliseconds."""
        return self._clock() + self.skew_ms

    def base_url(self, exchange: str) -> str:
        """``http://127.0.0.1:<port>`` of ``exchange`` ("backpack", "binance" or "okx"); ``ValueError`` if unknown
        or closed."""
        server = self._servers.get(self._check(exchange))
        if server is None:
            raise ValueError("the sandbox is closed")
        return f"http://127.0.0.1:{server.port}"

    def script(
        self,
        exchange: str,
        *,
        times: int = 1,
        status: int | None = None,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        delay_s: float = 0.0,
        drop: bool = False,
        operation_id: str | None = None,
    ) -> None:
        """Script the next ``times`` requests to ``exchange`` (only to ``operation_id`` if given).

        Each such request first sleeps ``delay_s``. Then, with ``drop``, the connection is closed without any
        response (clients see e.g. ``httpx.RemoteProtocolError``). Otherwise, if ``status`` or ``body`` is
        given, the canned answer is sent instead of the normal one: ``status`` (default 200), ``body`` (bytes
        and str as given, anything else JSON-encoded; default empty), ``content_type`` (default
        ``application/json`` when there is a body) and ``headers``. Otherwise the request is answered normally,
        just late. Canned answers are not checked against the spec. Scripts apply in the order given.
        Raises ``ValueError`` for an unknown exchange or operation and for contradictory arguments.
        """
        app = self._apps[self._check(exchange)]
        if operation_id is not None:
            try:
                app.spec.operation(operation_id)
            except KeyError as error:
                raise ValueError(str(error)) from None
        if times < 1 or delay_s < 0:
            raise ValueError("times must be at least 1 and delay_s not negative")
        canned = status is not None or body is not None
        if drop and canned:
            raise ValueError("a dropped connection cannot also answer with a status or body")
        if not canned and (headers or content_type):
            raise ValueError("headers and content_type need a canned answer (status or body)")
        if status is not None and not 100 <= status <= 599:
            raise ValueError(f"status {status} is not an HTTP status")
        if body is None or isinstance(body, bytes):
            raw_body = body or b""
        elif isinstance(body, str):
            raw_body = body.encode("utf-8")
        else:
            raw_body = json.dumps(body, separators=(",", ":")).encode("utf-8")
        if content_type is None and body is not None:
            content_type = "application/json"
        app.scripts.add(
            Script(
                remaining=times,
                operation_id=operation_id,
                status=(status if status is not None else 200) if canned else None,
                body=raw_body,
                content_type=content_type,
                headers=dict(headers or {}),
                delay_s=delay_s,
                drop=drop,
            )
        )

    def respond(self, exchange: str, operation_id: str, body: Any, *, drift: bool = False) -> None:
        """Answer valid, authenticated requests to ``operation_id`` with this success ``body`` until ``reset()``.

        ``body`` is the decoded JSON (dicts, lists, strings...; a ``str`` for Backpack's text/plain server time),
        sent as given: it is not made to reflect the request. It must be an answer the exchange could send as
        documented: ``ValueError`` naming the offending field if it breaks the operation's documented 200 schema
        or the clients' success-body rules (decimals as strings such as ``"0.5"``, never numbers; required
        fields; JSON types), holds a field the spec does not document or a value outside the values a field
        documents, and for an unknown exchange or operation.

        ``drift=True`` answers any JSON-encodable ``body`` as given, however far it departs from the spec
        (undocumented fields, new enum values, missing fields, amounts as numbers): a live exchange that drifted
        from its docs, for testing what your code and ``exchange-clients check-live`` make of it. Such answers
        are not counted as the sandbox's violations.
        """
        app = self._apps[self._check(exchange)]
        operation = self._operation(app, operation_id)
        app.set_response(operation_id, success_body(app.spec, operation, body, drift=drift), drift=drift)

    def fail(
        self,
        exchange: str,
        operation_id: str,
        status: int,
        *,
        code: int | str | None = None,
        message: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``operation_id`` with an HTTP ``status`` error of the exchange.

        The body has the exchange's own shape: Backpack ``{"code": "<NAME>", "message"}``, Binance
        ``{"code": <negative int>, "msg"}``, OKX ``{"code": "<digits>", "msg", "data": []}``; ``code`` and
        ``message`` default to the exchange's documented ones for ``status`` (429: ``TOO_MANY_REQUESTS``,
        ``-1003``, ``"50011"``; see ``_errors.DEFAULT_FAILURES``). ``retry_after`` (seconds) is sent as
        ``Retry-After``. The answer is sent whatever the request (it is still recorded and authenticated).
        ``ValueError`` for a status outside 400-599, a code of the wrong type, a status with no default code
        and none given, or an answer that breaks the error response the operation documents for ``status``.
        """
        app = self._apps[self._check(exchange)]
        operation = self._operation(app, operation_id)
        answer = error_answer(app.spec, operation, status, code=code, message=message, retry_after=retry_after)
        self.script(
            exchange,
            times=times,
            status=answer.status,
            body=answer.body,
            headers=answer.headers,
            content_type=answer.content_type,
            operation_id=operation_id,
        )

    def drop(self, exchange: str, operation_id: str | None = None, *, times: int = 1) -> None:
        """Close the connection of the next ``times`` requests (to ``operation_id`` if given) without an answer.

        Clients see a protocol error (``httpx.RemoteProtocolError``; factory clients a ``TransportError``).
        """
        self.script(exchange, times=times, drop=True, operation_id=operation_id)

    def slow(self, exchange: str, seconds: float, operation_id: str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` requests (to ``operation_id`` if given) normally, but ``seconds`` late.

        Longer than the client's timeout, it is a read timeout (factory clients: ``RequestTimeoutError``).
        """
        self.script(exchange, times=times, delay_s=seconds, operation_id=operation_id)

    def html(self, exchange: str, operation_id: str | None = None, *, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` requests (to ``operation_id`` if given) with a proxy's HTML error page.

        ``status`` (default 502) with ``text/html``, as a CDN in front of an exchange sends it; factory clients
        raise by status (``ServerError`` for a 502), or ``ResponseError`` for a 200 HTML page.
        """
        page = _HTML_PAGE.format(status=status)
        self.script(
            exchange,
            times=times,
            status=status,
            body=page,
            content_type="text/html; charset=UTF-8",
            operation_id=operation_id,
        )

    def truncate(
        self, exchange: str, operation_id: str | None = None, *, times: int = 1, close_connection: bool = False
    ) -> None:
        """Cut the body of the next ``times`` answers (to ``operation_id`` if given) in half.

        By default the half is sent as the whole body (valid HTTP, JSON cut short: factory clients raise
        ``ResponseError``). With ``close_connection`` the headers announce the full length and the connection
        closes after the half (``httpx.RemoteProtocolError``; factory clients a ``TransportError``). The
        request is otherwise handled normally: validated, authenticated and recorded.
        """
        how: Literal["body", "connection"] = "connection" if close_connection else "body"
        app = self._apps[self._check(exchange)]
        if operation_id is not None:
            self._operation(app, operation_id)
        if times < 1:
            raise ValueError("times must be at least 1")
        app.scripts.add(
            Script(
                remaining=times,
                operation_id=operation_id,
                status=None,
                body=b"",
                content_type=None,
                headers={},
                delay_s=0.0,
                drop=False,
                truncate=how,
            )
        )

    def requests(self, exchange: str) -> list[RequestRecord]:
        """Every request ``exchange`` received since the last ``reset()``, oldest first."""
        return self._apps[self._check(exchange)].records()

    def rate_limited(self, exchange: str) -> int:
        """How many requests to ``exchange`` the rate limiter answered with 429 since the last ``reset()``."""
        return self._apps[self._check(exchange)].rate_limited()

    def use_weight(self, exchange: str, operation_id: str, weight: int, *, api_key: str | None = None) -> int:
        """Count ``weight`` on the budget ``operation_id`` draws on, as another program on the same address and
        account would (``api_key``: default the sandbox's own key, Binance's HMAC one), and return the weight the
        budget now holds. While limits are enforced, answers report it in the budget's used-weight header, and a
        request that no longer fits is answered 429. ``ValueError`` if the weight does not fit."""
        app = self._apps[self._check(exchange)]
        self._operation(app, operation_id)
        return app.use_weight(operation_id, weight, api_key if api_key is not None else _OWN_KEYS[exchange])

    @property
    def violations(self) -> list[Violation]:
        """Responses sent since the last ``reset()`` that do not validate against the spec (should be none)."""
        return [violation for app in self._apps.values() for violation in app.violations()]

    def reset(self) -> None:
        """Clear scripts, ``respond`` bodies, request logs, violations, rate-limit windows and 429 counts; set
        ``skew_ms`` to 0. Whether rate limits are enforced is left as it is."""
        self.skew_ms = 0
        for app in self._apps.values():
            app.reset()

    @staticmethod
    def _operation(app: ExchangeApp, operation_id: str) -> Any:
        try:
            return app.spec.operation(operation_id)
        except KeyError as error:
            raise ValueError(error.args[0]) from None

    def _check(self, exchange: str) -> str:
        if exchange not in self._apps:
            raise ValueError(f"unknown exchange {exchange!r}; expected one of {', '.join(EXCHANGES)}")
        return exchange
