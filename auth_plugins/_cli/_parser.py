"""The command line of ``exchange-clients``: its subcommands, options and complete ``--help`` texts."""

from __future__ import annotations

import argparse
from typing import Final

__all__ = ["EXCHANGE_NAMES", "PROG", "build_parser"]

PROG: Final = "exchange-clients"
EXCHANGE_NAMES: Final = ("backpack", "binance", "okx")

_ENVIRONMENT: Final = """\
environment (what auth_plugins.<exchange>.client_from_env reads; values are never printed):
  Backpack  BACKPACK_API_SECRET (base64 ED25519 seed; BACKPACK_API_KEY, if set, is checked against it)
  Binance   BINANCE_API_KEY, and BINANCE_API_SECRET (HMAC) or BINANCE_PRIVATE_KEY_FILE (Ed25519 PEM file)
  OKX       OKX_API_KEY, OKX_API_SECRET and OKX_PASSPHRASE; OKX_DEMO=1 for demo trading
  all       <EXCHANGE>_BASE_URL: another host (a testnet, a proxy, the sandbox; default: production)
            EXCHANGE_CLIENTS_RATE_LIMIT: 1 (default), 0, or a Redis URL for a budget shared by processes
            EXCHANGE_CLIENTS_RATE_LIMIT_ACCOUNT, EXCHANGE_CLIENTS_RATE_LIMIT_MASTER_ACCOUNT: labels of the
            (master) account the keys belong to, so that keys given one label share its budgets
            EXCHANGE_CLIENTS_WARN_UNDOCUMENTED: 0 silences the clients' once-per-field WARNING about
            undocumented fields in answers (check-live reports them itself)
  An exchange whose key variables are missing is skipped, with a line naming them.
"""

_EXIT: Final = """\
exit status:
  0  every configured venue answered (an answer may be that there is no amount: "no flexible-loan order")
  1  at least one venue failed (its row says why; the others still answered)
  2  a usage error, a malformed variable, a refused configuration, or no exchange configured
"""

_SAFETY: Final = """\
safety: only read-only operations are called, nothing is ever placed, moved or withdrawn. The sandbox's public
throwaway keys are only ever sent to the sandbox (127.0.0.1): with a real exchange's base URL they are refused.
No key, secret or signature is printed, with -v or -vv either.
"""

_BORROW: Final = """\
venues and products:
  backpack  margin           max borrow quantity (GET /api/v1/account/limits/borrow)
  binance   cross-margin     max borrowable, limit = borrowLimit (GET /sapi/v1/margin/maxBorrowable)
  binance   isolated-margin  the same for --isolated-symbol's pair
  okx       margin           trading-account max loan, mgnMode=cross&ccy=ASSET (GET /api/v5/account/max-loan)
  okx       flexible-loan    flexible loan max loan, limit = remainingQuota
                             (POST /api/v5/finance/flexible-loan/max-loan, which only reads), for the
                             account's oldest order; without one, no amount and "no flexible-loan order"

output: an aligned table of exact decimal amounts, or with --json an array of objects with exchange, product,
asset, symbol, amount and limit (exact decimal strings or null), operation, error (null, or class, status,
code and message) and note (why an answer has no amount, or null). Skipped exchanges and -v lines go to
standard error.

examples:
  exchange-clients max-borrow BTC --sandbox
  exchange-clients max-borrow USDT --exchange binance --exchange okx --json
  exchange-clients max-borrow BTC --isolated-symbol BTCUSDT
"""

_WITHDRAWAL: Final = """\
venue: backpack withdrawal, max withdrawal quantity (GET /api/v1/account/limits/withdrawal); both flags are sent.

examples:
  exchange-clients max-withdrawal USDC --sandbox
  exchange-clients max-withdrawal USDC --auto-borrow --auto-lend-redeem --json
"""


_CHECK_LIVE_EXIT: Final = """\
exit status:
  0  every answer is exactly as the specs document it (clean)
  1  drift or breaking in at least one answer, or an operation that could not be checked (its rows say why)
  2  a usage error, a malformed variable, a refused configuration, or no exchange configured
"""

