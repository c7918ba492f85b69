"""Reading saved exchange doc pages (Markdown) into :class:`PageOperation` for scripts/docs_check/check.py.

Three layouts are known, as saved in ../shared/exchange-docs: ``redoc`` (Backpack's Redoc export: a
``**Source:**`` link, ``## Authentication``, ``##### query Parameters`` tables, ``### Responses`` with
``**200**`` blocks, each with its ``Response Schema: <media type>`` table), ``binance`` (developer-portal
page: the endpoint type in the title, ``## HTTP Request``, ``## Request Weight``, a parameter table and a JSON
response example) and ``okx`` (docs-v5 section: ``#### Rate Limit:``, ``#### Permission:``, ``#### HTTP
Request``, request and response parameter tables). From each table row's description the reader also takes the
values, comma-list size, bounds and default it states (:func:`fields_from_rows`). Binance and OKX pages carry
an English body followed by a Chinese one; only the English part is read.

Every function here is pure text processing. A page that cannot be read raises :class:`UnreadablePage`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scripts.docs_check._model import Field, FieldType, PageOperation

__all__ = [
    "LAYOUTS",
    "PAGE_SUFFIX",
    "Section",
    "NoEndpoint",
    "Identity",
    "UnreadablePage",
    "bounds",
    "default_value",
    "described_values",
    "detect_layout",
    "discover_pages",
    "english_part",
    "enum_values",
    "fields_from_rows",
    "identify",
    "is_english",
    "json_example",
    "list_limit",
    "parse",
    "parse_binance",
    "parse_conditional",
    "parse_okx",
    "parse_redoc",
    "parse_required",
    "parse_type",
    "read_only_permission",
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
# A page's "rate limit rule" or weight key in x-rate-limit's keyed-on vocabulary (RATE-LIMIT-CONTRACT).
KEYED_ON = {
    "ip": "ip",
    "uid": "account",
    "user id": "account",
    "user": "account",
    "master account user id": "master-account",
    "api key": "api-key",
}
# Binance's general info: /api/* endpoints share one IP-weight pool; each /sapi/* endpoint has its own budget of
# 12,000 (IP) or 180,000 (UID) weight a minute.
BINANCE_API_POOL = "api-ip-weight"
BINANCE_SAPI_LIMITS = {"ip": 12_000, "account": 180_000}
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
_BINANCE_WEIGHT = re.compile(r"(\d+)(?:[^()\d]*?\(\s*(IP|UID)\s*\))?", re.IGNORECASE)
_BINANCE_SECURITY = re.compile(r"\((NONE|TRADE|MARGIN|USER_DATA|USER_STREAM|MARKET_DATA)\)\s*$")
_OKX_PERMISSION = re.compile(r"^#+\s*Permission:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_MEDIA_TYPE = re.compile(r"Response Schema:\s*(\S.*?)\s*$", re.IGNORECASE)

# Prose that names a description's values: two or more code spans joined by commas, slashes, pipes, "or"
# or spaces, alone or after a label ending in a comma or colon ("Order side, `buy` or `sell`"), or in
# parentheses closing the sentence ("Order side (`buy`, `sell`)"). "and" is not a joint: "`isolated`
# `MARGIN` and `cross` `MARGIN`" is prose. A label giving examples ("e.g.") names examples, not values.
_SPAN = r"`[^`]+`"
_SPAN_LIST = rf"{_SPAN}(?:\s*(?:,\s*or\b|,|/|\||\bor\b)?\s*{_SPAN})+"
_LABELLED_LIST = re.compile(rf"(?:(?P<label>[^`]*?)\s*[,:\uff1a]\s*)?(?P<list>{_SPAN_LIST})")
_CLOSING_LIST = re.compile(rf"(?P<label>[^`]*?)\s*\(\s*(?P<list>{_SPAN_LIST})\s*\)")
_EXAMPLE_MARKER = re.compile(r"\b(?:e\.?g|i\.?e|for example|for instance|such as|like|example)\b", re.IGNORECASE)
# Sentences end at "; " or ". " before a capital: "e.g. `USDT`" and "v1.2" are not sentence ends.
_SENTENCE_END = re.compile(r";\s*|\.\s+(?=[A-Z])")
# A literal number, in a code span or not, not followed by a unit or a noun ("maximum 20 orders" is a
# count of something else); "and"/"or" may follow ("max 1000 and min 1").
_NUMBER = r"`?(-?\d+(?:,\d{3})*(?:\.\d+)?)`?(?!\.?\d)(?!\s*(?!(?:and|or)\b)[A-Za-z%])"
_MAXIMUM = re.compile(
    r"(?:(?:cannot|can ?not|can't|must not|may not|should not)\s+(?:be\s+)?(?:greater|larger|bigger|more)\s+than"
    r"|(?:cannot|can ?not|can't|must not|may not|should not)\s+exceed|(?:not|no)\s+(?:greater|more)\s+than"
    r"|at\s+most|less\s+than\s+or\s+equal\s+to|\bmax(?:imum)?\b(?:\s+value)?(?:\s+is|\s*[:=])?)\s*" + _NUMBER,
    re.IGNORECASE,
)
_MINIMUM = re.compile(
    r"(?:(?:cannot|can ?not|can't|must not|may not|should not)\s+(?:be\s+)?(?:less|smaller|lower|fewer)\s+than"
    r"|(?:not|no)\s+(?:less|fewer)\s+than|at\s+least|greater\s+than\s+or\s+equal\s+to"
    r"|\bmin(?:imum)?\b(?:\s+value)?(?:\s+is|\s*[:=])?)\s*" + _NUMBER,
    re.IGNORECASE,
)
_DEFAULT = re.compile(
    r"\bdefaults?\b(?:\s+value)?(?:\s+(?:is|to))?\s*[:=]?\s*(?:" + _NUMBER + r'|`([^`]+)`|"([^"]+)")',
    re.IGNORECASE,
)
# A comma-separated value's size limit: "multiple instruments (no more than 5) separated with comma".
_COMMA_LIST = re.compile(r"\bcomma", re.IGNORECASE)
_LIST_LIMIT = re.compile(
    r"(?:(?:no|not)\s+more\s+than|up\s+to|at\s+most|\bmax(?:imum)?\b(?:\s+of)?)\s*`?(\d+)\b", re.IGNORECASE
)

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


class NoEndpoint(UnreadablePage):
    """A readable page that documents no endpoint (a general page, an index, a change log).

    ``text`` is the page's English body, so a caller can still read it as a change log.
    """

    def __init__(self, reason: str, meta: dict[str, str] | None = None, text: str = "") -> None:
        super().__init__(reason)
        self.meta = meta or {}
        self.text = text


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


def parse_conditional(raw: str | None) -> bool | None:
    """OKX's ``Conditional`` -> True; another value :func:`parse_required` reads -> False; else ``None``."""
    if parse_required(raw) is None:
        return None
    return (raw or "").strip().strip("*").lower().startswith("conditional")


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


