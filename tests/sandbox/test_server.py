"""The standalone sandbox server: ``python -m auth_plugins.sandbox`` and its reusable ``main(argv)``.

What it prints is run through a real shell, and the factories' ``client_from_env`` then call every exchange with
what the shell was given: once with the keys it exports, once after the commented commands that switch Binance
to its other key and OKX to its other environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from auth_plugins.sandbox import BINANCE_CREDENTIALS, OKX_CREDENTIALS, main
from tests._specs import REPO

# Calls one signed operation per exchange through client_from_env; prints the API key each one was sent with.
CALLER: Final = textwrap.dedent(
    """
    from auth_plugins import RetryPolicy, backpack, binance, okx
    from backpack_client.api.account import get_max_borrow_quantity
    from binance_client.api.margin import query_max_borrow
    from okx_client.api.account import get_max_loan

    with backpack.client_from_env() as client:
        assert get_max_borrow_quantity.sync(client=client, symbol="BTC").symbol == "BTC"
    with binance.client_from_env(retry=RetryPolicy(max_retries=0)) as client:
        assert query_max_borrow.sync(client=client, asset="BTC").amount
        print(client.get_httpx_client().headers["X-MBX-APIKEY"])
    with okx.client_from_env(retry=RetryPolicy(max_retries=0)) as client:
        assert get_max_loan.sync(client=client, mgn_mode="cross", inst_id="ETH-USDT").data[0].inst_id == "ETH-USDT"
        print(client.get_httpx_client().headers["OK-ACCESS-KEY"])
    """
)


def _free_ports(count: int) -> int:
    """A first port of ``count`` consecutive ports that are free right now on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first: int = probe.getsockname()[1]
        if first + count > 65535:
            continue
        sockets = []
        try:
            for port in range(first, first + count):
                taken = socket.socket()
                sockets.append(taken)
                taken.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for taken in sockets:
                taken.close()
        return first
    raise RuntimeError("no run of free ports found")


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BACKPACK_", "BINANCE_", "OKX_", "PYTEST_")) and k != "PYTHONPATH"
    }


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], list[str], int]]:
    """A running ``python -m auth_plugins.sandbox --port N --serve-for 60``, its printed lines and N."""
    port = _free_ports(3)
    process = subprocess.Popen(
        [sys.executable, "-m", "auth_plugins.sandbox", "--port", str(port), "--serve-for", "60"],
        cwd=REPO,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("#   export OKX_DEMO="):
            line = process.stdout.readline()
            assert line, f"the server exited early: {process.communicate(timeout=10)}"
            lines.append(line.rstrip("\n"))
        yield process, lines, port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def _run_in_shell(tmp_path: Path, lines: list[str]) -> list[str]:
    """Source ``lines`` in bash, then run :data:`CALLER` there; the API keys it printed."""
    (tmp_path / "sandbox.env").write_text("\n".join(lines) + "\n")
    (tmp_path / "caller.py").write_text(CALLER)
    command = f'. ./sandbox.env && exec "{sys.executable}" caller.py'
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_server_prints_every_credential_as_shell_lines_that_work(
    server: tuple[subprocess.Popen[str], list[str], int], tmp_path: Path
) -> None:
    process, lines, port = server
    exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
    assert [exports[f"{name}_BASE_URL"] for name in ("BACKPACK", "BINANCE", "OKX")] == [
        f"http://127.0.0.1:{port + offset}" for offset in range(3)
    ]
    assert exports["BINANCE_API_KEY"] == BINANCE_CREDENTIALS.hmac_api_key and exports["OKX_DEMO"] == "0"
    assert "unset BINANCE_PRIVATE_KEY_FILE" in lines

    # As printed: Binance on HMAC, OKX live.
    assert _run_in_shell(tmp_path, lines) == [BINANCE_CREDENTIALS.hmac_api_key, OKX_CREDENTIALS.api_key]

    # The commented commands switch to Binance's Ed25519 key file and OKX demo trading.
    switched = lines + [line.removeprefix("#   ") for line in lines if line.startswith("#   ")]
    key_file = Path(next(line.split("=", 1)[1] for line in switched if line.startswith("export BINANCE_PRIVATE_KEY")))
    assert key_file.read_text() == BINANCE_CREDENTIALS.ed25519_private_key_pem
    assert _run_in_shell(tmp_path, switched) == [BINANCE_CREDENTIALS.ed25519_api_key, OKX_CREDENTIALS.demo_api_key]

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0 and "stopped" in stderr
    assert not key_file.exists(), "the key file outlived the server"


def test_main_serves_for_a_bounded_time_with_the_chosen_keys(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["--serve-for", "0.2", "--binance-key", "ed25519", "--okx-demo", "--enforce-rate-limits"]) == 0
    assert 0.2 <= time.monotonic() - started < 5
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert f"export BINANCE_API_KEY={BINANCE_CREDENTIALS.ed25519_api_key}" in lines
    assert "unset BINANCE_API_SECRET" in lines and "export OKX_DEMO=1" in lines
    assert f"#   export OKX_API_KEY={OKX_CREDENTIALS.api_key}" in lines
    assert f"#   export BINANCE_API_SECRET={BINANCE_CREDENTIALS.hmac_api_secret}" in lines
    assert "rate limits enforced" in err and "serving for 0.2 s" in err
    key_file = Path(next(line.split("=", 1)[1] for line in lines if line.startswith("export BINANCE_PRIVATE_KEY")))
    assert not key_file.exists()


def test_main_reports_a_taken_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port), "--serve-for", "0.1"], prog="exchange-clients sandbox") == 2
    assert capsys.readouterr().err.startswith("exchange-clients sandbox: cannot listen on 127.0.0.1")


@pytest.mark.parametrize(
    "argv",
    [["--serve-for", "0"], ["--serve-for", "soon"], ["--port", "65534"], ["--port", "0"], ["--binance-key", "rsa"]],
)
def test_main_refuses_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: python -m auth_plugins.sandbox" in capsys.readouterr().err


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_background_returns_once_listening_and_one_eval_readies_the_shell(tmp_path: Path) -> None:
    (tmp_path / "caller.py").write_text(CALLER)
    script = f"""
        eval "$("{sys.executable}" -m auth_plugins.sandbox --background --serve-for 60)"
        echo "pid=$EXCHANGE_SANDBOX_PID"
        "{sys.executable}" caller.py
    """
    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    first, *keys = result.stdout.split()
    pid = int(first.removeprefix("pid="))
    try:
        # The shell returned while the server kept serving: the caller's signed calls all answered.
        assert keys == [BINANCE_CREDENTIALS.hmac_api_key, OKX_CREDENTIALS.api_key]
        assert f"kill {pid}" in result.stderr and _alive(pid)
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "SIGTERM did not stop the background sandbox"


def test_background_reports_a_server_that_cannot_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "auth_plugins.sandbox", "--background", "--port", str(port)]
        result = subprocess.run(command, cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert "cannot listen on 127.0.0.1" in result.stderr
