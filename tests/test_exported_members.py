"""The public surface, pinned (as httpx's tests/test_exported_members.py does): each public package's ``__all__``
is exactly the set below, every name in it exists and is documented, and every public name a package binds is
in its ``__all__``. An accidental addition or removal fails here; a deliberate one edits this table too."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Final

import pytest


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ERRORS: Final = """
    APIError AuthenticationError BadRequestError ConfigurationError ConnectError ExchangeError
    InvalidParameterError RateLimitError RequestTimeoutError ResponseError ServerError ServiceUnavailableError
    SharedBudgetError TimestampError TransportError UnknownOperationError UsageError
"""
PUBLIC: Final[dict[str, frozenset[str]]] = {
    "auth_plugins": _names(
        _ERRORS + "RATE_LIMIT_ENV ClientOptions RedactingFilter RedisRateLimit RequestGate RetryPolicy"
        " aresync_clock resync_clock"
    ),
    "auth_plugins.errors": _names(_ERRORS + "BODY_EXCERPT_CHARS"),
    "auth_plugins.backpack": _names("BackpackAuth client_from_env make_client"),
    "auth_plugins.binance": _names("BinanceAuth client_from_env make_client"),
    "auth_plugins.okx": _names("OkxAuth client_from_env make_client"),
    "auth_plugins.capacity": _names(
        "NO_FLEXIBLE_LOAN_ORDER Capacity amax_borrow amax_withdrawal max_borrow max_withdrawal"
    ),
    "auth_plugins.telemetry": _names("ExchangeClientsInstrumentor"),
    "auth_plugins.sandbox": _names(
        """
        BACKPACK_CREDENTIALS BINANCE_CREDENTIALS EXCHANGES OKX_CREDENTIALS BackpackCredentials BinanceCredentials
        BinanceKeyType ExchangeSandbox OkxCredentials RequestRecord Sandbox SandboxRequest Violation client_env
        env_assignments main write_binance_key_file
        """
    ),
}

# Names bound by these imports are tools of the module, not its surface.
_NOT_SURFACE_MODULES: Final = ("__future__", "typing", "collections", "importlib")


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


@cache
def _tree(module_name: str) -> ast.Module:
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """Module-level statements, with those inside ``if TYPE_CHECKING:`` (and other ``if`` blocks) included."""
    statements: list[ast.stmt] = []
    for node in tree.body:
        statements += [*node.body, *node.orelse] if isinstance(node, ast.If) else [node]
    return statements


def _bound_public_names(module_name: str) -> set[str]:
    """Every public name the module's source binds at top level, but modules and what it imports from typing and
    the like (its tools, not its surface)."""
    names: set[str] = set()
    for node in _top_level(_tree(module_name)):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] not in _NOT_SURFACE_MODULES:
            names.update(alias.asname or alias.name for alias in node.names)
    return {name for name in names if not name.startswith("_")}


def _defining_module(module_name: str, name: str) -> str:
    """The module whose source assigns ``name``: ``module_name`` itself, or the one it imports ``name`` from."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None
    package = module_name if spec.submodule_search_locations is not None else module_name.rpartition(".")[0]
    for node in _top_level(_tree(module_name)):
        if isinstance(node, ast.ImportFrom) and any((alias.asname or alias.name) == name for alias in node.names):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            return _defining_module(source, name)
    return module_name


def _attribute_docstring(module_name: str, name: str) -> str | None:
    """The string literal right after the top-level assignment of ``name`` (a Sphinx attribute docstring)."""
    body = _top_level(_tree(module_name))
    for node, following in zip(body, body[1:], strict=False):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                return str(following.value.value)
            return None
    return None


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_exactly_the_pinned_public_surface(module_name: str) -> None:
    exported = set(_module(module_name).__all__)
    assert len(exported) == len(_module(module_name).__all__), "a name is listed twice in __all__"
    added, removed = sorted(exported - PUBLIC[module_name]), sorted(PUBLIC[module_name] - exported)
    assert (added, removed) == ([], []), f"{module_name}.__all__ changed: added {added}, removed {removed}"


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_every_public_name_a_package_binds_is_exported(module_name: str) -> None:
    bound = _bound_public_names(module_name)
    assert sorted(bound - set(_module(module_name).__all__)) == []
    assert sorted(set(_module(module_name).__all__) - bound) == []  # and nothing is exported that it never binds


@pytest.mark.parametrize(
    ("module_name", "name"), [(module, name) for module in sorted(PUBLIC) for name in sorted(PUBLIC[module])]
)
def test_every_exported_name_exists_and_is_documented(module_name: str, name: str) -> None:
    value = getattr(_module(module_name), name)  # the sandbox's names are imported here, on first use
    if inspect.isclass(value) or inspect.isfunction(value):
        doc = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
        assert doc and doc.strip(), f"{module_name}.{name} has no docstring of its own"
        return
    doc = _attribute_docstring(_defining_module(module_name, name), name)
    assert doc and doc.strip(), f"{module_name}.{name} has no docstring after its assignment"


def test_star_import_gives_exactly_all() -> None:
    for module_name in PUBLIC:
        namespace: dict[str, object] = {}
        exec(f"from {module_name} import *", namespace)
        assert set(namespace) - {"__builtins__"} == PUBLIC[module_name]
