"""Bundle one exchange's hand-written spec files into a single self-contained OpenAPI document.

Input layout, per exchange: ``specs/<exchange>/_base.yaml`` (info, servers, security schemes, shared
components) and ``specs/<exchange>/endpoints/*.yaml`` (one documented endpoint each). An endpoint file may
use the base's components (``#/components/schemas/ErrorResponse``, the security scheme) without copying
them: each file is validated as an OpenAPI document together with the base components it does not define
itself, so an error still names the one file; a component it does define must equal the base's.

Output: one document, which :mod:`scripts.codegen.generate` hands to the generator and ships as
``generated/<exchange>_client/openapi.yaml`` (the sandbox, fuzzers and other tools read it).

The bundle is deterministic: inputs are read in sorted order, ``paths`` and each ``components`` section
are sorted by name, top-level keys follow a fixed order, and everything inside an operation or schema
keeps the order it was written in (that order is the wire order of query parameters).

Every refusal is a :class:`BundleError` whose message starts with the offending file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from auth_plugins._generated import BUNDLE_FILE
from auth_plugins._openapi import RefError, pointer
from auth_plugins._ratelimit_shape import POOLS_EXTENSION, RateLimitShapeError, check_pools, resolve

from .yaml_loader import LOADER

__all__ = [
    "BASE_FILE",
    "BUNDLE_FILE",
    "BundleError",
    "bundle_exchange",
    "dump_bundle",
    "endpoint_sources",
    "exchange_dirs",
    "walk",
    "with_base_components",
]

BASE_FILE = "_base.yaml"
ENDPOINTS_DIR = "endpoints"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TOP_LEVEL_ORDER = ("openapi", "info", "externalDocs", "servers", "tags", "paths", "components")
# Operation-level vendor extensions every endpoint must carry; scripts/operations_table.py reads them.
REQUIRED_EXTENSIONS = ("x-read-only", "x-rate-limit")
# A base may list keys that every signed operation's x-signing must hold (Backpack: the instruction).
# Statuses every signed operation documents: the sandbox (and the exchange) answer a bad signature with 401
# and a spent rate limit with 429, and an answer the spec does not document is a contract violation.
SIGNED_STATUSES = ("401", "429")
SIGNING_KEYS_EXTENSION = "x-signing-required-keys"

Document = dict[str, Any]


class BundleError(Exception):
    """A spec file the bundler refuses; ``str()`` names the file first, then the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def exchange_dirs(specs_root: Path) -> list[Path]:
    """Return every ``specs/<exchange>`` directory that has a ``_base.yaml``, sorted by name."""
    return sorted(p.parent for p in specs_root.glob(f"*/{BASE_FILE}"))


