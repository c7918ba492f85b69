"""Throwaway credentials the sandbox accepts: public test values, worthless anywhere else.

The Ed25519 keys are the RFC 8032 section 7.1 test vectors, the Binance HMAC pair is the one Binance's own
docs use in their signing examples, and the OKX secret is the example from OKX's docs. Never put a real key
here: the sandbox prints these values on start.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "ACCOUNTS",
    "BACKPACK_CREDENTIALS",
    "BINANCE_CREDENTIALS",
    "OKX_CREDENTIALS",
    "BackpackCredentials",
    "BinanceCredentials",
    "BinanceKeyType",
    "OkxCredentials",
    "client_env",
    "env_assignments",
    "factory_arguments",
    "write_binance_key_file",
]

BinanceKeyType = Literal["hmac", "ed25519"]
"""Which of the sandbox's two Binance keys a client signs with."""


@dataclass(frozen=True)
class BackpackCredentials:
    """Backpack's key pair: ``api_key`` is the base64 Ed25519 public key, ``api_secret`` the base64 32-byte seed."""

    api_key: str
    api_secret: str = field(repr=False)

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key the sandbox verifies signatures with."""
        return base64.b64decode(self.api_key)


@dataclass(frozen=True)
class BinanceCredentials:
    """Binance's two registered keys: an HMAC-SHA256 pair and an Ed25519 key (PKCS#8 PEM private key)."""

    hmac_api_key: str
    hmac_api_secret: str = field(repr=False)
    ed25519_api_key: str = ""
    ed25519_private_key_pem: str = field(default="", repr=False)
    ed25519_public_key_hex: str = ""

    @property
    def ed25519_public_key(self) -> bytes:
        """The raw 32-byte public half of ``ed25519_private_key_pem``."""
        return bytes.fromhex(self.ed25519_public_key_hex)


@dataclass(frozen=True)
class OkxCredentials:
    """OKX's keys: a live key and a demo-trading key (sent with ``x-simulated-trading: 1``).

    Both share ``api_secret`` and ``passphrase``; only the environment they belong to differs.
    """

    api_key: str
    api_secret: str = field(repr=False)
    passphrase: str = field(repr=False)
    demo_api_key: str = ""


BACKPACK_CREDENTIALS: Final = BackpackCredentials(
    # RFC 8032 TEST 1: seed 9d61b19d...7f60, public key d75a9801...511a.
    api_key="11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    api_secret="nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
)
"""The Backpack key the sandbox accepts: RFC 8032 TEST 1 as a base64 seed and its public key."""

BINANCE_CREDENTIALS: Final = BinanceCredentials(
    hmac_api_key="vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    hmac_api_secret="NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    ed25519_api_key="sandbox-ed25519-key",
    # RFC 8032 TEST 2 seed 4ccd089b...a6fb as PKCS#8: DER 302e020100300506032b657004220420 || seed.
    ed25519_private_key_pem=(
        "-----BEGIN PRIVATE KEY-----\n"
        "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7\n"
        "-----END PRIVATE KEY-----\n"
    ),
    ed25519_public_key_hex="3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
)
"""The Binance keys the sandbox accepts: the documentation's HMAC pair and RFC 8032 TEST 2 as Ed25519."""

OKX_CREDENTIALS: Final = OkxCredentials(
    api_key="sandbox-okx-key",
    api_secret="22582BD0CFF14C41EDBF1AB98506286D",
    passphrase="sandbox-passphrase",
    demo_api_key="sandbox-okx-demo-key",
)
"""The OKX keys the sandbox accepts (live and demo trading), with the documentation's example secret."""

ACCOUNTS: Final = {
    BINANCE_CREDENTIALS.hmac_api_key: "binance-uid-1",
    BINANCE_CREDENTIALS.ed25519_api_key: "binance-uid-1",
}
"""The account (UID, User ID) behind each API key where it is not the key alone: both Binance keys belong to one
account, so account-keyed budgets count them together. Any other key is its own account."""


def env_assignments() -> dict[str, str]:
    """The variables ``client_from_env`` reads, set to the sandbox's credentials (Binance on its HMAC key).

    Base URLs are not included (they depend on the ports chosen at start). Binance's Ed25519 key is read
    from a file (``BINANCE_PRIVATE_KEY_FILE``), so it is not offered here.
    """
    return {
        "BACKPACK_API_SECRET": BACKPACK_CREDENTIALS.api_secret,
        "BINANCE_API_KEY": BINANCE_CREDENTIALS.hmac_api_key,
        "BINANCE_API_SECRET": BINANCE_CREDENTIALS.hmac_api_secret,
        "OKX_API_KEY": OKX_CREDENTIALS.api_key,
        "OKX_API_SECRET": OKX_CREDENTIALS.api_secret,
        "OKX_PASSPHRASE": OKX_CREDENTIALS.passphrase,
    }


