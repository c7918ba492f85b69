"""The README's "Adding an endpoint", run as written in a copy of the repository: one YAML file, ``make generate``,
then ``make check`` and the tests over the bundles pass with the new operation contract-tested, signed, on the
sandbox, and the README's call of it prints what the README says. Nothing else in the copy is edited.

The copy shares this checkout's virtual environment (``make -o`` keeps make from reinstalling it) and puts its
own sources first on ``PYTHONPATH``. ``make test`` itself is stood in for by ``make check`` plus the suites that
iterate over the bundles, with the new operation's cases selected, so the run takes seconds, not minutes.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from tests._readme import block
from tests._specs import MATRIX_RUN_VARIABLE, REPO

pytestmark = pytest.mark.pipeline
"""The maintainer pipeline over a copy of the repository: once per ``make test`` (tests/_specs.py, MATRIX_RUN)."""

SECTION: Final = "Adding an endpoint"
# The section opens with make new-endpoint and its output (tests/docs_check/test_doc_tools_end_to_end.py); the
# reviewed file, the commands, the call and its output follow.
FIRST: Final = 2
TARGET: Final = Path("specs/okx/endpoints/account.get_max_withdrawal.yaml")
STAMP: Final = ".venv/.installed-stamp"
# The suites that take every operation from the bundles, and the tests among them that must see the new one.
SUITES: Final = (
    "tests/contract",
    "tests/client/test_response_shapes.py",
    "tests/client/test_validation.py",
    "tests/codegen/test_generation.py",
)
MUST_RUN: Final = (
    "test_operation_passes_the_sandbox_and_parses_the_documented_example[okx-get_max_withdrawal-live-sample-sync",
    "test_operation_passes_the_sandbox_and_parses_the_documented_example[okx-get_max_withdrawal-live-sample-async",
    "test_every_documented_example_has_the_documented_shape[okx-get_max_withdrawal",
    "test_each_operation_has_its_module_and_parameters[okx:get_max_withdrawal",
)


def _copy_of_the_repository(root: Path) -> Path:
    copy = root / "repo"
    copy.mkdir()
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    files = [name.decode() for name in listed if name and (REPO / name.decode()).is_file()]
    # -p keeps modification times, so make sees the shared venv's stamp as newer than pyproject.toml.
    subprocess.run(["cp", "--parents", "-p", "-t", str(copy), *files], cwd=REPO, check=True)
    (copy / ".venv").symlink_to(Path(sys.prefix))
    return copy


def _run(copy: Path, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPACK_", "BINANCE_", "OKX_", "PYTEST_"))}
    env["PYTHONPATH"] = f"{copy}{os.pathsep}{copy / 'generated'}"
    return subprocess.run(
        ["bash", "-c", command], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _make(target: str) -> str:
    return f"make --no-print-directory -o {STAMP} {target}"


@pytest.mark.skipif(not (REPO / STAMP).exists(), reason="needs the venv `make venv` builds")
def test_one_yaml_file_and_make_generate_add_a_signed_contract_tested_endpoint(tmp_path: Path) -> None:
    yaml_block, commands, call, output = (block(SECTION, i) for i in range(FIRST, FIRST + 4))
    assert (yaml_block.lang, commands.lang, call.lang, output.lang) == ("yaml", "sh", "python", "text")
    assert f"`{TARGET}`" in (REPO / "README.md").read_text(), "the README must name the file it shows"
    assert commands.text.split("#")[0].split() == ["make", "generate", "&&", "make", "test"]
    copy = _copy_of_the_repository(tmp_path)
    (copy / TARGET).write_text(yaml_block.text, encoding="utf-8")

    generated = _run(copy, _make("generate"))
    assert generated.returncode == 0, generated.stdout + generated.stderr
    module = copy / "generated/okx_client/api/account/get_max_withdrawal.py"
    assert module.is_file() and "def sync(" in module.read_text()
    assert "from okx_client.api.account import get_max_withdrawal" in (copy / "README.md").read_text()

    checked = _run(copy, _make("check"))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    suites = " ".join(SUITES)
    tested = _run(copy, f"{sys.executable} -m pytest -q -rA -p no:randomly -k get_max_withdrawal {suites}")
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    passed = re.findall(r"^PASSED (\S+)", tested.stdout, re.M)
    for name in MUST_RUN:
        assert any(name in test for test in passed), f"{name} did not run:\n{tested.stdout[-3000:]}"
    # The checker's tests over the specs (not the doc tools' own, which draft this very page as a new one); the
    # per-operation ones just ran for the new operation, so here they take one operation per kind.
    whole = _run(
        copy,
        f"{MATRIX_RUN_VARIABLE}=1 {sys.executable} -m pytest -q tests/codegen/test_generation.py "
        "tests/docs_check/test_check_docs.py",
    )
    assert whole.returncode == 0, whole.stdout[-4000:] + whole.stderr[-2000:]

    # The README's call of the new operation, on a sandbox started from the copy: decimal-or-empty reads as None.
    (copy / "call.py").write_text(call.text, encoding="utf-8")
    sandbox = f"{shlex.quote(sys.executable)} -m auth_plugins.sandbox --background --serve-for 120"
    script = f'eval "$({sandbox} 2>/dev/null)" && {shlex.quote(sys.executable)} call.py; kill $EXCHANGE_SANDBOX_PID'
    called = _run(copy, script)
    assert called.returncode == 0, called.stderr
    assert called.stdout == output.text


def test_a_misplaced_empty_string_example_stops_generation_naming_the_file_and_field(tmp_path: Path) -> None:
    # OKX's own example sends "" for spotOffsetMaxWd; declared as a plain decimal, generation must refuse it.
    text = block(SECTION, FIRST).text.replace(
        "spotOffsetMaxWd: {type: string, format: decimal-or-empty", "spotOffsetMaxWd: {type: string, format: decimal"
    )
    assert text != block(SECTION, FIRST).text
    copy = _copy_of_the_repository(tmp_path)
    (copy / TARGET).write_text(text, encoding="utf-8")
    result = _run(copy, f"{sys.executable} -m scripts.codegen --out {tmp_path / 'out'}")
    assert result.returncode == 1
    assert f"{TARGET}: the documented 200 example breaks the client's response check" in result.stderr
    assert "data[0].spotOffsetMaxWd" in result.stderr


def test_a_required_parameter_without_an_example_stops_generation_naming_the_file(tmp_path: Path) -> None:
    text = (
        block(SECTION, FIRST)
        .text.replace("required: false", "required: true")
        .replace("          example: BTC,ETH\n", "")
    )
    copy = _copy_of_the_repository(tmp_path)
    (copy / TARGET).write_text(text, encoding="utf-8")
    result = _run(copy, f"{sys.executable} -m scripts.codegen --out {tmp_path / 'out'}")
    assert result.returncode == 1
    assert f"{TARGET}: GET /api/v5/account/max-withdrawal: required parameter 'ccy' has no example" in result.stderr
    # Every exchange is checked before any is generated: OKX's refusal leaves nothing written, Backpack's included.
    assert not (tmp_path / "out").exists()


def test_a_schema_keyword_the_client_cannot_enforce_stops_generation_naming_the_file(tmp_path: Path) -> None:
    text = block(SECTION, FIRST).text.replace(
        "maxWd: {type: string, format: decimal,", "maxWd: {type: string, format: decimal, contentEncoding: base64,"
    )
    assert text != block(SECTION, FIRST).text
    copy = _copy_of_the_repository(tmp_path)
    (copy / TARGET).write_text(text, encoding="utf-8")
    result = _run(copy, f"{sys.executable} -m scripts.codegen --out {tmp_path / 'out'}")
    assert result.returncode == 1
    assert f"{TARGET}: GET /api/v5/account/max-withdrawal response 200" in result.stderr
    assert "contentEncoding" in result.stderr
