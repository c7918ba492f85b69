"""Reading a response body under a size cap, counted before and after content decoding.

The documented answers are a few hundred bytes; a broken gateway or an attacker can send gigabytes, an endless
chunked body, or a small gzip bomb. :class:`BodyReader` takes the raw chunks as they arrive and stops at the first
one that takes either count past the cap: the raw bytes received, or the bytes they decode to. gzip and deflate
are inflated incrementally with an output bound, so memory never grows past about the cap however well the body
compresses. The client asks only for those two encodings; any other one is refused rather than decoded unbounded.
"""

from __future__ import annotations

import zlib
from typing import Final

__all__ = ["ACCEPT_ENCODING", "BodyTooLarge", "BodyReader", "UnsupportedEncoding"]

ACCEPT_ENCODING: Final = "gzip, deflate"
"""What the client's ``Accept-Encoding`` header offers: exactly the encodings :class:`BodyReader` can bound."""


class BodyTooLarge(Exception):
    """The body went past the cap; ``counted`` says which count (raw or decoded) did."""

    def __init__(self, cap: int, counted: str) -> None:
        super().__init__(f"the {counted} body exceeds the client's cap of {cap} bytes")
        self.cap = cap


class UnsupportedEncoding(Exception):
    """The response used a content encoding the client did not offer and will not decode unbounded."""


class _Inflater:
    """Incremental zlib decoding that never produces more than it is allowed to at a time."""

    __slots__ = ("_fallback", "_inflater", "_started")

    def __init__(self, encoding: str) -> None:
        # deflate means zlib-wrapped data, but some servers send raw deflate: try the first, fall back once.
        self._fallback = encoding == "deflate"
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decoded bytes of ``data``, at most ``room + 1`` of them (one more than allowed means "too many")."""
        try:
            out = self._inflater.decompress(data, room + 1)
        except zlib.error:
            if not self._fallback or self._started:
                raise
            self._fallback = False
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._inflater.decompress(data, room + 1)
        self._started = True
        return out

    def pending(self) -> bool:
        """Whether input is held back because the last call hit its output bound."""
        return bool(self._inflater.unconsumed_tail)

    def drain(self, room: int) -> bytes:
        """Decode more of the held-back input, at most ``room + 1`` bytes."""
        return self._inflater.decompress(self._inflater.unconsumed_tail, room + 1)

    def flush(self) -> bytes:
        """The rest, once the body ended and nothing is held back; ``zlib.error`` for a truncated stream."""
        out = self._inflater.flush()
        if not self._inflater.eof:
            raise zlib.error("the compressed body ended before its end marker")
        return out


class BodyReader:
    """Collects one response body: :meth:`feed` each raw chunk, then :meth:`finish`.

    ``encoding`` is the response's ``Content-Encoding`` (``""`` or ``identity`` for none). Raises
    :class:`BodyTooLarge` as soon as either count exceeds ``cap``, :class:`UnsupportedEncoding` for an encoding
    other than gzip and deflate, and ``zlib.error`` for a corrupt compressed body.
    """

    __slots__ = ("_cap", "_chunks", "_decoded", "_inflater", "_raw")

    def __init__(self, cap: int, encoding: str = "") -> None:
        encoding = encoding.strip().lower()
        self._cap = cap
        self._raw = 0
        self._decoded = 0
        self._chunks: list[bytes] = []
        if encoding in ("", "identity"):
            self._inflater: _Inflater | None = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._inflater = _Inflater("deflate" if encoding == "deflate" else "gzip")
        else:
            raise UnsupportedEncoding(f"content encoding {encoding[:40]!r} is not one the client accepts")

    def feed(self, chunk: bytes) -> None:
        """Take the next raw chunk of the body."""
        self._raw += len(chunk)
        if self._raw > self._cap:
            raise BodyTooLarge(self._cap, "raw")
        if self._inflater is None:
            self._chunks.append(chunk)
            return
        self._add(self._inflater.feed(chunk, self._cap - self._decoded))
        # A chunk may decode to more than the room left: what zlib held back is drained, each step bounded.
        while self._inflater.pending():
            self._add(self._inflater.drain(self._cap - self._decoded))

    def finish(self) -> bytes:
        """The whole decoded body, once the last chunk was fed."""
        if self._inflater is not None:
            self._add(self._inflater.flush())
        return b"".join(self._chunks)

    def _add(self, out: bytes) -> None:
        self._decoded += len(out)
        if self._decoded > self._cap:
            raise BodyTooLarge(self._cap, "decoded")
        if out:
            self._chunks.append(out)
