"""A minimal keep-alive HTTP/1.1 server in its own process, answering every operation with its documented 200.

The benchmark needs a server that costs as little as possible and never competes with the measured client
for a core, so it runs in another process (``python -m scripts.bench._server``) and does no validation and no
signature checks: the sandbox does those in the verification pass before anything is timed. Each
``(METHOD, path)`` of the bundled specs is answered with the documented 200 example and its documented
content type (Backpack's server time is ``text/plain``), as precomputed bytes; anything else gets a 404.

Two implementations: ``asyncio`` (a raw ``asyncio.Protocol``, one event loop; the default) and ``threading``
(``http.server.ThreadingHTTPServer`` with ``protocol_version = "HTTP/1.1"``), kept so the choice can be
re-measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import yaml

from auth_plugins._openapi import follow
from scripts.codegen.yaml_loader import LOADER

__all__ = ["SERVER_KINDS", "ServerProcess", "canned_responses"]

REPO: Final = Path(__file__).resolve().parents[2]
EXCHANGES: Final = ("backpack", "binance", "okx")
SERVER_KINDS: Final = ("asyncio", "threading")
_METHODS: Final = ("get", "put", "post", "delete", "patch")
_NOT_FOUND: Final = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found"


def _body(example: Any, content_type: str) -> bytes:
    if isinstance(example, str) and "json" not in content_type:
        return example.encode("utf-8")
    return json.dumps(example, separators=(",", ":")).encode("utf-8")


def canned_responses(generated_root: Path = REPO / "generated") -> dict[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """Map ``(METHOD, path)`` of every operation in the bundled specs to ``(content type, body)`` of its 200 example.

    Raises ``KeyError`` if an operation documents no 200 example (the bundler and the sandbox require one).
    """
    answers: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
    for exchange in EXCHANGES:
        document = yaml.load(
            (generated_root / f"{exchange}_client" / "openapi.yaml").read_text(encoding="utf-8"), Loader=LOADER
        )
        for path, item in document["paths"].items():
            for method in _METHODS:
                if method not in item:
                    continue
                content = follow(document, item[method]["responses"]["200"])["content"]
                content_type = next(iter(content))
                body = _body(content[content_type]["example"], content_type)
                answers[(method.upper().encode("ascii"), path.encode("ascii"))] = (content_type.encode("ascii"), body)
    return answers


def _raw_responses() -> dict[tuple[bytes, bytes], bytes]:
    return {
        key: b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (content_type, len(body), body)
        for key, (content_type, body) in canned_responses().items()
    }


class _Protocol(asyncio.Protocol):
    """One keep-alive connection: parse request heads, skip bodies, write the precomputed answer."""

    def __init__(self, responses: dict[tuple[bytes, bytes], bytes]) -> None:
        self._responses = responses
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(buffer[:head_end]).lower()
            length = 0
            marker = head.find(b"\r\ncontent-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker + 2)
                length = int(head[marker + 17 : line_end if line_end >= 0 else len(head)])
            if len(buffer) < head_end + 4 + length:
                return
            request_line = bytes(buffer[: buffer.find(b"\r\n")])
            del buffer[: head_end + 4 + length]
            method, target, _ = request_line.split(b" ", 2)
            answer = self._responses.get((method, target.split(b"?", 1)[0]), _NOT_FOUND)
            assert self._transport is not None
            self._transport.write(answer)


async def _serve_asyncio(responses: dict[tuple[bytes, bytes], bytes]) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(responses), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Serve until the parent closes our stdin (or kills us).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def _serve_threading(responses: dict[tuple[bytes, bytes], bytes]) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.wfile.write(responses.get((self.command.encode(), self.path.split("?", 1)[0].encode()), _NOT_FOUND))

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


class ServerProcess:
    """The benchmark server running in a child process; a context manager that stops it on exit.

    ``kind`` is one of :data:`SERVER_KINDS`. ``cpu`` pins the child to that CPU when given (Linux only).
    ``base_url`` is ``http://127.0.0.1:<port>`` once started.
    """

    def __init__(self, kind: str = "asyncio", *, cpu: int | None = None) -> None:
        if kind not in SERVER_KINDS:
            raise ValueError(f"unknown server kind {kind!r}; expected one of {', '.join(SERVER_KINDS)}")
        self.kind = kind
        command = [sys.executable, "-m", "scripts.bench._server", "--kind", kind]
        if cpu is not None:
            command += ["--cpu", str(cpu)]
        self._process = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_child_env()
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"benchmark server did not start (said {line!r})")
        self.pid = self._process.pid
        self.base_url = f"http://127.0.0.1:{int(line)}"

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server (close its stdin, then terminate it if it lingers) and its pipes; safe to call twice."""
        assert self._process.stdin is not None and self._process.stdout is not None
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.terminate()
                self._process.wait(timeout=5)
        self._process.stdin.close()
        self._process.stdout.close()


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


def main(argv: list[str] | None = None) -> None:
    """Serve until stdin closes; print the chosen port on the first line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=SERVER_KINDS, default="asyncio")
    parser.add_argument("--cpu", type=int)
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    responses = _raw_responses()
    if args.kind == "asyncio":
        asyncio.run(_serve_asyncio(responses))
    else:
        _serve_threading(responses)


if __name__ == "__main__":
    main()
