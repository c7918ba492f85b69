"""What a shared budget is made of, without touching Redis: settings, URL checks, fingerprints, key names.

Nothing here imports redis-py, so a bad ``rate_limit`` setting is refused (and ``RedisRateLimit`` is
importable) even where the ``redis`` extra is not installed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = [
    "DEFAULT_IP_SCOPE",
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_LEASE_S",
    "OnError",
    "RedisRateLimit",
    "budget_keys",
    "mask_url",
    "shared_fingerprint",
]

OnError = Literal["local", "raise"]

DEFAULT_IP_SCOPE: Final = "shared"
"""What ``ip`` budgets are keyed on unless told otherwise: one egress address for every client on the Redis."""
DEFAULT_KEY_PREFIX: Final = "exchange-clients"
DEFAULT_LEASE_S: Final = 30.0
"""The shortest time a request still in flight keeps counting (three times the factories' default timeout)."""

_SCHEMES: Final = ("redis", "rediss", "unix")
_OWN_PARAMETERS: Final = ("ip_scope", "on_error")
_NAME: Final = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}")
# Fixed and public: it only separates these fingerprints from every other use of the same secrets.
_FINGERPRINT_SALT: Final = b"exchange-clients/shared-rate-limit/v1"


def mask_url(url: str) -> str:
    """``url`` as it may be shown: scheme, user, host, port and database, the password as ``***``, no query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = quote(unquote(parts.username), safe="") if parts.username else ""
    except ValueError:
        return "<unparseable URL>"
    credentials = f"{user}:***@" if parts.password else (f"{user}@" if user else "")
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{credentials}{host}{port}{parts.path}"


@dataclass(frozen=True)
class RedisRateLimit:
    """A rate-limit budget shared through Redis by every process and host that points at the same server.

    ``url`` is a redis-py URL (``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` for TLS,
    ``unix:///path.sock``); redis-py's own query parameters (``socket_timeout`` ...) pass through. It is
    treated as a secret: every ``repr`` and message shows it masked (:func:`mask_url`).

    ``ip_scope`` names the egress address that ``ip`` limits (Binance's ``/api/*`` pool of 6,000 weight a
    minute) are counted against. By default every client on the Redis shares one (``"shared"``), which is right
    when they all leave through one address or NAT gateway and merely cautious otherwise; hosts that leave
    through different addresses each set their own, for example their public IP.

    ``on_error`` says what happens when Redis cannot be reached: ``"local"`` (default) falls back to this
    process's own budget with one WARNING per outage and reconnects with backoff (``reconnect_min_s``
    doubling to ``reconnect_max_s``); ``"raise"`` refuses each request with
    :class:`~auth_plugins.errors.SharedBudgetError` until Redis answers again. ``lease_s`` is the least
    time a request still in flight keeps counting (see the package docstring); ``key_prefix`` starts every
    key. ``ValueError`` names what is wrong with any of these, never showing the password.
    """

    url: str = field(repr=False)
    ip_scope: str = DEFAULT_IP_SCOPE
    on_error: OnError = "local"
    lease_s: float = DEFAULT_LEASE_S
    key_prefix: str = DEFAULT_KEY_PREFIX
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0

    def __post_init__(self) -> None:
        _check_url(self.url)
        own = [name for name, _ in _query(self.url) if name in _OWN_PARAMETERS]
        if own:
            raise ValueError(
                f"rate_limit URL {mask_url(self.url)}: pass {own[0]}= as a keyword of RedisRateLimit, or give "
                "the URL as a string (rate_limit='redis://...?ip_scope=...'), not both"
            )
        if not isinstance(self.ip_scope, str) or not _NAME.fullmatch(self.ip_scope):
            raise ValueError("ip_scope must be 1-200 letters, digits or ._:@/+=- (no spaces or braces)")
        if not isinstance(self.key_prefix, str) or not _NAME.fullmatch(self.key_prefix):
            raise ValueError("key_prefix must be 1-200 letters, digits or ._:@/+=- (no spaces or braces)")
        if self.on_error not in ("local", "raise"):
            raise ValueError(f"on_error must be 'local' or 'raise', not {self.on_error!r}")
        for name in ("lease_s", "reconnect_min_s", "reconnect_max_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be at least reconnect_min_s")

    @classmethod
    def from_url(cls, url: str) -> RedisRateLimit:
        """Settings from a URL alone (the string form of ``rate_limit`` and of the environment variable): the
        query parameters ``ip_scope`` and ``on_error`` set those fields and are removed from the URL redis-py
        sees; everything else takes its default."""
        if not isinstance(url, str):
            raise TypeError("rate_limit must be True, False, a redis://, rediss:// or unix:// URL or RedisRateLimit")
        _check_url(url)
        parts = urlsplit(url)
        query = _query(url)
        own = {name: value for name, value in query if name in _OWN_PARAMETERS}
        rest = urlencode([(name, value) for name, value in query if name not in _OWN_PARAMETERS])
        plain = urlunsplit(parts._replace(query=rest))
        on_error = own.get("on_error", "local")
        if on_error not in ("local", "raise"):
            raise ValueError(f"rate_limit URL {mask_url(url)}: on_error must be 'local' or 'raise'")
        return cls(plain, ip_scope=own.get("ip_scope", DEFAULT_IP_SCOPE), on_error=on_error)  # type: ignore[arg-type]

    @property
    def masked_url(self) -> str:
        """The URL as it may appear in logs and messages (:func:`mask_url`)."""
        return mask_url(self.url)

    @property
    def password(self) -> str | None:
        """The URL's password, for the log redaction registry; ``None`` if it has none."""
        password = urlsplit(self.url).password
        return unquote(password) if password else None

    def __repr__(self) -> str:
        return (
            f"RedisRateLimit({self.masked_url!r}, ip_scope={self.ip_scope!r}, on_error={self.on_error!r}, "
            f"lease_s={self.lease_s!r})"
        )


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _check_url(url: str) -> None:
    """``ValueError`` naming what is wrong with ``url`` (shown masked), before anything connects."""
    if not isinstance(url, str):
        raise TypeError("rate_limit must be True, False, a redis://, rediss:// or unix:// URL or RedisRateLimit")
    shown = mask_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(f"rate_limit URL {shown}: the port must be a number from 1 to 65535") from None
    if parts.scheme not in _SCHEMES:
        raise ValueError(
            f"rate_limit URL {shown}: the scheme must be redis://, rediss:// or unix://, not {parts.scheme or 'none'}"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError(f"rate_limit URL {shown}: a unix:// URL needs the socket's path (unix:///run/redis.sock)")
        return
    if not parts.hostname:
        raise ValueError(f"rate_limit URL {shown}: no host (redis://host:6379/0)")
    if port == 0:
        raise ValueError(f"rate_limit URL {shown}: the port must be a number from 1 to 65535")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ValueError(f"rate_limit URL {shown}: the database must be a number (redis://host:6379/0)")
    if parts.fragment:
        raise ValueError(f"rate_limit URL {shown}: a fragment (#...) means nothing here")


def shared_fingerprint(api_key: str, secrets: Sequence[str | None] = ()) -> str:
    """A stable stand-in for ``api_key`` in Redis key names, the same in every process and on every host.

    It is a keyed BLAKE2b hash of the key, keyed with the credentials' other secrets (API secret, private key,
    passphrase; whitespace removed, order ignored), so that anyone who can read the Redis but does not hold the
    secrets can neither recover the key nor check a guess of it, nor link it to the same key elsewhere.
    Without secrets it is keyed with a fixed salt only (a guess of the key could then be checked).
    """
    material = sorted({"".join(secret.split()) for secret in secrets if secret and secret != api_key})
    key = hashlib.blake2b("\0".join(material).encode("utf-8"), digest_size=32, key=_FINGERPRINT_SALT).digest()
    return hashlib.blake2b(api_key.encode("utf-8"), digest_size=16, key=key).hexdigest()


def budget_keys(
    prefix: str, exchange: str, budget: str, scope: Sequence[str], limit: int, window_ms: int
) -> tuple[str, str]:
    """The two Redis keys of one budget: its sorted set of requests and the hash beside it (the weight its
    members carry beyond one each, and the keys' expiry; see :mod:`~auth_plugins._ratelimit_redis._scripts`).

    ``budget`` is the budget's name (a pool's, or the operationId of an endpoint's own budget) and ``scope``
    whom it counts for (``("api-key", fingerprint)``, ``("account", label)``, ``("ip", ip_scope, scheme, host,
    port)`` ...). The budget's identity sits in ``{...}`` (a Redis Cluster hash tag) so both keys live on one
    node. ``window_ms`` is the documented window: the effective one is derived from it the same way everywhere.
    ``rl3`` is the layout's version: processes on another layout (``rl2`` kept a plain running total) use
    other keys, never misreading these.
    """
    identity = ":".join((exchange, budget, *scope, str(limit), str(window_ms)))
    base = f"{prefix}:rl3:{{{identity}}}"
    return f"{base}:z", f"{base}:n"
