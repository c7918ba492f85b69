"""The shapes scripts/docs_check/check.py compares: one operation as a doc page or a spec file describes it.

A page and a spec endpoint file are both read into a :class:`PageOperation`, so the comparer needs to know
nothing about Markdown or YAML. A value of ``None`` always means "this source does not say", which the
comparer treats as "nothing to compare", never as "absent".
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Difference", "Field", "FieldType", "PageOperation", "Unreadable", "render"]


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
    """

    name: str
    location: str | None = None
    type: FieldType | None = None
    required: bool | None = None
    enum: frozenset[str] | None = None
    origin: str = ""


@dataclass
class PageOperation:
    """One HTTP operation as one source (a doc page or a spec endpoint file) describes it.

    ``origin`` names the source for messages: the page's path relative to the docs folder, or the spec file
    relative to the repository. Lists the source does not give are ``None`` (a Binance page gives no
    statuses); an empty list means the source gives the list and it is empty. ``body_fields`` is ``None`` when
    the page does not separate body fields from parameters (Binance outside GET and DELETE). ``notes`` are
    things the reader could not check, printed but not counted as differences.
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
    statuses: frozenset[str] | None = None
    instruction: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Difference:
    """One way a page and the spec file a user must edit disagree; ``str()`` is the line the CLI prints."""

    page: str
    spec_file: str
    what: str
    page_value: str
    spec_value: str

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
