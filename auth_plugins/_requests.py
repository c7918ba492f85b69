"""The requests a pipeline holds: ``httpx.Request`` s whose ``repr`` is their method and path only.

Tools that print frame locals (``pytest --showlocals``, error trackers, ``traceback`` with ``capture_locals``)
show the ``repr`` of every local of every frame an error passed through, and httpx's shows the whole URL: a
Binance request's ``signature=`` with it. The pipeline's requests are :class:`QuietRequest` s instead, so those
tools show ``<Request('GET', '/sapi/v1/margin/maxBorrowable')>``: never a query, a header or a signature.
"""

from __future__ import annotations

import httpx

__all__ = ["QuietRequest", "quiet"]


class QuietRequest(httpx.Request):
    """An ``httpx.Request`` in every respect but its ``repr``, which names the method and path only."""

    def __repr__(self) -> str:
        return f"<Request({self.method!r}, {self.url.path!r})>"


def quiet(request: httpx.Request) -> httpx.Request:
    """``request`` itself, made a :class:`QuietRequest` if it is a plain ``httpx.Request`` (a subclass of the
    caller's own is left as it is)."""
    if type(request) is httpx.Request:
        # Same layout, no slots: only the class changes, and with it the repr.
        request.__class__ = QuietRequest
    return request
