"""Change-log pages: the dated entries that name one of our paths, so a change is seen even when the page of
its endpoint was lost from a scraped tree (scripts/docs_check/check.py lists them).

A change log is a page whose title says so ("Change Log", "Changelog", "Release notes", "Upcoming changes") or
whose headings are mostly dates. An entry is one top-level list item (with its sub-items) or paragraph under a
dated heading; it names a path when the path appears in it as a whole (``/sapi/v1/margin/maxBorrowable``, not
``/sapi/v1/margin/maxBorrowable/history``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from scripts.docs_check._pages import sections

__all__ = ["ChangeEntry", "entries_naming", "is_change_log"]

_TITLE = re.compile(r"change\s*-?\s*log|release notes|upcoming changes|what's new", re.IGNORECASE)
_DATE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})\b|\b((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})\b"
)
_RULE = re.compile(r"(?:[*_-]\s*){3,}")
_ITEM = re.compile(r"^(\s*)(?:[*+-]|\d+\.)\s+")
ENTRY_CHARS = 200


@dataclass(frozen=True)
class ChangeEntry:
    """One dated entry naming one of our operations; ``str()`` is the line check-docs prints."""

    page: str
    date: str
    path: str
    text: str

    def __str__(self) -> str:
        return f"change log {self.page}: {self.date}: {self.text}"


def _date(title: str) -> str | None:
    match = _DATE.search(title)
    return (match[1] or match[2]) if match else None


def is_change_log(text: str) -> bool:
    """Whether a page (its English body) is a change log: by its title, or by most headings being dates."""
    found = sections(text)
    if any(section.level == 1 and _TITLE.search(section.title) for section in found):
        return True
    dated = sum(1 for section in found if _date(section.title))
    return dated >= 3 and dated * 2 >= len(found)


def _entries(lines: Sequence[str]) -> Iterator[str]:
    """Top-level list items (with their sub-items) and paragraphs, each collapsed to one line."""
    current: list[str] = []
    indent: int | None = None  # the top-level item's indentation while inside a list
    for line in lines:
        stripped = line.strip()
        if not stripped or _RULE.fullmatch(stripped):
            if indent is None and current:  # a blank line ends a paragraph, not a list item
                yield " ".join(current)
                current = []
            continue
        item = _ITEM.match(line)
        margin = len(line) - len(line.lstrip())
        if (item and (indent is None or len(item[1]) <= indent)) or (
            not item and indent is not None and margin <= indent
        ):
            if current:
                yield " ".join(current)
            current = []
            indent = len(item[1]) if item else None
        current.append(_ITEM.sub("", line).strip())
    if current:
        yield " ".join(current)


def _shortened(entry: str, path: str) -> str:
    """``entry`` cut to about :data:`ENTRY_CHARS`, keeping the words around ``path`` in view."""
    if len(entry) <= ENTRY_CHARS:
        return entry
    at = entry.index(path)
    if at + len(path) <= ENTRY_CHARS - 3:
        return entry[: ENTRY_CHARS - 3] + "..."
    head = entry[: ENTRY_CHARS // 3].rstrip()
    start = max(at - ENTRY_CHARS // 6, len(head))
    tail = entry[start : start + ENTRY_CHARS // 2].strip()
    return f"{head} ... {tail}" + ("..." if start + ENTRY_CHARS // 2 < len(entry) else "")


def entries_naming(page: str, text: str, paths: Iterable[str]) -> list[ChangeEntry]:
    """Every entry under a dated heading of ``text`` that names one of ``paths``, newest first as written."""
    # Longest first, so that /a/b/c is named rather than /a/b; a path followed by more path is another one.
    wanted = [(path, re.compile(rf"{re.escape(path)}(?![\w/-])")) for path in sorted(set(paths), key=len, reverse=True)]
    found: list[ChangeEntry] = []
    for section in sections(text):
        date = _date(section.title)
        if date is None:
            continue
        for entry in _entries(section.lines):
            named = next((path for path, pattern in wanted if pattern.search(entry)), None)
            if named is not None:
                found.append(ChangeEntry(page, date, named, _shortened(entry, named)))
    return found
