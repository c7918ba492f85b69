"""The shapes scripts/docs_check/check.py compares: one operation as a doc page or a spec file describes it.

A page and a spec endpoint file are both read into a :class:`PageOperation`, so the comparer needs to know
nothing about Markdown or YAML. A value of ``None`` always means "this source does not say", which the
comparer treats as "nothing to compare", never as "absent".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Difference", "Edit", "Field", "FieldType", "PageOperation", "Unreadable", "render"]


@dataclass(frozen=True)
class FieldType:
    """A type in the spec's vocabulary: ``base`` is a JSON Schema type (or a page spelling we do not know).

    ``items`` is the base type of an array's items and ``format`` the JSON Schema format; either is ``None``
    when the source does not say.
    """

    base: str
    items: str | None = None
    format: str | None = None

    def __str__(self) -> str:
        text = f"array of {self.items}" if self.base == "array" and self.items else self.base
        return f"{text} <{self.format}>" if self.format else text

    def accepts(self, spec: FieldType | None) -> bool:
        """Whether a spec type agrees with this page type on everything the page states.

        The page's base type must equal the spec's; items and format are compared only when the page names
        them, because a spec may refine a page's bare ``String`` into ``string <decimal>``.
        """
        if spec is None:
            return False
        if self.base != spec.base:
            return False
        if self.items is not None and self.items != spec.items:
            return False
        return self.format is None or self.format == spec.format


@dataclass(frozen=True)
class Field:
    """A parameter, request-body field or response field.

    ``name`` is dotted for nested fields (``supCollateral[].ccy``). ``location`` is the parameter's ``in``
    (query, header, path, cookie), ``None`` for body and response fields and for page parameters whose
    location the page leaves open. ``origin`` is ``x-signing.auth-parameters`` for a spec parameter the auth
    hook adds, so messages say where to edit it; it is empty otherwise.

    ``enum`` is an explicit value list (a page's list lines, a spec's ``enum``). ``described`` is the values
    a description names in prose (a page's "`a` or `b`", a spec description's "(`a`, `b`)"), a weaker claim
    the comparer uses only where the other side has a list. ``conditional`` is OKX's "Conditional" (a spec
    records it as a description starting "Conditional"). ``max_list_items`` caps a comma-separated value
    (spec ``x-max-list-items``); ``minimum``, ``maximum`` and ``default`` are the value's bounds and default.
    """

    name: str
    location: str | None = None
    type: FieldType | None = None
    required: bool | None = None
    enum: frozenset[str] | None = None
    origin: str = ""
    described: frozenset[str] | None = None
    conditional: bool | None = None
    max_list_items: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    default: str | None = None
    description: str | None = field(default=None, compare=False)
    example: object = field(default=None, compare=False)


@dataclass
class PageOperation:
    """One HTTP operation as one source (a doc page or a spec endpoint file) describes it.

    ``origin`` names the source for messages: the page's path relative to the docs folder, or the spec file
    relative to the repository. Lists the source does not give are ``None`` (a Binance page gives no
    statuses); an empty list means the source gives the list and it is empty. ``body_fields`` is ``None`` when
    the page does not separate body fields from parameters (Binance outside GET and DELETE). ``notes`` are
    things the reader could not check, printed but not counted as differences.

    ``error_fields`` and ``media_types`` are keyed by status code: the body fields of each response other
    than the success one, and each response's media types (a page gives them only where it shows a
    schema). ``signed`` is whether the operation needs authentication (a page's "Authentication:
    Required", a spec's ``security``), ``security_type`` Binance's endpoint type (``USER_DATA``),
    ``read_only`` the spec's ``x-read-only`` or what a page's ``permission`` (OKX: Read, Trade, Withdraw)
    implies.

    The rate limit follows ``x-rate-limit`` (RATE-LIMIT-CONTRACT): ``rate_limit`` (``limit``), ``window_ms``,
    ``weight``, ``keyed_on`` (``ip``, ``api-key``, ``account``, ``master-account``), ``pool`` (a shared budget
    named in ``_base.yaml``; a spec's pool is resolved, so its limit, window and key are filled in),
    ``used_weight_header`` and ``rate_limit_documented`` (``False``: ``{documented: false}``).

    ``weights`` is every weight the page states (``weight`` is set only when it states one).
    ``title``, ``request_example`` (the query of the page's request example) and ``response_example`` (its
    parsed success example) are what a draft writes; they are never compared.
    """

    origin: str
    exchange: str
    method: str | None = None
    path: str | None = None
    source_url: str | None = None
    parameters: list[Field] = field(default_factory=list)
    body_fields: list[Field] | None = field(default_factory=list)
    response_fields: list[Field] | None = None
    rate_limit: int | None = None
    window_ms: int | None = None
    weight: int | None = None
    keyed_on: str | None = None
    pool: str | None = None
    used_weight_header: str | None = None
    rate_limit_documented: bool | None = None
    statuses: frozenset[str] | None = None
    instruction: str | None = None
    error_fields: dict[str, list[Field]] | None = None
    media_types: dict[str, frozenset[str]] | None = None
    signed: bool | None = None
    security_type: str | None = None
    read_only: bool | None = None
    permission: str | None = None
    notes: list[str] = field(default_factory=list)
    weights: tuple[int, ...] = ()
    title: str | None = None
    request_example: dict[str, str] | None = None
    response_example: object = None


@dataclass(frozen=True)
class Edit:
    """What ``make update-specs`` does about one difference; the comparer attaches one to each.

    ``action`` is ``set`` (give the spec the page's value of ``key``), ``add`` (add the page's field or
    status), ``remove`` (drop the spec's field or status) or ``review`` (a rename or anything ambiguous: a
    person decides). ``kind`` is where: ``operation`` or a field list (``parameter``, ``body field``,
    ``response field``, ``response NNN field``). ``key`` is the operation key (``x-rate-limit``,
    ``externalDocs.url``, ``status``...) or the field attribute (``type``, ``required``, ``enum``...).
    """

    action: str
    kind: str
    key: str = ""
    page: Field | None = None
    spec: Field | None = None
    value: object = None


@dataclass(frozen=True)
class Difference:
    """One way a page and the spec file a user must edit disagree; ``str()`` is the line the CLI prints.

    ``edit`` says what ``make update-specs`` does about it (not part of the line or of equality).
    """

    page: str
    spec_file: str
    what: str
    page_value: str
    spec_value: str
    edit: Edit | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.page} -> {self.spec_file}: {self.what}: page={self.page_value} spec={self.spec_value}"


@dataclass(frozen=True)
class Unreadable:
    """A page or spec file that could not be read at all; ``str()`` is the line the CLI prints."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: unreadable: {self.reason}"


def render(value: object) -> str:
    """A value as a difference line shows it: booleans lower-case, ``None`` as ``none``, enums sorted."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    return str(value)
