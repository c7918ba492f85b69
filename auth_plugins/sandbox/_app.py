"""One exchange's WSGI application: route, limit, validate, authenticate and answer as the spec says."""

from __future__ import annotations

import json
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from ._credentials import ACCOUNTS
from ._echo import reflect
from ._errors import Rejection, for_problem, internal_error, not_found, rate_limited, render
from ._faults import Script, ScriptBook
from ._ratelimit import SlidingWindowLimiter
from ._records import RequestRecord, Violation
from ._spec import Operation, RateLimit, load_exchange_spec
from ._validate import request_problems, response_errors
from ._verify import API_KEY_HEADERS, AuthResult, authenticate
from ._wire import RawRequest, raw_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ExchangeApp"]

_SERVER_TIME_OPERATION: Final = "get_server_time"
SANDBOX_OKX_ORDER: Final = "12345"
"""The sandbox OKX account's one flexible-loan order (the documentation's example id); any other ``ordId`` is
answered with the documented empty ``data``."""


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str
    verdict: str
    headers: dict[str, str] = field(default_factory=dict)


class ExchangeApp:
    """A WSGI application serving one exchange's bundled spec on behalf of a ``Sandbox``.

    Order of checks for a request: scripted fault (if one matches), route (404), rate limit (429, only when
    ``enforce_rate_limits``), spec validation (400; skipped for operations that document no 400, such as
    server time, which then ignore unknown parameters and bodies), authentication of signed operations
    (401/400), then the success answer: the body set with ``set_response`` if any, else the documented 200
    example reflecting the request (see ``_echo``). Every non-scripted answer to a known route is validated
    against the spec; failures are kept in ``violations()``, and so is any exception the sandbox itself raises
    on a request (answered as the exchange's 500). ``now_ms`` is the sandbox clock, in Unix milliseconds;
    ``sequence`` numbers each request (shared across a sandbox's exchanges). While limits are enforced,
    answers also carry the weight used in the budget, in the header the spec names (``used-weight-header``:
    Binance's ``X-MBX-USED-WEIGHT-1M``, ``X-SAPI-USED-UID-WEIGHT-1M``).
    ``enforce_rate_limits`` may be changed at any time.
    """

    def __init__(
        self,
        exchange: str,
        *,
        now_ms: Callable[[], int],
        enforce_rate_limits: bool,
        sequence: Callable[[], int] | None = None,
    ) -> None:
        self.exchange = exchange
        self.spec = load_exchange_spec(exchange)
        self.scripts = ScriptBook()
        self.enforce_rate_limits = enforce_rate_limits
        self._now_ms = now_ms
        self._sequence = sequence if sequence is not None else (lambda: 0)
        self._responses: dict[str, bytes] = {}
        self._drifted: set[str] = set()  # operations whose chosen answer departs from the spec on purpose
        self._limiter = SlidingWindowLimiter()
        self._state_lock = threading.Lock()
        # openapi-core is not documented as thread-safe and the server is threaded.
        self._openapi_lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._violations: list[Violation] = []
        self._rate_limited = 0
        # Bumped by reset(): a request still in flight across a reset (one the client gave up on, say) is not
        # recorded into the log of whatever test comes next.
        self._generation = 0

    def records(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._state_lock:
            return list(self._records)

    def violations(self) -> list[Violation]:
        """A copy of the spec violations recorded so far."""
        with self._state_lock:
            return list(self._violations)

    def rate_limited(self) -> int:
        """How many requests were answered 429 by the rate limiter."""
        with self._state_lock:
            return self._rate_limited

    def set_response(self, operation_id: str, body: bytes, *, drift: bool = False) -> None:
        """Answer valid, authenticated requests to ``operation_id`` with ``body`` (already checked) until ``reset``;
        with ``drift`` the body departs from the spec on purpose and is not recorded as a violation."""
        with self._state_lock:
            self._responses[operation_id] = body
            if drift:
                self._drifted.add(operation_id)
            else:
                self._drifted.discard(operation_id)

    def reset(self) -> None:
        """Forget scripts, set responses, the request log, violations, rate-limit windows and the 429 count."""
        self.scripts.clear()
        self._limiter.clear()
        with self._state_lock:
            self._records.clear()
            self._violations.clear()
            self._responses.clear()
            self._drifted.clear()
            self._rate_limited = 0
            self._generation += 1

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._handle(environ, start_response)
        except ConnectionError:
            raise  # a dropped connection, scripted or the client's: nothing to answer
        except Exception as error:
            # A sandbox bug. Kept as a violation (the pytest fixture fails the test on it) and answered in the
            # exchange's own shape rather than as werkzeug's HTML page.
            where = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            violation = Violation(
                self.exchange, str(environ.get("REQUEST_METHOD", "")), str(where), 500, (f"sandbox error: {detail}",)
            )
            with self._state_lock:
                self._violations.append(violation)
            body, content_type = render(self.exchange, internal_error(self.exchange))
            return Response(body, status=500, content_type=content_type)(environ, start_response)

    def _handle(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        generation, sequence = self._generation, self._sequence()
        raw = raw_request(environ, dict(request.headers), request.get_data(cache=True))
        now = self._now_ms()
        operation = self.spec.match(raw.method, request.path)
        auth = authenticate(self.exchange, operation, raw, now) if operation and operation.signed else None
        script = self.scripts.take(operation.operation_id if operation else None)

        if script is not None:
            if script.delay_s > 0:
                time.sleep(script.delay_s)
            if script.drop:
                self._record(raw, operation, "dropped", auth, now, None, (generation, sequence))
                _drop_connection(environ)
            if script.status is not None:
                self._record(raw, operation, "scripted", auth, now, script.status, (generation, sequence))
                return _scripted_response(script)(environ, start_response)

        answer = self._answer(request, raw, operation, auth, now)
        if operation is not None and not (answer.status == 200 and self._is_drifted(operation.operation_id)):
            self._check_response(request, raw, answer, generation)
        if script is not None and script.truncate is not None:
            self._record(raw, operation, "truncated", auth, now, answer.status, (generation, sequence))
            return _truncated_response(answer, script.truncate)(environ, start_response)
        self._record(raw, operation, answer.verdict, auth, now, answer.status, (generation, sequence))
        response = Response(answer.body, status=answer.status, headers=answer.headers, content_type=answer.content_type)
        return response(environ, start_response)

    def _answer(
        self, request: Request, raw: RawRequest, operation: Operation | None, auth: AuthResult | None, now: int
    ) -> _Answer:
        if operation is None:
            return self._reject(None, not_found(self.exchange, raw.method, request.path))
        extra_headers: dict[str, str] = {}
        if self.enforce_rate_limits and operation.rate_limit is not None:
            limited = self._charge(operation, raw, now, extra_headers)
            if limited is not None:
                return self._reject(operation, limited, extra_headers)
        with self._openapi_lock:
            problems = request_problems(self.spec, operation, request)
        # An operation that documents no 400 (server time) has no documented way to refuse a request; the
        # sandbox then answers it as one that ignores what it does not read.
        if problems and 400 in operation.content_types:
            return self._reject(operation, for_problem(self.exchange, problems[0]), extra_headers)
        if auth is not None and auth.rejection is not None:
            return self._reject(operation, auth.rejection, extra_headers)
        body = self._success_body(operation, now, _asked(request, raw))
        return _Answer(200, body, operation.success_content_type, "ok", extra_headers)

    def _budget(self, rate: RateLimit, api_key: str | None, client_ip: str) -> tuple[str, ...]:
        """The counter a request draws on: the budget (pool or operation) and whom it counts for, as the exchange
        knows them: the caller's address, the API key, or the account the key belongs to (:data:`ACCOUNTS`; the
        sandbox's accounts have no master, so a master account is the account itself)."""
        if rate.keyed_on == "ip" or not api_key:
            return (rate.budget, "ip", client_ip)
        if rate.keyed_on == "api-key":
            return (rate.budget, "api-key", api_key)
        return (rate.budget, "account", ACCOUNTS.get(api_key, api_key))

    def use_weight(self, operation_id: str, weight: int, api_key: str | None, client_ip: str = "127.0.0.1") -> int:
        """Count ``weight`` on ``operation_id``'s budget as another program with ``api_key`` on ``client_ip`` would
        (it fits or ``ValueError``); return the weight the budget now holds."""
        rate = self.spec.operation(operation_id).rate_limit
        if rate is None:
            raise ValueError(f"{self.exchange} {operation_id} documents no rate limit")
        decision = self._limiter.charge(
            self._budget(rate, api_key, client_ip),
            limit=rate.limit,
            window_ms=rate.window_ms,
            weight=weight,
            now_ms=self._now_ms(),
        )
        if not decision.allowed:
            raise ValueError(f"weight {weight} does not fit {operation_id}'s budget ({decision.used} of {rate.limit})")
        return decision.used

    def _charge(self, operation: Operation, raw: RawRequest, now: int, headers: dict[str, str]) -> Rejection | None:
        rate = operation.rate_limit
        assert rate is not None
        decision = self._limiter.charge(
            self._budget(rate, raw.headers.get(API_KEY_HEADERS[self.exchange]), raw.client_ip),
            limit=rate.limit,
            window_ms=rate.window_ms,
            weight=rate.weight,
            now_ms=now,
        )
        if rate.used_weight_header is not None:
            headers[rate.used_weight_header] = str(decision.used)
        if decision.allowed:
            return None
        with self._state_lock:
            self._rate_limited += 1
        return rate_limited(self.exchange, decision.retry_after_ms)

    def _reject(
        self, operation: Operation | None, rejection: Rejection, headers: dict[str, str] | None = None
    ) -> _Answer:
        body, default_type = render(self.exchange, rejection)
        content_type = operation.content_types.get(rejection.status, default_type) if operation else default_type
        return _Answer(
            rejection.status, body, content_type, rejection.verdict, {**(headers or {}), **rejection.headers}
        )

    def _success_body(self, operation: Operation, now: int, asked: dict[str, str | bool]) -> bytes:
        with self._state_lock:
            chosen = self._responses.get(operation.operation_id)
        if chosen is not None:
            return chosen
        example: Any = reflect(operation.success_example, asked)
        if operation.operation_id == _SERVER_TIME_OPERATION:
            example = _server_time(self.exchange, now)
        elif self.exchange == "okx" and asked.get("ordId", SANDBOX_OKX_ORDER) != SANDBOX_OKX_ORDER:
            example = {**example, "data": []}  # OKX answers an order the account does not have with empty data
        if isinstance(example, str) and "json" not in operation.success_content_type:
            return example.encode("utf-8")
        return json.dumps(example, separators=(",", ":")).encode("utf-8")

    def _is_drifted(self, operation_id: str) -> bool:
        with self._state_lock:
            return operation_id in self._drifted

    def _check_response(self, request: Request, raw: RawRequest, answer: _Answer, generation: int) -> None:
        with self._openapi_lock:
            errors = response_errors(
                self.spec, request, answer.status, answer.content_type, Headers(answer.headers), answer.body
            )
        if errors:
            violation = Violation(self.exchange, raw.method, raw.target.decode("latin-1"), answer.status, tuple(errors))
            with self._state_lock:
                if generation == self._generation:
                    self._violations.append(violation)

    def _record(
        self,
        raw: RawRequest,
        operation: Operation | None,
        verdict: str,
        auth: AuthResult | None,
        now: int,
        status: int | None,
        arrival: tuple[int, int],
    ) -> None:
        """Log one request; ``arrival`` is ``(generation, sequence)`` taken when it arrived."""
        generation, sequence = arrival
        record = RequestRecord(
            method=raw.method,
            target=raw.target.decode("latin-1"),
            headers=dict(raw.headers),
            body=raw.body,
            operation_id=operation.operation_id if operation else None,
            verdict=verdict,
            auth=auth.verdict if auth else None,
            timestamp_ms=auth.timestamp_ms if auth else None,
            received_ms=now,
            status=status,
            sequence=sequence,
        )
        with self._state_lock:
            if generation == self._generation:
                self._records.append(record)


def _asked(request: Request, raw: RawRequest) -> dict[str, str | bool]:
    """What a (validated) request asked: its query values, then its top-level JSON body strings and booleans."""
    asked: dict[str, str | bool] = {name: value for name, value in request.args.items()}
    if raw.body.strip():
        try:
            decoded = json.loads(raw.body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            asked.update((str(k), v) for k, v in decoded.items() if isinstance(v, str | bool))
    return asked


def _server_time(exchange: str, now: int) -> Any:
    if exchange == "backpack":
        return str(now)
    if exchange == "binance":
        return {"serverTime": now}
    return {"code": "0", "msg": "", "data": [{"ts": str(now)}]}


def _scripted_response(script: Script) -> Response:
    status = script.status if script.status is not None else 200
    response = Response(script.body, status=status, headers=script.headers)
    if script.content_type is not None:
        response.headers["Content-Type"] = script.content_type
    return response


def _truncated_response(answer: _Answer, how: str) -> Response:
    """``answer`` with its body cut in half: as the whole body (``"body"``), or mid-transfer (``"connection"``)."""
    half = answer.body[: len(answer.body) // 2]
    if how == "body":
        return Response(half, status=answer.status, headers=answer.headers, content_type=answer.content_type)

    def cut() -> Iterator[bytes]:
        yield half
        # werkzeug's dev server treats a ConnectionError from the app as a client disconnect and closes.
        raise ConnectionAbortedError("connection cut mid-body by a sandbox script")

    headers = {**answer.headers, "Content-Length": str(len(answer.body))}
    return Response(cut(), status=answer.status, headers=headers, content_type=answer.content_type)


def _drop_connection(environ: WSGIEnvironment) -> None:
    """Close the client's connection without a byte of response; never returns."""
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    # werkzeug's dev server treats a ConnectionError from the app as a client disconnect and writes nothing.
    raise ConnectionAbortedError("connection dropped by a sandbox script")
