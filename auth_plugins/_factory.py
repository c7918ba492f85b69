"""The one factory behind every ``auth_plugins.<exchange>.make_client``: an exchange profile plus a signer in, a
generated ``AuthenticatedClient`` with the request pipeline plugged in out.

Each exchange's ``make_client`` parses its credentials into a signer and calls :func:`build_client`; every other
argument is one of :class:`ClientOptions`, typed (mypy flags a misspelled keyword) and checked here at run time
too. Safety defaults cannot be undone: a factory-made client never follows redirects (httpx would carry the
exchange's key and signature headers to the other origin) and signs with its own signer only.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypedDict, TypeVar

import httpx

from auth_plugins._attempts import Pipeline
from auth_plugins._clients import AsyncPipelineClient, SyncPipelineClient
from auth_plugins._clock import Clock, system_clock
from auth_plugins._env import base_url_from_env
from auth_plugins._gates import RequestGate
from auth_plugins._profile import ExchangeProfile
from auth_plugins._ratelimit import account_labels_from_env, rate_limit_from_env, rate_limit_gates, rate_limit_secrets
from auth_plugins._redaction import Redactor, install_log_redaction
from auth_plugins._retry import RetryPolicy
from auth_plugins._secrets import MaskedKey, Unpicklable
from auth_plugins._transport import AsyncConnection, Connection, ConnectionSettings
from auth_plugins._validation import RequestValidator
from auth_plugins.errors import ConfigurationError, InvalidParameterError

if TYPE_CHECKING:
    from auth_plugins._ratelimit_redis import RedisRateLimit

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT_S",
    "ClientOptions",
    "PipelineHooks",
    "build_client",
    "check_base_url",
    "options_from_env",
]

DEFAULT_TIMEOUT_S: Final = 10.0
"""The default bound of one attempt, from connecting to the last byte of the body."""
DEFAULT_MAX_RESPONSE_BYTES: Final = 1 << 20
"""The default cap on a response body, raw and decoded: 1 MiB, a thousand times the largest documented answer."""


class ClientOptions(TypedDict, total=False):
    """What every ``make_client`` takes besides credentials (all keyword-only, all optional).

    - ``base_url``: ``scheme://host[:port]`` of the exchange (default: production), e.g. a testnet or the sandbox;
      no path (the signatures cover the path, so a prefix cannot be added in between).
    - ``timeout``: seconds one attempt may take, from connecting to the last byte of the body (default 10).
    - ``retry``: a :class:`~auth_plugins.RetryPolicy` (default ``RetryPolicy()``: 2 retries of reads).
    - ``rate_limit``: keep to the documented rate limits on the client's side: ``True`` (default: a budget per
      process), ``False``, or a Redis URL / :class:`~auth_plugins.RedisRateLimit` (a budget shared by every
      process and host on that Redis).
    - ``rate_limit_account``: a label for the account the key belongs to (Binance UID, OKX User ID). Account
      budgets are per key by default; every client given the same label shares them, in the process or through
      the Redis budget. ``rate_limit_master_account`` labels the master account (OKX "Master Account User ID"
      limits, shared with its sub-accounts; default: the account label).
    - ``gates``: more :class:`~auth_plugins.RequestGate` s, run before every attempt after validation and limits.
    - ``clock``: Unix milliseconds for timestamps (default: the system clock).
    - ``headers``: extra headers for every request.
    - ``verify_ssl``: TLS verification: True, False, a CA bundle path or an ``ssl.SSLContext``.
    - ``proxy``: a proxy URL (otherwise the ``HTTPS_PROXY``/``NO_PROXY`` environment variables apply).
    - ``limits``: connection-pool ``httpx.Limits``.
    - ``max_response_bytes``: the cap on each response body, raw and decoded (default 1 MiB).
    - ``transport`` / ``async_transport``: an httpx transport to send through instead (tests, custom networks);
      the deadline is then only as good as that transport's own timeouts.
    """

    base_url: str
    timeout: float
    retry: RetryPolicy
    rate_limit: bool | str | RedisRateLimit
    rate_limit_account: str
    rate_limit_master_account: str
    gates: Sequence[RequestGate]
    clock: Clock
    headers: Mapping[str, str]
    verify_ssl: bool | str | ssl.SSLContext
    proxy: str
    limits: httpx.Limits
    max_response_bytes: int
    transport: httpx.BaseTransport
    async_transport: httpx.AsyncBaseTransport


_REFUSED: Final = {
    "follow_redirects": "a factory-made client never follows redirects: httpx would carry the exchange's key and "
    "signature headers to the other origin",
    "auth": "the signer is the factory's: pass credentials to make_client instead",
    "httpx_args": "pass the typed options instead (headers, verify_ssl, proxy, limits, transport, ...)",
    "cookies": "exchange APIs use no cookies",
    "raise_on_unexpected_status": "every answer but the documented success raises already",
}

C = TypeVar("C")


def check_base_url(value: object, name: str = "base_url") -> str:
    """``value`` if it is ``http(s)://host[:port]`` with no path, query, fragment or credentials; else
    :class:`ConfigurationError` saying what is wrong (``name`` is what to call it: the argument or the variable)."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string such as 'https://www.okx.com'")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ConfigurationError(f"{name} is not a valid URL") from None
    if url.scheme not in ("http", "https"):
        raise ConfigurationError(f"{name} must start with http:// or https:// (a scheme and a host)")
    if not url.host:
        raise ConfigurationError(f"{name} has no host")
    if url.raw_path not in (b"", b"/") or url.query or url.fragment:
        raise ConfigurationError(f"{name} must have no path, query or fragment: the signed routes start at the host")
    if url.userinfo:
        raise ConfigurationError(f"{name} must not hold credentials")
    return value.rstrip("/")


