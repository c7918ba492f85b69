"""``python -m scripts.codegen [--check | --out DIR]``: what ``make generate`` and ``make check`` run."""

import sys

from .generate import main

sys.exit(main())
