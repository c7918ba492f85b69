"""A worker process for the shared-budget tests: hammers OKX ``get_max_loan`` through ``okx.make_client``.

``python -m tests._redis_worker BASE_URL RATE_LIMIT MODE CONCURRENCY``: ``RATE_LIMIT`` is a Redis URL, or
``process`` for the in-process budget (the control). ``MODE`` is ``sync`` (threads) or ``async`` (tasks).
The worker builds its client, prints ``ready``, reads a number of seconds from stdin, calls as fast as its
limiter lets it for that long with ``CONCURRENCY`` callers, then prints one JSON line: the statuses it saw
(a ``RateLimitError`` counts as its status) and the names of any other errors.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter
from typing import Any

from okx_client.api.account import get_max_loan

from auth_plugins import RateLimitError, RetryPolicy, okx
from auth_plugins.sandbox import OKX_CREDENTIALS


def _record(seen: Counter[str], lock: threading.Lock, outcome: str) -> None:
    with lock:
        seen[outcome] += 1


def _sync(client: Any, seconds: float, concurrency: int, seen: Counter[str]) -> None:
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def caller() -> None:
        while time.monotonic() < deadline:
            try:
                status = get_max_loan.sync_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT").status_code
                _record(seen, lock, str(int(status)))
            except RateLimitError as error:
                _record(seen, lock, str(error.status))
            except Exception as error:
                _record(seen, lock, type(error).__name__)

    threads = [threading.Thread(target=caller) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.get_httpx_client().close()


async def _async(client: Any, seconds: float, concurrency: int, seen: Counter[str]) -> None:
    deadline = time.monotonic() + seconds

    async def caller() -> None:
        while time.monotonic() < deadline:
            try:
                response = await get_max_loan.asyncio_detailed(client=client, mgn_mode="cross", inst_id="BTC-USDT")
                seen[str(int(response.status_code))] += 1
            except RateLimitError as error:
                seen[str(error.status)] += 1
            except Exception as error:
                seen[type(error).__name__] += 1

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    await client.get_async_httpx_client().aclose()


def main(argv: list[str]) -> int:
    """Run one worker (see the module docstring); return its exit status."""
    base_url, rate_limit, mode, concurrency = argv[0], argv[1], argv[2], int(argv[3])
    client = okx.make_client(
        api_key=OKX_CREDENTIALS.api_key,
        api_secret=OKX_CREDENTIALS.api_secret,
        passphrase=OKX_CREDENTIALS.passphrase,
        base_url=base_url,
        rate_limit=True if rate_limit == "process" else rate_limit,
        retry=RetryPolicy(max_retries=0),
    )
    print("ready", flush=True)
    seconds = float(sys.stdin.readline())
    seen: Counter[str] = Counter()
    if mode == "async":
        asyncio.run(_async(client, seconds, concurrency, seen))
    else:
        _sync(client, seconds, concurrency, seen)
    print(json.dumps(dict(seen)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
