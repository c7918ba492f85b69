"""``exchange-clients``: parse, configure, ask, print, and the exit status (0 answered or clean, 1 a venue failed or
an answer drifted, 2 usage)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, Final, TextIO

from auth_plugins._cli._check_live import check_live, parse_override, render, to_junit
from auth_plugins._cli._config import Configured, from_environment, sandbox_clients
from auth_plugins._cli._parser import EXCHANGE_NAMES, PROG, build_parser
from auth_plugins._redaction import RedactingFilter
from auth_plugins.capacity import Capacity, max_borrow, max_withdrawal
from auth_plugins.capacity._table import render_table
from auth_plugins.errors import UsageError

__all__ = ["main"]

_MISSING_EXTRA: Final = (
    "{what} needs the sandbox extra, which is not installed: pip install 'exchange-clients[sandbox]'"
)


class _MissingExtra(Exception):
    """The sandbox extra (werkzeug, openapi-core, PyYAML) is not installed."""


def _import_sandbox(name: str) -> Any:
    """``auth_plugins.sandbox.<name>``; :class:`_MissingExtra` when the sandbox extra is not installed."""
    import auth_plugins.sandbox as sandbox
    from auth_plugins.sandbox import _EXTRA_MODULES

    try:
        return getattr(sandbox, name)
    except ImportError as error:
        if (error.name or "").split(".")[0] in _EXTRA_MODULES:
            raise _MissingExtra from None
        raise


class _Reporter:
    """Lines for standard error: skipped exchanges always, what is configured and done with ``-v``."""

    def __init__(self, verbosity: int, stream: TextIO) -> None:
        self.verbosity = verbosity
        self.stream = stream

    def say(self, message: str) -> None:
        print(f"{PROG}: {message}", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        if self.verbosity:
            self.say(message)


def _log_to(stream: TextIO, verbosity: int) -> None:
    """-v: the clients' own log (retries, clock re-syncs); -vv: and httpx/httpcore debug, every record redacted."""
    if not verbosity:
        return
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(f"{PROG}: %(name)s: %(message)s"))
    names = ("auth_plugins",) if verbosity == 1 else ("auth_plugins", "httpx", "httpcore")
    for name in names:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)


@contextlib.contextmanager
def _clients(args: argparse.Namespace, exchanges: Sequence[str], report: _Reporter) -> Iterator[list[Configured]]:
    """The configured clients, entered (their connections close on leaving), from a fresh sandbox or the
    environment. :class:`UsageError` when nothing is configured or a configuration is refused."""
    with contextlib.ExitStack() as stack:
        if args.sandbox:
            sandbox_class = _import_sandbox("Sandbox")
            # The sandbox's HTTP server would log every request; the output says it all.
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            sandbox = stack.enter_context(sandbox_class())
            urls = {exchange: sandbox.base_url(exchange) for exchange in exchanges}
            configured = sandbox_clients(urls, exchanges)
            report.detail("a fresh sandbox exchange on 127.0.0.1, with its public throwaway keys")
        else:
            configured, skipped = from_environment(exchanges, os.environ)
            for skip in skipped:
                report.say(str(skip))
            if not configured:
                raise UsageError(
                    f"no exchange is configured: set the key variables of one ({PROG} --help lists them), "
                    "or try --sandbox"
                )
        for entry in configured:
            stack.enter_context(entry.client)
            report.detail(f"asking {entry}")
        yield configured


def _ask(args: argparse.Namespace, configured: list[Configured]) -> tuple[Capacity, ...]:
    clients = {entry.exchange: entry.client for entry in configured}
    if args.command == "max-withdrawal":
        return (
            max_withdrawal(
                args.asset.upper(),
                backpack=clients["backpack"],
                auto_borrow=args.auto_borrow,
                auto_lend_redeem=args.auto_lend_redeem,
            ),
        )
    symbol = args.isolated_symbol.upper() if args.isolated_symbol and "binance" in clients else None
    return max_borrow(
        args.asset.upper(),
        backpack=clients.get("backpack"),
        binance=clients.get("binance"),
        okx=clients.get("okx"),
        isolated_symbol=symbol,
    )


def _print(results: Sequence[Capacity], as_json: bool) -> None:
    if as_json:
        print(json.dumps([result.to_dict() for result in results], indent=2))
    else:
        print(render_table(results))


def _serve_sandbox(argv: Sequence[str]) -> int:
    try:
        serve = _import_sandbox("main")
    except _MissingExtra:
        print(f"{PROG}: {_MISSING_EXTRA.format(what=f'{PROG} sandbox')}", file=sys.stderr)
        return 2
    status: int = serve(list(argv), prog=f"{PROG} sandbox")
    return status


def _check_live(args: argparse.Namespace, report: _Reporter) -> int:
    """``check-live``: 0 clean, 1 drift, breaking or an unchecked operation, 2 usage."""
    wanted = set(args.exchange or EXCHANGE_NAMES)
    exchanges = [name for name in EXCHANGE_NAMES if name in wanted]
    with contextlib.ExitStack() as stack:
        try:
            # Opened first: a report that cannot be written is a usage error before anything is sent.
            junit = stack.enter_context(open(args.junit_xml, "wb")) if args.junit_xml else None
        except OSError as error:
            report.say(f"error: cannot write --junit-xml {args.junit_xml}: {error.strerror}")
            return 2
        try:
            overrides = [parse_override(text) for text in args.param]
            with _clients(args, exchanges, report) as configured:
                asset = args.asset.upper() if args.asset else None
                results = check_live(configured, asset=asset, overrides=overrides)
        except KeyboardInterrupt:
            return 130
        except _MissingExtra:
            report.say(_MISSING_EXTRA.format(what="--sandbox"))
            return 2
        except UsageError as error:
            report.say(f"error: {error}")
            return 2
        if args.json:
            print(json.dumps([checked.to_dict() for checked in results], indent=2))
        else:
            print(render(results))
        if junit is not None:
            junit.write(to_junit(results))
    unclean = [checked for checked in results if checked.result != "clean"]
    report.detail(f"{len(results) - len(unclean)} of {len(results)} operations clean")
    return 1 if unclean else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``exchange-clients`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status: 0 when every
    configured venue answered (``check-live``: every answer clean), 1 when one failed (or drifted), 2 for a usage
    error or when no exchange is configured (argparse itself exits 2 on bad arguments and 0 after ``--help``)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["sandbox"]:
        return _serve_sandbox(arguments[1:])
    args = build_parser().parse_args(arguments)
    report = _Reporter(args.verbose, sys.stderr)
    _log_to(sys.stderr, args.verbose)
    if args.command == "check-live":
        return _check_live(args, report)
    wanted = set(getattr(args, "exchange", None) or EXCHANGE_NAMES)
    exchanges = [name for name in EXCHANGE_NAMES if name in wanted] if args.command == "max-borrow" else ["backpack"]
    if getattr(args, "isolated_symbol", None) and "binance" not in exchanges:
        report.say("error: --isolated-symbol is a Binance isolated margin pair, but --exchange leaves Binance out")
        return 2
    started = time.monotonic()
    try:
        with _clients(args, exchanges, report) as configured:
            results = _ask(args, configured)
    except KeyboardInterrupt:
        return 130
    except _MissingExtra:
        report.say(_MISSING_EXTRA.format(what="--sandbox"))
        return 2
    except UsageError as error:
        report.say(f"error: {error}")
        return 2
    _print(results, args.json)
    failed = sum(not result.ok for result in results)
    report.detail(f"{len(results) - failed} of {len(results)} answered in {time.monotonic() - started:.2f} s")
    return 1 if failed else 0
