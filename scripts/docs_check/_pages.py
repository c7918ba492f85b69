"""Reading saved exchange doc pages (Markdown) into :class:`PageOperation` for scripts/docs_check/check.py.

Three layouts are known, as saved in ../shared/exchange-docs: ``redoc`` (Backpack's Redoc export: a
``**Source:**`` link, ``##### query Parameters`` tables, ``### Responses`` with ``**200**`` blocks),
``binance`` (developer-portal page: ``## HTTP Request``, ``## Request Weight``, a parameter table and a JSON
response example) and ``okx`` (docs-v5 section: ``#### Rate Limit:``, ``#### HTTP Request``, request and
response parameter tables). Binance and OKX pages carry an English body followed by a Chinese one; only the
English part is read.

Every function here is pure text processing. A page that cannot be read raises :class:`UnreadablePage`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts.docs_check._model import Field, FieldType, PageOperation

__all__ = [
    "LAYOUTS",
    "PAGE_SUFFIX",
    "Section",
    "UnreadablePage",
    "detect_layout",
    "discover_pages",
    "english_part",
    "enum_values",
    "fields_from_rows",
    "parse_binance",
    "parse_okx",
    "parse_redoc",
    "parse_required",
    "parse_type",
    "read_page",
    "sections",
    "split_front_matter",
    "tables",
]

PAGE_SUFFIX = ".md"
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
# Exchanges whose requests carry parameters in the query for these methods and in the body otherwise.
QUERY_METHODS = ("GET", "DELETE")
EXCHANGE_HOSTS = {"backpack.exchange": "backpack", "binance.com": "binance", "okx.com": "okx"}
LAYOUT_EXCHANGE = {"redoc": "backpack", "binance": "binance", "okx": "okx"}
KEYED_ON = {"ip": "ip", "uid": "user", "user id": "user", "user": "user"}
WINDOW_MS = {"second": 1000, "minute": 60_000, "hour": 3_600_000}

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_ROUTE = re.compile(r"\b(GET|POST|PUT|DELETE|PATCH)\b\s*`?\s*(/[^\s`]+)", re.IGNORECASE)
_REDOC_ROUTE = re.compile(r"^\s*`?(get|post|put|delete|patch)\s+(/[^\s`]*)`?\s*$", re.IGNORECASE | re.MULTILINE)
_SOURCE_LINK = re.compile(r"\*\*Source:\*\*\s*\[[^\]]*\]\((\S+?)\)")
_INSTRUCTION = re.compile(r"\*\*Instruction:\*\*\s*`([^`]+)`")
_STATUS_LINE = re.compile(r"\s*\*\*([1-5]\d\d)\*\*\s*")
_ONLY_CODE_SPANS = re.compile(r"(?:`[^`]+`[\s,]*)+")
_CODE_SPAN_THEN_COLON = re.compile(r"`([^`]+)`\s*[:：]")
_ENUM_PREFIX = re.compile(r"enum\s*:\s*(.*)", re.IGNORECASE)
_OKX_RATE = re.compile(r"Rate Limit:\s*(\d+)\s+requests?\s+per\s+(\d+\s*)?(second|minute|hour)s?", re.IGNORECASE)
_OKX_RULE = re.compile(r"Rate limit rule:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_BINANCE_WEIGHT = re.compile(r"(\d+)\s*(?:\(\s*(IP|UID)\s*\))?", re.IGNORECASE)

NAME_COLUMNS = ("parameter", "parameters", "name", "field")
TYPE_COLUMNS = ("type", "types")
REQUIRED_COLUMNS = ("required", "mandatory")
DESCRIPTION_COLUMNS = ("description",)

# Page spellings of a base type, as (JSON Schema type, format the spelling implies).
_BASE_TYPES: dict[str, tuple[str, str | None]] = {
    "string": ("string", None),
    "str": ("string", None),
    "enum": ("string", None),
    "decimal": ("string", "decimal"),
    "long": ("integer", "int64"),
    "int": ("integer", None),
    "integer": ("integer", None),
    "number": ("number", None),
    "double": ("number", None),
    "float": ("number", None),
    "boolean": ("boolean", None),
    "bool": ("boolean", None),
    "object": ("object", None),
    "array": ("array", None),
    "list": ("array", None),
}


class UnreadablePage(Exception):
    """A page that is empty, not text, or in no known layout; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Section:
    """A heading and the raw lines under it, up to the next heading of the same or a higher level."""

    level: int
    title: str
    lines: list[str]


