"""The YAML loader the pipeline, its tools and the tests read specs and bundles with; imports nothing but PyYAML."""

from __future__ import annotations

from typing import Final

import yaml

__all__ = ["LOADER"]

LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader on libyaml when PyYAML was built with it: the same documents, parsed about ten times faster
(at 200 endpoints per exchange the pure-Python parser was half of ``make generate``)."""
