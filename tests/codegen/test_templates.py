"""The generator's built-in templates are the ones the project's templates were written against.

scripts/codegen/templates/builtins.json holds the SHA-256 of every built-in template of the pinned generator,
those the project replaces and those it uses as they are. A generator upgrade that changes any of them fails
here, naming each template, before it can change the generated code unreviewed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path

import openapi_python_client

from scripts.codegen.generate import GENERATOR, TEMPLATES_DIR

BUILT_IN = Path(openapi_python_client.__file__).parent / "templates"
LOCK = json.loads((TEMPLATES_DIR / "builtins.json").read_text())


def _digests() -> dict[str, str]:
    return {str(p.relative_to(BUILT_IN)): hashlib.sha256(p.read_bytes()).hexdigest() for p in BUILT_IN.rglob("*.jinja")}


def test_the_lock_names_the_pinned_generator() -> None:
    assert (
        LOCK["generator"] == GENERATOR == f"openapi-python-client {importlib.metadata.version('openapi-python-client')}"
    )


def test_every_built_in_template_is_the_one_reviewed() -> None:
    recorded = {**LOCK["overridden"], **LOCK["built_in"]}
    current = _digests()
    changed = sorted(name for name in recorded.keys() & current.keys() if recorded[name] != current[name])
    added, removed = sorted(current.keys() - recorded.keys()), sorted(recorded.keys() - current.keys())
    assert (changed, added, removed) == ([], [], []), (
        f"the generator's templates changed: changed {changed}, new {added}, gone {removed}; review them against "
        f"scripts/codegen/templates/ and update builtins.json with: {json.dumps(current, sort_keys=True)}"
    )


def test_the_overridden_set_is_exactly_the_project_templates() -> None:
    ours = {p.name for p in TEMPLATES_DIR.glob("*.jinja")}
    assert set(LOCK["overridden"]) == ours
    assert ours <= set(_digests()), "a project template has no built-in of that name to replace"
    readme = (TEMPLATES_DIR / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in ours), "scripts/codegen/templates/README.md must explain each one"
