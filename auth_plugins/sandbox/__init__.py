"""A sandbox exchange: fake Backpack, Binance and OKX servers on 127.0.0.1, driven by the bundled specs.

Requests are routed and validated with the specs in ``<exchange>_client/openapi.yaml``, authenticated by
recomputing each exchange's signature from the raw bytes received, and answered with the documented 200
example reflecting the request (the asked ``symbol``, ``asset``, ``instId``, ``ccy``, ``borrowCcy``; server time
from the sandbox clock), with a body chosen by the test (``respond``; ``drift=True`` for one that departs from the
spec on purpose), or with the exchange's own error shape.
Errors, transport faults, clock skew and rate limits can be scripted.

Three ways in: the ``exchange_sandbox`` pytest fixture (an :class:`ExchangeSandbox`, registered by the
distribution's pytest plugin), :class:`Sandbox` from any code, and ``python -m auth_plugins.sandbox`` for a
standalone server (:func:`main`). Needs the ``sandbox`` extra: ``pip install 'exchange-clients[sandbox]'``.
Names are imported on first use, so this package imports without the extra; using one then raises an
``ImportError`` saying what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._cli import main
    from ._credentials import (
        BACKPACK_CREDENTIALS,
        BINANCE_CREDENTIALS,
        OKX_CREDENTIALS,
        BackpackCredentials,
        BinanceCredentials,
        BinanceKeyType,
        OkxCredentials,
        client_env,
        env_assignments,
        write_binance_key_file,
    )
    from ._fixture import ExchangeSandbox
    from ._records import RequestRecord, SandboxRequest, Violation
    from ._sandbox import Sandbox
    from ._spec import EXCHANGES

__all__ = [
    "BACKPACK_CREDENTIALS",
    "BINANCE_CREDENTIALS",
    "EXCHANGES",
    "OKX_CREDENTIALS",
    "BackpackCredentials",
    "BinanceCredentials",
    "BinanceKeyType",
    "ExchangeSandbox",
    "OkxCredentials",
    "RequestRecord",
    "Sandbox",
    "SandboxRequest",
    "Violation",
    "client_env",
    "env_assignments",
    "main",
    "write_binance_key_file",
]

_CREDENTIALS: Final = (
    "BACKPACK_CREDENTIALS",
    "BINANCE_CREDENTIALS",
    "OKX_CREDENTIALS",
    "BackpackCredentials",
    "BinanceCredentials",
    "BinanceKeyType",
    "OkxCredentials",
    "client_env",
    "env_assignments",
    "write_binance_key_file",
)
_WHERE: Final[dict[str, str]] = {
    **dict.fromkeys(_CREDENTIALS, "._credentials"),
    "EXCHANGES": "._spec",
    "ExchangeSandbox": "._fixture",
    "RequestRecord": "._records",
    "SandboxRequest": "._records",
    "Violation": "._records",
    "Sandbox": "._sandbox",
    "main": "._cli",
}
# The sandbox extra's top-level modules: a missing one means the extra is not installed.
_EXTRA_MODULES: Final = frozenset({"werkzeug", "openapi_core", "yaml"})


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562); ``ImportError`` naming the extra when it is missing."""
    module_name = _WHERE.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name, __name__)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] in _EXTRA_MODULES:
            raise ImportError(
                f"auth_plugins.sandbox needs the sandbox extra: pip install 'exchange-clients[sandbox]' ({error})",
                name=error.name,
            ) from error
        raise
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
