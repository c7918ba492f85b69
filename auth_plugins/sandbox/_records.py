"""What the sandbox remembers: every request it received, and every answer that broke the spec."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RequestRecord", "Violation"]


@dataclass(frozen=True)
class RequestRecord:
    """One received request and what the sandbox did with it.

    ``target`` is the raw path with query as sent; ``headers`` have lower-case names; ``operation_id`` is None
    for an unknown route. ``verdict`` is ``"ok"``, the error code answered (``"-1022"``, ``"50113"``,
    ``"INVALID_SIGNATURE"``...), ``"scripted"`` for a canned answer or ``"dropped"``. ``auth`` is the verdict of
    authentication alone (``"ok"`` or its error code), computed even for scripted requests so a test can check
    that every attempt was validly signed; None for public operations and unknown routes. ``timestamp_ms`` is
    the timestamp the request carried (None if none could be read), ``received_ms`` the sandbox's clock on
    receipt, ``status`` the HTTP status answered (None when dropped).
    """

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    operation_id: str | None
    verdict: str
    auth: str | None
    timestamp_ms: int | None
    received_ms: int
    status: int | None


@dataclass(frozen=True)
class Violation:
    """A response the sandbox sent that does not validate against the spec, with openapi-core's reasons."""

    exchange: str
    method: str
    target: str
    status: int
    errors: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.exchange} {self.method} {self.target} -> {self.status}: {'; '.join(self.errors)}"
