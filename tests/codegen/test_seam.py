"""The seam to the generated code, pinned in one test: everything ``auth_plugins`` relies on from a generated
package (auth_plugins/_generated.py lists it), checked for each package.

A generator upgrade or a template change that moves any of it fails here, with one line per thing that moved and
the runtime module that relies on it, before the failures it would cause anywhere else are hard to read. The
expectations are written out below, not read from the code under test: the hook and client signatures, the
names of the tables, the endpoint functions and what they hand to ``request``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import ssl
from collections.abc import Callable, Mapping
from types import MappingProxyType, ModuleType
from typing import Any, Final

import httpx
import pytest

from auth_plugins._factory import PipelineHooks
from auth_plugins._generated import bundle_text, sample_arguments
from auth_plugins._operation import OperationInfo, ParamInfo, RateLimitInfo, ResponseFieldInfo
from tests._specs import NAMES

MODULES: Final = ("", ".client", ".operations", ".types", ".errors", ".api")
HOOKS: Final = {
    "httpx_client": ["self", "settings"],
    "async_httpx_client": ["self", "settings"],
    "argument_error": ["self", "operation_id", "parameter", "python_name", "rule"],
}
"""``ClientHooks``, method by method (auth_plugins/_factory.py ``PipelineHooks`` implements it)."""
CLIENT_KEYWORDS: Final = ("token", "prefix", "auth_header_name", "timeout", "headers", "verify_ssl", "hooks")
"""What ``_factory.build_client`` passes ``AuthenticatedClient`` besides the base URL."""
CLIENT_METHODS: Final = (
    "get_httpx_client",
    "get_async_httpx_client",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
)
"""What ``_clock.resync_clock`` and every user of a client call."""
ENDPOINT_FUNCTIONS: Final = ("sync", "sync_detailed", "asyncio", "asyncio_detailed")
REQUEST_KEYS: Final = {"method", "url", "content", "headers"}
"""What an endpoint function may hand ``request``: ``_clients._build`` sends a target and body as built."""
TABLES: Final = {
    "INDEX": MappingProxyType,
    "SERVER_URL": str,
}
"""``INDEX``: ``(METHOD, path) -> (operationId, signed)`` (``_generated.routes`` and ``signed_routes``)."""
ENTRY_MODULE: Final = "{package}.entries.{operation_id}"
"""Where ``_generated.operation`` imports each entry from, as ``OPERATION``."""
BACKPACK_TABLES: Final = {"INSTRUCTIONS": MappingProxyType}
"""``backpack._signer`` signs with the instruction of each route."""

# The attribute types of each table entry (auth_plugins/_operation.py reads these through its Protocols).
OPERATION_TYPES: Final = {
    "operation_id": str,
    "tag": str,
    "method": str,
    "path": str,
    "signed": bool,
    "read_only": bool,
    "rate_limit": object,
    "instruction": (str, type(None)),
    "params": tuple,
    "body": object,
    "response_status": int,
    "response": tuple,
    "examples": tuple,
    "spec_file": str,
}
PARAM_TYPES: Final = {
    "name": str,
    "location": str,
    "required": bool,
    "type": str,
    "python_name": str,
    "format": (str, type(None)),
    "enum": tuple,
    "pattern": (str, type(None)),
    "min_length": (int, type(None)),
    "max_length": (int, type(None)),
    "minimum": (int, type(None)),
    "maximum": (int, type(None)),
    "min_items": (int, type(None)),
    "max_items": (int, type(None)),
    "max_list_items": (int, type(None)),
}
RESPONSE_FIELD_TYPES: Final = {
    "path": str,
    "type": str,
    "required": bool,
    "nullable": bool,
    "format": (str, type(None)),
    "pattern": (str, type(None)),
    "values": tuple,
}
RATE_LIMIT_TYPES: Final = {
    "limit": int,
    "window_ms": int,
    "keyed_on": str,
    "weight": int,
    "budget": str,
    "used_weight_header": (str, type(None)),
}


_TLS: Final = ssl.create_default_context()
"""One TLS context for every recording client: they never connect, and httpx building a default one per client
(about 20 ms: the CA bundle is parsed each time) made this test cost 40 ms per operation."""


class _Stop(Exception):
    """Raised by the recording httpx client: the request was captured, nothing is sent."""


class _Recorder:
    """Hooks that record what the generated client hands them, and httpx clients that record ``request``."""

    def __init__(self) -> None:
        self.settings: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.errors: list[tuple[str, str, str, str]] = []

    def httpx_client(self, settings: dict[str, Any]) -> httpx.Client:
        self.settings.append(settings)
        recorder = self

        class Recording(httpx.Client):
            def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
                recorder.requests.append({**dict(zip(("method", "url"), args, strict=False)), **kwargs})
                raise _Stop

        return Recording(verify=_TLS)

    def async_httpx_client(self, settings: dict[str, Any]) -> httpx.AsyncClient:
        self.settings.append(settings)
        recorder = self

        class Recording(httpx.AsyncClient):
            async def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
                recorder.requests.append({**dict(zip(("method", "url"), args, strict=False)), **kwargs})
                raise _Stop

        return Recording(verify=_TLS)

    def argument_error(self, operation_id: str, parameter: str, python_name: str, rule: str) -> Exception:
        self.errors.append((operation_id, parameter, python_name, rule))
        return _Stop(rule)


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def _check_types(problems: list[str], where: str, entry: Any, types: Mapping[str, Any], user: str) -> None:
    for name, kind in types.items():
        if not hasattr(entry, name):
            problems.append(f"{where} has no attribute {name!r} ({user} reads it)")
        elif not isinstance(getattr(entry, name), kind):
            problems.append(f"{where}.{name} is a {type(getattr(entry, name)).__name__}, not {kind} ({user})")


def _protocol_members(protocol: type) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")}


def _check_protocols_match_the_pins(problems: list[str]) -> None:
    # The pins above are the runtime's Protocols, written out: a Protocol that grows must grow its pin too.
    for protocol, pinned in (
        (OperationInfo, OPERATION_TYPES),
        (ParamInfo, PARAM_TYPES),
        (ResponseFieldInfo, RESPONSE_FIELD_TYPES),
        (RateLimitInfo, RATE_LIMIT_TYPES),
    ):
        if _protocol_members(protocol) != set(pinned):
            problems.append(f"auth_plugins._operation.{protocol.__name__} no longer matches this test's pin")


def _check_modules(problems: list[str], package: str) -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for suffix in MODULES:
        try:
            found[suffix] = importlib.import_module(package + suffix)
        except ImportError as error:
            problems.append(f"module {package}{suffix} cannot be imported: {error}")
    return found


def _check_hooks(problems: list[str], package: str, client_module: ModuleType) -> None:
    hooks = getattr(client_module, "ClientHooks", None)
    if hooks is None:
        problems.append(f"{package}.client.ClientHooks is gone (auth_plugins._factory.PipelineHooks implements it)")
        return
    members = {name for name in vars(hooks) if not name.startswith("_")}
    if members != set(HOOKS):
        problems.append(f"{package}.client.ClientHooks has methods {sorted(members)}, not {sorted(HOOKS)}")
    for name, parameters in HOOKS.items():
        for owner, label in ((hooks, f"{package}.client.ClientHooks"), (PipelineHooks, "PipelineHooks")):
            method = getattr(owner, name, None)
            if method is None or _parameters(method) != parameters:
                problems.append(f"{label}.{name} does not take {parameters}")


def _check_client(problems: list[str], package: str, module: ModuleType) -> None:
    found = getattr(module, "AuthenticatedClient", None)
    if not isinstance(found, type) or found is not getattr(module.client, "AuthenticatedClient", None):
        problems.append(f"{package}.AuthenticatedClient is not {package}.client.AuthenticatedClient")
        return
    client_class: Any = found
    signature = inspect.signature(client_class)
    names = list(signature.parameters)
    if names[:1] != ["base_url"]:
        problems.append(f"{package}.AuthenticatedClient does not take base_url first (auth_plugins._factory)")
    for name in CLIENT_KEYWORDS:
        parameter = signature.parameters.get(name)
        if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            problems.append(f"{package}.AuthenticatedClient takes no keyword {name!r} (auth_plugins._factory)")
    required = [
        name
        for name, parameter in signature.parameters.items()
        if parameter.default is inspect.Parameter.empty and name not in ("base_url", *CLIENT_KEYWORDS)
    ]
    if required:
        problems.append(f"{package}.AuthenticatedClient requires {required}, which auth_plugins._factory never passes")
    for name in CLIENT_METHODS:
        if not callable(getattr(client_class, name, None)):
            problems.append(f"{package}.AuthenticatedClient.{name} is gone")

    recorder = _Recorder()
    client = client_class(
        "https://seam.example",
        token="the-key",
        prefix="",
        auth_header_name="X-The-Key",
        timeout=httpx.Timeout(3.0),
        headers={"X-Extra": "1"},
        verify_ssl=True,
        hooks=recorder,
    )
    client.get_httpx_client()
    client.get_async_httpx_client()
    client.with_headers({"X-More": "2"}).get_httpx_client()  # copies keep the hooks
    if len(recorder.settings) != 3:
        problems.append(f"{package}.AuthenticatedClient does not build its httpx clients through ClientHooks")
        return
    settings = recorder.settings[0]
    # auth_plugins._clients._client_settings reads these three; the key header is the factory's API key.
    if settings.get("base_url") != "https://seam.example":
        problems.append(f"{package}: httpx settings carry base_url {settings.get('base_url')!r}")
    if settings.get("headers") != {"X-Extra": "1", "X-The-Key": "the-key"}:
        problems.append(f"{package}: httpx settings headers {settings.get('headers')!r} lack the token header as given")
    if settings.get("timeout") != httpx.Timeout(3.0):
        problems.append(f"{package}: httpx settings carry timeout {settings.get('timeout')!r}")
    error = client.argument_error("op", "wireName", "python_name", "must be a Decimal")
    if recorder.errors != [("op", "wireName", "python_name", "must be a Decimal")] or not isinstance(error, _Stop):
        problems.append(f"{package}: argument_error does not ask ClientHooks.argument_error")


def _check_tables(problems: list[str], package: str, operations: ModuleType) -> list[OperationInfo]:
    wanted = {**TABLES, **(BACKPACK_TABLES if package == "backpack_client" else {})}
    for name, kind in wanted.items():
        if not isinstance(getattr(operations, name, None), kind):
            problems.append(f"{package}.operations.{name} is not a {kind.__name__} (auth_plugins._generated reads it)")
    index = getattr(operations, "INDEX", {})
    if not index:
        problems.append(f"{package}.operations.INDEX is empty")
        return []
    table: list[OperationInfo] = []
    for route, value in index.items():
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)):
            problems.append(f"{package}.operations.INDEX[{route!r}] is not (operationId, signed)")
            continue
        operation_id, signed = value
        module_name = ENTRY_MODULE.format(package=package, operation_id=operation_id)
        try:
            entry = importlib.import_module(module_name).OPERATION
        except (ImportError, AttributeError):
            problems.append(f"{module_name}.OPERATION cannot be imported (auth_plugins._generated.operation)")
            continue
        where = f"{package}.operations {getattr(entry, 'operation_id', entry)!r}"
        _check_types(problems, where, entry, OPERATION_TYPES, "auth_plugins._operation.OperationInfo")
        for param in (*getattr(entry, "params", ()), *filter(None, [getattr(entry, "body", None)])):
            _check_types(problems, f"{where} param", param, PARAM_TYPES, "auth_plugins._validation")
        for field in getattr(entry, "response", ()):
            _check_types(problems, f"{where} response field", field, RESPONSE_FIELD_TYPES, "_response_shapes")
        if getattr(entry, "rate_limit", None) is not None:
            _check_types(problems, f"{where} rate limit", entry.rate_limit, RATE_LIMIT_TYPES, "auth_plugins._ratelimit")
        found = (getattr(entry, "method", ""), getattr(entry, "path", ""))
        if found != route or getattr(entry, "operation_id", "") != operation_id:
            problems.append(f"{where} is {found}, not INDEX's {route} (auth_plugins._routes.lookup)")
        if signed is not getattr(entry, "signed", None):
            problems.append(f"{where}: INDEX says signed={signed!r} (the signers' allow-list), the entry does not")
        if package == "backpack_client":
            instruction = getattr(operations, "INSTRUCTIONS", {}).get(route, "missing")
            if instruction != (entry.instruction if entry.signed else None):
                problems.append(f"{where}: INSTRUCTIONS gives {instruction!r}")
        table.append(entry)
    server = getattr(operations, "SERVER_URL", "")
    if not str(server).startswith("https://"):
        problems.append(f"{package}.operations.SERVER_URL {server!r} is not an https:// URL")
    return table


def _check_endpoint(problems: list[str], package: str, module: ModuleType, operation: OperationInfo) -> None:
    endpoint_name = f"{package}.api.{operation.tag}.{operation.operation_id}"
    try:
        endpoint = importlib.import_module(endpoint_name)
    except ImportError:
        problems.append(f"module {endpoint_name} is gone (auth_plugins._generated.endpoint)")
        return
    for name in ENDPOINT_FUNCTIONS:
        function = getattr(endpoint, name, None)
        client = inspect.signature(function).parameters.get("client") if callable(function) else None
        if client is None or client.kind is not inspect.Parameter.KEYWORD_ONLY:
            problems.append(f"{endpoint_name}.{name} is gone or takes no keyword-only client")
    if not callable(getattr(endpoint, "_get_kwargs", None)):
        problems.append(f"{endpoint_name}._get_kwargs is gone (tests/contract builds requests with it)")
        return
    try:
        arguments = sample_arguments(package, operation)
    except Exception as error:
        problems.append(f"{endpoint_name}: no sample call from the spec's examples ({error!r})")
        return
    recorder = _Recorder()
    client = module.AuthenticatedClient("https://seam.example", token="", prefix="", hooks=recorder)
    with pytest.raises(_Stop):
        endpoint.sync_detailed(client=client, **arguments)
    with pytest.raises(_Stop):
        asyncio.run(endpoint.asyncio_detailed(client=client, **arguments))
    if len(recorder.requests) != 2:
        problems.append(f"{endpoint_name} does not send through the hooks' httpx clients")
        return
    sync_request, async_request = recorder.requests
    built = endpoint._get_kwargs(client, **arguments)
    for label, request in (("sync", sync_request), ("async", async_request), ("_get_kwargs", built)):
        if not set(request) <= REQUEST_KEYS:
            problems.append(
                f"{endpoint_name} ({label}) hands request {sorted(request)}, not a subset of {sorted(REQUEST_KEYS)}"
            )
        url = request.get("url")
        if request.get("method") != operation.method or not isinstance(url, str) or not url.startswith(operation.path):
            problems.append(f"{endpoint_name} ({label}) hands request no ready {operation.method} {operation.path}…")
        if not isinstance(request.get("content", b""), bytes):
            problems.append(f"{endpoint_name} ({label}) hands request a body that is not bytes")


@pytest.mark.parametrize("exchange", NAMES)
def test_the_generated_package_offers_everything_the_runtime_relies_on(exchange: str) -> None:
    package = f"{exchange}_client"
    problems: list[str] = []
    _check_protocols_match_the_pins(problems)
    modules = _check_modules(problems, package)
    if "" in modules and ".client" in modules:
        _check_hooks(problems, package, modules[".client"])
        _check_client(problems, package, modules[""])
    if ".operations" in modules:
        for operation in _check_tables(problems, package, modules[".operations"]):
            _check_endpoint(problems, package, modules[""], operation)
    try:
        text = bundle_text(package)
        if "\nopenapi: " not in text or "\npaths:" not in text:
            problems.append(f"{package}/openapi.yaml is not the bundled spec (auth_plugins.sandbox serves it)")
    except OSError as error:
        problems.append(f"{package}/openapi.yaml cannot be read ({error}); auth_plugins.sandbox serves it")
    assert not problems, f"{package} moved under auth_plugins:\n- " + "\n- ".join(problems)
