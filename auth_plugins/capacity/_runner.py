"""Asking several venues at once: threads over the sync calls, or ``asyncio.gather`` over the async ones.

Each venue's :class:`~auth_plugins.ExchangeError` becomes its own result; any other exception (a
:class:`~auth_plugins.UsageError`: a mistake of the caller, or a bug) is raised once every call has ended, so no
call is left running behind the caller's back. Requests go through the clients' own pipelines, so each exchange's
rate limits, retries and deadlines apply as for any other call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auth_plugins.capacity._results import Capacity
from auth_plugins.capacity._venues import Query
from auth_plugins.errors import ExchangeError

__all__ = ["Call", "run", "run_async"]

Call = tuple[Query, Any]
"""A query and the factory-made client it is sent with."""


def _ask(query: Query, client: Any) -> Capacity:
    try:
        return query.answer(query.module.sync(client=client, **query.arguments))
    except ExchangeError as error:
        return query.failed(error)


async def _aask(query: Query, client: Any) -> Capacity:
    try:
        return query.answer(await query.module.asyncio(client=client, **query.arguments))
    except ExchangeError as error:
        return query.failed(error)


def run(calls: Sequence[Call]) -> tuple[Capacity, ...]:
    """Every call's result, in order; the calls run at once, one thread each (no event loop needed, so this also
    works from inside a running one)."""
    if len(calls) == 1:
        return (_ask(*calls[0]),)
    # concurrent.futures is imported here: sync-only, single-venue users should not pay for it.
    from concurrent.futures import ThreadPoolExecutor

    for _, client in calls:
        # Built here, once: two threads building a client's httpx client at the same time would build two.
        client.get_httpx_client()
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="capacity") as pool:
        futures = [pool.submit(_ask, query, client) for query, client in calls]
    return tuple(future.result() for future in futures)


async def run_async(calls: Sequence[Call]) -> tuple[Capacity, ...]:
    """Async twin of :func:`run`: the calls run at once on the running event loop."""
    import asyncio  # here, not at the top: ~15 ms of import that sync-only users should not pay

    outcomes = await asyncio.gather(*(_aask(query, client) for query, client in calls), return_exceptions=True)
    results: list[Capacity] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return tuple(results)
