"""The README's `make run RUN_ARGS="..."` example, run as make would run it (the command `make -n`
prints), ends with fills: the first simulated minutes of `make run` show the bot trading."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.bot_harness import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.skipif(not (REPO / ".venv" / ".installed").exists(), reason="needs the checkout's .venv (make venv)")
def test_the_readme_example_ends_with_fills(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    m = re.search(r'^make run RUN_ARGS="([^"]+)"$', readme, re.M)
    assert m, "the README shows a `make run RUN_ARGS=...` example"
    dry = subprocess.run(["make", "-s", "-n", "run", f"RUN_ARGS={m.group(1)}"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    argv = shlex.split(dry.stdout.strip().splitlines()[-1])
    assert argv[0] == ".venv/bin/lighter-bot" and argv[1] == "run", dry.stdout
    assert "--speed" in argv[:4], "make run plays the simulator faster than real time by default"
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["telemetry"]["port"] = free_port()  # the rest is the operator's config.yaml, as `make run` uses it
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    r = subprocess.run([str(REPO / argv[0]), *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = next(ln for ln in r.stdout.splitlines() if ln.startswith("summary:"))
    fills = int(summary.split("fills=")[1].split()[0])
    assert fills > 0, summary
    readme_fills = int(re.search(r"^summary: fills=(\d+)", readme, re.M).group(1))  # type: ignore[union-attr]
    assert abs(fills - readme_fills) <= max(3, readme_fills // 3), (fills, readme_fills)  # the README's output is real
