"""The request exactly as it came off the wire: the bytes signatures are computed over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RawRequest", "raw_request"]


@dataclass(frozen=True)
class RawRequest:
    """Method, raw request target (path plus ``?query``, as sent), raw query, raw body, lower-case headers."""

    method: str
    target: bytes
    query: bytes
    body: bytes
    headers: dict[str, str]
    client_ip: str


def _unwrap(value: str) -> bytes:
    # WSGI servers hand over the request line as latin-1 text; werkzeug's dev server additionally re-encodes
    # it as UTF-8 and decodes that as latin-1 again, which this undoes to get the bytes that were sent.
    try:
        return value.encode("latin-1").decode("utf-8").encode("latin-1")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return value.encode("latin-1", errors="replace")


def raw_request(environ: dict[str, Any], headers: dict[str, str], body: bytes) -> RawRequest:
    """Build a ``RawRequest`` from a WSGI environ (``RAW_URI`` or ``REQUEST_URI``), headers and the body bytes."""
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if uri is None:
        query_string = environ.get("QUERY_STRING", "")
        uri = environ.get("PATH_INFO", "") + (f"?{query_string}" if query_string else "")
    target = _unwrap(str(uri))
    if target.startswith((b"http://", b"https://")):
        # Absolute-form request target (sent through a proxy): keep only path and query, as signers see them.
        slash = target.find(b"/", target.index(b"//") + 2)
        target = target[slash:] if slash >= 0 else b"/"
    _, _, query = target.partition(b"?")
    return RawRequest(
        method=str(environ["REQUEST_METHOD"]).upper(),
        target=target,
        query=query,
        body=body,
        headers={name.lower(): value for name, value in headers.items()},
        client_ip=str(environ.get("REMOTE_ADDR", "")),
    )
