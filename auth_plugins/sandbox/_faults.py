"""Scripted faults: canned answers, delays and dropped connections for the next matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["Script", "ScriptBook"]


@dataclass(frozen=True)
class Script:
    """What to do with the next ``remaining`` requests matching ``operation_id`` (None: any request).

    ``delay_s`` is slept first. Then ``drop`` closes the connection without a response; otherwise, when
    ``status`` is set, the canned answer (``status``, ``body``, ``content_type``, ``headers``) is sent; otherwise
    the request is handled normally, except that with ``truncate`` its answer's body is cut in half:
    ``"body"`` sends the first half as the whole body (valid HTTP, unreadable JSON), ``"connection"`` announces
    the full ``Content-Length`` and closes the connection after the first half.
    """

    remaining: int
    operation_id: str | None
    status: int | None
    body: bytes
    content_type: str | None
    headers: dict[str, str]
    delay_s: float
    drop: bool
    truncate: Literal["body", "connection"] | None = None


class ScriptBook:
    """Scripts in the order they were added; each request consumes one use of the first that matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: list[Script] = []

    def add(self, script: Script) -> None:
        """Queue ``script`` after the ones already queued."""
        with self._lock:
            self._scripts.append(script)

    def take(self, operation_id: str | None) -> Script | None:
        """Consume one use of the first script matching a request to ``operation_id`` (None: unknown route)."""
        with self._lock:
            for index, script in enumerate(self._scripts):
                if script.operation_id is None or script.operation_id == operation_id:
                    if script.remaining <= 1:
                        del self._scripts[index]
                    else:
                        self._scripts[index] = replace(script, remaining=script.remaining - 1)
                    return script
            return None

    def clear(self) -> None:
        """Drop every queued script."""
        with self._lock:
            self._scripts.clear()
