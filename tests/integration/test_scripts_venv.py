"""scripts/_venv.py: a script started by any `python` re-executes in the checkout's `.venv` when there
is one; without one, and without the bot's dependencies, it says how to fix it (exit 2, no traceback)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
PROBE = "import sys\nimport _venv\n\n_venv.use_project_python()\nimport typer  # noqa\nprint(sys.prefix)\n"


def checkout(tmp: Path, with_venv: bool) -> Path:
    root = tmp / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "_venv.py", root / "scripts" / "_venv.py")
    (root / "scripts" / "probe.py").write_text(PROBE)
    if with_venv:
        (root / ".venv").symlink_to(REPO / ".venv")
    return root


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "python").exists(), reason="needs the checkout's .venv")
def test_a_plain_python_re_executes_in_the_checkouts_venv(tmp_path: Path) -> None:
    root = checkout(tmp_path, with_venv=True)
    r = subprocess.run([str(BASE), "scripts/probe.py"], cwd=root, capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).resolve() == (REPO / ".venv").resolve()


def test_without_a_venv_a_python_lacking_the_dependencies_says_what_to_do(tmp_path: Path) -> None:
    if subprocess.run([str(BASE), "-c", "import typer"], capture_output=True).returncode == 0:
        pytest.skip(f"{BASE} has the bot's dependencies installed: nothing to refuse")
    root = checkout(tmp_path, with_venv=False)
    r = subprocess.run([str(BASE), "scripts/probe.py"], cwd=root, capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "make venv" in r.stderr and "no module 'typer'" in r.stderr
