"""What one more endpoint costs, guarded structurally (no timing; the figures are in ``make bench``, issue 22).

- Importing the runtime and one operation imports no operation's table entry: entries load on first use, one
  module per operation (``<package>.entries.<operationId>``), and ``operations.py`` holds only a route index.
- One more endpoint of a kind the suite already tests adds a bounded number of tests: collected in a copy of the
  repository with one synthetic endpoint more per exchange, compared with this checkout; and none at all on the
  interpreters after the first (``EXCHANGE_CLIENTS_TESTS_MATRIX=1``, set by scripts/matrix.py).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from scripts.bench._synthetic import TEMPLATES, add_synthetic_endpoints
from scripts.codegen.operations_table import render_operations_module, render_operations_package
from tests._specs import MATRIX_RUN_VARIABLE, NAMES, REPO, load_bundle
from tests.codegen.test_adding_an_endpoint import _copy_of_the_repository, _run

TESTS_PER_ADDED_ENDPOINT: Final = 10
"""At most this many tests for one more signed GET endpoint: its own contract calls (sample and awkward
arguments, sync and async), its module, example, shape and sandbox checks. Shared machinery runs per kind (see
tests/contract/_cases.py), hypothesis suites on a budget per run. Before issue 22: 36 for an OKX one."""

_PROBE: Final = """
import json, sys, types
import auth_plugins, auth_plugins.backpack, auth_plugins.binance, auth_plugins.okx
from auth_plugins.okx._profile import PROFILE
from okx_client.api.account import get_max_loan
client = auth_plugins.okx.make_client(api_key="k", api_secret="s", passphrase="p", base_url="http://127.0.0.1:9")
def entries():
    return sorted(name for name in sys.modules if ".entries." in name)
def held(module):
    kind = module.Operation
    found = [v for v in vars(module).values() if isinstance(v, kind)]
    for value in vars(module).values():
        if isinstance(value, (tuple, list)):
            found += [v for v in value if isinstance(v, kind)]
        elif isinstance(value, (dict, types.MappingProxyType)):
            found += [v for v in value.values() if isinstance(v, kind)]
    return len(found)
import backpack_client.operations, binance_client.operations, okx_client.operations
before = entries()
held_entries = sum(held(m) for m in (backpack_client.operations, binance_client.operations, okx_client.operations))
entry = PROFILE.routes[("GET", "/api/v5/account/max-loan")]
print(json.dumps({"before": before, "held": held_entries, "after": entries(), "id": entry.operation_id}))
"""


def test_importing_the_runtime_and_one_operation_imports_no_operation_entry() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["before"] == [], "imported at import time: " + ", ".join(found["before"])
    assert found["held"] == 0, "operations.py builds Operation entries at import; they belong in entries/"
    # The first lookup of a route imports that operation's entry and no other.
    assert (found["id"], found["after"]) == ("get_max_loan", ["okx_client.entries.get_max_loan"])


def _collected(root: Path, *, per_kind: bool = False) -> list[str]:
    command = f"{sys.executable} -m pytest --collect-only -q -o addopts='' -p no:cacheprovider tests"
    if per_kind:
        command = f"{MATRIX_RUN_VARIABLE}=1 {command}"
    result = _run(root, command, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.pipeline
@pytest.mark.skipif(not (REPO / ".venv/.installed-stamp").exists(), reason="needs the venv `make venv` builds")
def test_one_more_endpoint_adds_a_bounded_number_of_tests(tmp_path: Path) -> None:
    copy = _copy_of_the_repository(tmp_path)
    added_ids = {}
    for exchange in NAMES:
        [file] = add_synthetic_endpoints(copy / "specs", exchange, 1)
        added_ids[exchange] = file.stem.split(".", 1)[1]
    generated = _run(copy, f"{sys.executable} -m scripts.codegen")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # On the interpreters after the first (scripts/matrix.py), an endpoint of a known kind adds no test at all.
    assert len(_collected(copy, per_kind=True)) == len(_collected(REPO, per_kind=True))
    before, after = _collected(REPO), _collected(copy)
    added = sorted(set(after) - set(before))
    per_endpoint = (len(after) - len(before)) / len(TEMPLATES)
    listing = "\n".join(added)
    assert per_endpoint <= TESTS_PER_ADDED_ENDPOINT, f"{per_endpoint:.1f} tests per added endpoint:\n{listing}"
    # Still contract-tested: each new operation is called sync and async through the sandbox.
    for exchange in NAMES:
        for mode in ("sync", "async"):
            wanted = (
                f"test_operation_passes_the_sandbox_and_parses_the_documented_example[{exchange}-{added_ids[exchange]}-"
            )
            assert any(wanted in test and test.endswith(f"-{mode}]") for test in added), f"{wanted}…{mode}:\n{listing}"


def test_a_one_operation_bundle_renders_a_one_entry_table() -> None:
    # The self-contained table the generator checks examples with: a tuple even when it holds one entry.
    bundle = copy.deepcopy(load_bundle("okx"))
    bundle["paths"] = {"/api/v5/account/max-loan": bundle["paths"]["/api/v5/account/max-loan"]}
    namespace: dict[str, Any] = {}
    exec(render_operations_module(bundle, "specs/okx"), namespace)
    [entry] = namespace["OPERATIONS"]
    assert entry.operation_id == "get_max_loan"
    files = render_operations_package(bundle, "specs/okx")
    assert sorted(files) == ["entries/__init__.py", "entries/get_max_loan.py", "operations.py"]
