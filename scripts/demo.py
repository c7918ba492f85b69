"""Call every operation of every exchange through the signed clients and print one table.

``python -m scripts.demo`` (what ``make demo`` runs) starts the sandbox exchange on free ports of 127.0.0.1,
builds one client per exchange with the public factories (``auth_plugins.<exchange>.make_client``) and the
sandbox's throwaway keys, calls each operation once with the spec's example arguments through
the generated ``sync_detailed``, and prints: exchange, operation, HTTP status, whether the sandbox verified the
signature, and the result's key fields. The exit status is 0 only if every call answered 200 and the sandbox
verified every signature (public operations, such as server time, go out unsigned). The last step is the
cross-exchange view: ``auth_plugins.capacity.max_borrow`` asks every exchange at once how much BTC the account
can borrow (Binance's isolated BTCUSDT pair too), one row per venue and product, as ``exchange-clients
max-borrow`` prints it; every venue must answer.

``python -m scripts.demo --live`` calls the real exchanges instead, with each exchange's keys read from the
environment by ``client_from_env()``: ``BACKPACK_API_SECRET``; ``BINANCE_API_KEY`` and
``BINANCE_API_SECRET`` or ``BINANCE_PRIVATE_KEY_FILE``; ``OKX_API_KEY``, ``OKX_API_SECRET``,
``OKX_PASSPHRASE`` (and ``OKX_DEMO=1`` for demo trading). ``<EXCHANGE>_BASE_URL`` overrides the host. An
exchange whose variables are missing is skipped with a note naming the variable. Every operation only reads,
but the calls are real, signed requests on your account: never run this in CI. The exit status is 0 only if
at least one exchange was configured and every call it made succeeded (the cross-exchange view included).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from auth_plugins import backpack, binance, okx
from auth_plugins._generated import operations as generated_operations
from auth_plugins._generated import sample_arguments
from auth_plugins.capacity import Capacity, max_borrow
from auth_plugins.capacity._table import render_table as render_capacity
from auth_plugins.sandbox import EXCHANGES, Sandbox
from auth_plugins.sandbox._credentials import factory_arguments

__all__ = ["Row", "main", "render_table"]

# The fields worth a glance per operation (JSON names); other operations show every scalar field.
KEY_FIELDS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("backpack", "get_max_borrow_quantity"): ("symbol", "maxBorrowQuantity"),
    ("backpack", "get_max_withdrawal_quantity"): ("symbol", "maxWithdrawalQuantity"),
    ("binance", "query_max_borrow"): ("amount", "borrowLimit"),
    ("okx", "get_max_loan"): ("side", "maxLoan", "ccy"),
    ("okx", "max_loan_amount"): ("borrowCcy", "maxLoan", "remainingQuota"),
}
_ENVELOPE: Final = ("code", "msg")
_COLUMNS: Final = ("exchange", "operation", "HTTP", "signature", "result")


@dataclass(frozen=True)
class Row:
    """One call: what the table shows, and whether it counts as a success."""

    exchange: str
    operation: str
    http: str
    signature: str
    result: str
    ok: bool

    def cells(self) -> tuple[str, ...]:
        """The row's cells, in :data:`_COLUMNS` order."""
        return (self.exchange, self.operation, self.http, self.signature, self.result)


