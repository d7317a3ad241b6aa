"""Sweep and matrix on a real Ray cluster: a Ray head started on 127.0.0.1, the `lighter-bot` CLI as the
driver (`--ray-address`), results equal to the same runs in local processes.

Needs the optional Ray extra (`make venv-ray`; .ci/run installs it). Without it the tests skip, naming
the install failure .ci/run recorded, if any.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lighter_bot.backtest.cluster import on_node
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.scenarios import make_scenario
from lighter_bot.venues.sim.source import Row
from lighter_bot.venues.sim.tape import chunks_of

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RAY_INSTALL_FAILED = REPO / ".venv" / ".ray-install-failed"  # written by .ci/run when `make venv-ray` fails
# Ray turns 127.0.0.1 into the machine's outward address unless it is told that the cluster is this one
# machine; with this every Ray process and socket stays on loopback (the test machine allows no other traffic).
RAY_ENV = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def ray_missing_reason() -> str | None:
    if importlib.util.find_spec("ray") is not None and (BIN / "ray").is_file():
        return None
    if RAY_INSTALL_FAILED.is_file():
        return RAY_INSTALL_FAILED.read_text().strip()
    return "Ray is not installed in this venv (the optional extra: `make venv-ray`)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    reason = ray_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    log = Path(tmp) / "head.log"
    with log.open("w") as out:
        head = subprocess.Popen(
            [str(BIN / "ray"), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={tmp}"],
            env=RAY_ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text():
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Ray head did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        # Only the processes of this head: it runs in its own session (process group). Ray's GCS ignores
        # SIGTERM for a long while; nothing of this throwaway cluster needs to be kept, so SIGKILL follows.
        os.killpg(head.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=3)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)
        head.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("raysweep")
    (d / "config.yaml").write_text("{}\n")
    # A small recording (hftbacktest .npz) that the workers read from its path.
    rows = list(make_scenario("vol_spike", 11, 40.0))
    replay.save_npz(_Rows(rows), d / "rec.npz")
    return d


@dataclass
class _Rows:
    """A scenario's rows as a Recording (what save_npz writes)."""

    rows: list[Row]
    market: MarketSpec = SOL_PERP
    source: str = "vol_spike"
    summary: LoadSummary = field(default_factory=lambda: LoadSummary("rows", ()))

    def chunks(self) -> Iterator[np.ndarray]:
        return iter(chunks_of(self.rows))


def cli(args: list[str], ray_address: str | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--ray-address", ray_address] if ray_address else []
    return subprocess.run([str(BIN / "lighter-bot"), *args, *extra], env=RAY_ENV, capture_output=True, text=True,
                          timeout=240, cwd=REPO)


def test_sweep_on_a_ray_cluster_equals_the_local_sweep(ray_head: str, workdir: Path) -> None:
    args = ["sweep", "--scenarios", "vol_spike", "--data", str(workdir / "rec.npz"), "--duration", "30",
            "--trials", "3", "--jobs", "2", "--config", str(workdir / "config.yaml")]
    local = cli([*args, "--json-out", str(workdir / "local.json")])
    assert local.returncode == 0, local.stderr
    remote = cli([*args, "--json-out", str(workdir / "ray.json")], ray_head)
    assert remote.returncode == 0, remote.stderr
    a, b = (json.loads((workdir / n).read_text()) for n in ("local.json", "ray.json"))
    assert len(a["trials"]) == 3
    assert a == b  # same trials, values and best parameters


def test_matrix_on_a_ray_cluster_equals_the_local_matrix(ray_head: str, workdir: Path) -> None:
    args = ["matrix", "--scenarios", "vol_spike", "--data", str(workdir / "rec.npz"), "--seeds", "1",
            "--duration", "30", "--config", str(workdir / "config.yaml")]
    local = cli([*args, "--jobs", "1", "--json-out", str(workdir / "m_local.json")])
    assert local.returncode == 0, local.stderr
    remote = cli([*args, "--json-out", str(workdir / "m_ray.json")], ray_head)
    assert remote.returncode == 0, remote.stderr

    def rows(name: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "wall_seconds"} for r in json.loads((workdir / name).read_text())]

    a, b = rows("m_local.json"), rows("m_ray.json")
    assert len(a) >= 4 and {"baseline", "full"} <= {r["variant"] for r in a}  # both sources, every variant
    assert a == b
    assert remote.stdout == local.stdout  # the same table


def test_unreachable_cluster_is_a_clear_user_error(workdir: Path) -> None:
    if ray_missing_reason() is not None:
        pytest.skip(str(ray_missing_reason()))
    r = cli(["sweep", "--scenarios", "calm", "--trials", "1", "--duration", "30", "--config",
             str(workdir / "config.yaml")], f"127.0.0.1:{free_port()}")
    assert r.returncode == 2 and "nothing answers there" in r.stderr and "Traceback" not in r.stderr


def test_a_node_that_cannot_read_a_recording_says_which_and_why(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="same path on every node") as err:
        on_node(replay.load, [tmp_path / "missing.gz"])
    assert "missing.gz: file not found" in str(err.value) and socket.gethostname() in str(err.value)
