"""Keeping secrets out of text: a process-wide registry of secrets, ``redact`` and a ``logging.Filter``.

httpx logs every request URL at INFO, and a Binance URL carries ``signature=``; httpcore logs headers at
DEBUG. The factories register each client's secrets and API key here and install :class:`RedactingFilter`
on the ``httpx``, ``httpcore.*`` and ``auth_plugins`` loggers, once per process.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Final
from urllib.parse import quote

__all__ = ["REDACTED", "RedactingFilter", "install_log_redaction", "redact", "register_secrets"]

REDACTED: Final = "[REDACTED]"

# Shorter values are not registered: replacing them everywhere would shred ordinary log text.
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

# Values that change per request cannot be registered, so they are found by where they sit: a
# ``signature=`` query parameter, or a signing/key header as "Name: value", "'name': 'value'" or
# httpcore's "(b'Name', b'value')".
_SIGNATURE_PARAMETER: Final = re.compile(r"(?i)(signature=)[^&\s'\"<>]+")
_SECRET_HEADER: Final = re.compile(
    r"(?i)\b(x-signature|ok-access-sign|ok-access-passphrase|ok-access-key|x-mbx-apikey|x-api-key)"
    r"(['\"]?\s*[:,=]\s*b?['\"]?)([^'\"\s,)}\]]+)"
)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register_secrets(*values: str | None) -> None:
    """Add ``values`` (secrets, passphrases, API keys, PEM text) to what :func:`redact` removes, for good.

    Each value is registered as given, percent-encoded, and line by line (so a PEM body's lines are caught
    on their own). ``None`` and values under four characters are ignored.
    """
    global _pattern
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        for candidate in (value, quote(value, safe=""), *value.splitlines()):
            candidate = candidate.strip()
            if len(candidate) >= _MIN_SECRET_LENGTH and not candidate.startswith("-----"):
                found.add(candidate)
    with _lock:
        if found <= _secrets:
            return
        _secrets.update(found)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(map(re.escape, ordered)))


def redact(text: str) -> str:
    """Return ``text`` with every registered secret, ``signature=`` value and signing/key header value replaced."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _SIGNATURE_PARAMETER.sub(rf"\1{REDACTED}", text)
    return _SECRET_HEADER.sub(rf"\1\2{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """A ``logging.Filter`` that rewrites each record's message (``msg % args``), rendered traceback and stack
    with :func:`redact`; it never drops a record.

    The factories install one on the ``httpx``, ``httpcore.*`` and ``auth_plugins`` loggers. A logger filter
    does not see records of other loggers, so to cover everything a process logs, add one to your handlers:
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


_installed = RedactingFilter()


def install_log_redaction() -> None:
    """Add the shared :class:`RedactingFilter` to the ``httpx``, ``httpcore.*`` and ``auth_plugins`` loggers.

    Idempotent: each logger gets the one shared filter at most once, however many clients are made.
    """
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _installed not in logger.filters:
            logger.addFilter(_installed)