def _load(path: Path) -> Document:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except yaml.YAMLError as exc:
        raise BundleError(path, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BundleError(path, "not an OpenAPI document (top level is not a mapping)")
    return data


def _validate(path: Path, doc: Document) -> None:
    try:
        validate(doc)
    except OpenAPIValidationError as exc:
        raise BundleError(path, f"not valid OpenAPI: {exc.message}") from None
    except Exception as exc:  # the validator raises resolver errors of other libraries on broken refs
        raise BundleError(path, f"not valid OpenAPI: {type(exc).__name__}: {exc}") from None


def walk(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(json-pointer-ish location, node)`` for ``node`` and everything inside it, depth first."""
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def _check_refs(path: Path, doc: Document) -> None:
    for route, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict) and "$ref" in item:
            raise BundleError(path, f"path-item $ref at {route} ({item['$ref']}): the generator drops these silently")
    for where, node in walk(doc):
        if not isinstance(node, dict) or "$ref" not in node:
            continue
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise BundleError(path, f"external $ref {ref!r} at {where}: only local '#/' references are allowed")


def _check_generator_rules(path: Path, doc: Document) -> None:
    """Refuse what openapi-python-client would turn into silent bugs (reference/openapi-python-client.md)."""
    for where, node in walk(doc):
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "number" or (isinstance(kind, list) and "number" in kind):
            raise BundleError(path, f"`type: number` at {where}: amounts are `type: string, format: decimal`")
        if node.get("in") in ("query", "header", "path", "cookie") and "default" in node.get("schema", {}):
            raise BundleError(path, f"`default` on parameter {node.get('name')!r}: the generator always sends it")
    response_schemas = _schemas_reachable_from(doc, _responses(doc))
    for where, schema in response_schemas:
        if "enum" in schema:
            raise BundleError(path, f"enum in a response schema at {where}: response values may grow, use a string")


def _responses(doc: Document) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for route, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            for status, response in item.get(method, {}).get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    found.append((f"/paths/{route}/{method}/responses/{status}/{media}", content.get("schema", {})))
    return found


def _schemas_reachable_from(doc: Document, roots: list[tuple[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    seen: set[str] = set()
    out: list[tuple[str, dict[str, Any]]] = []
    stack = list(roots)
    while stack:
        where, node = stack.pop()
        for sub_where, sub in walk(node, where):
            if not isinstance(sub, dict):
                continue
            out.append((sub_where, sub))
            ref = sub.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
                seen.add(ref)
                try:
                    target = pointer(doc, ref)
                except RefError:
                    target = {}
                stack.append((ref[1:], target))
    return out


def _operations(doc: Document) -> list[tuple[str, str, Document]]:
    return [
        (method, route, item[method])
        for route, item in doc.get("paths", {}).items()
        for method in HTTP_METHODS
        if isinstance(item, dict) and method in item
    ]


def _check_endpoint(path: Path, doc: Document, signing_keys: list[str], pools: Any = None) -> None:
    if "security" in doc:
        raise BundleError(path, "root-level `security`: the generator ignores it; put `security` on the operation")
    operations = _operations(doc)
    if len(operations) != 1:
        raise BundleError(path, f"an endpoint file holds exactly one operation, found {len(operations)}")
    method, route, op = operations[0]
    label = f"{method.upper()} {route}"
    if not op.get("operationId"):
        raise BundleError(path, f"{label} has no operationId")
    if not isinstance(op.get("externalDocs"), dict) or not op["externalDocs"].get("url"):
        raise BundleError(path, f"{label} has no externalDocs.url (the documentation page it was written from)")
    tags = op.get("tags")
    if not isinstance(tags, list) or len(tags) != 1:
        raise BundleError(path, f"{label} needs exactly one tag (it becomes the import path)")
    for extension in REQUIRED_EXTENSIONS:
        if extension not in op:
            raise BundleError(path, f"{label} has no {extension}")
    try:
        resolve(op["x-rate-limit"], pools, str(op["operationId"]))
    except RateLimitShapeError as error:
        raise BundleError(path, f"{label}: {error}") from None
    signing = op.get("x-signing")
    if signing is not None and not op.get("security"):
        raise BundleError(path, f"{label} is signed (x-signing) but declares no operation-level `security`")
    if op.get("security") and not isinstance(signing, dict):
        raise BundleError(path, f"{label} declares `security` but no x-signing metadata")
    if isinstance(signing, dict):
        for key in signing_keys:
            if not signing.get(key):
                raise BundleError(path, f"{label} is signed but x-signing has no {key!r}")
        missing = [status for status in SIGNED_STATUSES if status not in op.get("responses", {})]
        if missing:
            raise BundleError(
                path,
                f"{label} is signed but documents no {' or '.join(missing)} response: the exchange (and the sandbox)"
                " answers a bad signature with 401 and a spent rate limit with 429; document them with the"
                " exchange's ErrorResponse",
            )


def with_base_components(doc: Document, base: Document) -> Document:
    """``doc`` with every base component it does not define itself, and the base's rate-limit pools, so that it
    validates (and its ``x-rate-limit`` resolves) on its own."""
    if POOLS_EXTENSION in base and POOLS_EXTENSION not in doc:
        doc = {**doc, POOLS_EXTENSION: base[POOLS_EXTENSION]}
    base_components = base.get("components", {})
    if not base_components:
        return doc
    components = {kind: dict(entries) for kind, entries in doc.get("components", {}).items()}
    for kind, entries in base_components.items():
        section = components.setdefault(kind, {})
        for name, value in entries.items():
            section.setdefault(name, value)
    return {**doc, "components": components}


def _merge_components(
    bundle: Document, origin: dict[tuple[str, str], Path], path: Path, components: dict[str, Any]
) -> None:
    target = bundle.setdefault("components", {})
    for kind, entries in components.items():
        section = target.setdefault(kind, {})
        for name, value in entries.items():
            if name in section and section[name] != value:
                first = origin[(kind, name)]
                raise BundleError(path, f"components/{kind}/{name} differs from the definition in {first}")
            section.setdefault(name, value)
            origin.setdefault((kind, name), path)


def _ordered(bundle: Document) -> Document:
    out: Document = {key: bundle[key] for key in TOP_LEVEL_ORDER if key in bundle}
    out.update({key: bundle[key] for key in sorted(bundle) if key not in out})
    out["paths"] = {route: bundle["paths"][route] for route in sorted(bundle.get("paths", {}))}
    if "components" in out:
        out["components"] = {
            kind: {name: section[name] for name in sorted(section)}
            for kind, section in sorted(out["components"].items())
        }
    return out


def bundle_exchange(exchange_dir: Path) -> Document:
    """Merge ``_base.yaml`` and ``endpoints/*.yaml`` of one exchange into one validated document.

    Raises :class:`BundleError` naming the file on: invalid YAML or OpenAPI, an external or path-item
    ``$ref``, a generator-hostile construct, an endpoint without operationId, externalDocs, tag or the
    required vendor extensions, an ``x-rate-limit`` that breaks its shape (an unknown pool or ``keyed-on``:
    :mod:`auth_plugins._ratelimit_shape`), a signed endpoint without operation-level ``security`` or without a 401
    and a 429 response, a duplicate
    method+path or operationId, a component defined twice with different content, or a bundle whose
    operation count differs from the number of endpoint files.
    """
    base_path = exchange_dir / BASE_FILE
    base = _load(base_path)
    _check_refs(base_path, base)
    _validate(base_path, base)
    _check_generator_rules(base_path, base)
    signing_keys = list(base.pop(SIGNING_KEYS_EXTENSION, []))
    pools = base.get(POOLS_EXTENSION)
    try:
        check_pools(pools)
    except RateLimitShapeError as error:
        raise BundleError(base_path, str(error)) from None
    if base.get("paths"):
        raise BundleError(base_path, "the base file holds no paths; each endpoint has its own file")
    if not base.get("servers"):
        raise BundleError(base_path, "the base file names no `servers` (the first is the production URL)")

    bundle: Document = {key: value for key, value in base.items() if key != "components"}
    bundle["paths"] = {}
    origin: dict[tuple[str, str], Path] = {}
    _merge_components(bundle, origin, base_path, base.get("components", {}))
    route_origin: dict[tuple[str, str], Path] = {}
    operation_ids: dict[str, Path] = {}

    endpoint_files = sorted((exchange_dir / ENDPOINTS_DIR).glob("*.yaml"))
    if not endpoint_files:
        raise BundleError(exchange_dir / ENDPOINTS_DIR, "no endpoint files")
    for path in endpoint_files:
        doc = _load(path)
        _check_refs(path, doc)
        _validate(path, with_base_components(doc, base))
        _check_generator_rules(path, doc)
        _check_endpoint(path, doc, signing_keys, pools)
        method, route, op = _operations(doc)[0]
        key = (method, route)
        if key in route_origin:
            raise BundleError(path, f"{method.upper()} {route} is already defined in {route_origin[key]}")
        operation_id = op["operationId"]
        if operation_id in operation_ids:
            raise BundleError(path, f"operationId {operation_id!r} is already used in {operation_ids[operation_id]}")
        route_origin[key] = path
        operation_ids[operation_id] = path
        bundle["paths"].setdefault(route, {})[method] = op
        _merge_components(bundle, origin, path, doc.get("components", {}))

    for name in pools or {}:
        if name in operation_ids:
            raise BundleError(base_path, f"rate-limit pool {name!r} has the name of an operation's own budget")
    bundle = _ordered(bundle)
    bundle_path = exchange_dir / BUNDLE_FILE
    count = len(_operations(bundle))
    if count != len(endpoint_files):
        raise BundleError(bundle_path, f"bundle holds {count} operations for {len(endpoint_files)} endpoint files")
    _validate(bundle_path, bundle)
    return bundle


def endpoint_sources(exchange_dir: Path) -> dict[str, Path]:
    """``operationId -> endpoint file`` (relative to the repository root's ``specs/``' parent when possible), for
    errors about a bundled operation that should name the file to edit."""
    sources: dict[str, Path] = {}
    for path in sorted((exchange_dir / ENDPOINTS_DIR).glob("*.yaml")):
        operations = _operations(_load(path))
        if operations:
            shown = path.relative_to(exchange_dir.parent.parent) if exchange_dir.parent.name == "specs" else path
            sources[str(operations[0][2].get("operationId"))] = shown
    return sources


def dump_bundle(bundle: Document, exchange: str) -> str:
    """Serialise a bundle as YAML text, with a header saying it is generated and from what."""
    sources = f"specs/{exchange}/{BASE_FILE} and specs/{exchange}/{ENDPOINTS_DIR}/*.yaml"
    header = (
        f"# Generated by scripts/codegen/bundle.py from {sources}.\n"
        "# Do not edit: edit those and run `make generate`.\n"
    )
    body = yaml.safe_dump(bundle, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
    return header + body
