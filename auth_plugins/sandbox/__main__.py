"""Run the sandbox exchange standalone: ``python -m auth_plugins.sandbox [--enforce-rate-limits]``.

Prints the three base URLs and the throwaway credentials as shell assignments, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import shlex
import threading

from ._credentials import env_assignments
from ._sandbox import Sandbox
from ._spec import EXCHANGES


def main(argv: list[str] | None = None) -> int:
    """Start a ``Sandbox``, print how to reach it, and block until interrupted; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m auth_plugins.sandbox", description=__doc__)
    parser.add_argument("--enforce-rate-limits", action="store_true", help="enforce each operation's x-rate-limit")
    args = parser.parse_args(argv)
    with Sandbox(enforce_rate_limits=args.enforce_rate_limits) as sandbox:
        for exchange in EXCHANGES:
            print(f"{exchange:<9} {sandbox.base_url(exchange)}")
        print()
        print("# Throwaway sandbox credentials (public test values):")
        assignments = {f"{exchange.upper()}_BASE_URL": sandbox.base_url(exchange) for exchange in EXCHANGES}
        assignments.update(env_assignments())
        for name, value in assignments.items():
            print(f"export {name}={shlex.quote(value)}")
        print("\nServing until Ctrl-C.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
