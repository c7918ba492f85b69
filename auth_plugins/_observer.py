"""The switch through which :mod:`auth_plugins.telemetry` watches every factory-made call.

:data:`current` is ``None`` unless an instrumentor installed an :class:`Observer`. The drivers
(:mod:`auth_plugins._clients`) then hand it each call's attempt loop and run the loop it returns instead: one that
yields the same steps, receives the same outcomes and ends the same way, noting what happens on the way (and the
gates it may have wrapped to time them). Left
``None``, a call pays one ``is None`` check; nothing here imports OpenTelemetry.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import httpx

if TYPE_CHECKING:
    from auth_plugins._attempts import Exchange, Pipeline, Step
    from auth_plugins._operation import OperationInfo

__all__ = ["Loop", "Observer", "current", "install"]

Loop: TypeAlias = "Generator[Step, Any, Exchange]"
"""A call's attempt loop (:func:`auth_plugins._attempts.attempts`)."""


class Observer(Protocol):
    """Watches one call: ``request`` is the call's request as the generated code built it (unsigned),
    ``asynchronous`` whether an async client drives ``loop``. Returns the pipeline whose gates the driver runs (the
    same, or a copy whose gates are watched too) and the loop it runs instead of ``loop``, which must yield every
    step of ``loop`` unchanged, pass every outcome on, return what ``loop`` returns, raise what it raises, and close
    it when closed.
    """

    def __call__(
        self, pipeline: Pipeline, operation: OperationInfo, request: httpx.Request, loop: Loop, asynchronous: bool
    ) -> tuple[Pipeline, Loop]:
        """The pipeline and the loop the driver runs for this call."""
        ...


current: Observer | None = None
"""The installed observer; ``None``: calls are not watched."""


def install(observer: Observer | None) -> None:
    """Make ``observer`` watch every call that starts from now on (``None``: stop watching). Calls under way keep
    the observer they started with."""
    global current
    current = observer