def options_from_env(exchange: str, options: ClientOptions) -> ClientOptions:
    """What every ``client_from_env`` adds to the caller's ``options``: ``base_url`` from ``<EXCHANGE>_BASE_URL``,
    ``rate_limit`` from ``EXCHANGE_CLIENTS_RATE_LIMIT``, and ``rate_limit_account`` and
    ``rate_limit_master_account`` from ``EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT`` and
    ``EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT``, each only where that variable is set and the caller passed
    none. :class:`ConfigurationError` names a malformed variable, never its value."""
    base_url, rate_limit = base_url_from_env(exchange), rate_limit_from_env()
    account, master_account = account_labels_from_env()
    if base_url is not None and "base_url" not in options:
        options["base_url"] = base_url
    if rate_limit is not None and "rate_limit" not in options:
        options["rate_limit"] = rate_limit
    if account is not None and "rate_limit_account" not in options:
        options["rate_limit_account"] = account
    if master_account is not None and "rate_limit_master_account" not in options:
        options["rate_limit_master_account"] = master_account
    return options


def _positive(name: str, value: object, integer: bool = False) -> None:
    kinds = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be {'an integer' if integer else 'a number'} greater than 0")


def _checked(options: Mapping[str, Any]) -> None:
    for name in options:
        if name in _REFUSED:
            raise ConfigurationError(f"{name} cannot be set: {_REFUSED[name]}")
        if name not in ClientOptions.__annotations__:
            known = ", ".join(sorted(ClientOptions.__annotations__))
            raise ConfigurationError(f"make_client got an unknown option {name!r} (options: {known})")
    if "timeout" in options:
        _positive("timeout", options["timeout"])
    if "max_response_bytes" in options:
        _positive("max_response_bytes", options["max_response_bytes"], integer=True)
    checks: tuple[tuple[str, type | tuple[type, ...], str], ...] = (
        ("retry", RetryPolicy, "a RetryPolicy"),
        ("headers", Mapping, "a mapping of header names to values"),
        ("verify_ssl", (bool, str, ssl.SSLContext), "True, False, a CA bundle path or an ssl.SSLContext"),
        ("proxy", str, "a proxy URL"),
        ("limits", httpx.Limits, "an httpx.Limits"),
        ("transport", httpx.BaseTransport, "an httpx.BaseTransport"),
        ("async_transport", httpx.AsyncBaseTransport, "an httpx.AsyncBaseTransport"),
    )
    for name, kind, what in checks:
        if name in options and not isinstance(options[name], kind):
            raise ConfigurationError(f"{name} must be {what}")
    if "clock" in options and not callable(options["clock"]):
        raise ConfigurationError("clock must be a callable returning Unix milliseconds")


