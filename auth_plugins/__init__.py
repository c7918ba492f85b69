"""Request signers and signed-client factories for exchange private REST APIs.

One subpackage per exchange (``auth_plugins.backpack``, ``auth_plugins.binance``, ``auth_plugins.okx``), each
exporting its ``httpx.Auth`` signer, ``make_client`` and ``client_from_env``. Every signer is pure:
``auth_flow`` does no I/O, signs the exact bytes that go on the wire, works unchanged with both
``httpx.Client`` and ``httpx.AsyncClient``, and fails closed: a route its table does not know raises
:class:`UnknownOperationError` before anything is sent.
"""

from auth_plugins._routes import UnknownOperationError

__all__ = ["UnknownOperationError"]