def _sentences(lines: Sequence[str]) -> Iterator[str]:
    for line in lines:
        for sentence in _SENTENCE_END.split(line.strip()):
            if sentence.strip(" ."):
                yield sentence.strip().rstrip(".").strip()


def described_values(lines: Sequence[str]) -> frozenset[str] | None:
    """The values a description names in prose, or ``None`` unless exactly one sentence names them.

    A sentence names values when it is a list of two or more code spans, alone or after a label ending in
    a comma or colon (``Order side, `buy` or `sell```), or in parentheses at its end (``Order side (`buy`,
    `sell`)``). Sentences are split at ``;`` and at ``. `` before a capital letter. Used for both pages and
    spec descriptions.
    """
    found: list[frozenset[str]] = []
    for sentence in _sentences(lines):
        match = _LABELLED_LIST.fullmatch(sentence) or _CLOSING_LIST.fullmatch(sentence)
        if match and not _EXAMPLE_MARKER.search(match["label"] or ""):
            found.append(frozenset(re.findall(r"`([^`]+)`", match["list"])))
    return found[0] if len(found) == 1 else None


def _only(values: Sequence[str]) -> str | None:
    """The one value a description states, ``None`` if it states none or several different ones."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _number(text: str | None) -> Decimal | None:
    return Decimal(text.replace(",", "")) if text else None


def list_limit(lines: Sequence[str]) -> int | None:
    """How many comma-separated values a description allows ("(no more than 5) separated with comma").

    Only a description that mentions commas states a list size; ``None`` otherwise or when it gives
    several different sizes.
    """
    text = " ".join(line.strip() for line in lines)
    if not _COMMA_LIST.search(text):
        return None
    limit = _only(_LIST_LIMIT.findall(text))
    return int(limit) if limit is not None else None


def bounds(lines: Sequence[str]) -> tuple[Decimal | None, Decimal | None]:
    """``(minimum, maximum)`` a description states for a value ("cannot be greater than `60000`").

    Inclusive bounds only, given as bare numbers (a number followed by a unit or a noun is not read). A
    comma-list description states a list size instead (:func:`list_limit`), so no bounds. Each is ``None``
    when not stated or stated as several different numbers.
    """
    text = " ".join(line.strip() for line in lines)
    if _COMMA_LIST.search(text):
        return None, None
    low = _only([n.replace(",", "") for n in _MINIMUM.findall(text)])
    high = _only([n.replace(",", "") for n in _MAXIMUM.findall(text)])
    return _number(low), _number(high)


def default_value(lines: Sequence[str]) -> str | None:
    """The literal default a description states: ``default 5000``, ``Default: `FALSE```, ``defaults to "x"``.

    A default that is not a literal ("The default value is the quote currency of `instId`") is not read;
    ``None`` too when several different ones are stated.
    """
    text = " ".join(line.strip() for line in lines)
    values = [number.replace(",", "") or coded or quoted for number, coded, quoted in _DEFAULT.findall(text)]
    return _only(values)


def fields_from_rows(rows: Sequence[Row], location: str | None) -> list[Field]:
    """Fields of one parameter table; rows prefixed ``>`` (or ``>>``...) are children of the row above.

    A child of an array row is named ``parent[].child``, a child of an object row ``parent.child``.
    ``required`` and ``conditional`` are ``None`` when the table has no Required/Mandatory column. The
    description (its cell and continuation lines) gives the explicit and prose value lists, the comma-list
    size, bounds and default.
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
        description = [row.cell(DESCRIPTION_COLUMNS) or "", *row.extra]
        minimum, maximum = bounds(description)
        prose = [line for line in description if line.strip() and enum_values([line]) is None]
        fields.append(
            Field(
                name=name,
                location=location,
                type=field_type,
                required=parse_required(row.cell(REQUIRED_COLUMNS)),
                enum=enum_values(description),
                described=described_values(description),
                conditional=parse_conditional(row.cell(REQUIRED_COLUMNS)),
                max_list_items=list_limit(description),
                minimum=minimum,
                maximum=maximum,
                default=default_value(description),
                description=" ".join(line.strip() for line in prose) or None,
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
    """Read a Redoc export page (Backpack): route, instruction, authentication, parameter tables, statuses,
    and each status's schema table and media type where the page shows one.

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
        raise NoEndpoint("Redoc page without a source URL or a method and path", meta, body)
    instruction = _INSTRUCTION.search(body)
    page.instruction = instruction[1] if instruction else None
    found = sections(body)
    page.signed = _authentication(_find(found, "authentication"))
    for section in found:
        where = re.fullmatch(r"(query|header|path|cookie) parameters", section.title.lower())
        if where:
            page.parameters += _table_fields(section, where[1]) or []
        elif section.title.lower().startswith("request body schema"):
            page.body_fields = _table_fields(section, None)
    responses = _find(found, "responses")
    if responses is not None:
        _read_redoc_responses(page, responses)
    return page


def _authentication(section: Section | None) -> bool | None:
    """Whether a Redoc "Authentication" section says the endpoint is private: "Required (Private Endpoint)"."""
    text = " ".join(line.strip() for line in section.lines if line.strip()).lower() if section else ""
    if text.startswith("required"):
        return True
    if text.startswith(("none", "not required", "public")):
        return False
    return None


def _read_redoc_responses(page: PageOperation, section: Section) -> None:
    """Set the page's statuses (``**NNN**`` lines) and, per status showing a schema, its media type and fields.

    The lowest 2xx status's fields are the ``response_fields``; the others' go to ``error_fields``.
    """
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in section.lines:
        status = _STATUS_LINE.fullmatch(line)
        if status:
            current = blocks.setdefault(status[1], [])
        elif current is not None:
            current.append(line)
    success = sorted(code for code in blocks if code.startswith("2"))
    page.statuses = frozenset(blocks)
    page.response_fields, page.error_fields, page.media_types = [], {}, {}
    for code, lines in blocks.items():
        media = next((m[1] for m in map(_MEDIA_TYPE.search, lines) if m), None)
        if media is not None:
            page.media_types[code] = frozenset({media})
        found = tables(lines)
        fields = [field for rows in found for field in fields_from_rows(rows, None)]
        if success and code == success[0]:
            page.response_fields = fields
        elif found:
            page.error_fields[code] = fields


def parse_binance(origin: str, exchange: str, meta: dict[str, str], body: str) -> PageOperation:
    """Read a Binance developer-portal page: route, endpoint security type (the title's ``(USER_DATA)``),
    weight and its key, parameters, example response.

    Parameters are in the query for GET and DELETE; for other methods Binance accepts them in the query or
    the body, so their location is left open (``None``) and ``body_fields`` is ``None``. Response fields
    come from the JSON example, which gives names and JSON types but not required flags. Raises
    :class:`UnreadablePage` without an HTTP request line.
    """
    found = sections(body)
    method, path = _route(_find(found, "http request"))
    if method is None:
        raise NoEndpoint("Binance page without an HTTP request line (GET `/path`)", meta, body)
    page = PageOperation(origin=origin, exchange=exchange, method=method, path=path, source_url=meta.get("source_url"))
    title = next((section.title for section in found if section.level == 1), "")
    security = _BINANCE_SECURITY.search(title)
    page.security_type = security[1] if security else None
    weight_section = _find(found, "request weight")
    if weight_section is not None:
        text = "\n".join(weight_section.lines)
        weights = [(int(m[1]), m[2]) for m in _BINANCE_WEIGHT.finditer(text)]
        keys = {key.lower() for _, key in weights if key} or {(_parenthesised_key(weight_section.title) or "").lower()}
        page.weights = tuple(sorted({weight for weight, _ in weights}))
        # Several weights ("1 when coin is specified; 5 when omitted") state no single one.
        page.weight = page.weights[0] if len(page.weights) == 1 else None
        if len(page.weights) > 1:
            page.notes.append(f"request weight varies ({', '.join(map(str, page.weights))}): not compared")
        key = keys.pop() if len(keys) == 1 else None
        page.keyed_on = KEYED_ON.get(key, key) if key else None
        if (path or "").startswith("/api/"):
            page.pool = BINANCE_API_POOL
        elif (path or "").startswith("/sapi/") and page.keyed_on in BINANCE_SAPI_LIMITS:
            page.rate_limit, page.window_ms = BINANCE_SAPI_LIMITS[page.keyed_on], WINDOW_MS["minute"]
    location = "query" if method in QUERY_METHODS else None
    page.parameters = _table_fields(_find(found, "request parameters", "parameters"), location) or []
    page.body_fields = [] if method in QUERY_METHODS else None
    example = _find(found, "response example", "response")
    if example is not None:
        page.response_example = json_example("\n".join(example.lines))
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
    value = json_example(text)
    return None if value is None else _json_fields(value, "")


def json_example(text: str) -> Any:
    """The first JSON value in ``text`` (comments, trailing commas and typographic quotes tolerated), or
    ``None`` if there is none that parses."""
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    cleaned = re.sub(r",(\s*[}\]])", r"\1", _strip_json_comments(text))
    starts = [i for i in (cleaned.find("{"), cleaned.find("[")) if i >= 0]
    if not starts:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(cleaned, min(starts))
    except ValueError:
        return None
    return value


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
        fields.append(Field(name=name, type=_json_type(item), example=item))
        if isinstance(item, dict):
            fields += _json_fields(item, f"{name}.")
        elif isinstance(item, list):
            fields += _json_fields(item, f"{name}[].")
    return fields


def parse_okx(origin: str, exchange: str, meta: dict[str, str], body: str) -> PageOperation:
    """Read an OKX docs-v5 section: route, rate limit and rule, permission, request and response tables.

    Request parameters are query parameters for GET and DELETE and body fields otherwise. Response fields
    are the items of the envelope's ``data``, as OKX documents them. Raises :class:`UnreadablePage`
    without an HTTP request line.
    """
    found = sections(body)
    method, path = _route(_find(found, "http request"))
    if method is None:
        raise NoEndpoint("OKX page without an HTTP request line (`GET /api/v5/...`)", meta, body)
    page = PageOperation(origin=origin, exchange=exchange, method=method, path=path, source_url=meta.get("source_url"))
    rate = _OKX_RATE.search(body)
    if rate:
        page.rate_limit = int(rate[1])
        page.window_ms = int(rate[2] or 1) * WINDOW_MS[rate[3].lower()]
    rule = _OKX_RULE.search(body)
    if rule:
        text = rule[1].strip().lower()
        page.keyed_on = KEYED_ON.get(text, text)
    permission = _OKX_PERMISSION.search(body)
    if permission:
        page.permission = permission[1]
        page.read_only = read_only_permission(permission[1])
    request = _table_fields(_find(found, "request parameters"), "query" if method in QUERY_METHODS else None)
    if method in QUERY_METHODS:
        page.parameters = request or []
    else:
        page.body_fields = request or []
    page.response_fields = _table_fields(_find(found, "response parameters"), None)
    page.request_example, page.response_example = _okx_examples(body, method, path or "")
    if page.response_fields is not None and isinstance(page.response_example, dict):
        page.response_fields = _with_examples(page.response_fields, page.response_example.get("data"))
    return page


def _okx_examples(body: str, method: str, path: str) -> tuple[dict[str, str] | None, Any]:
    """The query (or JSON body) of an OKX page's request example and its parsed response example.

    OKX shows both as quoted blocks (``> Request Example``, ``> Response Example``) followed by indented
    code; the request example is the first ``METHOD /path?query`` line (or JSON after a POST line).
    """
    request: dict[str, str] | None = None
    query = re.search(rf"^\s*{method}\s+{re.escape(path)}\?(\S+)\s*$", body, re.MULTILINE)
    if query:
        request = dict(parse_qsl(query[1], keep_blank_values=True))
    response = None
    marker = re.search(r"^>\s*Response Example", body, re.MULTILINE)
    if marker:
        end = re.search(r"^#", body[marker.end() :], re.MULTILINE)
        response = json_example(body[marker.end() : marker.end() + end.start() if end else len(body)])
    if not isinstance(response, dict):
        # Some pages lose the marker (or carry it in Chinese): the envelope shown last before the response
        # table is the response example.
        table = re.search(r"^#+\s*Response Parameters", body, re.MULTILINE | re.IGNORECASE)
        head = body[: table.start() if table else len(body)]
        for brace in reversed([m.start() for m in re.finditer(r"^\s*\{\s*$", head, re.MULTILINE)]):
            candidate = json_example(head[brace:])
            if isinstance(candidate, dict) and "code" in candidate and "data" in candidate:
                response = candidate
                break
    if request is None and method not in QUERY_METHODS:
        shown = re.search(r"^>\s*Request Example", body, re.MULTILINE)
        if shown:
            stop = marker.start() if marker and marker.start() > shown.end() else len(body)
            found = json_example(body[shown.end() : stop])
            if isinstance(found, dict):
                request = {key: value if isinstance(value, str) else json.dumps(value) for key, value in found.items()}
    return request, response


def _with_examples(fields: list[Field], data: Any) -> list[Field]:
    """``fields`` with the value each one has in a response example's items, where the example shows one."""
    shown = {found.name: found.example for found in _json_fields(data, "")} if data is not None else {}
    return [replace(found, example=shown[found.name]) if found.name in shown else found for found in fields]


def read_only_permission(permission: str) -> bool | None:
    """What an OKX permission implies for ``x-read-only``: Read -> True; Trade or Withdraw -> False; else None.

    A key with only Read permission cannot change anything, so such an endpoint only reads; one that needs
    Trade or Withdraw permission is taken to change state (retrying it could act twice).
    """
    words = set(re.findall(r"[a-z]+", permission.lower()))
    if words & {"trade", "withdraw"}:
        return False
    return True if "read" in words else None


Parser = Callable[[str, str, dict[str, str], str], PageOperation]
LAYOUTS: dict[str, Parser] = {"redoc": parse_redoc, "binance": parse_binance, "okx": parse_okx}


@dataclass(frozen=True)
class Identity:
    """What a quick look at a page gives, before its tables are read: enough to tell whether it can be a
    page of one of our operations (:func:`identify`)."""

    origin: str
    meta: dict[str, str]
    body: str
    layout: str
    exchange: str
    source_url: str | None
    route: tuple[str, str] | None


def identify(path: Path, folder: Path) -> Identity:
    """Read one saved page as far as its layout, exchange, source URL and route (the one of its HTTP
    request section, or Redoc's route line), which is all :func:`match <scripts.docs_check.check.match_operation>`
    needs.

    Raises :class:`UnreadablePage` for a file that is not UTF-8 text, is binary, empty, in another language
    only, or in no known layout.
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
    if not is_english(body):
        raise UnreadablePage("no English text (the page is in another language only)")
    layout = detect_layout(meta, body)
    if layout is None:
        raise UnreadablePage("no known page layout (Backpack Redoc, Binance developer portal, OKX docs-v5)")
    source_url = meta.get("source_url") or _source_link(body)
    exchange = meta.get("exchange", "").lower() or _host_exchange(source_url) or LAYOUT_EXCHANGE[layout]
    route = _quick_route(layout, body)
    return Identity(path.relative_to(folder).as_posix(), meta, body, layout, exchange, source_url, route)


_REQUEST_HEADING = re.compile(r"^#+\s*HTTP Request.*$", re.MULTILINE | re.IGNORECASE)


def _quick_route(layout: str, body: str) -> tuple[str, str] | None:
    """The route of the page's HTTP request section (or Redoc's route line), without reading the page."""
    heading = _REQUEST_HEADING.search(body)
    if heading:
        end = body.find("\n#", heading.end())
        match = _ROUTE.search(body, heading.end(), end if end >= 0 else len(body))
        return (match[1].upper(), match[2]) if match else None
    match = _REDOC_ROUTE.search(body) if layout == "redoc" else None
    return (match[1].upper(), match[2]) if match else None


def parse(identity: Identity) -> PageOperation:
    """The whole page of an :func:`identify`-ed file; raises :class:`NoEndpoint` when it documents none."""
    page = LAYOUTS[identity.layout](identity.origin, identity.exchange, identity.meta, identity.body)
    page.title = next((title for _, level, title in _headings(identity.body.splitlines()) if level == 1), None)
    return page


def read_page(path: Path, folder: Path) -> PageOperation:
    """Read one saved page into a :class:`PageOperation` whose ``origin`` is its path under ``folder``.

    Raises :class:`UnreadablePage` for a file that is not UTF-8 text, is empty, in another language only or
    in no known layout, and :class:`NoEndpoint` for a page that documents no endpoint.
    """
    return parse(identify(path, folder))


# The start of a page is enough to tell its language, and reading all of every page of a tree is not cheap.
PROSE_SAMPLE = 6000
_LATIN = re.compile(r"[A-Za-z]")
_INDENTED = re.compile(r"^(?: {4}|\t).*$", re.MULTILINE)
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z]")
_CODE = re.compile(r"```.*?```|`[^`\n]*`|\]\([^)]*\)|https?://\S+", re.DOTALL)


def is_english(body: str) -> bool:
    """Whether the page is in English: its top-level titles (else its prose without code, links and URLs)
    mostly in Latin script.

    A page saved in Chinese only (its English half missing) has nothing the readers can rely on.
    """
    if body.isascii():
        return True
    titles = [title for _, level, title in _headings(body.splitlines()) if level == 1]
    # Code, links and indented code blocks are English on every page; a page's titles say its language.
    prose = " ".join(titles) if titles else _INDENTED.sub(" ", _CODE.sub(" ", body[:PROSE_SAMPLE]))
    prose = _CODE.sub(" ", prose)
    return len(_LATIN.findall(prose)) >= len(_OTHER_LETTER.findall(prose))
