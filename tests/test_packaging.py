"""`pip install .` gives the three generated packages and auth_plugins, needing only httpx, httpcore, pynacl."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tests._specs import NAMES, REPO, operations


def test_the_wheel_holds_every_package_and_only_the_runtime_dependencies(tmp_path: Path) -> None:
    # Offline on purpose: no build isolation, so nothing is fetched from an index.
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), "."]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"auth_plugins", "backpack_client", "binance_client", "okx_client"}
    for exchange in NAMES:
        assert f"{exchange}_client/py.typed" in names
        assert f"{exchange}_client/operations.py" in names
        for _, _, op in operations(exchange):
            assert f"{exchange}_client/api/{op['tags'][0]}/{op['operationId']}.py" in names
    assert "auth_plugins/py.typed" in names
    runtime = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)[^;\n]*$", metadata, re.M)
    assert sorted(name.lower() for name in runtime) == ["httpcore", "httpx", "pynacl"]
    assert re.search(r"^Requires-Python: >=3\.11$", metadata, re.M)


def test_the_editable_install_is_one_pth_file_and_the_build_prints_no_warnings(tmp_path: Path) -> None:
    # What `make venv` installs (pip install -e .): a static .pth naming the two source roots, which mypy and
    # other type checkers follow, instead of an import hook they cannot see; and the build says nothing.
    build = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            f"import hatchling.build as b; print(b.build_editable({str(tmp_path)!r}))",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    assert build.stderr == "" and "warning" not in build.stdout.lower()
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        code = [n for n in archive.namelist() if not n.split("/", 1)[0].endswith(".dist-info")]
        assert [n for n in code if not n.endswith(".pth")] == []
        (pth,) = code
        roots = archive.read(pth).decode().split()
    assert [Path(root) for root in roots] == [REPO, REPO / "generated"]
