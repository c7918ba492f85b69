"""Doc-drift check: compare saved exchange API doc pages with our specs and name the spec file to edit.

Usage::

    python -m scripts.docs_check DOCS_FOLDER [--specs SPECS_DIR]     (make check-docs DOCS=<folder>)

Every ``*.md`` page under DOCS_FOLDER, at any depth (a scraped tree of an exchange's whole docs will do), is
first identified cheaply (layout: Backpack Redoc export, Binance developer portal, OKX docs-v5; only the English
half of bilingual pages; its source URL and the route of its HTTP request section). Only a page that can be one
of ours is read whole and matched to an operation in ``specs/<exchange>/endpoints/*.yaml``: by its source URL
(front matter ``source_url:`` or the ``**Source:**`` link) against ``externalDocs.url``, else by method and path.
Pages of other endpoints and pages documenting none are skipped and counted; change logs among the latter are
read for dated entries naming one of our paths. Each matched pair is compared and every disagreement printed as
one line::

    <page> -> <spec file>: <what>: page=<page value> spec=<spec value>

What is compared, and the rules that keep the current pages and specs at zero differences:

* Method, path, source URL (``externalDocs.url``), Backpack's ``x-signing.instruction``.
* Access: Backpack's "Authentication: Required" against a non-empty ``security``; the endpoint type in a
  Binance title ("Query Max Borrow (USER_DATA)") against ``x-signing.security-type`` (a page's NONE
  matches a spec without one); an OKX "Permission:" against ``x-read-only``: Read means true, Trade or
  Withdraw false.
* Parameters against the operation's ``parameters`` plus ``x-signing.auth-parameters`` (what the auth hook
  adds): presence, location, type, required, OKX's Conditional, and the enum where the page lists values.
  Request body fields likewise, nested ones as ``supCollateral[].ccy``. Where the page states them, also:
  a comma list's size ("(no more than 5) separated with comma") against ``x-max-list-items``; inclusive
  bounds ("cannot be greater than `60000`", "maximum 60000") against ``minimum``/``maximum``; a literal
  default ("default 5000") against ``default``.
* Response fields of the success (200) response against the page's: presence, type, and required where
  the page says (Backpack). OKX pages document the items of the envelope's ``data``. Values a page lists
  for a response field are compared with the values the spec field's description names ("Order side
  (`buy`, `sell`)"): the bundler keeps response fields plain strings, so the description is where they live.
* For each status a page shows a schema for (Backpack): its media type (``content``'s key) and, for
  statuses other than the success one, its body fields, compared as response fields are.
* ``x-rate-limit``: limit and window (OKX), weight (Binance) and what the limit is keyed on (IP, UID, User ID,
  Master Account User ID read as ``ip``, ``account``, ``master-account``); for Binance also the budget its general
  info gives the path: the ``api-ip-weight`` pool for ``/api/*``, 12,000 (IP) or 180,000 (UID) a minute of its own
  for ``/sapi/*``. A pool's numbers are read from ``_base.yaml``.
* Statuses the page lists (Backpack) against the spec's response codes without ``x-documented-on``.

Judgement calls:

* A value the page does not state is not compared (a missing OKX weight, Backpack's absent rate limit,
  a bare ``String`` against a spec's ``string <decimal>``: formats are compared only when the page names
  one; a page that stops mentioning a list size). A list the page does give (parameters, fields, statuses)
  is compared in both directions.
* Value lists: a page's explicit list (a line of code spans only, lines starting with a code span and a
  colon, Redoc's ``Enum:``) is compared even against a spec with none. Values a page only names in prose
  (one sentence that is a list of two or more code spans joined by commas, slashes, pipes, "or" or spaces,
  alone, after a label ending in a comma or colon, or in closing parentheses) are compared only where the
  spec has a list, since prose mentioning code spans is often not a value list. "and" is not a joint, a
  label saying "e.g." names examples, and bare words ("buy/sell" without code spans) are not read.
* Conditional: OKX's "Conditional" is not a schema keyword; the specs record it as a description starting
  "Conditional". It is compared only when the required flags agree, so one page change is one line.
* Numbers are read only as bare literals: one followed by a unit or a noun ("maximum 20 orders", "30000
  ms") is not a bound, a description stating two different values for one fact states none, and a
  description about a comma list states a list size, not bounds. Bounds are compared only for integer and
  number spec types (amounts are decimal strings, which cannot carry them); defaults only for
  ``x-signing.auth-parameters``, since the bundler refuses ``default`` on parameters (the generated code
  would always send it).
* An OKX page needing Trade or Withdraw permission is taken to change state: ``x-read-only: true`` makes
  the client retry the call, which could then act twice.
* One unmatched page field and one unmatched spec field in the same place (same location, same parent) are
  reported as a single rename, not as one missing and one extra field.
* A page of an endpoint we do not spec is skipped, only counted: a tree is mostly such pages, and the report is
  about our operations (``make new-endpoint`` drafts one). A spec operation whose page (same source URL, or a
  file named as its URL ends, as scrapers name them) now documents something else or nothing (a change log saved
  under its name) is a difference. One with no page in the folder is a note (printed, not counted): the folder
  is whatever pages a user saved (the server-time endpoints have no page in ../shared/exchange-docs by design).
  Notes appear only for exchanges that have at least one page in the folder.
* A page that cannot be read (empty, binary, not UTF-8, in another language only, or in no known layout) is
  reported as one ``unreadable`` line and counts as a failure, because it may have been one of ours; the other
  pages are still compared.
* Change-log entries naming our paths are listed, not counted: they say where to look, and a change they
  describe shows up as a difference once its page is saved.

Not compared, on purpose: descriptions and status wording (the specs rephrase them), examples (illustrative;
their field names are compared where the page's only field list is its example), ``pattern`` and
``minLength`` (no page states them), and any value the specs have no place for.

Exit status: 0 when nothing differs, 1 when anything differs or could not be read, 2 on a usage error
(folder missing, or holding no ``*.md`` page). ``make update-specs`` applies the differences
(scripts/docs_check/_update.py); ``make new-endpoint`` drafts a page's endpoint file (scripts/docs_check/_draft.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scripts.docs_check._changelog import ChangeEntry, entries_naming, is_change_log
from scripts.docs_check._model import Difference, Edit, Field, FieldType, PageOperation, Unreadable, render
from scripts.docs_check._pages import NoEndpoint, UnreadablePage, discover_pages, identify, parse
from scripts.docs_check._specs import AUTH_ORIGIN, load_specs

__all__ = [
    "SPECS_ROOT",
    "Difference",
    "Field",
    "FieldType",
    "PageOperation",
    "Report",
    "Unreadable",
    "check",
    "compare",
    "compare_fields",
    "main",
    "match_operation",
    "normalize_url",
]

SPECS_ROOT = Path(__file__).resolve().parents[2] / "specs"
# (PageOperation attribute, key under x-rate-limit) of the rate-limit facts a page may state.
RATE_LIMIT_KEYS = (
    ("rate_limit", "limit"),
    ("window_ms", "window-ms"),
    ("weight", "weight"),
    ("keyed_on", "keyed-on"),
    ("pool", "pool"),
)
# Spec types that can carry minimum and maximum (amounts are decimal strings, which cannot).
NUMERIC_TYPES = ("integer", "number")

Finding = tuple[str, object, object, Edit]


@dataclass
class Report:
    """The outcome of one run: differences and unreadable files count as failures, notes do not.

    ``pages`` counts every page file; of them ``compared`` documented one of our operations, ``skipped``
    another endpoint and ``without_endpoint`` none (general pages, indexes, change logs). ``changes`` are
    the change-log entries naming one of our paths (listed, not failures). ``pairs`` are the (page, spec)
    operations compared, for ``make update-specs``.
    """

    pages: int = 0
    differences: list[Difference] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    compared: int = 0
    skipped: int = 0
    without_endpoint: int = 0
    changes: list[ChangeEntry] = field(default_factory=list)
    pairs: list[tuple[PageOperation, PageOperation]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every page was read and agrees with its spec operation."""
        return not self.differences and not self.unreadable

    def lines(self) -> list[str]:
        """What the CLI prints: differences, unreadable files, notes, then a one-line summary."""
        return [
            *(str(d) for d in self.differences),
            *(str(u) for u in self.unreadable),
            *(str(change) for change in self.changes),
            *(f"note: {note}" for note in self.notes),
            f"check-docs: {self.pages} page(s): {self.compared} of our operations compared, {self.skipped} of "
            f"other endpoints and {self.without_endpoint} documenting none skipped; {len(self.differences)} "
            f"difference(s), {len(self.unreadable)} unreadable, {len(self.changes)} change-log entries naming "
            "our paths",
        ]


