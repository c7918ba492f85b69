"""Hostile HTTP servers of the tests' own: raw sockets on 127.0.0.1, one thread per connection, answers scripted
per path, so a test can make a server do what no well-behaved exchange (or the sandbox) would.

:class:`HostileServer` answers every request to one exchange's paths. A path answers with the next answer
:meth:`~HostileServer.script` queued for it, then, once the queue is empty, normally: the spec's documented 200
example (``generated/<exchange>_client/openapi.yaml``), and for the server-time operation the current time in the
exchange's own shape. A connection stays open after a normal answer (``Connection: keep-alive``, so clients pool
it) and is closed after a scripted one. An :data:`Answer` is a function writing to a :class:`Peer`; the factories
below build the hostile ones: a body trickled a byte at a time, a status line dripped byte by byte, a valid 64 MiB
JSON body, an endless chunked body, a gzip or deflate bomb, any server time, and any status with any body.

Imports nothing of ``auth_plugins``, so the same servers measure any version of the clients
(``scripts/bench/hostile.py``).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from scripts.codegen.yaml_loader import LOADER

__all__ = [
    "MiB",
    "Answer",
    "HostileServer",
    "OpenClient",
    "Peer",
    "Received",
    "answer",
    "big_json",
    "documented",
    "drip_status",
    "endless_chunked",
    "example",
    "gzip_bomb",
    "server_time",
    "timestamp_error",
    "trickle",
]

MiB: Final = 1 << 20

_TIME_BODIES: Final = {
    # The spec's examples of each server-time answer, with the time as a placeholder for raw text.
    "backpack": ("text/plain; charset=utf-8", "{}"),
    "binance": ("application/json", '{{"serverTime":{}}}'),
    "okx": ("application/json", '{{"code":"0","msg":"","data":[{{"ts":"{}"}}]}}'),
}
_TIMESTAMP_ERRORS: Final = {
    # What each exchange answers a request whose timestamp is outside its window (tests/client/test_errors.py).
    "backpack": (401, {"code": "UNAUTHORIZED", "message": "Request has expired"}),
    "binance": (400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}),
    "okx": (401, {"code": "50102", "msg": "Timestamp request expired.", "data": []}),
}
_REASONS: Final = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}
_REASONS_5XX: Final = {500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Received:
    """One request as the server read it: ``method``, ``target`` (path and query), lower-case ``headers``."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.split("?", 1)[0]


class Peer:
    """The client end of a connection, as the answer to one request writes to it."""

    def __init__(self, sock: socket.socket, stop: threading.Event, received: Received, scripted: bool) -> None:
        self._sock = sock
        self._stop = stop
        self.received = received
        """The request being answered."""
        self.scripted = scripted
        """Whether the answer was a scripted one (not the normal answer)."""
        self.gone_at: float | None = None
        """When (``time.monotonic``) a write found the client gone; ``None`` while it reads or the server stops."""

    def send(self, data: bytes) -> bool:
        """Write ``data``; False once the client closed the connection or the server is stopping."""
        view = memoryview(data)
        while view:
            if self._stop.is_set():
                return False
            try:
                sent = self._sock.send(view)
            except TimeoutError:
                continue  # the client is not reading right now: look at the stop flag and try again
            except OSError:
                self.gone_at = time.monotonic()
                return False
            view = view[sent:]
        return True

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds``; False if the server is stopping."""
        return not self._stop.wait(seconds)


Answer = Callable[[Peer], None]
"""Writes a whole answer to one connection."""
OpenClient = Callable[..., Any]
"""The ``opened`` fixture of tests/client: ``opened(exchange, server, variant="", **options)`` makes a client on
``server`` (rate limiter off) that is closed when the test ends."""


def _head(status: int, headers: Iterable[tuple[str, str]], keep_alive: bool = False) -> bytes:
    reason = _REASONS.get(status) or _REASONS_5XX.get(status) or "Status"
    connection = "keep-alive" if keep_alive else "close"
    lines = [
        f"HTTP/1.1 {status} {reason}",
        *(f"{name}: {value}" for name, value in headers),
        f"Connection: {connection}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(
    status: int,
    body: bytes | str,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
    *,
    keep_alive: bool = False,
) -> Answer:
    """An ordinary answer: ``status`` with ``body`` (a ``str`` is UTF-8), whatever it contains; ``keep_alive`` says
    ``Connection: keep-alive`` (the server keeps the connection only after a normal answer)."""
    data = body.encode() if isinstance(body, str) else body
    fields = [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers]
    head = _head(status, fields, keep_alive)

    def write(peer: Peer) -> None:
        peer.send(head + data)

    return write


def server_time(exchange: str, raw: str, *, keep_alive: bool = False) -> Answer:
    """A 200 from the server-time operation whose time is the text ``raw`` (``"0"``, ``"1" + "0" * 20``, ...)."""
    content_type, template = _TIME_BODIES[exchange]
    return answer(200, template.format(raw), content_type, keep_alive=keep_alive)


def timestamp_error(exchange: str) -> Answer:
    """The exchange's own answer to a request stamped outside its window."""
    status, body = _TIMESTAMP_ERRORS[exchange]
    return answer(status, json.dumps(body))


