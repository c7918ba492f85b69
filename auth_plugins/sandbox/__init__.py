"""A sandbox exchange: fake Backpack, Binance and OKX servers on 127.0.0.1, driven by the bundled specs.

Requests are routed and validated with the specs in ``<exchange>_client/openapi.yaml``, authenticated by
recomputing each exchange's signature from the raw bytes received, and answered with the documented 200
example (server time from the sandbox clock) or with the exchange's own error shape. Faults, clock skew and
rate limits can be scripted. Use ``Sandbox`` from tests, or ``python -m auth_plugins.sandbox`` for a demo.
"""

from ._credentials import (
    BACKPACK_CREDENTIALS,
    BINANCE_CREDENTIALS,
    OKX_CREDENTIALS,
    BackpackCredentials,
    BinanceCredentials,
    OkxCredentials,
    env_assignments,
)
from ._records import RequestRecord, Violation
from ._sandbox import Sandbox
from ._spec import EXCHANGES

__all__ = [
    "BACKPACK_CREDENTIALS",
    "BINANCE_CREDENTIALS",
    "EXCHANGES",
    "OKX_CREDENTIALS",
    "BackpackCredentials",
    "BinanceCredentials",
    "OkxCredentials",
    "RequestRecord",
    "Sandbox",
    "Violation",
    "env_assignments",
]
