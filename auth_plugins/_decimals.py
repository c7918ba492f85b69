"""What a decimal string is, on the wire: the one definition the validator, the response checks and the generated
packages share (the generator renders :data:`DECIMAL` into each package's ``types.py``, which cannot import this)."""

import re
from collections.abc import Callable, Mapping
from typing import Final

__all__ = ["DECIMAL", "DECIMAL_FORMATS", "DECIMAL_OR_EMPTY", "decimal_matcher"]

DECIMAL: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
"""``format: decimal``: digits with an optional fraction and sign, no exponent, no spaces (``"0.5"``, ``"-12"``)."""

DECIMAL_OR_EMPTY: Final = re.compile(f"({DECIMAL.pattern})?")
"""``format: decimal-or-empty``: a decimal, or ``""`` (OKX's "not applicable")."""

DECIMAL_FORMATS: Final[Mapping[str, re.Pattern[str]]] = {"decimal": DECIMAL, "decimal-or-empty": DECIMAL_OR_EMPTY}
"""Each string ``format`` that holds an amount, and what a value of it must fully match."""


def decimal_matcher(format: str | None) -> Callable[[str], re.Match[str] | None] | None:
    """The ``fullmatch`` of ``format``'s pattern when ``format`` holds an amount (see :data:`DECIMAL_FORMATS`),
    else ``None``."""
    pattern = DECIMAL_FORMATS.get(format or "")
    return pattern.fullmatch if pattern is not None else None