def render_table(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table with a header line."""
    table = [_COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[-1]]) for line in table]
    return "\n".join(line.rstrip() for line in lines)


def _operations(exchange: str) -> list[Any]:
    operations: list[Any] = list(generated_operations(f"{exchange}_client"))
    return operations


def _iso(epoch_ms: int) -> str:
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _summary(exchange: str, operation_id: str, parsed: Any) -> str:
    if isinstance(parsed, str):
        return f"{parsed} ({_iso(int(parsed))})" if parsed.isdigit() else parsed
    document = parsed.to_dict()
    items = document["data"] if isinstance(document.get("data"), list) else [document]
    keep = KEY_FIELDS.get((exchange, operation_id))
    parts = []
    for item in items:
        names = [n for n in keep if n in item] if keep else [n for n in item if n not in _ENVELOPE]
        parts.append(
            " ".join(f"{name}={_scalar(item[name])}" for name in names if not isinstance(item[name], dict | list))
        )
    return "; ".join(parts)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value > 10**12:
        return f"{value} ({_iso(value)})"
    text = str(value)
    return f"{text} ({_iso(int(text))})" if text.isdigit() and len(text) == 13 else text


def _business_error(parsed: Any) -> str | None:
    """OKX answers some errors with HTTP 200 and a ``code`` other than "0"."""
    code = getattr(parsed, "code", None)
    return None if code in (None, "0") else f"code {code}"


def _call(exchange: str, operation: Any, client: Any) -> tuple[str, str, bool]:
    """Call one operation; return (HTTP column, result column, succeeded)."""
    module = importlib.import_module(f"{exchange}_client.api.{operation.tag}.{operation.operation_id}")
    try:
        response = module.sync_detailed(client=client, **sample_arguments(f"{exchange}_client", operation))
    except Exception as error:  # a failed call is a row in the table, not a crash of the demo
        status = getattr(error, "status", None)
        code = getattr(error, "code", None)
        detail = type(error).__name__ + (f" code {code}" if code is not None else "")
        return ("-" if status is None else str(status)), detail, False
    status = int(response.status_code)
    if status != 200:
        code = getattr(response.parsed, "code", None)
        return str(status), f"refused, code {code}" if code is not None else "refused", False
    business_error = _business_error(response.parsed)
    if business_error is not None:
        return str(status), business_error, False
    return str(status), _summary(exchange, operation.operation_id, response.parsed), True


def _signature_verdict(operation: Any, records: Sequence[Any]) -> tuple[str, bool]:
    if not operation.signed:
        return "public", all(r.auth is None for r in records)
    verdicts = {r.auth for r in records if r.operation_id == operation.operation_id}
    if verdicts == {"ok"}:
        return "verified", True
    refused = sorted(v for v in verdicts if v not in ("ok", None))
    return ("refused " + ",".join(refused)) if refused else "not sent", False


def _sandbox_clients(sandbox: Sandbox) -> dict[str, Any]:
    return {
        exchange: importlib.import_module(f"auth_plugins.{exchange}").make_client(
            **factory_arguments(exchange), base_url=sandbox.base_url(exchange)
        )
        for exchange in EXCHANGES
    }


def _sandbox_rows(sandbox: Sandbox, clients: dict[str, Any]) -> list[Row]:
    """Call every operation of every exchange on the sandbox; one row per call."""
    rows = []
    for exchange, client in clients.items():
        for operation in _operations(exchange):
            before = len(sandbox.requests(exchange))
            http, result, ok = _call(exchange, operation, client)
            signature, verified = _signature_verdict(operation, sandbox.requests(exchange)[before:])
            rows.append(Row(exchange, operation.operation_id, http, signature, result, ok and verified))
    return rows


_FACTORIES: Final[dict[str, Callable[[], Any]]] = {
    "backpack": backpack.client_from_env,
    "binance": binance.client_from_env,
    "okx": okx.client_from_env,
}


def _live_clients(notes: list[str]) -> dict[str, Any]:
    """Clients of the real exchanges whose keys are in the environment; append skips to ``notes``."""
    clients = {}
    for exchange in EXCHANGES:
        try:
            clients[exchange] = _FACTORIES[exchange]()
        except (ValueError, OSError) as error:  # the message names the variable or the file, never a value
            notes.append(f"{exchange}: skipped, {error}")
    return clients


def _live_rows(clients: dict[str, Any]) -> list[Row]:
    """Call every operation on the real exchanges; one row per call."""
    rows = []
    for exchange, client in clients.items():
        for operation in _operations(exchange):
            http, result, ok = _call(exchange, operation, client)
            signature = ("accepted" if ok else "-") if operation.signed else "public"
            rows.append(Row(exchange, operation.operation_id, http, signature, result, ok))
    return rows


CAPACITY_ASSET: Final = "BTC"
CAPACITY_PAIR: Final = "BTCUSDT"


def _capacity(clients: dict[str, Any]) -> tuple[Capacity, ...]:
    """The cross-exchange view: every configured exchange asked at once how much BTC the account can borrow."""
    return max_borrow(
        CAPACITY_ASSET,
        backpack=clients.get("backpack"),
        binance=clients.get("binance"),
        okx=clients.get("okx"),
        isolated_symbol=CAPACITY_PAIR if "binance" in clients else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo (see the module docstring); print the table and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.demo", description=(__doc__ or "").split("\n\n")[0].replace("\n", " ")
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="call the real exchanges with keys from the environment (read-only calls; never in CI)",
    )
    args = parser.parse_args(argv)
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        if args.live:
            print("Live exchanges, keys from the environment.\n")
            clients = _live_clients(notes)
            for client in clients.values():
                stack.enter_context(client)
            rows = _live_rows(clients)
        else:
            print("Sandbox exchange on 127.0.0.1, throwaway keys; signatures checked by the sandbox.\n")
            # The sandbox's HTTP server would log every request to stderr; the table says it all.
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            sandbox = stack.enter_context(Sandbox())
            clients = _sandbox_clients(sandbox)
            for client in clients.values():
                stack.enter_context(client)
            rows = _sandbox_rows(sandbox, clients)
        if rows:
            print(render_table(rows))
        for note in notes:
            print(note)
        if not rows:
            print("\nNo exchange has its keys in the environment; nothing was called.")
            return 1
        succeeded = sum(row.ok for row in rows)
        signed = [row for row in rows if row.signature != "public"]
        verb = "verified" if not args.live else "accepted"
        print(
            f"\n{succeeded} of {len(rows)} calls succeeded; "
            f"{sum(row.ok for row in signed)} of {len(signed)} signatures {verb}, "
            f"{len(rows) - len(signed)} public calls unsigned."
        )
        print(
            f"\nHow much {CAPACITY_ASSET} the account can borrow, every exchange asked at once "
            "(auth_plugins.capacity):\n"
        )
        capacity = _capacity(clients)
        print(render_capacity(capacity))
    answered = sum(result.ok for result in capacity)
    print(f"\n{answered} of {len(capacity)} venues answered.")
    return 0 if succeeded == len(rows) and answered == len(capacity) else 1


if __name__ == "__main__":
    sys.exit(main())
