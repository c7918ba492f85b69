"""The README's fenced code blocks, by section, for the tests that run them (tests/test_readme.py and others).

A block is addressed by the ``##`` heading it sits under and its position there: ``block("Quickstart", 0)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from tests._specs import REPO

__all__ = ["README", "Block", "block", "blocks"]

README: Final = REPO / "README.md"
_FENCE: Final = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    """One fenced block: its section heading, its index in that section, its language tag and its text."""

    section: str
    index: int
    lang: str
    text: str


@cache
def blocks() -> tuple[Block, ...]:
    """Every fenced block of the README, in order."""
    found: list[Block] = []
    for part in re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.M)[1:]:
        heading, _, body = part.partition("\n")
        for index, match in enumerate(_FENCE.finditer(body)):
            found.append(Block(heading.strip(), index, match.group(1), match.group(2)))
    return tuple(found)


def block(section: str, index: int) -> Block:
    """The ``index``-th block under ``## section``; ``LookupError`` naming both if there is none."""
    for candidate in blocks():
        if (candidate.section, candidate.index) == (section, index):
            return candidate
    raise LookupError(f"README.md has no code block {index} under '## {section}'")