def normalize_url(url: str | None) -> str | None:
    """``url`` with scheme and host lower-cased and a trailing slash dropped; the fragment is kept (OKX and
    Backpack pages are fragments of one long page)."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # a malformed URL can still equal another one character for character
        return url.strip()
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, parts.fragment))


def match_operation(page: PageOperation, specs: Sequence[PageOperation]) -> PageOperation | None:
    """The spec operation of the page's exchange the page documents, or ``None``.

    Matched by normalised source URL against ``externalDocs.url`` first, then by method and path.
    """
    candidates = [spec for spec in specs if spec.exchange == page.exchange]
    url = normalize_url(page.source_url)
    if url is not None:
        for spec in candidates:
            if normalize_url(spec.source_url) == url:
                return spec
    if page.method is not None and page.path is not None:
        for spec in candidates:
            if spec.method == page.method and spec.path == page.path:
                return spec
    return None


def _parent(name: str) -> str:
    return name.rpartition(".")[0]


def _same_name(page: Field, spec: Field) -> bool:
    # HTTP header names are case-insensitive: the page's X-API-KEY is the spec's X-API-Key.
    if "header" in (page.location, spec.location):
        return page.name.casefold() == spec.name.casefold()
    return page.name == spec.name


def _label(kind: str, spec: Field) -> str:
    return f"{kind} {spec.name} ({spec.origin})" if spec.origin else f"{kind} {spec.name}"


def _pair_by_name(page_left: list[Field], spec_left: list[Field], same_location: bool) -> Iterator[tuple[Field, Field]]:
    """Remove and yield page/spec fields with the same name (and location, if asked and the page says)."""
    for page in list(page_left):
        spec = next(
            (
                s
                for s in spec_left
                if _same_name(page, s) and (not same_location or page.location is None or page.location == s.location)
            ),
            None,
        )
        if spec is not None:
            page_left.remove(page)
            spec_left.remove(spec)
            yield page, spec


def _pair_renames(page_left: list[Field], spec_left: list[Field]) -> Iterator[tuple[Field, Field]]:
    """Remove and yield pairs that are alone in their place on both sides, taking their children along."""
    progress = True
    while progress:
        progress = False
        for page in page_left:
            spec_peers = [
                s
                for s in spec_left
                if _parent(s.name) == _parent(page.name) and (page.location is None or s.location == page.location)
            ]
            page_peers = [p for p in page_left if _parent(p.name) == _parent(page.name) and p.location == page.location]
            if len(spec_peers) == 1 and len(page_peers) == 1:
                spec = spec_peers[0]
                page_left.remove(page)
                spec_left.remove(spec)
                yield page, spec
                # Children of a renamed container are compared under the spec's name for it.
                page_left[:] = [_reparent(p, page.name, spec.name) for p in page_left]
                yield from _pair_by_name(page_left, spec_left, same_location=True)
                progress = True
                break


def _reparent(field: Field, old: str, new: str) -> Field:
    for joint in (".", "[]."):
        if field.name.startswith(old + joint):
            return replace(field, name=new + field.name[len(old) :])
    return field


def _compare_pair(kind: str, page: Field, spec: Field, response: bool) -> Iterator[Finding]:
    label = _label(kind, spec)

    def edit(key: str, action: str = "set") -> Edit:
        # The auth hook's parameters live in x-signing, which the updater leaves to a person.
        return Edit("review" if spec.origin == AUTH_ORIGIN else action, kind, key, page, spec)

    if not _same_name(page, spec):
        yield f"{label}: name", page.name, spec.name, edit("name", "review")
    if page.location is not None and page.location != spec.location:
        yield f"{label}: in", page.location, spec.location, edit("in", "review")
    if page.type is not None and not page.type.accepts(spec.type):
        yield f"{label}: type", page.type, spec.type, edit("type")
    if page.required is not None and page.required != bool(spec.required):
        yield f"{label}: required", page.required, bool(spec.required), edit("required")
    elif page.conditional is not None and page.conditional != bool(spec.conditional):
        # Only once the required flags agree: "Conditional" -> "Yes" is one change, reported as one line.
        yield f"{label}: conditional", page.conditional, bool(spec.conditional), edit("conditional")
    for what, page_value, spec_value in (*_compare_values(page, spec, response), *_compare_limits(page, spec)):
        yield f"{label}: {what}", page_value, spec_value, edit(what)


def _compare_values(page: Field, spec: Field, response: bool) -> Iterator[tuple[str, object, object]]:
    """The page's value list against the spec's: its ``enum`` or, for a response field (which the bundler
    keeps a plain string), the values its description names.

    A page's explicit list is compared even when the spec has none; values the page only names in prose
    are compared only against a spec that has a list, since prose is the weaker reading.
    """
    page_values = page.enum if page.enum is not None else page.described
    if page_values is None:
        return
    spec_values, what = spec.enum, "enum"
    if response and spec.enum is None:
        spec_values, what = spec.described, "description values"
        if spec_values is None and len(page_values) < 2:
            return  # a description names two values or more; a one-value list has no place in the spec
    if (page.enum is not None or spec_values is not None) and page_values != spec_values:
        yield what, page_values, spec_values


def _compare_limits(page: Field, spec: Field) -> Iterator[tuple[str, object, object]]:
    """List size, bounds and default, each where the page states it and the spec has a place for it."""
    if page.max_list_items is not None and page.max_list_items != spec.max_list_items:
        yield "x-max-list-items", page.max_list_items, spec.max_list_items
    if spec.type is not None and spec.type.base in NUMERIC_TYPES:
        if page.minimum is not None and page.minimum != spec.minimum:
            yield "minimum", page.minimum, spec.minimum
        if page.maximum is not None and page.maximum != spec.maximum:
            yield "maximum", page.maximum, spec.maximum
    # Only auth parameters carry a default: the bundler refuses one on a parameter (it would always be sent).
    if page.default is not None and spec.origin == AUTH_ORIGIN and not _same_literal(page.default, spec.default):
        yield "default", page.default, spec.default


def _same_literal(page: str, spec: str | None) -> bool:
    """Whether two literals are equal, as numbers when both are numbers ("5000" and "5000.0")."""
    if spec is None:
        return False
    try:
        return Decimal(page) == Decimal(spec)
    except InvalidOperation:
        return page == spec


def compare_fields(
    kind: str, page_fields: Sequence[Field], spec_fields: Sequence[Field], response: bool = False
) -> Iterator[Finding]:
    """Yield ``(what, page value, spec value)`` for each way two field lists disagree.

    Fields are paired by name and location, then by name alone (a location difference), then as renames
    (one unmatched field on each side in the same place). Each pair is compared on what the page states;
    unpaired fields are reported as present on one side and absent on the other. ``response`` says the
    fields are a response body's, whose values a spec lists in descriptions rather than in an ``enum``.
    """
    page_left, spec_left = list(page_fields), list(spec_fields)
    pairs = [
        *_pair_by_name(page_left, spec_left, same_location=True),
        *_pair_by_name(page_left, spec_left, same_location=False),
    ]
    pairs += _pair_renames(page_left, spec_left)
    for page, spec in pairs:
        yield from _compare_pair(kind, page, spec, response)
    for page in page_left:
        yield f"{kind} {page.name}", "present", "absent", Edit("add", kind, "", page, None)
    for spec in spec_left:
        action = "review" if spec.origin == AUTH_ORIGIN else "remove"
        yield _label(kind, spec), "absent", "present", Edit(action, kind, "", None, spec)


def _op(action: str, key: str, value: object = None) -> Edit:
    return Edit(action, "operation", key, value=value)


def _compare_operation(page: PageOperation, spec: PageOperation) -> Iterator[Finding]:
    if page.method is not None and page.method != spec.method:
        yield "method", page.method, spec.method, _op("review", "method")
    if page.path is not None and page.path != spec.path:
        yield "path", page.path, spec.path, _op("review", "path")
    if page.source_url is not None and normalize_url(page.source_url) != normalize_url(spec.source_url):
        yield "externalDocs.url", page.source_url, spec.source_url, _op("set", "externalDocs.url", page.source_url)
    if page.instruction is not None and page.instruction != spec.instruction:
        yield "x-signing.instruction", page.instruction, spec.instruction, _op("set", "x-signing.instruction")
    yield from _compare_access(page, spec)
    for attribute, key in RATE_LIMIT_KEYS:
        page_value = getattr(page, attribute)
        if page_value is not None and page_value != getattr(spec, attribute):
            yield f"x-rate-limit.{key}", page_value, getattr(spec, attribute), _op("set", "x-rate-limit", key)
    if page.statuses is not None:
        spec_statuses = spec.statuses or frozenset()
        for code in sorted(page.statuses - spec_statuses):
            yield f"response status {code}", "present", "absent", _op("add", "status", code)
        for code in sorted(spec_statuses - page.statuses):
            yield f"response status {code}", "absent", "present", _op("remove", "status", code)
    yield from _compare_responses(page, spec)


def _compare_access(page: PageOperation, spec: PageOperation) -> Iterator[Finding]:
    """Authentication, Binance's security type and what an OKX permission implies for ``x-read-only``."""
    if page.signed is not None and page.signed != spec.signed:
        yield "security", _signed(page.signed), _signed(spec.signed), _op("set", "security")
    # A public Binance endpoint is NONE on the page and has no x-signing in the spec.
    if page.security_type is not None and page.security_type != (spec.security_type or "NONE"):
        yield "x-signing.security-type", page.security_type, spec.security_type, _op("set", "security")
    if page.read_only is not None and page.read_only != spec.read_only:
        shown = f"{render(page.read_only)} (Permission: {page.permission})"
        yield "x-read-only", shown, spec.read_only, _op("set", "x-read-only", page.read_only)


