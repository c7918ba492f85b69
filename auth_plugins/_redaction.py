"""Keeping secrets out of text: per-client redactors, secret strings that repr masked, and a ``logging.Filter``.

httpx logs request URLs and httpcore logs headers; a Binance URL carries ``signature=``. Two kinds of scrubbing
apply. Values that change per request are found by where they sit (a ``signature=`` query parameter, the value
of a signing or key header) in every text. A client's own secrets (API secret, passphrase, private key, API key)
are known to its :class:`Redactor`, which the client makes active while it handles a call: log records emitted
during the call, by any logger, and every error text the client builds, are scrubbed of that client's secrets.
So the cost of a client, and of redacting a record, depends on that client's secrets alone, never on how many
clients the process made before; a closed or collected client's redactor goes with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar, Token
from typing import Final
from urllib.parse import quote

from auth_plugins._secrets import Unpicklable

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "Redactor",
    "activate",
    "deactivate",
    "install_log_redaction",
    "redact",
]

REDACTED: Final = "[REDACTED]"

# Shorter values are not registered: replacing them everywhere would shred ordinary text.
_MIN_SECRET_LENGTH: Final = 4

_LOGGERS: Final = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "auth_plugins",
)

# A ``signature=`` query parameter, or a signing/key header as "Name: value", "'name': 'value'" or httpcore's
# "(b'Name', b'value')".
_SIGNATURE_PARAMETER: Final = re.compile(r"(?i)(signature=)[^&\s'\"<>]+")
_SECRET_HEADER: Final = re.compile(
    r"(?i)\b(x-signature|ok-access-sign|ok-access-passphrase|ok-access-key|x-mbx-apikey|x-api-key)"
    r"(['\"]?\s*[:,=]\s*b?['\"]?)([^'\"\s,)}\]]+)"
)


def _structural(text: str) -> str:
    text = _SIGNATURE_PARAMETER.sub(rf"\1{REDACTED}", text)
    return _SECRET_HEADER.sub(rf"\1\2{REDACTED}", text)


class Redactor(Unpicklable):
    """Scrubs one client's secrets (as given, a whole PEM included; percent-encoded; and a multi-line secret line
    by line, so each PEM line is caught on its own, armour lines aside; values under four characters are ignored)
    and every signature and key-header value from text."""

    __slots__ = ("__weakref__", "_pattern")

    def __init__(self, secrets: Iterable[str | None]) -> None:
        found: set[str] = set()
        for value in secrets:
            if not value:
                continue
            # As given, percent-encoded, and each line of a multi-line secret (a PEM) but its armour lines.
            candidates = [value, quote(value, safe="")]
            lines = value.strip().splitlines()
            if len(lines) > 1:
                candidates.extend(line for line in lines if not line.strip().startswith("-----"))
            for candidate in candidates:
                candidate = candidate.strip()
                if len(candidate) >= _MIN_SECRET_LENGTH:
                    found.add(str(candidate))
        ordered = sorted(found, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        """``text`` with this redactor's secrets and every signature and key-header value replaced."""
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        return _structural(text)

    def __repr__(self) -> str:
        return "Redactor()"


_ACTIVE: ContextVar[Redactor | None] = ContextVar("auth_plugins_redactor", default=None)


def activate(redactor: Redactor) -> Token[Redactor | None]:
    """Make ``redactor`` the one :func:`redact` uses in this thread or task; pass the token to :func:`deactivate`."""
    return _ACTIVE.set(redactor)


def deactivate(token: Token[Redactor | None]) -> None:
    """Undo the :func:`activate` that returned ``token``."""
    _ACTIVE.reset(token)


def redact(text: str) -> str:
    """``text`` scrubbed of every signature and key-header value, and of the active client's secrets (if a client
    is handling a call in this thread or task)."""
    active = _ACTIVE.get()
    return active.redact(text) if active is not None else _structural(text)


class RedactingFilter(logging.Filter):
    """A ``logging.Filter`` that rewrites each record's message (``msg % args``), rendered traceback and stack with
    :func:`redact`; it never drops a record.

    The factories install one on the ``httpx``, ``httpcore.*`` and ``auth_plugins`` loggers. A logger filter does
    not see records of other loggers, so to cover everything a process logs, add one to your handlers:
    ``handler.addFilter(auth_plugins.RedactingFilter())``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A broken format string is logging's to report; there is nothing rendered to redact.
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_INSTALLED: Final = RedactingFilter()


def install_log_redaction() -> None:
    """Add the shared :class:`RedactingFilter` to the ``httpx``, ``httpcore.*`` and ``auth_plugins`` loggers.

    Idempotent: each logger gets the one shared filter at most once, however many clients are made.
    """
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _INSTALLED not in logger.filters:
            logger.addFilter(_INSTALLED)
