"""One ``$ref`` follower (auth_plugins/_openapi.py), one schema path compiler (scripts/codegen/_schemas.py) and one
definition of a decimal string (auth_plugins/_decimals.py), each used by every reader that needs it."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import auth_plugins._openapi as openapi
from auth_plugins._decimals import DECIMAL, DECIMAL_OR_EMPTY, decimal_matcher
from auth_plugins._openapi import RefError, follow, pointer
from scripts.codegen._schemas import ConstraintError, schema_paths
from tests._specs import NAMES, REPO

DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "Alias": {"$ref": "#/components/schemas/Amount"},
            "Amount": {"type": "string", "format": "decimal"},
            "a/b~c": {"type": "integer"},
            "Loop": {"$ref": "#/components/schemas/Loop2"},
            "Loop2": {"$ref": "#/components/schemas/Loop"},
        }
    }
}


def test_follow_goes_down_a_chain_of_local_references() -> None:
    assert follow(DOCUMENT, {"$ref": "#/components/schemas/Alias"}) == {"type": "string", "format": "decimal"}
    assert follow(DOCUMENT, {"$ref": "#/components/schemas/a~1b~0c"}) == {"type": "integer"}  # JSON-pointer escapes
    plain = {"type": "string"}
    assert follow(DOCUMENT, plain) is plain
    assert follow(DOCUMENT, {"$ref": 5}) == {"$ref": 5}  # not a reference: a non-string $ref is data
    assert pointer(DOCUMENT, "#/components/schemas/Alias") == {"$ref": "#/components/schemas/Amount"}  # one hop


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("common.yaml#/Amount", "only local '#/' pointers"),
        ("#/components/schemas/Missing", "points nowhere"),
        ("#/components/schemas/Amount/type/deeper", "points nowhere"),
        ("#/components/schemas/Loop", "recursive"),
    ],
)
def test_follow_refuses_what_it_cannot_follow_by_name(ref: str, words: str) -> None:
    with pytest.raises(RefError, match=words) as info:
        follow(DOCUMENT, {"$ref": ref})
    assert ref.split("/")[-1] in str(info.value)


def test_the_follower_needs_only_the_standard_library_and_imports_no_yaml() -> None:
    tree = ast.parse(Path(openapi.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in ([alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""])
    }
    assert imported <= set(sys.stdlib_module_names)
    probe = "import sys, auth_plugins._openapi; print(sorted({'yaml', 'scripts', 'tests'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd="/")
    assert result.stdout.strip() == "[]"


def _hand_written_python() -> list[Path]:
    return [
        path
        for root in ("auth_plugins", "scripts", "tests")
        for path in sorted((REPO / root).rglob("*.py"))
        if path != Path(__file__)
    ]


def test_no_other_module_follows_references_itself() -> None:
    # A copy of the follower walks a $ref's parts itself; every other reader calls follow() or pointer().
    copies = [
        path.relative_to(REPO).as_posix()
        for path in _hand_written_python()
        if "$ref" in (text := path.read_text(encoding="utf-8")) and 'split("/")' in text
    ]
    assert copies == ["auth_plugins/_openapi.py"]


def test_no_other_module_of_the_code_spells_out_the_decimal_pattern() -> None:
    # Tests may state the rule again on their own: an expectation must not come from the code under test.
    code = [path for path in _hand_written_python() if path.relative_to(REPO).parts[0] != "tests"]
    sources = [*code, *sorted((REPO / "scripts" / "codegen" / "templates").glob("*.jinja"))]
    spelled = [
        path.relative_to(REPO).as_posix() for path in sources if DECIMAL.pattern in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["auth_plugins/_decimals.py"]


@pytest.mark.parametrize("exchange", NAMES)
def test_each_generated_package_decimal_is_rendered_from_the_one_definition(exchange: str) -> None:
    types = importlib.import_module(f"{exchange}_client.types")
    assert types._DECIMAL.pattern == DECIMAL.pattern


def test_the_decimal_formats() -> None:
    decimal, or_empty = decimal_matcher("decimal"), decimal_matcher("decimal-or-empty")
    assert decimal is not None and or_empty is not None
    assert [bool(decimal(text)) for text in ("0.5", "-12", "", "1e5", "1.", " 1", "+1")] == [1, 1, 0, 0, 0, 0, 0]
    assert [bool(or_empty(text)) for text in ("0.5", "", "1e5")] == [1, 1, 0]
    assert DECIMAL_OR_EMPTY.fullmatch("") is not None
    assert decimal_matcher("date-time") is None and decimal_matcher(None) is None


SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "code": {"type": "string"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["amt"],
                "properties": {"amt": {"$ref": "#/components/schemas/Alias"}, "note": {"type": ["string", "null"]}},
            },
        },
    },
}


def test_schema_paths_name_every_schema_parents_first() -> None:
    walked = [(at.path, at.required, at.depth, at.where) for at in schema_paths(DOCUMENT, SCHEMA, **_root())]
    assert walked == [
        ("", True, 0, "op"),
        ("code", False, 1, "op.code"),
        ("data", True, 1, "op.data"),
        ("data[]", True, 2, "op.data[]"),
        ("data[].amt", True, 3, "op.data[].amt"),
        ("data[].note", False, 3, "op.data[].note"),
    ]
    amount = [at.schema for at in schema_paths(DOCUMENT, SCHEMA, **_root()) if at.path == "data[].amt"]
    assert amount == [{"type": "string", "format": "decimal"}]  # references followed on the way


def _root() -> dict[str, Any]:
    return {"path": "", "required": True, "where": "op"}


def test_schema_paths_yield_a_schema_before_resolving_below_it() -> None:
    broken = {"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}}
    walk = schema_paths(DOCUMENT, broken, **_root())
    assert next(walk).path == ""  # a caller refusing the parent never meets the broken child
    with pytest.raises(ConstraintError, match=r"op\.x: \$ref '#/nowhere' points nowhere"):
        next(walk)


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "object", "properties": {"a.b": {"type": "string"}}}, "'a.b' would be ambiguous in a path"),
        ({"type": "object", "properties": {"a[0]": {"type": "string"}}}, "would be ambiguous"),
        ({"$ref": "#/components/schemas/Loop"}, "recursive"),
        ({"$ref": "#/components/schemas/Amount/format"}, "schema is not a mapping"),
    ],
)
def test_schema_paths_refuse_what_a_path_cannot_name(schema: dict[str, Any], words: str) -> None:
    with pytest.raises(ConstraintError, match=words):
        list(schema_paths(DOCUMENT, schema, **_root()))


def test_schema_paths_refuse_a_tree_deeper_than_eight() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(9):
        schema = {"type": "array", "items": schema}
    with pytest.raises(ConstraintError, match="nests too deep"):
        list(schema_paths(DOCUMENT, schema, **_root()))
    assert len(list(schema_paths(DOCUMENT, schema["items"], **_root()))) == 9
