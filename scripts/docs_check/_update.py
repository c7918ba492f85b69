"""``make update-specs DOCS=<folder>``: apply check-docs' differences to the endpoint files, keeping each
file's comments, order and layout (ruamel.yaml round trip: an untouched file, or an untouched part of a
touched one, is written back byte for byte).

Each :class:`~scripts.docs_check._model.Difference` carries the :class:`~scripts.docs_check._model.Edit` the
comparer decided: ``set``, ``add`` and ``remove`` are applied with the draft's own writers (a parameter added
here is the one ``make new-endpoint`` would write), ``review`` (renames, a moved method or path, the auth
hook's parameters, media types, prose) is listed for a person. Running it twice changes nothing the second
time: after the first run the page and the spec agree on everything applied.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from auth_plugins._openapi import RefError, follow
from scripts.docs_check._draft import (
    SPECS_ROOT,
    double_quoted,
    field_schema,
    object_schema,
    parameter_entry,
    rate_limit,
    response_values,
    round_trip_yaml,
)
from scripts.docs_check._model import Difference, Edit, Field, PageOperation
from scripts.docs_check._profiles import PROFILES
from scripts.docs_check.check import check

__all__ = ["UpdateReport", "main", "update"]


_COMMA_LIST_PATTERN = re.compile(r"\^\[\^,\]\+\(,\[\^,\]\+\)\{0,\d+\}\$")


class _Unsupported(Exception):
    """An edit this file's shape does not allow mechanically (a field under a ``$ref`` we cannot follow...)."""


