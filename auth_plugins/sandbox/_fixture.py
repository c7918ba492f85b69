"""``ExchangeSandbox``: what the ``exchange_sandbox`` pytest fixture hands a test.

A thin, user-facing layer over a running :class:`Sandbox`: clients made by the public factories with the
sandbox's throwaway credentials, the environment ``client_from_env`` reads, chosen answers and errors,
transport faults, the request log as :class:`SandboxRequest` records, clock skew and rate-limit enforcement.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ._credentials import (
    BinanceKeyType,
    client_env,
    factory_arguments,
    write_binance_key_file,
)
from ._records import SandboxRequest, Violation
from ._sandbox import Sandbox
from ._spec import EXCHANGES

if TYPE_CHECKING:
    import backpack_client
    import binance_client
    import okx_client

__all__ = ["ExchangeSandbox"]


class ExchangeSandbox:
    """A running sandbox exchange (Backpack, Binance, OKX on 127.0.0.1) as a test drives it.

    ``sandbox`` is the running :class:`Sandbox` (closed by its owner, not by this object); ``key_dir`` a
    directory where the Binance Ed25519 key file is written on first need. ``reset()`` gives a clean
    sandbox: no chosen answers, scripted faults or records, ``skew_ms`` 0 and rate limits not enforced.
    The pytest fixture calls it before every test.
    """

    def __init__(self, sandbox: Sandbox, key_dir: str | os.PathLike[str]) -> None:
        self.sandbox = sandbox
        self._key_dir = Path(key_dir)
        self._key_file: Path | None = None

    # --- Clients and their settings -------------------------------------------------------------------------

    @overload
    def client(self, exchange: Literal["backpack"], **make_client_kwargs: Any) -> backpack_client.AuthenticatedClient:
        pass

    @overload
    def client(self, exchange: Literal["binance"], **make_client_kwargs: Any) -> binance_client.AuthenticatedClient:
        pass

    @overload
    def client(self, exchange: Literal["okx"], **make_client_kwargs: Any) -> okx_client.AuthenticatedClient:
        pass

    @overload
    def client(self, exchange: str, **make_client_kwargs: Any) -> Any:
        pass

    def client(self, exchange: str, **make_client_kwargs: Any) -> Any:
        """A client of ``exchange`` from ``auth_plugins.<exchange>.make_client``, pointed at this sandbox.

        The sandbox's throwaway credentials and ``base_url`` are filled in; ``make_client_kwargs`` go to the
        factory as given and win over those. Binance signs with the HMAC key, or with the Ed25519 key when
        ``private_key=`` is given (``True`` for the sandbox's own PEM, or a PEM of your choice, which the
        sandbox then refuses unless it is its own). OKX uses the live key, or the demo-trading key with
        ``demo=True``. Use the client as a context manager to close its connections.
        """
        binance_key: BinanceKeyType = "hmac"
        if exchange == "binance" and "private_key" in make_client_kwargs:
            binance_key = "ed25519"
            if make_client_kwargs["private_key"] is True:
                del make_client_kwargs["private_key"]  # the sandbox's own PEM, from factory_arguments
        okx_demo = bool(make_client_kwargs.get("demo", False))
        kwargs: dict[str, Any] = {"base_url": self.base_url(exchange)}
        kwargs.update(factory_arguments(exchange, binance_key=binance_key, okx_demo=okx_demo))
        kwargs.update(make_client_kwargs)
        factory = importlib.import_module(f"auth_plugins.{exchange}").make_client
        return factory(**kwargs)

    def base_url(self, exchange: str) -> str:
        """``http://127.0.0.1:<port>`` of ``exchange``; ``ValueError`` for an unknown exchange."""
        return self.sandbox.base_url(exchange)

    def env(self, *, binance_key: BinanceKeyType = "hmac", okx_demo: bool = False) -> dict[str, str]:
        """Every variable the ``client_from_env`` factories read, for this sandbox: base URLs and credentials.

        Binance on its HMAC key, or on its Ed25519 key with ``binance_key="ed25519"`` (``BINANCE_PRIVATE_KEY_FILE``
        names a PEM file written for the session); OKX on its live key, or its demo key with ``okx_demo=True``
        (``OKX_DEMO=1``). The unused Binance secret variable is ``""``, read as unset, so setting every variable
        (``monkeypatch.setenv``) overrides whatever the shell had. Example::

            for name, value in exchange_sandbox.env(binance_key="ed25519").items():
                monkeypatch.setenv(name, value)
        """
        key_file = self.binance_key_file() if binance_key == "ed25519" else None
        urls = {exchange: self.base_url(exchange) for exchange in EXCHANGES}
        return client_env(urls, binance_key=binance_key, binance_key_file=key_file, okx_demo=okx_demo)

    def binance_key_file(self) -> Path:
        """The PEM file holding the sandbox's Binance Ed25519 private key (written on first call)."""
        if self._key_file is None or not self._key_file.exists():
            self._key_dir.mkdir(parents=True, exist_ok=True)
            self._key_file = write_binance_key_file(self._key_dir)
        return self._key_file

    # --- Answers, errors and faults -----------------------------------------------------------------------

    def respond(self, exchange: str, operation_id: str, body: Any, *, drift: bool = False) -> None:
        """Answer ``operation_id`` with this success ``body`` from now on (see :meth:`Sandbox.respond`).

        ``ValueError`` naming the field when the body breaks the documented response schema or the rules the
        clients enforce (decimal strings such as ``"0.5"``, required fields, JSON types), or holds a field or
        value the spec does not document. ``drift=True`` sends it as given instead: an exchange that drifted
        from its docs (undocumented fields, new enum values, even missing fields or amounts as numbers).
        """
        self.sandbox.respond(exchange, operation_id, body, drift=drift)

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
        """The next ``times`` calls of ``operation_id`` get an HTTP ``status`` error in the exchange's own shape.

        ``code``/``message`` default to the exchange's documented ones for ``status``; ``retry_after`` (seconds)
        is sent as ``Retry-After``. Factory clients retry read-only operations on 429 and 5xx, so a single
        failure may be retried away: raise ``times``, pass ``retry=RetryPolicy(max_retries=0)`` to
        :meth:`client`, or use a ``retry_after`` above the client's cap (10 s by default), which is raised at
        once. See
        :meth:`Sandbox.fail`.
        """
        self.sandbox.fail(
            exchange, operation_id, status, code=code, message=message, times=times, retry_after=retry_after
        )

    def drop(self, exchange: str, operation_id: str | None = None, *, times: int = 1) -> None:
        """Close the next ``times`` connections without an answer (``TransportError`` for factory clients)."""
        self.sandbox.drop(exchange, operation_id, times=times)

    def slow(self, exchange: str, seconds: float, operation_id: str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` requests ``seconds`` late (past the client's timeout: ``RequestTimeoutError``)."""
        self.sandbox.slow(exchange, seconds, operation_id, times=times)

    def html(self, exchange: str, operation_id: str | None = None, *, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` requests with a proxy's HTML error page, HTTP ``status`` (default 502)."""
        self.sandbox.html(exchange, operation_id, status=status, times=times)

    def truncate(
        self, exchange: str, operation_id: str | None = None, *, times: int = 1, close_connection: bool = False
    ) -> None:
        """Cut the next ``times`` answers' bodies in half (``ResponseError``); with ``close_connection``, mid-transfer
        with the full ``Content-Length`` announced (``TransportError``)."""
        self.sandbox.truncate(exchange, operation_id, times=times, close_connection=close_connection)

    # --- What arrived, clock and rate limits --------------------------------------------------------------

    @property
    def requests(self) -> list[SandboxRequest]:
        """Every request any exchange received since the test started, in arrival order."""
        records = [
            (record.sequence, SandboxRequest.from_record(exchange, record))
            for exchange in EXCHANGES
            for record in self.sandbox.requests(exchange)
        ]
        return [request for _, request in sorted(records, key=lambda pair: pair[0])]

    @property
    def skew_ms(self) -> int:
        """How far the sandbox's clock runs ahead of the system clock (negative: behind), in milliseconds.

        Signed requests are judged, and server time answered, by the skewed clock."""
        return self.sandbox.skew_ms

    @skew_ms.setter
    def skew_ms(self, value: int) -> None:
        self.sandbox.skew_ms = value

    @property
    def enforce_rate_limits(self) -> bool:
        """Whether the documented rate limits are enforced (429 in the exchange's shape); off at each test's start."""
        return self.sandbox.enforce_rate_limits

    @enforce_rate_limits.setter
    def enforce_rate_limits(self, value: bool) -> None:
        self.sandbox.enforce_rate_limits = value

    def use_weight(self, exchange: str, operation_id: str, weight: int, *, api_key: str | None = None) -> int:
        """Count ``weight`` on ``operation_id``'s budget as another program on the same address and account would
        (see ``Sandbox.use_weight``); answers then report it in the budget's used-weight header."""
        return self.sandbox.use_weight(exchange, operation_id, weight, api_key=api_key)

    @property
    def violations(self) -> list[Violation]:
        """Answers the sandbox sent that break the spec, and requests it failed on: a sandbox bug, never yours."""
        return self.sandbox.violations

    def reset(self) -> None:
        """Back to a clean sandbox: no chosen answers, faults or records; ``skew_ms`` 0; rate limits off."""
        self.sandbox.reset()
        self.sandbox.enforce_rate_limits = False