def factory_arguments(exchange: str, *, binance_key: BinanceKeyType = "hmac", okx_demo: bool = False) -> dict[str, str]:
    """The credential keywords of ``auth_plugins.<exchange>.make_client`` for the sandbox's keys (no ``base_url``).

    Binance signs with its HMAC key, or its Ed25519 key (``private_key=`` the PEM) with ``binance_key="ed25519"``;
    OKX with its live key, or its demo-trading key with ``okx_demo`` (the caller passes ``demo=True`` too).
    ``ValueError`` for an exchange the sandbox does not serve.
    """
    if exchange == "backpack":
        return {"api_secret": BACKPACK_CREDENTIALS.api_secret}
    if exchange == "binance":
        if binance_key == "ed25519":
            return {
                "api_key": BINANCE_CREDENTIALS.ed25519_api_key,
                "private_key": BINANCE_CREDENTIALS.ed25519_private_key_pem,
            }
        return {"api_key": BINANCE_CREDENTIALS.hmac_api_key, "api_secret": BINANCE_CREDENTIALS.hmac_api_secret}
    if exchange == "okx":
        return {
            "api_key": OKX_CREDENTIALS.demo_api_key if okx_demo else OKX_CREDENTIALS.api_key,
            "api_secret": OKX_CREDENTIALS.api_secret,
            "passphrase": OKX_CREDENTIALS.passphrase,
        }
    raise ValueError(f"the sandbox serves backpack, binance and okx, not {exchange!r}")


BINANCE_KEY_FILE_NAME: Final = "binance-ed25519.pem"


def write_binance_key_file(directory: str | os.PathLike[str]) -> Path:
    """Write the sandbox's Binance Ed25519 private key (PEM) to ``directory`` (owner-only) and return the path.

    This is the file ``BINANCE_PRIVATE_KEY_FILE`` names for ``auth_plugins.binance.client_from_env``.
    """
    path = Path(directory) / BINANCE_KEY_FILE_NAME
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(BINANCE_CREDENTIALS.ed25519_private_key_pem)
    return path


def client_env(
    base_urls: Mapping[str, str],
    *,
    binance_key: BinanceKeyType = "hmac",
    binance_key_file: str | os.PathLike[str] | None = None,
    okx_demo: bool = False,
) -> dict[str, str]:
    """Every variable the ``client_from_env`` factories read, set for the sandbox at ``base_urls`` (exchange -> URL).

    Binance signs with its HMAC key, or with its Ed25519 key (``binance_key="ed25519"``, which needs the
    ``binance_key_file`` written by :func:`write_binance_key_file`); the secret variable of the other key type
    is set to ``""``, which the factories read as unset, since they refuse both at once. OKX uses its live
    key, or its demo-trading key with ``OKX_DEMO=1`` when ``okx_demo``.
    """
    if binance_key not in ("hmac", "ed25519"):
        raise ValueError(f"binance_key must be 'hmac' or 'ed25519', not {binance_key!r}")
    if binance_key == "ed25519" and binance_key_file is None:
        raise ValueError("the Ed25519 key needs binance_key_file (see write_binance_key_file)")
    ed25519 = binance_key == "ed25519"
    env = {f"{exchange.upper()}_BASE_URL": url for exchange, url in base_urls.items()}
    env.update(
        {
            "BACKPACK_API_SECRET": BACKPACK_CREDENTIALS.api_secret,
            "BINANCE_API_KEY": BINANCE_CREDENTIALS.ed25519_api_key if ed25519 else BINANCE_CREDENTIALS.hmac_api_key,
            "BINANCE_API_SECRET": "" if ed25519 else BINANCE_CREDENTIALS.hmac_api_secret,
            "BINANCE_PRIVATE_KEY_FILE": os.fspath(binance_key_file) if ed25519 and binance_key_file else "",
            "OKX_API_KEY": OKX_CREDENTIALS.demo_api_key if okx_demo else OKX_CREDENTIALS.api_key,
            "OKX_API_SECRET": OKX_CREDENTIALS.api_secret,
            "OKX_PASSPHRASE": OKX_CREDENTIALS.passphrase,
            "OKX_DEMO": "1" if okx_demo else "0",
        }
    )
    return env