@dataclass
class UpdateReport:
    """What one run did: edits applied per file, differences left for a person, files written."""

    applied: list[Difference] = field(default_factory=list)
    review: list[tuple[Difference, str]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the command prints: each applied edit, each item to review, then a summary."""
        return [
            *(f"applied: {difference}" for difference in self.applied),
            *(f"review: {difference} ({why})" for difference, why in self.review),
            f"update-specs: {len(self.applied)} edit(s) applied to {len(self.written)} file(s), "
            f"{len(self.review)} left to review",
        ]


def _ref(doc: CommentedMap, node: Any) -> Any:
    """``node`` with local ``#/...`` references followed inside ``doc`` (the file being edited), by the one
    follower; one into ``_base.yaml``'s components is not this file's to edit."""
    try:
        return follow(doc, node)
    except RefError as error:
        raise _Unsupported(f"{error} (defined outside this file?)") from None


def _operation(doc: CommentedMap, spec: PageOperation) -> CommentedMap:
    item = doc["paths"][spec.path]
    operation: CommentedMap = item[(spec.method or "get").lower()]
    return operation


def _success_schema(doc: CommentedMap, operation: CommentedMap, exchange: str) -> CommentedMap:
    """The object schema holding the documented response fields (inside OKX's envelope)."""
    responses = operation["responses"]
    code = "200" if "200" in responses else sorted(str(c) for c in responses if str(c).startswith("2"))[0]
    content = _ref(doc, responses[code])["content"]
    schema = _ref(doc, content[next(iter(content))]["schema"])
    envelope = PROFILES[exchange].envelope
    if envelope and envelope in (schema.get("properties") or {}):
        schema = _ref(doc, schema["properties"][envelope])
    if schema.get("type") == "array":
        schema = _ref(doc, schema["items"])
    return schema  # type: ignore[no-any-return]


def _body_schema(doc: CommentedMap, operation: CommentedMap) -> CommentedMap:
    content = _ref(doc, operation["requestBody"])["content"]
    return _ref(doc, content[next(iter(content))]["schema"])  # type: ignore[no-any-return]


def _container(doc: CommentedMap, root: CommentedMap, name: str) -> tuple[CommentedMap, str]:
    """``(object schema holding the field, its own name)`` for a dotted field name under ``root``."""
    schema: Any = root
    parts = name.replace("[]", "").split(".")
    for part in parts[:-1]:
        child = _ref(doc, (schema.get("properties") or {}).get(part))
        if not isinstance(child, dict):
            raise _Unsupported(f"no object {part!r} to hold {name}")
        schema = _ref(doc, child["items"]) if child.get("type") == "array" else child
    return schema, parts[-1]


def _find_parameter(operation: CommentedMap, item: Field) -> CommentedMap:
    for entry in operation.get("parameters") or []:
        if entry.get("name") == item.name and (item.location is None or entry.get("in") == item.location):
            return entry  # type: ignore[no-any-return]
    raise _Unsupported(f"parameter {item.name} is not an entry of this operation's parameters")


def _set_schema_keyword(schema: CommentedMap, key: str, page: Field) -> None:
    if key == "type":
        assert page.type is not None
        schema["type"] = page.type.base
        if page.type.format:
            schema["format"] = page.type.format
        elif "format" in schema and page.type.base != "string":
            del schema["format"]
    elif key == "enum":
        _set_enum(schema, page.enum or frozenset())
    elif key == "x-max-list-items" and page.max_list_items is not None:
        schema["x-max-list-items"] = page.max_list_items
        # A comma-list pattern written for the old size says the same thing; it follows the new one.
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and _COMMA_LIST_PATTERN.fullmatch(pattern):
            text = f"^[^,]+(,[^,]+){{0,{page.max_list_items - 1}}}$"
            schema["pattern"] = type(pattern)(text) if isinstance(pattern, ScalarString) else text
    elif key in ("minimum", "maximum"):
        value = getattr(page, key)
        schema[key] = int(value) if value == int(value) else float(value)
    else:
        raise _Unsupported(f"{key} is not a schema keyword this tool sets")


def _set_enum(schema: CommentedMap, values: frozenset[str]) -> None:
    """The page's values, in the spec's order with new ones appended, in the list's own style."""
    current = schema.get("enum")
    if not isinstance(current, list):
        schema["enum"] = sorted(values)
        return
    typed = {str(value): value for value in current}
    for value in list(current):
        if str(value) not in values:
            current.remove(value)
    current.extend(value for value in sorted(values) if value not in typed)


def _conditional(description: str | None, conditional: bool) -> str:
    text = (description or "").strip()
    bare = text[len("Conditional.") :].strip() if text.lower().startswith("conditional.") else text
    return f"Conditional. {bare}".strip() if conditional else bare


def _apply_field(doc: CommentedMap, operation: CommentedMap, page: PageOperation, edit: Edit) -> None:
    if edit.kind == "parameter":
        _apply_parameter(operation, page, edit)
        return
    if edit.kind == "body field":
        root = _body_schema(doc, operation)
    elif edit.kind == "response field":
        root = _success_schema(doc, operation, page.exchange)
    else:
        raise _Unsupported("error bodies come from the exchange's shared error schema")
    item = edit.page or edit.spec
    assert item is not None
    holder, leaf = _container(doc, root, item.name)
    properties = holder.setdefault("properties", CommentedMap())
    response = edit.kind == "response field"
    if edit.action == "add":
        assert edit.page is not None
        family = [
            f
            for f in (page.response_fields if response else page.body_fields) or []
            if f.name.startswith(edit.page.name)
        ]
        parent = edit.page.name.rpartition(".")[0]
        tree: dict[str, list[Field]] = {}
        for found in family:
            tree.setdefault(found.name.rpartition(".")[0], []).append(found)
        built = object_schema(parent, tree, response_values(page) if response else {}, [], "", response)
        properties[leaf] = built["properties"][leaf]
        if edit.page.required:
            holder.setdefault("required", CommentedSeq()).append(leaf)
    elif edit.action == "remove":
        del properties[leaf]
        if leaf in (holder.get("required") or []):
            holder["required"].remove(leaf)
    elif edit.key == "required":
        assert edit.page is not None
        required = holder.setdefault("required", CommentedSeq())
        if edit.page.required and leaf not in required:
            required.append(leaf)
        elif not edit.page.required and leaf in required:
            required.remove(leaf)
    else:
        assert edit.page is not None
        _set_schema_keyword(_ref(doc, properties[leaf]), edit.key, edit.page)


def _apply_parameter(operation: CommentedMap, page: PageOperation, edit: Edit) -> None:
    if edit.action == "add":
        assert edit.page is not None
        entry = parameter_entry(edit.page, page, response_values(page), [], "")
        operation.setdefault("parameters", CommentedSeq()).append(entry)
        return
    assert edit.spec is not None
    entry = _find_parameter(operation, edit.spec)
    if edit.action == "remove":
        operation["parameters"].remove(entry)
        return
    assert edit.page is not None
    if edit.key == "required":
        entry["required"] = bool(edit.page.required)
        if entry["required"] and "example" not in entry:
            raise _Unsupported("a required parameter needs an example the page does not show")
    elif edit.key == "conditional":
        entry["description"] = _conditional(entry.get("description"), bool(edit.page.conditional))
    elif edit.key == "type":
        field_type = field_schema(edit.page, [], False, [], "")
        for key in ("type", "format"):
            if key in field_type:
                entry["schema"][key] = field_type[key]
            elif key in entry["schema"]:
                del entry["schema"][key]
    else:
        _set_schema_keyword(entry["schema"], edit.key, edit.page)


def _apply_operation(operation: CommentedMap, page: PageOperation, spec: PageOperation, edit: Edit) -> None:
    if edit.key == "externalDocs.url":
        operation.setdefault("externalDocs", CommentedMap())["url"] = page.source_url
    elif edit.key == "x-signing.instruction":
        operation["x-signing"]["instruction"] = page.instruction
    elif edit.key == "security" and page.security_type is not None and "x-signing" in operation:
        operation["x-signing"]["security-type"] = page.security_type
    elif edit.key == "x-read-only":
        operation["x-read-only"] = page.read_only
    elif edit.key == "x-rate-limit":
        _apply_rate_limit(operation, page, spec)
    elif edit.key == "status" and edit.action == "add":
        operation["responses"][str(edit.value)] = CommentedMap({"description": f"HTTP {edit.value}."})
    elif edit.key == "status" and edit.action == "remove":
        del operation["responses"][str(edit.value)]
    else:
        raise _Unsupported(f"{edit.key} is decided by a person")


def _apply_rate_limit(operation: CommentedMap, page: PageOperation, spec: PageOperation) -> None:
    """Set what the page states (limit, window, weight, key) and, when the key changes, the budget the
    exchange attaches to it (Binance: IP or UID limit and header); a shared pool keeps all but the weight."""
    limit = operation["x-rate-limit"]
    wanted = rate_limit(page, [], "")
    if "pool" in limit:
        if page.weight is not None:
            limit["weight"] = page.weight
        return
    stated = {"limit": page.rate_limit, "window-ms": page.window_ms, "weight": page.weight, "keyed-on": page.keyed_on}
    derived = page.keyed_on is not None and page.keyed_on != spec.keyed_on
    for key, value in wanted.items():
        if stated.get(key) is not None or (derived and key != "weight"):
            limit[key] = value
    if "documented" in limit and "limit" in limit:
        del limit["documented"]


def _apply(doc: CommentedMap, page: PageOperation, spec: PageOperation, difference: Difference) -> None:
    edit = difference.edit
    if edit is None or edit.action == "review":
        raise _Unsupported("a rename or an ambiguous change: decided by a person")
    operation = _operation(doc, spec)
    if edit.kind == "operation":
        _apply_operation(operation, page, spec, edit)
    else:
        _apply_field(doc, operation, page, edit)


def update(docs: Path, specs_root: Path = SPECS_ROOT) -> UpdateReport:
    """Apply the differences between the pages under ``docs`` and the specs under ``specs_root``."""
    report = UpdateReport()
    found = check(docs, specs_root)
    by_file: dict[str, list[tuple[PageOperation, PageOperation, Difference]]] = {}
    pairs = {(page.origin, spec.origin): (page, spec) for page, spec in found.pairs}
    for difference in found.differences:
        pair = pairs.get((difference.page, difference.spec_file))
        if pair is None:
            report.review.append((difference, "not a page of one of our operations"))
            continue
        by_file.setdefault(difference.spec_file, []).append((*pair, difference))
    handler = round_trip_yaml()
    for label, items in sorted(by_file.items()):
        path = specs_root.parent / label
        try:
            before = path.read_text(encoding="utf-8")
            doc = handler.load(before)
        except (OSError, UnicodeDecodeError, YAMLError) as exc:
            report.review += [(difference, f"{label} cannot be edited: {exc}") for _, _, difference in items]
            continue
        for page, spec, difference in items:
            try:
                _apply(doc, page, spec, difference)
            except (_Unsupported, KeyError, IndexError, TypeError) as exc:
                reason = str(exc) if isinstance(exc, _Unsupported) else f"this file's shape: {type(exc).__name__} {exc}"
                report.review.append((difference, reason))
            else:
                report.applied.append(difference)
        stream = io.StringIO()
        handler.dump(double_quoted(doc), stream)
        if stream.getvalue() != before:
            path.write_text(stream.getvalue(), encoding="utf-8")
            report.written.append(label)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scripts.docs_check update-specs DOCS``: exit 0 when everything was applied, 1 when
    something is left to review, 2 on a usage error."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.docs_check update-specs",
        description="Apply the doc pages' changes to specs/ (make update-specs DOCS=...).",
    )
    parser.add_argument("docs", type=Path, help="folder of saved doc pages (*.md), any depth")
    parser.add_argument("--specs", type=Path, default=SPECS_ROOT, help="specs folder (default: %(default)s)")
    args = parser.parse_args(argv)
    docs: Path = args.docs
    if not docs.is_dir():
        print(f"update-specs: {docs}: no such folder", file=sys.stderr)
        return 2
    if not any(docs.rglob("*.md")):
        print(f"update-specs: {docs}: empty folder (no *.md pages under it)", file=sys.stderr)
        return 2
    report = update(docs, args.specs)
    print("\n".join(report.lines()))
    if report.written:
        print("then: make generate && make test")
    return 1 if report.review else 0
