"""The compiled build (`make native`, src/lighter_bot/native.py) and the interpreted sources give the same
runs: same fills, commands, PnL and statistics on the same events, for the synthetic simulator and a real
recording's tape, with the strategy variants the matrix compares. And a stale build is refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lighter_bot import native
from tests.conftest import REPO, shared_path  # REPO: the runs read profiles/ from there

RECORDING = shared_path() / "data" / "hyperliquid_perp" / "hl_20250904_orderbooks_SOL.csv.gz"

# Runs each case with whichever build the interpreter finds on PYTHONPATH; prints where the engine core
# was loaded from, then one JSON row per case (the timing fields dropped: they are the only ones allowed
# to differ).
SCRIPT = """
import json, sys
import lighter_bot.engine.core as core
from lighter_bot.backtest.matrix import Case, run_case
from lighter_bot.config import BotConfig
print(core.__file__)
for scenario, seed, variant, duration in json.loads(sys.argv[1]):
    row = run_case(Case(scenario, seed, variant, duration), BotConfig())
    print(json.dumps({k: v for k, v in row.items() if "wall" not in k and "per_second" not in k}, sort_keys=True))
"""


def run(pythonpath: Path, cases: list[tuple[str, int, str, float | None]]) -> tuple[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(cases)], env=env, capture_output=True, text=True,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    return lines[0], lines[1:]


def test_compiled_and_interpreted_builds_give_the_same_runs(tmp_path: Path) -> None:
    if not native.compiled():
        pytest.skip("the engine is not compiled here (`make native` builds it; `make test` does first)")
    cases: list[tuple[str, int, str, float | None]] = [
        ("vol_spike", 2, "full", 300.0), ("vol_spike", 2, "baseline", 300.0), ("flash_crash", 5, "glft", 300.0)]
    if RECORDING.is_file():  # the tape path on a real recording (skipped where ../shared is absent)
        cases += [(f"data:{RECORDING}", 1, "baseline", None), (f"data:{RECORDING}", 1, "glft", None)]
    src = tmp_path / "src"
    shutil.copytree(native.PACKAGE, src / "lighter_bot", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    where_i, interpreted = run(src, cases)
    where_c, compiled = run(native.SRC, cases)
    assert where_i.endswith(".py") and where_c.endswith(".so"), (where_i, where_c)
    assert len(compiled) == len(cases)
    assert sum(json.loads(r)["fills"] for r in compiled) > 0  # the runs trade: the comparison has fills in it
    for c, i in zip(compiled, interpreted, strict=True):
        assert c == i


def test_a_build_older_than_its_source_is_refused(tmp_path: Path) -> None:
    pkg = tmp_path / "lighter_bot"
    (pkg / "engine").mkdir(parents=True)
    shutil.copy(native.PACKAGE / "__init__.py", pkg / "__init__.py")
    shutil.copy(native.PACKAGE / "native.py", pkg / "native.py")
    so = pkg / "engine" / "core.cpython-311-x86_64-linux-gnu.so"
    so.write_bytes(b"")  # never loaded: the package refuses to import first
    (pkg / "engine" / "core.py").write_text("")
    os.utime(so, (1.0, 1.0))  # built long before its source changed
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "import lighter_bot"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "older than lighter_bot/engine/core.py" in out.stderr and "make native" in out.stderr
    os.utime(so)  # rebuilt: imports again
    ok = subprocess.run([sys.executable, "-c", "import lighter_bot"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
