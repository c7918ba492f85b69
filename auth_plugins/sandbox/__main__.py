"""``python -m auth_plugins.sandbox``: the standalone sandbox server (see ``auth_plugins.sandbox._cli.main``)."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