def trickle(interval_s: float, give_up_s: float = 60.0) -> Answer:
    """A 200 whose headers promise a megabyte, then one byte of the body every ``interval_s``; after
    ``give_up_s`` the server hangs up (so a client without a deadline fails late instead of never)."""
    head = _head(200, [("Content-Type", "application/json"), ("Content-Length", str(MiB))])

    def write(peer: Peer) -> None:
        until = time.monotonic() + give_up_s
        if peer.send(head):
            while time.monotonic() < until and peer.pause(interval_s) and peer.send(b" "):
                pass

    return write


def drip_status(interval_s: float, give_up_s: float = 60.0) -> Answer:
    """A status line and headers sent one byte every ``interval_s``, never finished; the server hangs up after
    ``give_up_s``."""
    text = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 100_000

    def write(peer: Peer) -> None:
        until = time.monotonic() + give_up_s
        for byte in text:
            if time.monotonic() > until or not (peer.send(bytes([byte])) and peer.pause(interval_s)):
                return

    return write


def big_json(exchange: str, path: str, size: int = 64 * MiB) -> Answer:
    """A 200 with a valid JSON body of about ``size`` bytes: the spec's example for ``path`` with a long string
    field added, streamed in 64 KiB pieces (never built in memory)."""
    encoded = json.dumps(example(exchange, path), separators=(",", ":")).encode()
    prefix, piece = encoded[:-1] + b',"padding":"', b"x" * (64 * 1024)
    count = size // len(piece)
    suffix = b'"}'
    length = len(prefix) + count * len(piece) + len(suffix)
    head = _head(200, [("Content-Type", "application/json"), ("Content-Length", str(length))])

    def write(peer: Peer) -> None:
        if peer.send(head + prefix) and all(peer.send(piece) for _ in range(count)):
            peer.send(suffix)

    return write


def endless_chunked(piece_size: int = 64 * 1024) -> Answer:
    """A 200 with a chunked body of JSON whitespace that never ends (until the client goes)."""
    head = _head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
    chunk = b"%x\r\n" % piece_size + b" " * piece_size + b"\r\n"

    def write(peer: Peer) -> None:
        if peer.send(head):
            while peer.send(chunk):
                pass

    return write


@cache
def _spaces(blocks: int, encoding: str) -> tuple[bytes, int]:
    """``blocks`` MiB of spaces deflated as one block repeated (each after a full flush, so it is computed once
    instead of by compressing a gigabyte), and their CRC-32 (gzip) or Adler-32 (deflate)."""
    spaces = b" " * MiB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(spaces) + compressor.flush(zlib.Z_FULL_FLUSH)
    check = zlib.crc32 if encoding == "gzip" else zlib.adler32
    value = check(b"")
    for _ in range(blocks):
        value = check(spaces, value)
    return block * blocks, value


@cache
def _bomb(tail: bytes, blocks: int, encoding: str) -> bytes:
    """A gzip member (or zlib stream, for ``deflate``) of ``blocks`` MiB of spaces then ``tail``."""
    deflated, value = _spaces(blocks, encoding)
    finisher = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    last = finisher.compress(tail) + finisher.flush(zlib.Z_FINISH)
    if encoding == "gzip":
        size = (blocks * MiB + len(tail)) & 0xFFFFFFFF
        trailer = struct.pack("<II", zlib.crc32(tail, value), size)
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflated + last + trailer
    return b"\x78\xda" + deflated + last + struct.pack(">I", zlib.adler32(tail, value))


def example(exchange: str, path: str) -> Any:
    """The spec's example of the documented 200 answer of ``path``."""
    return _spec_answers(exchange)[path][1]