def _signed(signed: bool | None) -> str:
    return "required" if signed else "none"


def _compare_responses(page: PageOperation, spec: PageOperation) -> Iterator[Finding]:
    """Media types and error bodies of the statuses the page shows a schema for.

    Only statuses the spec documents for this page are compared; a missing one is already a status line.
    """
    documented = spec.statuses or frozenset()
    for code, media in sorted((page.media_types or {}).items()):
        spec_media = (spec.media_types or {}).get(code, frozenset())
        if code in documented and not media <= spec_media:
            yield f"response {code} media type", media, spec_media, _op("review", "media type", code)
    for code, fields in sorted((page.error_fields or {}).items()):
        if code in documented:
            yield from compare_fields(f"response {code} field", fields, (spec.error_fields or {}).get(code, []), True)


def compare(page: PageOperation, spec: PageOperation) -> Iterator[Difference]:
    """Yield every :class:`Difference` between a page and the spec operation it documents.

    Scalars are compared when the page states them, lists whenever the page gives the list. Where the page
    leaves parameter locations open (Binance outside GET/DELETE), its parameters are compared against the
    spec's parameters and request-body fields together.
    """
    findings: list[Finding] = list(_compare_operation(page, spec))
    spec_inputs = [*spec.parameters, *((spec.body_fields or []) if page.body_fields is None else [])]
    findings += compare_fields("parameter", page.parameters, spec_inputs)
    if page.body_fields is not None:
        findings += compare_fields("body field", page.body_fields, spec.body_fields or [])
    if page.response_fields is not None:
        findings += compare_fields("response field", page.response_fields, spec.response_fields or [], True)
    for what, page_value, spec_value, edit in findings:
        yield Difference(page.origin, spec.origin, what, render(page_value), render(spec_value), edit)


