"""Facts about a bundle that the generator's template context lacks, rendered as a Jinja template (``_facts.jinja``).

openapi-python-client drops a string parameter's ``format`` (its property keeps no schema), so the endpoint
templates cannot tell a decimal parameter from a plain string. :func:`render_facts` writes that fact, per
operation, into a template the project's templates import (``{% from "_facts.jinja" import decimal_parameters %}``).
Models need no such help: a model template sees each property's raw schema (``model.data``).

The templates handle a decimal in exactly two places: a parameter's schema, and an object property declared
inline. :func:`decimal_locations_ok` refuses any other (an array of decimal strings, a component schema that is a
bare decimal referenced from a property), since the generated type would silently stay ``str``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from openapi_python_client.strings import PythonIdentifier

from auth_plugins._decimals import DECIMAL, DECIMAL_FORMATS

from ._schemas import ConstraintError, parameters, resolve
from .bundle import HTTP_METHODS, walk

__all__ = ["check_decimal_locations", "render_facts"]

# A JSON pointer ending in a parameter's schema, or in a property of an object schema.
_ALLOWED = re.compile(r".*/parameters/[^/]+/schema|.*/properties/[^/]+")
_FIELD_PREFIX = "field_"


def check_decimal_locations(bundle: dict[str, Any]) -> None:
    """Raise :class:`ConstraintError` naming the place of a decimal format the templates would not type as
    ``Decimal``: anywhere but a parameter's schema or an inline object property."""
    for where, node in walk(bundle):
        if isinstance(node, dict) and node.get("format") in DECIMAL_FORMATS and not _ALLOWED.fullmatch(where):
            raise ConstraintError(
                f"{where}: format {node['format']} is only supported on a parameter or an inline object property "
                "(declare the amount where it is used, not as a shared component or array item)"
            )


def _decimal_parameters(bundle: dict[str, Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for route, item in bundle["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            label = f"{method.upper()} {route}"
            name = str(PythonIdentifier(operation["operationId"], prefix=_FIELD_PREFIX))
            for parameter in parameters(bundle, route, method):
                schema = resolve(bundle, parameter.get("schema", {}), f"{label} parameter {parameter.get('name')!r}")
                if schema.get("format") in DECIMAL_FORMATS:
                    found.setdefault(name, {})[str(parameter["name"])] = str(schema["format"])
    return found


def render_facts(bundle: dict[str, Any]) -> str:
    """The source of ``_facts.jinja`` for one bundle: ``decimal_parameters``, mapping each operation's Python name
    to ``{wire name of a decimal parameter: its format}``, and ``decimal_pattern``, the one definition of a decimal
    string (:data:`auth_plugins._decimals.DECIMAL`) for ``types.py``. Refuses misplaced decimals first
    (:func:`check_decimal_locations`)."""
    check_decimal_locations(bundle)
    # JSON of str-keyed dicts of strings is valid Jinja literal syntax.
    return (
        "{% set decimal_parameters = " + json.dumps(_decimal_parameters(bundle), sort_keys=True) + " %}\n"
        "{% set decimal_pattern = " + json.dumps(DECIMAL.pattern) + " %}\n"
    )
