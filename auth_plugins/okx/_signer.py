"""OKX v5 request signing (base64 HMAC-SHA256 over timestamp + method + path?query + body)."""

import base64
import hashlib
import hmac
import time
from collections.abc import Generator, Mapping

import httpx

from auth_plugins._clock import Clock, SignerClock
from auth_plugins._generated import signed_routes
from auth_plugins._keys import mask_api_key
from auth_plugins._routes import lookup, normalise
from auth_plugins._secrets import Unpicklable

__all__ = ["OkxAuth"]


class OkxAuth(SignerClock, Unpicklable, httpx.Auth):
    """Sign OKX v5 private REST requests, as in OKX's "REST Authentication".

    The prehash is ``timestamp + METHOD + request-target + body``: the request target is
    ``request.url.raw_path`` (path, plus ``?query`` when present) and the body is ``request.content``, both
    exactly as sent. The signature is the base64 of HMAC-SHA256 keyed with ``api_secret``. ``timestamp`` is
    ISO-8601 UTC with milliseconds, e.g. ``2020-12-08T09:08:57.715Z``, taken from ``clock() + offset_ms``
    (``clock`` returns Unix epoch milliseconds, default the system clock; ``offset_ms`` may be changed at
    any time).

    ``routes`` maps ``(METHOD, path)`` to whether the route is signed; it is the allow-list of what may be
    sent (default: the table generated from the specs, ``okx_client.operations``). A public route passes
    through unsigned; a route not in it raises ``auth_plugins.UnknownOperationError`` before anything is sent.

    Sets ``OK-ACCESS-KEY``, ``OK-ACCESS-SIGN``, ``OK-ACCESS-TIMESTAMP`` and ``OK-ACCESS-PASSPHRASE``.
    ``demo=True`` also sends ``x-simulated-trading: 1`` (demo trading); live requests carry no such header
    (one already on the request is removed).
    """

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        passphrase: str,
        *,
        demo: bool = False,
        clock: Clock | None = None,
        routes: Mapping[tuple[str, str], bool] | None = None,
    ) -> None:
        for name, value in (("api_key", api_key), ("api_secret", api_secret), ("passphrase", passphrase)):
            if not value:
                raise ValueError(f"{name} is empty")
        self._hmac = hmac.new(api_secret.encode("utf-8"), digestmod=hashlib.sha256)
        self._api_key = api_key
        self._masked_api_key = mask_api_key(api_key)
        self._passphrase = passphrase
        self._demo = demo
        self._start_clock(clock)
        self._routes = normalise(routes if routes is not None else signed_routes("okx_client"))

    @property
    def demo(self) -> bool:
        """Whether requests are marked for OKX demo trading (``x-simulated-trading: 1``)."""
        return self._demo

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key={self._masked_api_key!r}, demo={self._demo!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign ``request`` in place (the four ``OK-ACCESS-*`` headers) and yield it once; public routes unsigned."""
        if not lookup(self._routes, request, "OKX"):
            yield request
            return
        timestamp = _format_timestamp(self._now_ms())
        # Concatenating bytes signs exactly what is sent and equals the UTF-8 of the documented prehash string.
        mac = self._hmac.copy()
        mac.update(timestamp.encode("ascii") + request.method.encode("ascii") + request.url.raw_path)
        mac.update(request.content)

        request.headers["OK-ACCESS-KEY"] = self._api_key
        request.headers["OK-ACCESS-SIGN"] = base64.b64encode(mac.digest()).decode("ascii")
        request.headers["OK-ACCESS-TIMESTAMP"] = timestamp
        request.headers["OK-ACCESS-PASSPHRASE"] = self._passphrase
        if self._demo:
            request.headers["x-simulated-trading"] = "1"
        else:
            # API keys are per environment, so a stray demo marker on a live request can only cause a 50101.
            request.headers.pop("x-simulated-trading", None)
        yield request


def _format_timestamp(epoch_ms: int) -> str:
    """Format Unix epoch milliseconds as OKX's ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC), using integer arithmetic."""
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
