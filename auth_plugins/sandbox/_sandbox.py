"""The sandbox: one real HTTP server on 127.0.0.1 per exchange, each in a daemon thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ._app import ExchangeApp
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


def _system_clock() -> int:
    return time.time_ns() // 1_000_000


class Sandbox:
    """Fake Backpack, Binance and OKX servers on loopback, driven by the bundled specs.

    The servers start in the constructor on free ports and stop in ``close()`` (or on leaving a ``with``
    block). ``clock`` returns Unix milliseconds (default: the system clock); the sandbox's notion of now is
    ``clock() + skew_ms``, where ``skew_ms`` may be changed at any time to simulate a skewed server clock.
    With ``enforce_rate_limits`` each operation's documented ``x-rate-limit`` is enforced.
    """

    def __init__(self, *, enforce_rate_limits: bool = False, clock: Callable[[], int] | None = None) -> None:
        self.skew_ms: int = 0
        self._clock = clock if clock is not None else _system_clock
        self._apps = {
            exchange: ExchangeApp(exchange, now_ms=self.now_ms, enforce_rate_limits=enforce_rate_limits)
            for exchange in EXCHANGES
        }
        self._servers: dict[str, BaseWSGIServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for exchange, app in self._apps.items():
                server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
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

    def requests(self, exchange: str) -> list[RequestRecord]:
        """Every request ``exchange`` received since the last ``reset()``, oldest first."""
        return self._apps[self._check(exchange)].records()

    def rate_limited(self, exchange: str) -> int:
        """How many requests to ``exchange`` the rate limiter answered with 429 since the last ``reset()``."""
        return self._apps[self._check(exchange)].rate_limited()

    @property
    def violations(self) -> list[Violation]:
        """Responses sent since the last ``reset()`` that do not validate against the spec (should be none)."""
        return [violation for app in self._apps.values() for violation in app.violations()]

    def reset(self) -> None:
        """Clear scripts, request logs, violations, rate-limit windows and 429 counts; set ``skew_ms`` to 0."""
        self.skew_ms = 0
        for app in self._apps.values():
            app.reset()

    def _check(self, exchange: str) -> str:
        if exchange not in self._apps:
            raise ValueError(f"unknown exchange {exchange!r}; expected one of {', '.join(EXCHANGES)}")
        return exchange