def _describe(page: PageOperation) -> str:
    route = f"{page.method or '?'} {page.path or '?'}"
    return f"{route} ({page.source_url})" if page.source_url else route


def _slug(url: str | None) -> str | None:
    """The name a scraper gives a page's file: its URL's fragment, else its last path segment."""
    if not url:
        return None
    parts = urlsplit(url)
    return (parts.fragment or parts.path.rstrip("/").rsplit("/", 1)[-1]).casefold() or None


@dataclass
class _Unmatched:
    """A readable page that matched none of our operations: what a replaced page of ours would look like."""

    origin: str
    url: str | None
    holds: str


def check(docs: Path, specs_root: Path = SPECS_ROOT) -> Report:
    """Compare every page under ``docs`` (any depth) with the specs under ``specs_root``; never raises for a
    bad page.

    Pages of our operations (by source URL, else method and path) are compared; pages of other endpoints
    and pages documenting none are counted and skipped, change logs among them read for entries naming our
    paths. A spec operation whose page (same source URL, or a file named as its URL ends) now holds
    something else is a difference; one without any page is a note. Unreadable spec files are reported in
    ``unreadable`` too, since their operations could not be checked.
    """
    specs, problems = load_specs(specs_root)
    report = Report(unreadable=list(problems))
    covered: set[int] = set()
    exchanges: set[str] = set()
    unmatched: list[_Unmatched] = []
    logs: list[tuple[str, str]] = []
    our_urls = {normalize_url(spec.source_url) for spec in specs} - {None}
    our_routes = {(spec.exchange, spec.method, spec.path) for spec in specs}
    for path in discover_pages(docs):
        report.pages += 1
        origin = path.relative_to(docs).as_posix()
        try:
            identity = identify(path, docs)
            exchanges.add(identity.exchange)
            route = identity.route
            # Only a page that can match one of our operations is read whole: a tree is mostly other pages.
            ours = normalize_url(identity.source_url) in our_urls or (
                route is not None and (identity.exchange, *route) in our_routes
            )
            if not ours and route is not None:
                report.skipped += 1
                unmatched.append(_Unmatched(origin, identity.source_url, " ".join(route)))
                continue
            if not ours:
                raise NoEndpoint("no HTTP request line", identity.meta, identity.body)
            page = parse(identity)
        except NoEndpoint as exc:
            report.without_endpoint += 1
            log = is_change_log(exc.text)
            if log:
                logs.append((origin, exc.text))
            unmatched.append(_Unmatched(origin, exc.meta.get("source_url"), "a change log" if log else "no endpoint"))
            continue
        except UnreadablePage as exc:
            report.unreadable.append(Unreadable(origin, exc.reason))
            continue
        except Exception as exc:  # a parser bug on one odd page must not hide the report on all the others
            report.unreadable.append(Unreadable(origin, f"reader failed: {type(exc).__name__}: {exc}"))
            continue
        spec = match_operation(page, specs)
        if spec is None:
            report.skipped += 1
            unmatched.append(_Unmatched(origin, page.source_url, f"{page.method} {page.path}"))
            continue
        report.compared += 1
        report.notes += [f"{origin}: {note}" for note in page.notes]
        covered.add(id(spec))
        report.pairs.append((page, spec))
        report.differences += compare(page, spec)
    by_url = {normalize_url(item.url): item for item in unmatched if item.url}
    by_name = {Path(item.origin).stem.casefold(): item for item in unmatched}
    for spec in specs:
        if spec.exchange not in exchanges or id(spec) in covered:
            continue
        replaced = by_url.get(normalize_url(spec.source_url)) or by_name.get(_slug(spec.source_url) or "")
        shown = f"{spec.method} {spec.path}"
        if replaced is not None:
            what = "its page no longer documents this endpoint"
            report.differences.append(Difference(replaced.origin, spec.origin, what, replaced.holds, shown))
        else:
            report.notes.append(f"{spec.origin}: {shown} has no page in the folder (not compared)")
    for origin, text in logs:
        report.changes += entries_naming(origin, text, {spec.path for spec in specs if spec.path})
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check from the command line; return the exit status described in the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m scripts.docs_check", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("docs", type=Path, help="folder of saved doc pages (*.md)")
    parser.add_argument("--specs", type=Path, default=SPECS_ROOT, help="specs folder (default: %(default)s)")
    args = parser.parse_args(argv)
    docs: Path = args.docs
    specs_root: Path = args.specs
    if not docs.is_dir():
        print(f"check-docs: {docs}: no such folder", file=sys.stderr)
        return 2
    if not specs_root.is_dir():
        print(f"check-docs: {specs_root}: no such specs folder", file=sys.stderr)
        return 2
    report = check(docs, specs_root)
    if report.pages == 0:
        print(f"check-docs: {docs}: empty folder (no *.md pages under it)", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
