"""Following local ``$ref`` pointers in a parsed OpenAPI document: the one follower every reader of the specs uses.

The sandbox (routing from the shipped bundles), the generator, the doc checker, the bench server and the tests
all call :func:`follow`. It lives here, in the runtime package, because the sandbox ships inside it and the
runtime imports nothing from ``scripts/`` or ``tests/``; it needs only the standard library (no YAML: callers
parse the document), so importing it costs nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RefError", "follow", "pointer"]


class RefError(ValueError):
    """A ``$ref`` that cannot be followed: not a local ``#/`` pointer, circular, or pointing nowhere (the message
    names it and says which)."""


def pointer(document: Any, ref: str) -> Any:
    """The node the local JSON pointer ``ref`` (``#/components/schemas/X``) names in ``document``, one hop only.

    ``~1`` and ``~0`` in a part stand for ``/`` and ``~``. Raises :class:`RefError` if ``ref`` is not local or
    names nothing.
    """
    if not ref.startswith("#/"):
        raise RefError(f"cannot follow $ref {ref!r}: only local '#/' pointers are followed")
    target = document
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            raise RefError(f"$ref {ref!r} points nowhere")
        target = target[part]
    return target


def follow(document: Any, node: Any) -> Any:
    """``node`` with any chain of local references into ``document`` followed to its target.

    A reference is a mapping with a string ``$ref`` (its other keys are ignored, as OpenAPI 3.0 says); anything
    else is returned as it is. Raises :class:`RefError` for a non-local, circular or dangling reference.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if ref in seen:
            raise RefError(f"recursive $ref {ref!r}")
        seen.add(ref)
        node = pointer(document, ref)
    return node
