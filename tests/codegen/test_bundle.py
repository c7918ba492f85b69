"""The bundler's refusals: each from a small bad fixture, each naming the offending file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.codegen import bundle as bundler
from scripts.codegen.bundle import BundleError, bundle_exchange

SCHEMES = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
ERROR = {"type": "object", "properties": {"code": {"type": "string"}}}
BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Test exchange", "version": "1"},
    "servers": [{"url": "https://api.example.invalid"}],
    "components": {"securitySchemes": SCHEMES, "schemas": {"Err": ERROR}},
}


def endpoint(route: str = "/a", operation_id: str = "get_a", method: str = "get") -> dict[str, Any]:
    """A minimal valid signed endpoint document."""
    response = {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Err"}}}}
    operation = {
        "operationId": operation_id,
        "tags": ["t"],
        "externalDocs": {"url": f"https://docs.example.invalid{route}"},
        "security": [{"key": []}],
        "x-signing": {"instruction": "doIt"},
        "x-read-only": True,
        "x-rate-limit": {"documented": False},
        "parameters": [{"name": "symbol", "in": "query", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": response, "401": response, "429": response},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Test exchange endpoint", "version": "1"},
        "paths": {route: {method: operation}},
        "components": {"securitySchemes": copy.deepcopy(SCHEMES), "schemas": {"Err": copy.deepcopy(ERROR)}},
    }


def write(directory: Path, name: str, doc: dict[str, Any] | str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def exchange(tmp_path: Path, *endpoints: dict[str, Any] | str, base: dict[str, Any] | None = None) -> Path:
    root = tmp_path / "specs" / "testex"
    write(root, "_base.yaml", base if base is not None else BASE)
    for index, doc in enumerate(endpoints):
        write(root, f"endpoints/e{index}.yaml", doc)
    return root


def op(doc: dict[str, Any]) -> dict[str, Any]:
    """The single operation of an endpoint document, for mutation."""
    item = next(iter(doc["paths"].values()))
    result: dict[str, Any] = next(iter(item.values()))
    return result


def refused(root: Path, bad_file: str, reason: str) -> None:
    with pytest.raises(BundleError) as info:
        bundle_exchange(root)
    message = str(info.value)
    assert message.startswith(str(root / bad_file)), message
    assert reason in message, message


def test_a_valid_exchange_bundles_with_every_operation(tmp_path: Path) -> None:
    root = exchange(tmp_path, endpoint("/a", "get_a"), endpoint("/b", "get_b"))
    doc = bundle_exchange(root)
    assert list(doc["paths"]) == ["/a", "/b"]
    assert list(doc["components"]["schemas"]) == ["Err"]


def test_the_bundle_is_deterministic_whatever_the_authoring_order(tmp_path: Path) -> None:
    first = bundle_exchange(exchange(tmp_path / "1", endpoint("/b", "get_b"), endpoint("/a", "get_a")))
    second = bundle_exchange(exchange(tmp_path / "2", endpoint("/a", "get_a"), endpoint("/b", "get_b")))
    assert bundler.dump_bundle(first, "x") == bundler.dump_bundle(second, "x")


def test_refuses_a_duplicate_method_and_path(tmp_path: Path) -> None:
    root = exchange(tmp_path, endpoint("/a", "get_a"), endpoint("/a", "get_a_again"))
    refused(root, "endpoints/e1.yaml", "GET /a is already defined in")


def test_refuses_a_duplicate_operation_id(tmp_path: Path) -> None:
    root = exchange(tmp_path, endpoint("/a", "get_a"), endpoint("/b", "get_a"))
    refused(root, "endpoints/e1.yaml", "operationId 'get_a' is already used in")


def test_refuses_a_component_defined_twice_with_different_content(tmp_path: Path) -> None:
    other = endpoint("/b", "get_b")
    other["components"]["schemas"]["Err"]["properties"]["code"] = {"type": "integer"}
    root = exchange(tmp_path, endpoint("/a", "get_a"), other)
    refused(root, "endpoints/e1.yaml", "components/schemas/Err differs from the definition in")


def test_refuses_an_external_ref(tmp_path: Path) -> None:
    doc = endpoint()
    op(doc)["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": "common.yaml#/Err"}
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "external $ref 'common.yaml#/Err'")


def test_refuses_a_path_item_ref(tmp_path: Path) -> None:
    doc = endpoint()
    doc["paths"]["/b"] = {"$ref": "#/components/pathItems/B"}
    doc["components"]["pathItems"] = {"B": {"get": op(endpoint("/b", "get_b"))}}
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "path-item $ref at /b")


def test_refuses_a_file_that_is_not_valid_openapi(tmp_path: Path) -> None:
    doc = endpoint()
    del op(doc)["parameters"][0]["in"]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "not valid OpenAPI")


def test_refuses_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    refused(exchange(tmp_path, "paths: [unclosed"), "endpoints/e0.yaml", "not valid YAML")


def test_refuses_a_base_without_servers(tmp_path: Path) -> None:
    base = copy.deepcopy(BASE)
    del base["servers"]
    refused(exchange(tmp_path, endpoint(), base=base), "_base.yaml", "names no `servers`")


def test_refuses_an_invalid_base_file(tmp_path: Path) -> None:
    base = copy.deepcopy(BASE)
    del base["info"]
    refused(exchange(tmp_path, endpoint(), base=base), "_base.yaml", "not valid OpenAPI")


@pytest.mark.parametrize(
    ("field", "reason"),
    [("operationId", "has no operationId"), ("externalDocs", "has no externalDocs.url"), ("tags", "exactly one tag")],
)
def test_refuses_an_endpoint_missing_a_required_field(tmp_path: Path, field: str, reason: str) -> None:
    doc = endpoint()
    del op(doc)[field]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", reason)


@pytest.mark.parametrize("extension", ["x-read-only", "x-rate-limit"])
def test_refuses_an_endpoint_missing_its_metadata(tmp_path: Path, extension: str) -> None:
    doc = endpoint()
    del op(doc)[extension]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", f"has no {extension}")


def test_refuses_a_signed_endpoint_without_operation_security(tmp_path: Path) -> None:
    doc = endpoint()
    del op(doc)["security"]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "is signed (x-signing) but declares no operation-level")


def test_refuses_security_without_signing_metadata(tmp_path: Path) -> None:
    doc = endpoint()
    del op(doc)["x-signing"]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "declares `security` but no x-signing")


def test_refuses_root_level_security(tmp_path: Path) -> None:
    doc = endpoint()
    doc["security"] = [{"key": []}]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "root-level `security`")


def test_refuses_a_signed_endpoint_without_a_key_the_base_requires(tmp_path: Path) -> None:
    base = copy.deepcopy(BASE)
    base["x-signing-required-keys"] = ["instruction"]
    doc = endpoint()
    op(doc)["x-signing"] = {}
    refused(exchange(tmp_path, doc, base=base), "endpoints/e0.yaml", "x-signing has no 'instruction'")


def test_refuses_a_float_amount(tmp_path: Path) -> None:
    doc = endpoint()
    doc["components"]["schemas"]["Err"]["properties"]["amount"] = {"type": "number"}
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "`type: number`")


def test_refuses_a_default_on_a_query_parameter(tmp_path: Path) -> None:
    doc = endpoint()
    op(doc)["parameters"][0]["schema"]["default"] = "BTC"
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "`default` on parameter 'symbol'")


def test_refuses_an_enum_in_a_response(tmp_path: Path) -> None:
    doc = endpoint()
    doc["components"]["schemas"]["Err"]["properties"]["side"] = {"type": "string", "enum": ["buy", "sell"]}
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "enum in a response schema")


def test_allows_an_enum_in_a_request_parameter(tmp_path: Path) -> None:
    doc = endpoint()
    op(doc)["parameters"][0]["schema"]["enum"] = ["BTC", "ETH"]
    assert bundle_exchange(exchange(tmp_path, doc))["paths"]["/a"]["get"]["parameters"][0]["schema"]["enum"]


def test_refuses_an_endpoint_file_with_two_operations(tmp_path: Path) -> None:
    doc = endpoint()
    doc["paths"]["/a"]["post"] = op(endpoint("/a", "post_a"))
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "exactly one operation, found 2")


def test_refuses_a_bundle_whose_operation_count_differs_from_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Per-file checks make a lost operation unreachable today; the count is the last line of defence
    # against a future merge bug, so simulate one.
    real = bundler._ordered

    def losing(doc: dict[str, Any]) -> dict[str, Any]:
        out = real(doc)
        out["paths"].pop("/b")
        return out

    monkeypatch.setattr(bundler, "_ordered", losing)
    root = exchange(tmp_path, endpoint("/a", "get_a"), endpoint("/b", "get_b"))
    refused(root, "openapi.yaml", "bundle holds 1 operations for 2 endpoint files")


def test_the_committed_specs_bundle_without_refusal() -> None:
    from tests._specs import NAMES, SPECS

    for name in NAMES:
        assert bundle_exchange(SPECS / name)["paths"]


@pytest.mark.parametrize("status", ["401", "429"])
def test_refuses_a_signed_endpoint_that_does_not_document_a_status_the_sandbox_sends(
    tmp_path: Path, status: str
) -> None:
    doc = endpoint()
    del op(doc)["responses"][status]
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", f"is signed but documents no {status} response")


def test_an_endpoint_may_use_the_base_components_without_copying_them(tmp_path: Path) -> None:
    doc = endpoint()
    del doc["components"]
    bundle = bundle_exchange(exchange(tmp_path, doc))
    assert set(bundle["components"]["schemas"]) == {"Err"}


def test_refuses_a_reference_neither_the_endpoint_nor_the_base_defines(tmp_path: Path) -> None:
    doc = endpoint()
    del doc["components"]
    op(doc)["responses"]["200"] = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Missing"}}},
    }
    refused(exchange(tmp_path, doc), "endpoints/e0.yaml", "not valid OpenAPI")


# --- x-rate-limit: which budget a call draws on -----------------------------------------------------------------

POOLS: dict[str, Any] = {"api-ip-weight": {"limit": 6000, "window-ms": 60000, "keyed-on": "ip"}}
OWN: dict[str, Any] = {"limit": 20, "window-ms": 2000, "keyed-on": "account", "weight": 1}


def with_rate_limit(rate: dict[str, Any], route: str = "/a", operation_id: str = "get_a") -> dict[str, Any]:
    doc = endpoint(route, operation_id)
    op(doc)["x-rate-limit"] = rate
    return doc


def test_an_own_budget_and_a_pool_of_the_base_bundle_with_the_pools(tmp_path: Path) -> None:
    base = {**BASE, "x-rate-limit-pools": POOLS}
    root = exchange(
        tmp_path,
        with_rate_limit({"pool": "api-ip-weight", "weight": 2}),
        with_rate_limit({**OWN, "used-weight-header": "X-USED-1M"}, "/b", "get_b"),
        base=base,
    )
    assert bundle_exchange(root)["x-rate-limit-pools"] == POOLS


@pytest.mark.parametrize(
    ("rate", "reason"),
    [
        ({"pool": "sapi-ip-weight", "weight": 1}, "GET /a: x-rate-limit names unknown pool 'sapi-ip-weight'"),
        ({**OWN, "keyed-on": "user"}, "GET /a: x-rate-limit has unknown keyed-on 'user' (one of: ip, api-key,"),
        ({**OWN, "keyed-on": "uid"}, "unknown keyed-on 'uid'"),
        ({"pool": "api-ip-weight", "weight": 1, "limit": 5}, "a pool's numbers live in _base.yaml"),
        ({"limit": 20, "keyed-on": "ip"}, "x-rate-limit has no window-ms"),
        ({**OWN, "weight": 21}, "weight 21 can never fit its limit 20"),
        ({**OWN, "weight": 0}, "weight must be a positive whole number"),
        ({**OWN, "scope": "user"}, "unknown key(s) scope"),
        ({**OWN, "used-weight-header": "X USED"}, "no HTTP header name"),
        ({"documented": True}, "`documented` only appears as {documented: false}"),
    ],
)
def test_refuses_an_x_rate_limit_off_the_shape_naming_the_file(
    tmp_path: Path, rate: dict[str, Any], reason: str
) -> None:
    root = exchange(tmp_path, with_rate_limit(rate), base={**BASE, "x-rate-limit-pools": POOLS})
    refused(root, "endpoints/e0.yaml", reason)


def test_refuses_a_pool_with_an_unknown_keyed_on_naming_the_base(tmp_path: Path) -> None:
    pools = {"api-ip-weight": {**POOLS["api-ip-weight"], "keyed-on": "user"}}
    root = exchange(tmp_path, endpoint(), base={**BASE, "x-rate-limit-pools": pools})
    refused(root, "_base.yaml", "x-rate-limit-pools pool 'api-ip-weight' has unknown keyed-on 'user'")


def test_refuses_a_pool_named_like_an_operations_own_budget(tmp_path: Path) -> None:
    pools = {"get-a": POOLS["api-ip-weight"]}
    root = exchange(tmp_path, endpoint("/a", "get-a"), base={**BASE, "x-rate-limit-pools": pools})
    refused(root, "_base.yaml", "rate-limit pool 'get-a' has the name of an operation's own budget")