class PipelineHooks(Unpicklable):
    """The generated client's ``ClientHooks``: pipeline clients on this factory's connections, and
    :class:`~auth_plugins.errors.InvalidParameterError` for arguments the generated code refuses."""

    __slots__ = ("_async_transport", "_connection", "_transport", "pipeline")
    _pickled_as = "a factory-made client"

    def __init__(
        self,
        pipeline: Pipeline,
        connection: ConnectionSettings,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.pipeline = pipeline
        self._connection = connection
        self._transport = transport
        self._async_transport = async_transport

    def httpx_client(self, settings: dict[str, Any]) -> httpx.Client:
        """A :class:`~auth_plugins._clients.SyncPipelineClient` for the generated client's ``settings``."""
        transport = self._transport if self._transport is not None else Connection(self._connection)
        return SyncPipelineClient(self.pipeline, settings, transport)

    def async_httpx_client(self, settings: dict[str, Any]) -> httpx.AsyncClient:
        """An :class:`~auth_plugins._clients.AsyncPipelineClient` for the generated client's ``settings``."""
        transport = self._async_transport if self._async_transport is not None else AsyncConnection(self._connection)
        return AsyncPipelineClient(self.pipeline, settings, transport)

    def argument_error(self, operation_id: str, parameter: str, python_name: str, rule: str) -> Exception:
        """The :class:`~auth_plugins.errors.InvalidParameterError` for an argument the generated code refuses."""
        return InvalidParameterError(operation_id, parameter, rule, python_name)

    def __repr__(self) -> str:
        return f"PipelineHooks({self.pipeline!r})"


_VALIDATOR: Final = RequestValidator()


def build_client(
    client_class: Callable[..., C],
    profile: ExchangeProfile,
    auth: httpx.Auth,
    *,
    api_key: str,
    secrets: Sequence[str | None],
    options: Mapping[str, Any],
) -> C:
    """A ``client_class`` (a generated ``AuthenticatedClient``) signed by ``auth``, with every failure typed.

    ``api_key`` is the key the exchange knows the account by (sent in ``profile.api_key_header``; its salted
    fingerprint keys its key and account rate limits); ``secrets`` are what
    :class:`~auth_plugins._redaction.Redactor` scrubs besides it. ``options`` are :class:`ClientOptions`, checked
    here (:class:`ConfigurationError` naming the option and what is wrong). Before every attempt the pipeline
    validates the request against its spec, keeps to the documented rate limits (unless ``rate_limit=False``),
    then runs ``gates``.
    """
    _checked(options)
    base_url = check_base_url(options.get("base_url", profile.server_url))
    timeout = float(options.get("timeout", DEFAULT_TIMEOUT_S))
    verify = options.get("verify_ssl", True)
    setting = options.get("rate_limit", True)
    try:
        limiter = rate_limit_gates(
            profile.name,
            api_key,
            setting,
            secrets=secrets,
            account=options.get("rate_limit_account"),
            master_account=options.get("rate_limit_master_account"),
        )
    except (ValueError, TypeError, ImportError) as error:
        raise ConfigurationError(str(error) if "rate_limit_" in str(error) else f"rate_limit: {error}") from None
    pipeline = Pipeline(
        profile=profile,
        auth=auth,
        clock=options.get("clock") or system_clock,
        retry=options.get("retry", RetryPolicy()),
        gates=(_VALIDATOR, *limiter, *options.get("gates", ())),
        redactor=Redactor([api_key, *secrets, *rate_limit_secrets(setting)]),
        timeout_s=timeout,
        max_response_bytes=int(options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)),
    )
    install_log_redaction()
    connection = ConnectionSettings(verify=verify, proxy=options.get("proxy"), limits=options.get("limits", _LIMITS))
    hooks = PipelineHooks(pipeline, connection, options.get("transport"), options.get("async_transport"))
    return client_class(
        base_url,
        token=MaskedKey(api_key),
        prefix="",
        auth_header_name=profile.api_key_header,
        timeout=httpx.Timeout(timeout),
        headers=dict(options.get("headers", {})),
        verify_ssl=verify,
        hooks=hooks,
    )


_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