_CHECK_LIVE: Final = """\
what is checked: every read-only operation of each configured exchange, called once through its factory-made
client (rate limits, retries and deadlines apply) with the sample arguments of its spec; --asset and --param
change them. Each answer is reported as one of:
  clean     exactly as documented
  drift     undocumented fields (schema path and JSON type), values outside those a field's docs name
  breaking  what the clients refuse: a documented field missing, a wrong JSON type, an amount that is not a
            decimal string, an undocumented status
  error     no answer to check (the exchange refused the call, the network failed)
Every finding names the spec file to edit (specs/<exchange>/endpoints/...).

output: an aligned table (one row per finding), or with --json an array of objects with exchange, operation,
method, path, spec_file, result, findings (kind, path, rule) and error; --junit-xml FILE also writes a JUnit
report (one test case per operation) for CI.

--asset sets the currency each operation asks about: Backpack symbol, Binance asset (dropping the sample
isolatedSymbol), OKX ccy (dropping the sample instId) and borrowCcy.

examples:
  exchange-clients check-live --sandbox
  exchange-clients check-live --asset BTC --junit-xml check-live.xml
  exchange-clients check-live --exchange okx --param get_max_loan.mgnMode=isolated --json
"""


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a JSON array instead of the table")
    common.add_argument(
        "--sandbox",
        action="store_true",
        help="run against a fresh built-in sandbox exchange on 127.0.0.1 with its throwaway keys, ignoring the "
        "environment (needs the sandbox extra: pip install 'exchange-clients[sandbox]')",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="say what is configured and done on standard error; -vv adds the clients' debug log (never secrets)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The ``exchange-clients`` parser. ``sandbox`` is listed for ``--help``; its arguments are the standalone
    sandbox server's, so ``main`` hands them to it unparsed."""
    text = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=text,
        description="How much the account can borrow or withdraw right now, on Backpack, Binance and OKX at\n"
        "once, from the exchanges' read-only endpoints; whether their live answers still match the specs\n"
        "(check-live); and the built-in sandbox exchange to try it on.",
        epilog=f"{_ENVIRONMENT}\n{_EXIT}\n{_SAFETY}\nSee '{PROG} <command> --help' for each command.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="<command>", title="commands")
    common = _common()
    borrow = commands.add_parser(
        "max-borrow",
        parents=[common],
        formatter_class=text,
        help="how much of ASSET each configured exchange lets the account borrow now",
        description="How much of ASSET the account can borrow now on every configured exchange, asked at once:\n"
        "one row per venue and product.",
        epilog=f"{_BORROW}\n{_ENVIRONMENT}\n{_EXIT}\n{_SAFETY}",
    )
    borrow.add_argument("asset", metavar="ASSET", help="the currency to borrow, e.g. BTC (upper-cased)")
    borrow.add_argument(
        "--exchange",
        action="append",
        choices=EXCHANGE_NAMES,
        metavar="NAME",
        help=f"ask only this exchange ({', '.join(EXCHANGE_NAMES)}); repeat for several (default: every "
        "configured one)",
    )
    borrow.add_argument(
        "--isolated-symbol",
        metavar="SYMBOL",
        help="also ask Binance's isolated margin for this pair, e.g. BTCUSDT (upper-cased)",
    )
    withdrawal = commands.add_parser(
        "max-withdrawal",
        parents=[common],
        formatter_class=text,
        help="how much of ASSET Backpack lets the account withdraw now",
        description="How much of ASSET the account can withdraw from Backpack now.",
        epilog=f"{_WITHDRAWAL}\n{_ENVIRONMENT}\n{_EXIT}\n{_SAFETY}",
    )
    withdrawal.add_argument("asset", metavar="ASSET", help="the currency to withdraw, e.g. USDC (upper-cased)")
    withdrawal.add_argument("--auto-borrow", action="store_true", help="count what auto borrow would add")
    withdrawal.add_argument("--auto-lend-redeem", action="store_true", help="count what redeeming lent funds would add")
    live = commands.add_parser(
        "check-live",
        parents=[common],
        formatter_class=text,
        help="call every read-only operation once and check the answers against the specs (a drift canary)",
        description="Call every read-only operation of each configured exchange once and check what it answers\n"
        "against the specs: clean, drift or breaking, each finding naming the spec file to edit.",
        epilog=f"{_CHECK_LIVE}\n{_ENVIRONMENT}\n{_CHECK_LIVE_EXIT}\n{_SAFETY}",
    )
    live.add_argument(
        "--exchange",
        action="append",
        choices=EXCHANGE_NAMES,
        metavar="NAME",
        help=f"check only this exchange ({', '.join(EXCHANGE_NAMES)}); repeat for several (default: every "
        "configured one)",
    )
    live.add_argument("--asset", metavar="ASSET", help="the currency to ask about, e.g. BTC (upper-cased)")
    live.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[OPERATION.]NAME=VALUE",
        help="set a parameter (wire name, e.g. mgnMode=isolated) of every operation that takes it, or of "
        "OPERATION only; an empty VALUE drops the sample argument; repeatable",
    )
    live.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report to FILE")
    commands.add_parser(
        "sandbox",
        add_help=False,
        help="serve the built-in sandbox exchange and print export lines for its throwaway keys "
        f"(as python -m auth_plugins.sandbox; '{PROG} sandbox --help' for its options; needs the sandbox extra)",
    )
    return parser
