"""What the request pipeline needs to know about one exchange: routes, error table, envelope, server time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from auth_plugins._operation import OperationInfo
from auth_plugins.errors import APIError

__all__ = ["ErrorTable", "ExchangeProfile"]


ErrorTable = Callable[[int, int | str | None, str], type[APIError] | None]
"""``(HTTP status, exchange code, message) -> error class``, or ``None`` to fall back on the HTTP status."""


@dataclass(frozen=True, slots=True)
class ExchangeProfile:
    """One exchange, as the pipeline sees it.

    ``name`` is how errors and logs call it (``OKX``), ``key`` how options and variables do (``okx``).
    ``package`` is the generated package (``okx_client``); ``routes`` its route table (entries load on first use:
    :class:`auth_plugins._generated.Routes`); ``server_url``
    its production base URL; ``api_key_header`` the header that names the API key.
    ``error_table`` picks the error class from the exchange's code (see :data:`ErrorTable`);
    ``message_key`` names the message field of its error body (``msg`` or ``message``).
    ``success_code`` is the envelope ``code`` of a success when the exchange wraps every answer in one
    (OKX: ``"0"``), else ``None``. ``server_time`` is the ``(METHOD, path)`` of the public server-time
    operation and ``parse_server_time`` turns its 2xx answer into Unix milliseconds, raising ``ValueError``
    if it cannot.
    """

    name: str
    key: str
    package: str
    routes: Mapping[tuple[str, str], OperationInfo]
    server_url: str
    api_key_header: str
    error_table: ErrorTable
    message_key: str
    success_code: str | None
    server_time: tuple[str, str]
    parse_server_time: Callable[[httpx.Response], int]
