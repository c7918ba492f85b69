"""Which clients the command talks through: from the environment, as ``client_from_env`` reads it, or for a sandbox.

Nothing here sends a request. Every check happens before the first call: a missing key variable skips its
exchange (:class:`Skipped`, naming the variables); a malformed one raises
:class:`~auth_plugins.ConfigurationError` naming it; the sandbox's public throwaway keys with a base URL that is
not on this host raise :class:`Refused`, so they never reach a real exchange.
"""

from __future__ import annotations

import importlib
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from auth_plugins._env import base_url_from_env, optional
from auth_plugins._generated import server_url
from auth_plugins.errors import UsageError
from auth_plugins.sandbox._credentials import (
    BACKPACK_CREDENTIALS,
    BINANCE_CREDENTIALS,
    OKX_CREDENTIALS,
    factory_arguments,
)

__all__ = ["Configured", "Refused", "Skipped", "from_environment", "sandbox_clients"]

# Per exchange, the key variables client_from_env needs: every group needs one of its names set.
_KEY_VARIABLES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "backpack": (("BACKPACK_API_SECRET",),),
    "binance": (("BINANCE_API_KEY",), ("BINANCE_API_SECRET", "BINANCE_PRIVATE_KEY_FILE")),
    "okx": (("OKX_API_KEY",), ("OKX_API_SECRET",), ("OKX_PASSPHRASE",)),
}
# Per exchange, the variable that would hold one of the sandbox's public throwaway keys, and those keys.
_THROWAWAY: Final[dict[str, tuple[str, frozenset[str]]]] = {
    "backpack": ("BACKPACK_API_SECRET", frozenset({BACKPACK_CREDENTIALS.api_secret})),
    "binance": (
        "BINANCE_API_KEY",
        frozenset({BINANCE_CREDENTIALS.hmac_api_key, BINANCE_CREDENTIALS.ed25519_api_key}),
    ),
    "okx": ("OKX_API_KEY", frozenset({OKX_CREDENTIALS.api_key, OKX_CREDENTIALS.demo_api_key})),
}


class Refused(UsageError):
    """A configuration the command will not run: the message says which variables and why, never their values."""


@dataclass(frozen=True)
class Skipped:
    """An exchange left out because ``variables`` (descriptions such as ``"OKX_API_KEY"``) are not set."""

    exchange: str
    variables: tuple[str, ...]

    def __str__(self) -> str:
        names = self.variables
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"{self.exchange} skipped: {listed} {'is' if len(names) == 1 else 'are'} not set"


@dataclass(frozen=True)
class Configured:
    """An exchange the command will ask: its client and where it goes (``base_url``, and what set it)."""

    exchange: str
    client: Any
    base_url: str
    source: str

    def __str__(self) -> str:
        return f"{self.exchange}: {self.base_url} ({self.source})"


def _missing(exchange: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    groups = _KEY_VARIABLES[exchange]
    missing = [group for group in groups if not any(optional(name, environ) for name in group)]
    return tuple(group[0] + "".join(f" (or {name})" for name in group[1:]) for group in missing)


def _on_this_host(url: str) -> bool:
    host = httpx.URL(url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_throwaway_keys(exchange: str, base_url: str, source: str, environ: Mapping[str, str]) -> None:
    variable, throwaway = _THROWAWAY[exchange]
    if optional(variable, environ) in throwaway and not _on_this_host(base_url):
        raise Refused(
            f"{variable} holds the sandbox's public throwaway key, but {exchange}'s base URL ({source}) is not the "
            f"sandbox on this host: refusing to send it to {base_url}. Use --sandbox, or set "
            f"{exchange.upper()}_BASE_URL to the sandbox's URL (exchange-clients sandbox prints it)."
        )


def from_environment(exchanges: Iterable[str], environ: Mapping[str, str]) -> tuple[list[Configured], list[Skipped]]:
    """Clients from ``client_from_env`` for ``exchanges`` whose key variables are set, and the skipped ones.

    ``environ`` is what the checks read (``os.environ`` for the command; ``client_from_env`` reads
    ``os.environ`` itself). :class:`Refused` for the sandbox's throwaway keys off this host;
    :class:`~auth_plugins.ConfigurationError` for a malformed variable. Nothing is sent.
    """
    configured: list[Configured] = []
    skipped: list[Skipped] = []
    for exchange in exchanges:
        missing = _missing(exchange, environ)
        if missing:
            skipped.append(Skipped(exchange, missing))
            continue
        variable = f"{exchange.upper()}_BASE_URL"
        chosen = base_url_from_env(exchange, environ)
        base_url = chosen if chosen is not None else server_url(f"{exchange}_client")
        source = f"from {variable}" if chosen is not None else f"production; {variable} is not set"
        _refuse_throwaway_keys(exchange, base_url, source, environ)
        factory: Callable[[], Any] = importlib.import_module(f"auth_plugins.{exchange}").client_from_env
        configured.append(Configured(exchange, factory(), base_url, source))
    return configured, skipped


def sandbox_clients(base_urls: Mapping[str, str], exchanges: Iterable[str]) -> list[Configured]:
    """Clients of ``exchanges`` from the public factories with the sandbox's throwaway keys, at ``base_urls``."""
    configured = []
    for exchange in exchanges:
        factory = importlib.import_module(f"auth_plugins.{exchange}").make_client
        client = factory(**factory_arguments(exchange), base_url=base_urls[exchange])
        configured.append(Configured(exchange, client, base_urls[exchange], "sandbox, throwaway keys"))
    return configured