def gzip_bomb(exchange: str, path: str, inflated_mib: int = 960, encoding: str = "gzip") -> Answer:
    """A 200 of about 1 MB (``Content-Encoding`` ``encoding``: ``gzip`` or ``deflate``) that inflates to
    ``inflated_mib`` MiB of whitespace followed by the spec's example for ``path``: valid JSON, once inflated."""
    body = _bomb(json.dumps(example(exchange, path)).encode(), inflated_mib, encoding)
    return answer(200, body, headers=[("Content-Encoding", encoding)])


@cache
def _spec_answers(exchange: str) -> dict[str, tuple[str, Any, bool]]:
    """Per path: the documented 200's media type, its example, and whether it is the server-time operation."""
    text = resources.files(f"{exchange}_client").joinpath("openapi.yaml").read_text(encoding="utf-8")
    document = yaml.load(text, Loader=LOADER)

    found: dict[str, tuple[str, Any, bool]] = {}
    for path, item in document["paths"].items():
        for method in ("get", "post", "put", "delete"):
            if method in item:
                # The documented 200 is written inline in every endpoint file (its schema may be a $ref; its
                # example never is), so no reference needs following here.
                content = item[method]["responses"]["200"]["content"]
                media, body = next(iter(content.items()))
                found[path] = (media, body["example"], item[method]["operationId"] == "get_server_time")
    return found


def documented(exchange: str, path: str, *, keep_alive: bool = False) -> Answer:
    """The normal answer to ``path``: the spec's 200 example; the current time for the server-time operation."""
    known = _spec_answers(exchange).get(path)
    if known is None:
        return answer(404, json.dumps({"code": "NOT_FOUND", "msg": "no such path"}), keep_alive=keep_alive)
    media, example, is_time = known
    if is_time:
        return server_time(exchange, str(time.time_ns() // 1_000_000), keep_alive=keep_alive)
    body = example if isinstance(example, str) else json.dumps(example)
    return answer(200, body, media, keep_alive=keep_alive)


def _recv(sock: socket.socket, stop: threading.Event) -> bytes:
    """The next bytes from ``sock`` (``b""`` once it is closed, the server stops or the client idles for 10 s)."""
    until = time.monotonic() + 10.0
    while not stop.is_set() and time.monotonic() < until:
        try:
            return sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return b""
    return b""


def _read_request(sock: socket.socket, stop: threading.Event) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = _recv(sock, stop)
        if not piece or len(data) > 65536:
            return None
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        piece = _recv(sock, stop)
        if not piece:
            return None
        rest += piece
    return Received(method, target, headers)


class HostileServer:
    """A server for ``exchange`` on 127.0.0.1 (see the module docstring); a context manager, stopped on exit."""

    def __init__(self, exchange: str) -> None:
        self.exchange = exchange
        # Read the spec's answers now, not on the first request: with hundreds of operations that takes longer
        # than the short timeouts some tests give their clients.
        _spec_answers(exchange)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._scripts: defaultdict[str, deque[Answer]] = defaultdict(deque)
        self._received: list[Received] = []
        self.peers: list[Peer] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, name=f"hostile-{exchange}", daemon=True)
        self._accepting.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *answers: Answer) -> None:
        """Queue ``answers`` for the next requests to ``path``, one each, before the normal answer resumes."""
        with self._lock:
            self._scripts[path].extend(answers)

    def received(self, path: str | None = None) -> list[Received]:
        """The requests read so far (to ``path`` only, if given), in order."""
        with self._lock:
            return [seen for seen in self._received if path is None or seen.path == path]

    def reset(self) -> None:
        """Forget the scripts and the requests received."""
        with self._lock:
            self._scripts.clear()
            self._received.clear()
            self.peers.clear()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        """Answer the requests of one connection: kept open after each normal answer, closed after a scripted one."""
        with sock:
            sock.settimeout(0.05)
            while (received := _read_request(sock, self._stop)) is not None:
                with self._lock:
                    self._received.append(received)
                    queue = self._scripts.get(received.path)
                    respond = queue.popleft() if queue else None
                    peer = Peer(sock, self._stop, received, scripted=respond is not None)
                    self.peers.append(peer)
                if respond is not None:
                    respond(peer)
                    return
                documented(self.exchange, received.path, keep_alive=True)(peer)

    def scripted_peers(self) -> list[Peer]:
        """The requests that got a scripted answer (each on a connection of its own), in order."""
        with self._lock:
            return [peer for peer in self.peers if peer.scripted]

    def close(self) -> None:
        """Stop every answer under way and the listener."""
        self._stop.set()
        self._accepting.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
