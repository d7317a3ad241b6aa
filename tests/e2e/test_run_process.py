"""`lighter-bot run` as a real process on the simulator: /health and /metrics over real HTTP,
fills in the ledger, and a clean exit (summary, code 0, nothing resting) at --duration and on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.bot_harness import free_port, get

BIN = Path(sys.executable).parent / "lighter-bot"


def write_config(tmp: Path) -> Path:
    cfg = {
        "metrics": {
            "ledger_path": str(tmp / "metrics" / "fills.jsonl"),
            "archive_dir": str(tmp / "metrics" / "archive"),
            "positions_path": str(tmp / "metrics" / "positions.jsonl"),
        }
    }
    p = tmp / "config.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def start(tmp: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {**os.environ, "LIGHTER_CONFIG": str(write_config(tmp))}
    proc = subprocess.Popen(
        [str(BIN), "run", "--port", str(port), *args],
        cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return proc, port


def wait_healthy(port: int, proc: subprocess.Popen[str], timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            code, body = get(f"http://127.0.0.1:{port}/health")
            last = body
            if code == 200:
                return dict(json.loads(body))
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"never healthy: {last}")


@pytest.mark.slow
def test_duration_run_serves_health_metrics_records_fills_and_exits_clean(tmp_path: Path) -> None:
    proc, port = start(tmp_path, "--duration", "900", "--speed", "60", "--scenario", "sol_day")
    health = wait_healthy(port, proc)
    assert health["status"] == "healthy" and health["trading_state"] == "ACTIVE"
    assert {"venue_connected", "book_age_seconds", "last_quote_age_seconds", "position", "uptime_seconds",
            "config_hash"} <= set(health)
    code, metrics = get(f"http://127.0.0.1:{port}/metrics")
    assert code == 200 and "portfolio_inventory_units" in metrics and "portfolio_realized_quote" in metrics
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    summary = next(line for line in out.splitlines() if line.startswith("summary:"))
    assert "resting_orders_left=0" in summary
    fills = int(summary.split("fills=")[1].split()[0])
    # A simulator run records into its own folder; the live ledger stays untouched.
    assert not (tmp_path / "metrics" / "fills.jsonl").exists()
    (ledger,) = (tmp_path / "metrics" / "sim").glob("*/fills.jsonl")
    rows = [json.loads(x) for x in ledger.read_text().splitlines()]
    assert fills > 0 and len(rows) == fills
    assert len({r["trade_id"] for r in rows}) == len(rows)
    assert all(r["clock"] == "simulated" and r["source"] == "sim" for r in rows)


@pytest.mark.slow
def test_sigterm_cancels_and_exits_zero(tmp_path: Path) -> None:
    proc, port = start(tmp_path, "--speed", "5")
    wait_healthy(port, proc)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert "resting_orders_left=0" in out


def test_bad_config_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("maker:\n  size_min: 0.08\n")
    r = subprocess.run([str(BIN), "run", "--config", str(bad), "--duration", "1"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert "maker.size_min (0.08) must be <= maker.size_max (0.072)" in r.stderr
    assert "Traceback" not in r.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([str(BIN), "run", "--port", str(port), "--duration", "5"], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path, env={**os.environ, "LIGHTER_CONFIG": str(write_config(tmp_path))})
    assert r.returncode == 2 and "pass --port" in r.stderr and "Traceback" not in r.stderr
