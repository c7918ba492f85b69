"""What the request pipeline needs to know about one exchange: routes, error table, envelope, server time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import attrs
import httpx

from auth_plugins.errors import APIError

__all__ = ["ErrorTable", "ExchangeProfile", "OperationInfo"]


class OperationInfo(Protocol):
    """The fields of a generated ``<exchange>_client.operations.Operation`` the pipeline reads."""

    @property
    def operation_id(self) -> str: ...
    @property
    def tag(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def read_only(self) -> bool: ...


ErrorTable = Callable[[int, int | str | None, str], type[APIError] | None]
"""``(HTTP status, exchange code, message) -> error class``, or ``None`` to fall back on the HTTP status."""


@attrs.frozen
class ExchangeProfile:
    """One exchange, as the pipeline sees it.

    ``package`` is the generated package (``okx_client``); ``routes`` its ``operations.ROUTES``.
    ``error_table`` picks the error class from the exchange's code (see :data:`ErrorTable`);
    ``message_key`` names the message field of its error body (``msg`` or ``message``).
    ``success_code`` is the envelope ``code`` of a success when the exchange wraps every answer in one
    (OKX: ``"0"``), else ``None``. ``server_time`` is the ``(METHOD, path)`` of the public server-time
    operation and ``parse_server_time`` turns its 2xx answer into Unix milliseconds, raising ``ValueError``
    if it cannot.
    """

    name: str
    package: str
    routes: Mapping[tuple[str, str], OperationInfo]
    error_table: ErrorTable
    message_key: str
    success_code: str | None
    server_time: tuple[str, str]
    parse_server_time: Callable[[httpx.Response], int]
