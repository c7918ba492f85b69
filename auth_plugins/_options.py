"""The keyword arguments every factory gives a generated client: safe, loud defaults around the signer."""

from typing import Any

import httpx

__all__ = ["DEFAULT_TIMEOUT_S", "MaskedKey", "client_options"]

DEFAULT_TIMEOUT_S = 10.0


class MaskedKey(str):
    """An API key that reprs masked: the generated client's attrs ``repr`` shows its ``token`` field."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'…'" if len(self) < 16 else f"'{self[:4]}…{self[-4:]}'"


def client_options(auth: httpx.Auth, timeout: float | httpx.Timeout, options: dict[str, Any]) -> dict[str, Any]:
    """Return generated-client keyword arguments: ``auth`` plugged in through ``httpx_args``, a real timeout
    (the generator's default is none at all), ``raise_on_unexpected_status=True`` and
    ``follow_redirects=False`` (httpx strips only ``Authorization`` on a cross-origin redirect, not exchange
    key headers). ``options`` are the caller's extra client arguments and win over these defaults, except that
    ``httpx_args["auth"]`` is refused: the signer is the factory's job.
    """
    httpx_args = dict(options.pop("httpx_args", {}))
    if "auth" in httpx_args:
        raise TypeError("httpx_args['auth'] is set by the factory; pass credentials to make_client instead")
    httpx_args["auth"] = auth
    defaults: dict[str, Any] = {
        "timeout": timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        "raise_on_unexpected_status": True,
        "follow_redirects": False,
    }
    return {**defaults, **options, "httpx_args": httpx_args}
