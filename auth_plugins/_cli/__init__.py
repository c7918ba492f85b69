"""The ``exchange-clients`` console script: borrowing and withdrawal capacity across exchanges, ``check-live`` (the
live answers checked against the specs, :mod:`auth_plugins._cli._check_live`), and the sandbox.

``main(argv)`` runs it and returns the exit status (the console script's entry point). See ``exchange-clients
--help``; the library behind it is :mod:`auth_plugins.capacity`.
"""

from auth_plugins._cli._main import main

__all__ = ["main"]
