"""``python -m scripts.docs_check DOCS_FOLDER`` (make check-docs), ``... new-endpoint PAGE`` (make new-endpoint)
and ``... update-specs DOCS_FOLDER`` (make update-specs)."""

import sys

from . import _draft, _update, check

COMMANDS = {"new-endpoint": _draft.main, "update-specs": _update.main}

if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
sys.exit(check.main())
