"""What the sandbox remembers: every request it received, and every answer that broke the spec."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["RequestRecord", "SandboxRequest", "Violation"]


@dataclass(frozen=True)
class RequestRecord:
    """One received request and what the sandbox did with it.

    ``target`` is the raw path with query as sent; ``headers`` have lower-case names; ``operation_id`` is None
    for an unknown route. ``verdict`` is ``"ok"``, the error code answered (``"-1022"``, ``"50113"``,
    ``"INVALID_SIGNATURE"``...), ``"scripted"`` for a canned answer or ``"dropped"``. ``auth`` is the verdict of
    authentication alone (``"ok"`` or its error code), computed even for scripted requests so a test can check
    that every attempt was validly signed; None for public operations and unknown routes. ``timestamp_ms`` is
    the timestamp the request carried (None if none could be read), ``received_ms`` the sandbox's clock on
    receipt, ``status`` the HTTP status answered (None when dropped). ``sequence`` orders requests across the
    sandbox's exchanges (it counts up from 1 in arrival order; 0 when not set).
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
    sequence: int = 0


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


@dataclass(frozen=True)
class SandboxRequest:
    """One request the sandbox received, as a test about its caller wants to see it.

    ``exchange`` (``"backpack"``, ``"binance"``, ``"okx"``), ``method``, ``path`` (without the query) and the
    ``operation_id`` it was routed to (None: no such route). ``params`` is the decoded query, one value per
    name (the first, if repeated), including any auth parameters such as Binance's ``timestamp`` and
    ``signature``. ``body`` is the decoded JSON body, None when there was none or it was not JSON.
    ``signed`` says whether the operation requires a signature; ``signature_valid`` is True only when it does and
    the sandbox authenticated the request (known key, fresh timestamp, valid signature), also when a scripted
    fault then answered it. ``status`` is the HTTP status answered (None: the connection was dropped);
    ``headers`` have lower-case names.
    """

    exchange: str
    method: str
    path: str
    operation_id: str | None
    params: dict[str, str]
    body: Any
    signed: bool
    signature_valid: bool
    status: int | None
    headers: dict[str, str]

    @classmethod
    def from_record(cls, exchange: str, record: RequestRecord) -> SandboxRequest:
        """The user-facing view of one of ``exchange``'s ``RequestRecord``s."""
        split = urlsplit(record.target)
        params: dict[str, str] = {}
        for name, value in parse_qsl(split.query, keep_blank_values=True, encoding="utf-8", errors="replace"):
            params.setdefault(name, value)
        body: Any = None
        if record.body.strip():
            try:
                body = json.loads(record.body)
            except ValueError:
                body = None
        return cls(
            exchange=exchange,
            method=record.method,
            path=split.path,
            operation_id=record.operation_id,
            params=params,
            body=body,
            signed=record.auth is not None,
            signature_valid=record.auth == "ok",
            status=record.status,
            headers=dict(record.headers),
        )
