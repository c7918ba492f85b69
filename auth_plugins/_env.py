"""Reading credentials and options from environment variables, with errors that name the variable and what is
wrong with it, never its value."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from auth_plugins.errors import ConfigurationError

__all__ = ["base_url_from_env", "flag", "optional", "require"]


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def optional(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of environment variable ``name``, or ``None`` when it is unset or empty."""
    return _environ(environ).get(name) or None


def require(name: str, check: Callable[[str], object] | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The non-empty value of ``name``; :class:`ConfigurationError` naming it when unset, or when ``check(value)``
    raises ``ValueError`` (its message, which never holds the value, says what is wrong)."""
    value = optional(name, environ)
    if value is None:
        raise ConfigurationError(f"environment variable {name} is not set")
    if check is not None:
        try:
            check(value)
        except ValueError as error:
            raise ConfigurationError(f"environment variable {name}: {error}") from None
    return value


def flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """A boolean variable: unset, ``0``, ``false`` or ``no`` is False; ``1``, ``true``, ``yes`` True. Anything else
    raises :class:`ConfigurationError` naming the variable, so a typo cannot silently pick live trading."""
    value = _environ(environ).get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ConfigurationError(f"environment variable {name} must be 1/true/yes or 0/false/no")


def base_url_from_env(exchange: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The checked value of ``<EXCHANGE>_BASE_URL`` (a testnet, a proxy, the sandbox), or ``None`` when unset; a bad
    one raises :class:`ConfigurationError` naming the variable."""
    from auth_plugins._factory import check_base_url

    name = f"{exchange.upper()}_BASE_URL"
    value = optional(name, environ)
    return None if value is None else check_base_url(value, f"environment variable {name}")
