"""The standalone sandbox server: ``python -m auth_plugins.sandbox``, and whatever else calls :func:`main`.

It prints, as shell lines on standard output, every base URL and every throwaway credential the sandbox
accepts (Backpack; Binance HMAC and, from a key file, Ed25519; OKX live and demo), then serves until
interrupted (Ctrl-C, SIGTERM) or for ``--serve-for`` seconds. Status messages go to standard error, so
standard output can be saved and sourced: ``python -m auth_plugins.sandbox > sandbox.env &``, then
``. ./sandbox.env``.

``--background`` does that in one step, without a race: it starts the server as a detached process, waits
until it listens, prints its lines plus ``export EXCHANGE_SANDBOX_PID=<pid>`` and returns, so
``eval "$(python -m auth_plugins.sandbox --background)"`` leaves a shell ready for ``client_from_env``
(stop it with ``kill $EXCHANGE_SANDBOX_PID``, or let ``--serve-for`` end it; the default there is 1 hour).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Final

from ._credentials import (
    BINANCE_CREDENTIALS,
    OKX_CREDENTIALS,
    BinanceKeyType,
    client_env,
    write_binance_key_file,
)
from ._sandbox import Sandbox
from ._spec import EXCHANGES

__all__ = ["main", "shell_lines"]

_DEFAULT_PROG: Final = "python -m auth_plugins.sandbox"
# A background sandbox someone forgot still ends: after an hour unless --serve-for says otherwise.
_BACKGROUND_DEFAULT_S: Final = 3600.0
_BACKGROUND_START_TIMEOUT_S: Final = 60.0
# Internal: the detached child closes its output once its lines are printed, then serves silently.
_DETACHED: Final = "--detached-child"


def _export(name: str, value: str) -> str:
    return f"export {name}={shlex.quote(value)}"


def shell_lines(
    base_urls: dict[str, str], key_file: Path, *, binance_key: BinanceKeyType = "hmac", okx_demo: bool = False
) -> list[str]:
    """The lines :func:`main` prints, per exchange: ``export`` lines for the chosen keys, then the alternative.

    Active: each base URL, Backpack's secret, Binance's ``binance_key`` ("hmac" or "ed25519", the latter as
    ``BINANCE_PRIVATE_KEY_FILE=key_file``) and OKX's live key (the demo key and ``OKX_DEMO=1`` with
    ``okx_demo``); an ``unset`` for the unused Binance secret variable. The other Binance key and OKX
    environment follow as commented commands that switch to them (``unset`` first: ``client_from_env``
    refuses ``BINANCE_API_SECRET`` and ``BINANCE_PRIVATE_KEY_FILE`` together).
    """
    env = client_env(base_urls, binance_key=binance_key, binance_key_file=key_file, okx_demo=okx_demo)

    def block(prefix: str) -> list[str]:
        names = [name for name in env if name.startswith(prefix)]
        return [_export(name, env[name]) for name in names if env[name]] + [
            f"unset {name}" for name in names if not env[name]
        ]

    if binance_key == "hmac":
        binance_title, binance_other = "HMAC key", "the Ed25519 key instead of HMAC"
        binance_switch = [
            "unset BINANCE_API_SECRET",
            _export("BINANCE_API_KEY", BINANCE_CREDENTIALS.ed25519_api_key),
            _export("BINANCE_PRIVATE_KEY_FILE", str(key_file)),
        ]
    else:
        binance_title, binance_other = f"Ed25519 key (PEM in {key_file})", "the HMAC key instead of Ed25519"
        binance_switch = [
            "unset BINANCE_PRIVATE_KEY_FILE",
            _export("BINANCE_API_KEY", BINANCE_CREDENTIALS.hmac_api_key),
            _export("BINANCE_API_SECRET", BINANCE_CREDENTIALS.hmac_api_secret),
        ]
    if okx_demo:
        okx_title, okx_other = "demo-trading key (x-simulated-trading: 1)", "the live key instead of demo trading"
        okx_switch = [_export("OKX_API_KEY", OKX_CREDENTIALS.api_key), _export("OKX_DEMO", "0")]
    else:
        okx_title, okx_other = "live key", "demo trading (x-simulated-trading: 1) instead of the live key"
        okx_switch = [_export("OKX_API_KEY", OKX_CREDENTIALS.demo_api_key), _export("OKX_DEMO", "1")]
    return [
        "# Sandbox exchange on 127.0.0.1; throwaway credentials (public test values, worthless elsewhere).",
        "# Backpack",
        *block("BACKPACK_"),
        f"# Binance, {binance_title}",
        *block("BINANCE_"),
        f"# For {binance_other}, run these (client_from_env refuses both secrets at once):",
        *(f"#   {line}" for line in binance_switch),
        f"# OKX, {okx_title}",
        *block("OKX_"),
        f"# For {okx_other}, run these:",
        *(f"#   {line}" for line in okx_switch),
    ]


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError("must be a number of seconds > 0")
    return seconds


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65533:
        raise argparse.ArgumentTypeError("must be between 1 and 65533 (three ports are used from it)")
    return port


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Fake Backpack, Binance and OKX servers on 127.0.0.1 that check signatures and answer as the "
        "bundled specs document. Prints export lines for client_from_env, then serves.",
    )
    parser.add_argument(
        "--port",
        type=_port,
        help="first port: Backpack on it, Binance on the next, OKX on the one after (default: free ports)",
    )
    parser.add_argument(
        "--enforce-rate-limits", action="store_true", help="enforce each operation's documented rate limit"
    )
    parser.add_argument(
        "--serve-for", type=_positive_seconds, metavar="SECONDS", help="stop after SECONDS (default: until interrupted)"
    )
    parser.add_argument(
        "--binance-key",
        choices=("hmac", "ed25519"),
        default="hmac",
        help="which Binance key the export lines select (default: hmac)",
    )
    parser.add_argument(
        "--okx-demo", action="store_true", help="export OKX's demo-trading key (OKX_DEMO=1) instead of the live one"
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="serve from a detached process and return once it listens, printing its lines and "
        'EXCHANGE_SANDBOX_PID: eval "$(%(prog)s --background)" (default --serve-for there: 3600)',
    )
    parser.add_argument(_DETACHED, action="store_true", help=argparse.SUPPRESS)
    return parser


class _Stop(Exception):
    """Raised by the SIGTERM handler to leave the serving wait."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _background(argv: Sequence[str], serve_for: float | None, prog: str) -> int:
    """Start the server detached (its own session, output closed once ready), print what it printed plus its PID."""
    child_argv = [a for a in argv if a != "--background"] + [_DETACHED]
    if serve_for is None:
        child_argv += ["--serve-for", f"{_BACKGROUND_DEFAULT_S:g}"]
    child = subprocess.Popen(
        [sys.executable, "-m", "auth_plugins.sandbox", *child_argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # Not communicate(): it also waits for the process to end. Read both pipes to EOF, which the child reaches
    # by closing its output once it listens (or by exiting on a failure).
    streams: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, f=pipe: streams.__setitem__(n, f.read()), daemon=True)
        for name, pipe in (("out", child.stdout), ("err", child.stderr))
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(_BACKGROUND_START_TIMEOUT_S)
    if any(reader.is_alive() for reader in readers):
        child.kill()
        print(f"{prog}: the background sandbox did not start within {_BACKGROUND_START_TIMEOUT_S:g} s", file=sys.stderr)
        return 2
    output, errors = streams["out"], streams["err"]
    if child.poll() is not None or not output.strip():
        sys.stderr.write(errors)
        return child.wait() or 2
    print(output.rstrip("\n"))
    print(_export("EXCHANGE_SANDBOX_PID", str(child.pid)), flush=True)
    print(f"{prog}: serving in the background as process {child.pid}; stop it with kill {child.pid}.", file=sys.stderr)
    return 0


def _silence() -> None:
    """Point standard output and error at /dev/null, so a parent reading them sees EOF and may go away."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def main(argv: Sequence[str] | None = None, *, prog: str = _DEFAULT_PROG) -> int:
    """Run the sandbox server with command-line arguments ``argv`` (default ``sys.argv[1:]``); the exit status.

    Options: ``--port N`` (Backpack on N, Binance on N+1, OKX on N+2), ``--enforce-rate-limits``,
    ``--serve-for SECONDS``, ``--binance-key {hmac,ed25519}`` and ``--okx-demo`` (which keys the printed
    ``export`` lines select; the others are printed as commented commands), ``--background`` (serve from a
    detached process, see the module docstring). The Ed25519 key is written to a temporary PEM file, removed
    on exit. Returns 0 after serving, 2 if the ports cannot be bound (argparse
    exits 2 on bad arguments). ``prog`` names the command in help and errors.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = _parser(prog).parse_args(arguments)
    if args.background:
        return _background(arguments, args.serve_for, prog)
    key_dir = Path(tempfile.mkdtemp(prefix="exchange-sandbox-"))
    previous = None
    try:
        key_file = write_binance_key_file(key_dir)
        try:
            sandbox = Sandbox(enforce_rate_limits=args.enforce_rate_limits, first_port=args.port)
        except OSError as error:
            print(f"{prog}: cannot listen on 127.0.0.1: {error}", file=sys.stderr)
            return 2
        with sandbox:
            urls = {exchange: sandbox.base_url(exchange) for exchange in EXCHANGES}
            lines = shell_lines(urls, key_file, binance_key=args.binance_key, okx_demo=args.okx_demo)
            print("\n".join(lines), flush=True)
            until = f"for {args.serve_for:g} s" if args.serve_for else "until Ctrl-C"
            limits = "enforced" if args.enforce_rate_limits else "not enforced"
            print(f"{prog}: serving {until}; rate limits {limits}.", file=sys.stderr, flush=True)
            if args.detached_child:
                _silence()
            if threading.current_thread() is threading.main_thread():
                previous = signal.signal(signal.SIGTERM, _on_sigterm)
            try:
                threading.Event().wait(args.serve_for)
            except (KeyboardInterrupt, _Stop):
                pass
        print(f"{prog}: stopped.", file=sys.stderr, flush=True)
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(key_dir, ignore_errors=True)
