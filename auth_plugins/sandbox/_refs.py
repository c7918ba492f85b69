"""Following local ``$ref`` pointers in a bundled spec (the bundler has already refused any other kind)."""

from typing import Any

__all__ = ["follow"]


def follow(document: dict[str, Any], node: Any) -> Any:
    """Return ``node`` with any chain of local ``#/...`` references into ``document`` followed to its target."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node
