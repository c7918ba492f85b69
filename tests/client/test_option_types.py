"""Every factory option is type-checked: mypy --strict, run as a user would on a script outside the repository,
flags a misspelled keyword and a wrong type on each exchange's ``make_client`` and ``client_from_env``, and passes
the correctly spelled script. That the script lives in a temporary folder also proves that the installed packages
(auth_plugins and the generated clients, through the editable install's .pth) are visible to mypy with their
types (``py.typed``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Final

CREDENTIALS: Final = {
    "backpack": 'api_secret="nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="',
    "binance": 'api_key="key", api_secret="secret"',
    "okx": 'api_key="key", api_secret="secret", passphrase="phrase"',
}

GOOD: Final = """
from auth_plugins import RetryPolicy, backpack, binance, okx
from backpack_client import AuthenticatedClient as BackpackClient

b: BackpackClient = backpack.make_client({backpack}, timeout=1, retry=RetryPolicy(max_retries=0), rate_limit=False)
n = binance.make_client({binance}, base_url="http://127.0.0.1:9", headers={{"X-Tag": "1"}}, max_response_bytes=4096)
o = okx.make_client({okx}, demo=True, verify_ssl=False, rate_limit="redis://127.0.0.1:6379/0")
e = okx.client_from_env(timeout=2.5)
print(b, n, o, e)
"""
MISSPELLED: Final = """
from auth_plugins import {exchange}

{exchange}.make_client({credentials}, timout=1)
{exchange}.client_from_env(retries=2)
"""
WRONG_TYPE: Final = """
from auth_plugins import {exchange}

{exchange}.make_client({credentials}, timeout="1")
{exchange}.client_from_env(retry=3)
"""


def _mypy(folder: Path, *scripts: Path) -> dict[str, list[str]]:
    """Run the venv's mypy --strict on ``scripts`` from ``folder`` with no config of ours; errors per file name."""
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "MYPYPATH")}
    command = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(folder / ".cache")]
    arguments = [*command, *(script.name for script in scripts)]
    result = subprocess.run(arguments, cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: dict[str, list[str]] = {script.name: [] for script in scripts}
    for line in result.stdout.splitlines():
        match = re.match(r"([\w.]+):\d+: error: (.*)", line)
        assert match is not None or ": note:" in line, f"unexpected mypy output: {line}\n{result.stdout}"
        if match is not None:
            errors[match[1]].append(match[2])
    return errors


def test_mypy_flags_misspelled_and_mistyped_options_on_every_exchange_and_passes_a_correct_script(
    tmp_path: Path,
) -> None:
    assert not tmp_path.resolve().is_relative_to(Path(__file__).resolve().parents[2])
    scripts = [tmp_path / "good.py"]
    scripts[0].write_text(GOOD.format(**CREDENTIALS), encoding="utf-8")
    for exchange, credentials in CREDENTIALS.items():
        for kind, template in (("misspelled", MISSPELLED), ("wrong_type", WRONG_TYPE)):
            script = tmp_path / f"{kind}_{exchange}.py"
            script.write_text(template.format(exchange=exchange, credentials=credentials), encoding="utf-8")
            scripts.append(script)

    errors = _mypy(tmp_path, *scripts)

    assert errors.pop("good.py") == []
    for exchange in CREDENTIALS:
        misspelled, wrong = errors[f"misspelled_{exchange}.py"], errors[f"wrong_type_{exchange}.py"]
        assert len(misspelled) == 2, misspelled
        assert 'Unexpected keyword argument "timout" for "make_client"' in misspelled[0]
        assert 'Unexpected keyword argument "retries" for "client_from_env"' in misspelled[1]
        assert len(wrong) == 2, wrong
        assert re.search(r'Argument "timeout" to "make_client" has incompatible type "str"; expected "float"', wrong[0])
        assert re.search(
            r'Argument "retry" to "client_from_env" has incompatible type "int"; expected "RetryPolicy"', wrong[1]
        )
