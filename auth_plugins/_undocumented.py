"""One WARNING per undocumented field: the runtime's notice that a spec is stale.

When a success body holds a field its operation's table does not list (:meth:`Shape.check
<auth_plugins._response_shapes.Shape.check>` returns those), :func:`notice` logs one WARNING on the
``auth_plugins`` logger naming the operation, the field's schema path, its JSON type and the endpoint file to
edit; never the value. Each (endpoint file, path) is logged once per process. What is remembered is bounded:
at most :data:`MAX_REMEMBERED` pairs, each path cut to :data:`MAX_PATH_CHARS`; past that one last WARNING says
so and nothing more is logged or kept, so a hostile server answering fresh field names cannot grow the process.
``EXCHANGE_CLIENTS_WARN_UNDOCUMENTED=0`` turns the notices off (read when an undocumented field is seen, so a
conforming answer never pays for it).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from typing import Final

from auth_plugins._operation import OperationInfo
from auth_plugins._redaction import redact
from auth_plugins._response_shapes import Undocumented

__all__ = ["MAX_PATH_CHARS", "MAX_REMEMBERED", "VARIABLE", "forget", "notice"]

VARIABLE: Final = "EXCHANGE_CLIENTS_WARN_UNDOCUMENTED"
"""``0`` (or ``false``, ``no``, ``off``) turns the WARNINGs off; unset or anything else leaves them on."""
MAX_REMEMBERED: Final = 1024
"""How many distinct (endpoint file, field path) pairs a process logs and remembers at most."""
MAX_PATH_CHARS: Final = 120
"""A field path longer than this is cut (a hostile server's megabyte-long key costs no more than a short one)."""

logger = logging.getLogger("auth_plugins")
_OFF: Final = frozenset({"0", "false", "no", "off"})
_lock = threading.Lock()
_seen: set[tuple[str, str]] = set()
_full = False


def _printable(path: str) -> str:
    """``path`` cut to :data:`MAX_PATH_CHARS`, control and other unprintable characters escaped (no forged lines)."""
    cut = path[:MAX_PATH_CHARS]
    shown = cut if cut.isprintable() else cut.encode("unicode_escape").decode("ascii")[:MAX_PATH_CHARS]
    return shown + ("..." if len(path) > MAX_PATH_CHARS else "")


def notice(operation: OperationInfo, extras: Iterable[Undocumented]) -> None:
    """Log a WARNING for each of ``extras`` (fields an answer of ``operation`` held undocumented) not logged
    before in this process, unless :data:`VARIABLE` turns the notices off. Thread-safe; bounded (module doc)."""
    global _full
    if os.environ.get(VARIABLE, "").strip().lower() in _OFF:
        return
    where = operation.spec_file or operation.operation_id
    for extra in extras:
        path = _printable(extra.path)
        with _lock:
            if _full or (where, path) in _seen:
                if _full:
                    return
                continue
            if len(_seen) >= MAX_REMEMBERED:
                _full = True
                logger.warning(
                    "more than %d distinct undocumented fields seen: no more are logged in this process",
                    MAX_REMEMBERED,
                )
                return
            _seen.add((where, path))
        message = (
            f"{operation.operation_id} ({operation.method} {operation.path}) answered an undocumented field "
            f"{path} ({extra.kind}): add it to {where} (logged once per field; {VARIABLE}=0 turns this off)"
        )
        logger.warning("%s", redact(message))


def forget() -> None:
    """Forget every field logged so far (tests; a long-lived process after its specs were updated)."""
    global _full
    with _lock:
        _seen.clear()
        _full = False