@dataclass(frozen=True)
class Row:
    """One table row: cells keyed by the lower-cased column header, plus the lines that continue it."""

    cells: dict[str, str]
    extra: list[str]

    def cell(self, names: Sequence[str]) -> str | None:
        """The first of the named columns this row's table has, or ``None`` if it has none of them."""
        for name in names:
            if name in self.cells:
                return self.cells[name]
        return None


def discover_pages(folder: Path) -> list[Path]:
    """Every ``*.md`` file under ``folder`` (recursively), sorted, skipping hidden files and folders."""
    return sorted(
        path
        for path in folder.rglob(f"*{PAGE_SUFFIX}")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a leading ``---`` block of ``key: value`` lines off ``text``: return (lower-cased keys, body).

    Text without a closed front-matter block is returned whole, with an empty mapping.
    """
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            meta: dict[str, str] = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep:
                    meta[key.strip().lower()] = value.strip().strip("'\"")
            return meta, "\n".join(lines[end + 1 :])
    return {}, text


def _headings(lines: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """Yield ``(line index, level, title)`` for each ATX heading outside fenced code blocks."""
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            yield index, len(match[1]), _LINK.sub(r"\1", match[2]).strip()


def english_part(body: str) -> str:
    """The body up to the first later top-level heading written in Chinese (or other CJK) script.

    Bilingual pages repeat the whole page in Chinese after a ``---`` rule; the rule is dropped too. A page
    without such a heading is returned whole.
    """
    lines = body.splitlines()
    first_h1_seen = False
    for index, level, title in _headings(lines):
        if level != 1:
            continue
        if first_h1_seen and _CJK.search(title):
            kept = lines[:index]
            while kept and kept[-1].strip() in ("", "---", "***", "___"):
                kept.pop()
            return "\n".join(kept)
        first_h1_seen = True
    return body


def sections(text: str) -> list[Section]:
    """Every heading of ``text`` with its lines (link markup removed from titles), in page order."""
    lines = text.splitlines()
    heads = list(_headings(lines))
    result = []
    for number, (index, level, title) in enumerate(heads):
        end = next((i for i, lv, _ in heads[number + 1 :] if lv <= level), len(lines))
        result.append(Section(level, title, lines[index + 1 : end]))
    return result


def _find(found: Sequence[Section], *prefixes: str) -> Section | None:
    """The first section whose lower-cased title starts with one of ``prefixes``."""
    for section in found:
        if section.title.lower().startswith(prefixes):
            return section
    return None


def _split_row(line: str, columns: int) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    # The last column is free text and may itself contain a pipe.
    cells = [cell.strip() for cell in text.split("|", columns - 1)]
    return cells + [""] * (columns - len(cells))


def _header_name(cell: str) -> str:
    return re.sub(r"[*_`]", "", cell).strip().lower()


def tables(lines: Sequence[str]) -> list[list[Row]]:
    """Every Markdown pipe table in ``lines`` (with or without outer pipes) as a list of rows.

    A table is a header line followed by a ``---|---`` separator. It runs to a blank line, a heading or a
    quote line; a line without a pipe inside it continues the previous row's description (OKX writes enum
    values and notes that way).
    """
    found: list[list[Row]] = []
    index = 0
    while index + 1 < len(lines):
        if "|" not in lines[index] or not _SEPARATOR.match(lines[index + 1]):
            index += 1
            continue
        header = [_header_name(cell) for cell in _split_row(lines[index], lines[index].count("|") + 1)]
        header = [name for name in header if name] or header
        rows: list[Row] = []
        index += 2
        while index < len(lines):
            line = lines[index]
            stripped = line.strip()
            if not stripped or stripped.startswith("#") or (stripped.startswith(">") and "|" not in stripped):
                break
            if "|" in stripped:
                rows.append(Row(dict(zip(header, _split_row(line, len(header)), strict=True)), []))
            elif rows:
                rows[-1].extra.append(stripped)
            index += 1
        found.append(rows)
    return found


def parse_type(raw: str | None) -> FieldType | None:
    """A page's type cell in the spec's vocabulary (``LONG`` -> integer int64, ``string <decimal>``, ...).

    Returns ``None`` for an empty cell; a spelling it does not know becomes a :class:`FieldType` whose base
    is that spelling, so it shows up as a difference rather than being ignored.
    """
    if raw is None:
        return None
    text = re.sub(r"\([^)]*\)", "", raw)  # Redoc appends schema names: "string (MarginFunction)"
    text = re.sub(r"[`*]", "", text).strip().lower()
    text = re.sub(r"\s+or\s+null$", "", text)
    if not text:
        return None
    array = re.fullmatch(r"array(?:\s+of\s+(\w+)|\s*[<\[]\s*(\w+)\s*[>\]])?", text)
    if array:
        items = array[1] or array[2]
        if items is None:
            return FieldType("array")
        singular = items[:-1] if items.endswith("s") and items[:-1] in _BASE_TYPES else items
        return FieldType("array", _BASE_TYPES.get(singular, (singular, None))[0])
    formatted = re.fullmatch(r"(\w+)\s*<\s*([\w-]+)\s*>", text)
    if formatted:
        base = _BASE_TYPES.get(formatted[1], (formatted[1], None))[0]
        return FieldType(base, None, formatted[2])
    base, implied_format = _BASE_TYPES.get(text, (text, None))
    return FieldType(base, None, implied_format)


def parse_required(raw: str | None) -> bool | None:
    """``Yes``/``YES``/``required`` -> True; ``No``/``optional``/``Conditional`` -> False; else ``None``.

    OKX's "Conditional" means "required only in some combinations", which a schema can only express as
    optional.
    """
    text = (raw or "").strip().strip("*").lower()
    if text.startswith(("yes", "true", "required", "mandatory")):
        return True
    if text.startswith(("no", "false", "optional", "conditional")):
        return False
    return None


def enum_values(lines: Sequence[str]) -> frozenset[str] | None:
    """The values a description lists, or ``None`` when it lists none.

    A value list is a line made only of code spans (OKX: ``\\`isolated\\` \\`cross\\```), lines that start
    with a code span and a colon (``\\`buy\\`: buy``), or Redoc's ``Enum: "a" "b"``. Prose that merely
    mentions a code span is not a list.
    """
    values: list[str] = []
    for line in lines:
        text = line.strip()
        prefixed = _ENUM_PREFIX.match(text)
        if prefixed:
            values += [quoted or coded for quoted, coded in re.findall(r'"([^"]*)"|`([^`]*)`', prefixed[1])]
        elif _ONLY_CODE_SPANS.fullmatch(text):
            values += re.findall(r"`([^`]+)`", text)
        else:
            labelled = _CODE_SPAN_THEN_COLON.match(text)
            if labelled:
                values.append(labelled[1])
    return frozenset(values) if values else None


def fields_from_rows(rows: Sequence[Row], location: str | None) -> list[Field]:
    """Fields of one parameter table; rows prefixed ``>`` (or ``>>``...) are children of the row above.

    A child of an array row is named ``parent[].child``, a child of an object row ``parent.child``.
    ``required`` is ``None`` when the table has no Required/Mandatory column.
    """
    fields: list[Field] = []
    parents: list[tuple[str, FieldType | None]] = []
    for row in rows:
        raw_name = row.cell(NAME_COLUMNS) or ""
        unmarked = raw_name.lstrip(" \t>›")
        marker = raw_name[: len(raw_name) - len(unmarked)]
        depth = marker.count(">") + marker.count("›")
        name = re.sub(r"[`*\\]", "", unmarked).strip()
        if not name:
            continue
        field_type = parse_type(row.cell(TYPE_COLUMNS))
        depth = min(depth, len(parents))
        if depth:
            parent_name, parent_type = parents[depth - 1]
            joint = "[]." if parent_type is not None and parent_type.base == "array" else "."
            name = f"{parent_name}{joint}{name}"
        parents = [*parents[:depth], (name, field_type)]
        description = row.cell(DESCRIPTION_COLUMNS) or ""
        fields.append(
            Field(
                name=name,
                location=location,
                type=field_type,
                required=parse_required(row.cell(REQUIRED_COLUMNS)),
                enum=enum_values([description, *row.extra]),
            )
        )
    return fields


def _table_fields(section: Section | None, location: str | None) -> list[Field] | None:
    """Fields of every table in a section, ``None`` when the section is absent."""
    if section is None:
        return None
    return [field for rows in tables(section.lines) for field in fields_from_rows(rows, location)]


def _source_link(body: str) -> str | None:
    match = _SOURCE_LINK.search(body)
    return match[1] if match else None


def _host_exchange(url: str | None) -> str | None:
    try:
        host = (urlsplit(url).hostname or "") if url else ""
    except ValueError:  # a malformed URL (an unclosed "[") names no host
        return None
    for suffix, exchange in EXCHANGE_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return exchange
    return None


def detect_layout(meta: dict[str, str], body: str) -> str | None:
    """The page's layout (a key of :data:`LAYOUTS`), or ``None`` if it is none we know.

    Decided by the front matter's ``exchange:``, else the host of the source URL, else the page's
    characteristic headings.
    """
    by_exchange = {exchange: layout for layout, exchange in LAYOUT_EXCHANGE.items()}
    named = by_exchange.get(meta.get("exchange", "").lower())
    if named:
        return named
    hosted = by_exchange.get(_host_exchange(meta.get("source_url") or _source_link(body)) or "")
    if hosted:
        return hosted
    titles = [section.title.lower() for section in sections(body)]
    if any(title.startswith("request weight") for title in titles):
        return "binance"
    if any(title.startswith("rate limit:") for title in titles) and "http request" in titles:
        return "okx"
    if "responses" in titles and any(title.endswith(" parameters") or "schema" in title for title in titles):
        return "redoc"
    return None


def _route(section: Section | None) -> tuple[str | None, str | None]:
    match = _ROUTE.search("\n".join(section.lines)) if section else None
    return (match[1].upper(), match[2]) if match else (None, None)


def parse_redoc(origin: str, exchange: str, meta: dict[str, str], body: str) -> PageOperation:
    """Read a Redoc export page (Backpack): route, instruction, parameter tables, statuses, 200 fields.

    The saved pages name the method only in the title (``# GET max borrow quantity.``) and give no path;
    a Redoc ``get /api/...`` line is used when present. Raises :class:`UnreadablePage` when the page gives
    neither a source URL nor a method and path to match it by.
    """
    page = PageOperation(origin=origin, exchange=exchange, source_url=meta.get("source_url") or _source_link(body))
    route = _REDOC_ROUTE.search(body)
    if route:
        page.method, page.path = route[1].upper(), route[2]
    else:
        title = next((t for _, level, t in _headings(body.splitlines()) if level == 1), "")
        # Only an upper-case first word is the method; "Get max ..." is just a summary starting with a verb.
        first_word = title.split(" ", 1)[0]
        page.method = first_word if first_word in HTTP_METHODS else None
    if page.source_url is None and (page.method is None or page.path is None):
        raise UnreadablePage("Redoc page without a source URL or a method and path")
    instruction = _INSTRUCTION.search(body)
    page.instruction = instruction[1] if instruction else None
    found = sections(body)
    for section in found:
        where = re.fullmatch(r"(query|header|path|cookie) parameters", section.title.lower())
        if where:
            page.parameters += _table_fields(section, where[1]) or []
        elif section.title.lower().startswith("request body schema"):
            page.body_fields = _table_fields(section, None)
    responses = _find(found, "responses")
    if responses is not None:
        page.statuses, page.response_fields = _redoc_responses(responses)
    return page


def _redoc_responses(section: Section) -> tuple[frozenset[str], list[Field]]:
    """Statuses listed as ``**NNN**`` lines, and the fields of the lowest 2xx status's schema table."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in section.lines:
        status = _STATUS_LINE.fullmatch(line)
        if status:
            current = blocks.setdefault(status[1], [])
        elif current is not None:
            current.append(line)
    success = sorted(code for code in blocks if code.startswith("2"))
    lines = blocks[success[0]] if success else []
    fields = [field for rows in tables(lines) for field in fields_from_rows(rows, None)]
    return frozenset(blocks), fields


def parse_binance(origin: str, exchange: str, meta: dict[str, str], body: str) -> PageOperation:
    """Read a Binance developer-portal page: route, weight and its key, parameters, example response.

    Parameters are in the query for GET and DELETE; for other methods Binance accepts them in the query or
    the body, so their location is left open (``None``) and ``body_fields`` is ``None``. Response fields
    come from the JSON example, which gives names and JSON types but not required flags. Raises
    :class:`UnreadablePage` without an HTTP request line.
    """
    found = sections(body)
    method, path = _route(_find(found, "http request"))
    if method is None:
        raise UnreadablePage("Binance page without an HTTP request line (GET `/path`)")
    page = PageOperation(origin=origin, exchange=exchange, method=method, path=path, source_url=meta.get("source_url"))
    weight_section = _find(found, "request weight")
    if weight_section is not None:
        weight = _BINANCE_WEIGHT.search("\n".join(weight_section.lines))
        key = (weight[2] if weight and weight[2] else None) or _parenthesised_key(weight_section.title)
        page.weight = int(weight[1]) if weight else None
        page.keyed_on = KEYED_ON.get(key.lower(), key.lower()) if key else None
    location = "query" if method in QUERY_METHODS else None
    page.parameters = _table_fields(_find(found, "request parameters", "parameters"), location) or []
    page.body_fields = [] if method in QUERY_METHODS else None
    example = _find(found, "response example", "response")
    if example is not None:
        page.response_fields = _json_example_fields("\n".join(example.lines))
        if page.response_fields is None:
            page.notes.append("response example is not JSON; response fields not compared")
    return page


def _parenthesised_key(title: str) -> str | None:
    match = re.search(r"\((IP|UID)\)", title, re.IGNORECASE)
    return match[1] if match else None


def _strip_json_comments(text: str) -> str:
    """``text`` without ``//`` and ``/* */`` comments outside strings (Binance annotates its examples)."""
    out: list[str] = []
    index, in_string = 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\" and index + 1 < len(text):
                out.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _json_example_fields(text: str) -> list[Field] | None:
    """Fields of the first JSON value in ``text``, or ``None`` if there is none that parses."""
    cleaned = re.sub(r",(\s*[}\]])", r"\1", _strip_json_comments(text))
    starts = [i for i in (cleaned.find("{"), cleaned.find("[")) if i >= 0]
    if not starts:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(cleaned, min(starts))
    except ValueError:
        return None
    return _json_fields(value, "")


def _json_type(value: Any) -> FieldType | None:
    if isinstance(value, bool):
        return FieldType("boolean")
    if isinstance(value, int):
        return FieldType("integer")
    if isinstance(value, float):
        return FieldType("number")
    if isinstance(value, str):
        return FieldType("string")
    if isinstance(value, dict):
        return FieldType("object")
    if isinstance(value, list):
        item = _json_type(value[0]) if value else None
        return FieldType("array", item.base if item else None)
    return None


def _json_fields(value: Any, prefix: str) -> list[Field]:
    """Dotted fields of a JSON example; the items of a list are merged, as the spec describes one item."""
    if isinstance(value, list):
        merged: dict[str, Field] = {}
        for item in value:
            for found in _json_fields(item, prefix):
                merged.setdefault(found.name, found)
        return list(merged.values())
    if not isinstance(value, dict):
        return []
    fields: list[Field] = []
    for key, item in value.items():
        name = f"{prefix}{key}"
        fields.append(Field(name=name, type=_json_type(item)))
        if isinstance(item, dict):
            fields += _json_fields(item, f"{name}.")
        elif isinstance(item, list):
            fields += _json_fields(item, f"{name}[].")
    return fields


def parse_okx(origin: str, exchange: str, meta: dict[str, str], body: str) -> PageOperation:
    """Read an OKX docs-v5 section: route, rate limit and rule, request and response parameter tables.

    Request parameters are query parameters for GET and DELETE and body fields otherwise. Response fields
    are the items of the envelope's ``data``, as OKX documents them. Raises :class:`UnreadablePage`
    without an HTTP request line.
    """
    found = sections(body)
    method, path = _route(_find(found, "http request"))
    if method is None:
        raise UnreadablePage("OKX page without an HTTP request line (`GET /api/v5/...`)")
    page = PageOperation(origin=origin, exchange=exchange, method=method, path=path, source_url=meta.get("source_url"))
    rate = _OKX_RATE.search(body)
    if rate:
        page.rate_limit = int(rate[1])
        page.window_ms = int(rate[2] or 1) * WINDOW_MS[rate[3].lower()]
    rule = _OKX_RULE.search(body)
    if rule:
        text = rule[1].strip().lower()
        page.keyed_on = KEYED_ON.get(text, text)
    request = _table_fields(_find(found, "request parameters"), "query" if method in QUERY_METHODS else None)
    if method in QUERY_METHODS:
        page.parameters = request or []
    else:
        page.body_fields = request or []
    page.response_fields = _table_fields(_find(found, "response parameters"), None)
    return page


Parser = Callable[[str, str, dict[str, str], str], PageOperation]
LAYOUTS: dict[str, Parser] = {"redoc": parse_redoc, "binance": parse_binance, "okx": parse_okx}


def read_page(path: Path, folder: Path) -> PageOperation:
    """Read one saved page into a :class:`PageOperation` whose ``origin`` is its path under ``folder``.

    Raises :class:`UnreadablePage` for a file that is not UTF-8 text, is empty, has no known layout, or lacks
    what its layout's parser needs to identify the operation.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise UnreadablePage(f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UnreadablePage("not UTF-8 text") from None
    if "\x00" in text:
        raise UnreadablePage("binary file")
    if not text.strip():
        raise UnreadablePage("empty file")
    meta, body = split_front_matter(text)
    body = english_part(body)
    layout = detect_layout(meta, body)
    if layout is None:
        raise UnreadablePage("no known page layout (Backpack Redoc, Binance developer portal, OKX docs-v5)")
    exchange = (
        meta.get("exchange", "").lower()
        or _host_exchange(meta.get("source_url") or _source_link(body))
        or LAYOUT_EXCHANGE[layout]
    )
    return LAYOUTS[layout](path.relative_to(folder).as_posix(), exchange, meta, body)
