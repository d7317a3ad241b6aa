"""The operator's commands, exactly as written, against a real `lighter-bot run` process on the
simulator in a deployment-like directory (config.yaml, data/metrics/, scripts/):
`curl -sf http://127.0.0.1:<port>/health`, `python scripts/dump_metrics.py --filter portfolio_`,
`python scripts/metrics_tool.py dump | window --hours 6 | import-json --input
data/metrics/backfill.json | reset --confirm`; and the ledger agrees with the bot's own summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bot_harness import free_port
from tests.integration.test_telemetry_live import get

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "lighter-bot"


def py(root: Path, cmd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = cmd.split()
    assert argv[0] == "python"
    return subprocess.run([sys.executable, *argv[1:]], cwd=root, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_operator_commands_against_a_running_bot(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"telemetry": {"port": port}}))
    (tmp_path / "scripts").symlink_to(REPO / "scripts")
    env = {**os.environ, "LIGHTER_CONFIG": str(tmp_path / "config.yaml")}
    env.pop("LIGHTER_ACCOUNT_INDEX", None)
    proc = subprocess.Popen([str(BIN), "run", "--duration", "900", "--speed", "60", "--scenario", "sol_day"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        health: dict[str, Any] = {}
        while time.monotonic() < deadline and health.get("status") != "healthy":
            assert proc.poll() is None
            try:
                health = json.loads(get(f"http://127.0.0.1:{port}/health")[1])
            except OSError:
                time.sleep(0.2)
        assert health.get("status") == "healthy"
        if shutil.which("curl"):
            c = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/health"], capture_output=True, text=True)
            assert c.returncode == 0 and json.loads(c.stdout)["failing"] == []
        time.sleep(3)  # a few simulated minutes of quoting
        d = py(tmp_path, "python scripts/dump_metrics.py --filter portfolio_", env)
        assert d.returncode == 0, d.stderr
        names = [ln.split()[0] for ln in d.stdout.splitlines()]
        assert "portfolio_realized_quote" in names and all(n.startswith("portfolio_") for n in names)
        status, page = get(f"http://127.0.0.1:{port}/dashboard")
        assert status == 200 and "/static/plotly.min.js" in page
        data = json.loads(get(f"http://127.0.0.1:{port}/dashboard/data.json")[1])
        assert set(data["windows"]) == {"5m", "6h", "total"} and data["state"]["trading_state"] == "ACTIVE"
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-2000:]
    summary = next(ln for ln in out.splitlines() if ln.startswith("summary:"))
    fills = int(summary.split("fills=")[1].split()[0])
    realized = float(summary.split("realized_pnl=")[1].split()[0])
    # The simulator run recorded into its own folder, never into the live ledger.
    assert not (tmp_path / "data/metrics/fills.jsonl").exists()
    (ledger,) = (tmp_path / "data/metrics/sim").glob("*/fills.jsonl")
    rows = [json.loads(x) for x in ledger.read_text().splitlines()]
    assert fills > 0 and len(rows) == fills
    # metrics_tool reads the ledger its config names: point one at the run's folder.
    (tmp_path / "sim.yaml").write_text(yaml.safe_dump({"metrics": {
        "ledger_path": str(ledger), "archive_dir": str(ledger.parent / "archive"),
        "positions_path": str(ledger.parent / "positions.jsonl")}}))
    env = {**env, "LIGHTER_CONFIG": str(tmp_path / "sim.yaml")}

    dump = py(tmp_path, "python scripts/metrics_tool.py dump", env)
    assert dump.returncode == 0, dump.stderr
    snap = json.loads(dump.stdout)
    assert snap["total"]["fills"] == fills
    assert snap["total"]["realized_quote"] == pytest.approx(realized, abs=6e-5)  # the engine's own books
    assert (ledger.parent / "positions.jsonl").exists()
    w = json.loads(py(tmp_path, "python scripts/metrics_tool.py window --hours 6", env).stdout)
    assert w["fills"] == fills  # 15 simulated minutes
    last = max(r["timestamp"] for r in rows)
    assert snap["last_5m"]["fills"] == sum(1 for r in rows if r["timestamp"] > last - 300)

    (tmp_path / "data/metrics/backfill.json").write_text(json.dumps({"trades": rows}))
    imp = py(tmp_path, "python scripts/metrics_tool.py import-json --input data/metrics/backfill.json", env)
    assert imp.returncode == 0 and "imported 0 new" in imp.stdout, imp.stderr  # already in the ledger

    assert py(tmp_path, "python scripts/metrics_tool.py reset", env).returncode == 2
    assert py(tmp_path, "python scripts/metrics_tool.py reset --confirm", env).returncode == 0
    assert json.loads(py(tmp_path, "python scripts/metrics_tool.py dump", env).stdout)["total"]["fills"] == 0
