"""The generated packages against the bundled specs: drift, import paths, parameters, examples."""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from auth_plugins._generated import routes
from scripts.codegen import generate
from tests._specs import (
    NAMES,
    REPO,
    all_operations,
    bundle_path,
    load_bundle,
    operations,
    parametrized_operations,
    resolve,
    snake,
)

OPERATION_IDS = [f"{ex}:{op['operationId']}" for ex, _, _, op in parametrized_operations()]


@pytest.mark.pipeline
def test_a_clean_regeneration_equals_the_committed_tree() -> None:
    assert generate.check(REPO) == 0


def test_the_drift_check_reports_new_missing_and_changed_files(tmp_path: Path) -> None:
    committed = tmp_path / "committed"
    shutil.copytree(REPO / "generated" / "okx_client", committed)
    fresh = tmp_path / "fresh"
    shutil.copytree(committed, fresh)
    (committed / "stale.py").write_text("# left over\n")
    (committed / "client.py").write_text((committed / "client.py").read_text() + "# hand edit\n")
    (committed / "types.py").unlink()
    new, missing, changed = generate.compare_trees(fresh, committed)
    assert (new, missing, changed) == ([Path("types.py")], [Path("stale.py")], [Path("client.py")])


@pytest.mark.parametrize(("exchange", "method", "route", "op"), parametrized_operations(), ids=OPERATION_IDS)
def test_each_operation_has_its_module_and_parameters(
    exchange: str, method: str, route: str, op: dict[str, Any]
) -> None:
    module = importlib.import_module(f"{exchange}_client.api.{op['tags'][0]}.{op['operationId']}")
    for name in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"):
        function = getattr(module, name)
        params = inspect.signature(function).parameters
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
        got = {n: p.default is inspect.Parameter.empty for n, p in params.items() if n != "client"}
        expected = {snake(p["name"]): bool(p.get("required")) for p in op.get("parameters", [])}
        if "requestBody" in op:
            expected["body"] = bool(op["requestBody"].get("required"))
        assert got == expected, f"{exchange} {method} {route} {name}"
        # Signed operations demand the AuthenticatedClient; public ones take any Client (its base class).
        annotation = params["client"].annotation
        assert annotation.__name__ == ("AuthenticatedClient" if op.get("security") else "Client")


def _examples() -> list[tuple[str, str, str, Any]]:
    """Each distinct (exchange, status, schema, example) of the bundles: operations sharing a schema and its
    documented example (clones of one endpoint, e.g. the scale bench's) parse the same, so it is tested once."""
    found: list[tuple[str, str, str, Any]] = []
    for exchange in NAMES:
        for _, _, op in operations(exchange):
            for status, response in op["responses"].items():
                for media, content in response.get("content", {}).items():
                    if "example" in content:
                        entry = (exchange, status, content["schema"].get("$ref", media), content["example"])
                        found += [entry] if entry not in found else []
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "example" in body and (exchange, "request", body["schema"]["$ref"], body["example"]) not in found:
                found.append((exchange, "request", body["schema"]["$ref"], body["example"]))
    return found


EXAMPLES = _examples()


def test_every_operation_carries_its_documented_success_example() -> None:
    missing = [
        f"{exchange}:{op['operationId']}"
        for exchange, _, _, op in all_operations()
        if not any("example" in content for content in op["responses"].get("200", {}).get("content", {}).values())
    ]
    assert not missing, f"no documented 200 example: {missing}"


@pytest.mark.parametrize(("exchange", "status", "ref", "example"), EXAMPLES, ids=[f"{e[0]}:{e[2]}" for e in EXAMPLES])
def test_every_example_parses_into_its_model_and_round_trips(
    exchange: str, status: str, ref: str, example: Any
) -> None:
    if not ref.startswith("#/"):
        assert isinstance(example, str)  # text/plain body: the generated code returns it as str
        return
    name = ref.rsplit("/", 1)[1]
    module = importlib.import_module(f"{exchange}_client.models.{snake(name)}")
    model = getattr(module, name)
    parsed = model.from_dict(example)
    assert parsed.to_dict() == example
    extra = dict(example, someNewField="kept")
    again = model.from_dict(extra)
    assert again.additional_properties == {"someNewField": "kept"}
    assert again.to_dict() == extra


def test_amounts_are_decimal_strings_in_every_spec() -> None:
    for exchange in NAMES:
        text = bundle_path(exchange).read_text()
        assert "type: number" not in text
        for _, _, op in operations(exchange):
            for response in op["responses"].values():
                for content in response.get("content", {}).values():
                    schema = resolve(exchange, content["schema"])
                    for item in [schema, *_nested(exchange, schema)]:
                        for field, prop in item.get("properties", {}).items():
                            if field in {"maxLoan", "amount", "maxBorrowQuantity", "maxWithdrawalQuantity"}:
                                assert prop == {**prop, "type": "string", "format": "decimal"}


def _nested(exchange: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "array" and "$ref" in prop.get("items", {}):
            out.append(resolve(exchange, prop["items"]))
    return out


def test_every_generated_module_names_its_spec_and_says_it_is_generated() -> None:
    for exchange in NAMES:
        package = REPO / "generated" / f"{exchange}_client"
        assert (package / "py.typed").exists()
        for path in package.rglob("*.py"):
            first = path.read_text().splitlines()[0]
            assert first.startswith("# Generated by openapi-python-client 0.29.1 from "), path
            assert f"from specs/{exchange} " in first and "Do not edit" in first, path


def test_the_operations_table_matches_the_spec_metadata() -> None:
    for exchange in NAMES:
        table = importlib.import_module(f"{exchange}_client.operations")
        entries = routes(f"{exchange}_client")
        for method, route, op in operations(exchange):
            entry: Any = entries[(method, route)]
            assert entry.operation_id == op["operationId"] and entry.tag == op["tags"][0]
            assert entry.signed == bool(op.get("security")) and entry.read_only == op["x-read-only"]
            limit = op["x-rate-limit"]
            if limit.get("documented") is False:
                assert entry.rate_limit is None
            else:
                # A pool's numbers come from the bundle's x-rate-limit-pools; an own budget is named for its operation.
                pool = load_bundle(exchange).get("x-rate-limit-pools", {}).get(limit.get("pool"))
                source, budget = (pool, limit["pool"]) if pool else (limit, op["operationId"])
                assert entry.rate_limit == (
                    source["limit"],
                    source["window-ms"],
                    source["keyed-on"],
                    limit["weight"],
                    budget,
                    source.get("used-weight-header"),
                )
            assert entry.instruction == op.get("x-signing", {}).get("instruction")
        assert len(entries) == len(table.INDEX) == len(list(operations(exchange)))
        assert table.SERVER_URL == load_bundle(exchange)["servers"][0]["url"]


def test_the_readme_operation_table_matches_the_bundles() -> None:
    readme = (REPO / "README.md").read_text()
    rows = set(
        re.findall(r"^\| (\w+) \| `(GET|POST) ([^`]+)` \| `from (\w+)\.api\.(\w+) import (\w+)` \|", readme, re.M)
    )
    expected = {
        (exchange, method, route, f"{exchange}_client", op["tags"][0], op["operationId"])
        for exchange in NAMES
        for method, route, op in operations(exchange)
    }
    assert rows == expected
