"""Reading credentials from environment variables, with errors that name the variable and never its value."""

import os
from collections.abc import Mapping

__all__ = ["base_url_option", "flag", "require"]


def require(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the non-empty value of environment variable ``name``, or raise ``ValueError`` naming it."""
    value = (os.environ if environ is None else environ).get(name, "")
    if not value:
        raise ValueError(f"environment variable {name} is not set")
    return value


def flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Return a boolean environment variable: unset, ``0``, ``false`` or ``no`` is False; ``1``, ``true``, ``yes`` True.

    Any other value raises ``ValueError`` naming the variable, so a typo cannot silently pick live trading.
    """
    value = (os.environ if environ is None else environ).get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"environment variable {name} must be 1/true/yes or 0/false/no")


def base_url_option(name: str, options: dict[str, object], environ: Mapping[str, str] | None = None) -> None:
    """Set ``options["base_url"]`` from environment variable ``name`` when it is set and the caller gave none.

    Lets ``client_from_env`` point at a testnet or the sandbox (``python -m auth_plugins.sandbox`` prints these).
    """
    value = (os.environ if environ is None else environ).get(name, "")
    if value and "base_url" not in options:
        options["base_url"] = value
