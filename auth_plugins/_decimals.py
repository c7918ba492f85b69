"""What a decimal string is, on the wire: the one definition the validator and the response checks share."""

import re
from typing import Final

__all__ = ["DECIMAL", "DECIMAL_OR_EMPTY"]

DECIMAL: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
"""``format: decimal``: digits with an optional fraction and sign, no exponent, no spaces (``"0.5"``, ``"-12"``)."""

DECIMAL_OR_EMPTY: Final = re.compile(r"(-?[0-9]+(\.[0-9]+)?)?")
"""``format: decimal-or-empty``: a decimal, or ``""`` (OKX's "not applicable")."""
