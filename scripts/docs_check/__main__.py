"""``python -m scripts.docs_check DOCS_FOLDER``: what ``make check-docs`` runs."""

import sys

from .check import main

sys.exit(main())
