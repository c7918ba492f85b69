"""The hook a factory-made client runs before every attempt of a request: validation, rate limiting."""

from typing import Protocol

import httpx

from auth_plugins._operation import OperationInfo

__all__ = ["RequestGate"]


class RequestGate(Protocol):
    """Something that may hold back or refuse a request before it is signed and sent.

    ``operation`` is the entry of the generated package's route table (``auth_plugins._generated.routes``) for
    the request's method and path; ``request`` is the unsigned request as the generated code built it. Called
    once per attempt (retries included): ``before_send`` from sync clients, ``abefore_send`` from async ones.
    Raising stops the request; nothing reaches the network.
    """

    def before_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        """Return when ``request`` may go out (blocking if it must wait); raise to refuse it."""
        ...

    async def abefore_send(self, operation: OperationInfo, request: httpx.Request) -> None:
        """Async twin of :meth:`before_send`: waits with ``asyncio.sleep``, never blocks the event loop."""
        ...
