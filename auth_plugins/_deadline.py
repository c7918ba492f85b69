"""The deadline of one attempt, which the connections' network backends (:mod:`auth_plugins._backends`) enforce on
every socket operation.

httpx's timeouts apply to each read and write on its own, so a server that trickles a byte every few seconds
keeps a request alive for ever. An attempt therefore runs under a :class:`Deadline` (a context variable, so it
follows the calling thread or task), and the network backends below give every connect, TLS handshake, read and
write only the time left before it: an attempt ends, from connecting to the last byte of the body, within its
deadline whatever the server does. A wait the client chooses itself in the middle of an attempt (the rate
limiter holding a request back just before it is written) :meth:`extends <Deadline.extend>` the deadline by that
wait, so only the server's time counts.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

__all__ = ["Deadline", "extend_deadline", "remaining", "start_deadline", "stop_deadline"]


class Deadline:
    """A moment on the monotonic clock (``at``, seconds) that one attempt must finish by."""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def extend(self, seconds: float) -> None:
        """Move the deadline ``seconds`` later (for a wait the client itself chose)."""
        self.at += seconds

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        """The time an operation may take: ``timeout`` (``None``: unbounded) capped at what is left; raises
        ``expired`` (an httpcore timeout class) when nothing is left."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise expired("the attempt's deadline passed")
        return left if timeout is None or timeout > left else timeout


_CURRENT: ContextVar[Deadline | None] = ContextVar("auth_plugins_deadline", default=None)


def start_deadline(seconds: float) -> Token[Deadline | None]:
    """Start a deadline ``seconds`` from now for this thread or task; pass the token to :func:`stop_deadline`."""
    return _CURRENT.set(Deadline(seconds))


def stop_deadline(token: Token[Deadline | None]) -> None:
    """End the deadline :func:`start_deadline` started."""
    _CURRENT.reset(token)


def extend_deadline(seconds: float) -> None:
    """Extend the current attempt's deadline, if there is one, by ``seconds`` the client spent waiting by choice."""
    deadline = _CURRENT.get()
    if deadline is not None:
        deadline.extend(seconds)


def remaining(timeout: float | None, expired: type[Exception]) -> float | None:
    """The time a socket operation may take now: ``timeout`` capped at what is left of the current attempt's
    deadline (``timeout`` itself when no deadline runs); raises ``expired`` when nothing is left."""
    deadline = _CURRENT.get()
    return timeout if deadline is None else deadline.left(timeout, expired)
