"""The reliability suite of issue 17 ("nothing lost, nothing unbounded"), each test a reproduction
of a red-team failure that must now fail the way it should:

* the ledger becomes unwritable mid-run: the bot reduces, halts, and exits non-zero with every fill
  either in the ledger or in the file it names (it used to trade on: 73 fills, 0 recorded, exit 0);
* an engine task crashes: orders cancelled, exit 1 (it used to exit 0, so Railway never restarted it);
* `--speed` is bounded and SIGTERM is honoured at the bound (`--speed inf` grew ~80 MB/s, ignored SIGTERM);
* `.inf`/NaN configs: tests/unit/test_config_safety.py; a second instance, kill -9 cycles with fills
  during the downtime, downtime recovery: tests/integration/test_instances.py, test_kill9_cycles.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml
from typer.testing import CliRunner

from tests.bot_harness import free_port, get

BIN = Path(sys.executable).parent / "lighter-bot"


def write_config(tmp: Path, port: int, **sections: Any) -> Path:
    data: dict[str, Any] = {
        "metrics": {"ledger_path": str(tmp / "data/metrics/fills.jsonl"),
                    "archive_dir": str(tmp / "data/metrics/archive"),
                    "positions_path": str(tmp / "data/metrics/positions.jsonl")},
        "telemetry": {"port": port},
        **sections,
    }
    p = tmp / "config.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def health(port: int) -> dict[str, Any] | None:
    try:
        return dict(json.loads(get(f"http://127.0.0.1:{port}/health")[1]))
    except (OSError, ValueError):
        return None


def wait_for(pred: Any, timeout: float, what: str, proc: subprocess.Popen[str] | None = None) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the bot exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
def test_unwritable_ledger_mid_run_halts_and_the_run_exits_non_zero_naming_the_saved_fills(tmp_path: Path) -> None:
    port = free_port()
    cfg = write_config(tmp_path, port, guard={"max_unrecorded_fills": 2})
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "LIGHTER_CONFIG": str(cfg)}
    proc = subprocess.Popen([str(BIN), "run", "--speed", "20", "--scenario", "vol_spike", "--duration", "3000"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sim = tmp_path / "data/metrics/sim"
    try:
        wait_for(lambda: any(p.stat().st_size > 0 for p in sim.glob("*/fills.jsonl")), 60, "a first recorded fill", proc)
        (run_dir,) = sim.iterdir()
        sim.rename(tmp_path / "data/metrics/sim.away")  # the disk under the run goes away
        sim.write_text("not a folder")
        states: list[str] = []

        def halted() -> bool:
            h = health(port)
            if h is not None:
                states.append(h["trading_state"])
                if h["trading_state"] == "HALTED":
                    assert "unrecorded fills queue full" in h["trading_state_reasons"], h
                    assert "ledger_writable" in h["failing"], h
                    return True
            return False

        wait_for(halted, 120, "the halt on an unwritable ledger", proc)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err
    summary = next(ln for ln in out.splitlines() if ln.startswith("summary:"))
    fills = int(summary.split("fills=")[1].split()[0])
    line = next(ln for ln in err.splitlines() if "could not be written to the ledger" in ln)
    saved_path = Path(line.split("saved to ")[1].split(":")[0])
    assert saved_path.parent == tmp_path / "tmp", line
    saved = [r["trade_id"] for r in json.loads(saved_path.read_text())["trades"]]
    ledger = tmp_path / "data/metrics/sim.away" / run_dir.name / "fills.jsonl"
    written = [json.loads(x)["trade_id"] for x in ledger.read_text().splitlines()]
    assert saved and written and not set(saved) & set(written)
    assert len(set(saved) | set(written)) == len(saved) + len(written) == fills, "a fill was lost or doubled"
    first_bad = next(i for i, st in enumerate(states) if st != "ACTIVE")
    assert "ACTIVE" not in states[first_bad:], states  # never trading freely again on a ledger that refuses writes


def test_an_engine_task_crash_cancels_every_order_and_exits_non_zero(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from lighter_bot.cli.app import app
    from lighter_bot.engine.core import EngineCore

    original = EngineCore.on_event
    seen = {"events": 0, "orders_at_crash": -1}

    def explodes_later(self: EngineCore, event: Any) -> Any:
        seen["events"] += 1
        if seen["events"] == 3000:
            seen["orders_at_crash"] = len(self.state.orders)
            raise OverflowError("math range error")  # what the red team's .inf config raised
        return original(self, event)

    monkeypatch.setattr(EngineCore, "on_event", explodes_later)
    saved = structlog.get_config()
    try:
        res = CliRunner().invoke(app, ["run", "--config", str(write_config(tmp_path, 0)), "--speed", "20",
                                       "--scenario", "vol_spike", "--duration", "3000"])
    finally:
        structlog.configure(**saved)
    assert seen["orders_at_crash"] > 0, "nothing was resting when the engine crashed: nothing tested"
    assert res.exit_code == 1, res.output[-2000:]
    assert "engine task failed (pump: OverflowError('math range error'))" in res.output
    assert "resting_orders_left=0" in res.output


@pytest.mark.parametrize("speed", ["inf", "nan", "101", "-1"])
def test_speed_out_of_bounds_is_refused(tmp_path: Path, speed: str) -> None:
    r = subprocess.run([str(BIN), "run", "--speed", speed, "--duration", "1",
                        "--config", str(write_config(tmp_path, 0))], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--speed" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.slow
def test_sigterm_is_honoured_at_the_highest_speed_with_bounded_memory(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([str(BIN), "run", "--speed", "100", "--scenario", "vol_spike",
                             "--config", str(write_config(tmp_path, port))],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (health(port) or {}).get("status") == "healthy", 30, "healthy", proc)
        rss = []
        for _ in range(6):
            time.sleep(0.5)
            rss.append(int(Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]))
        h = health(port)
        assert h is not None and h["trading_state"] == "ACTIVE", h  # the simulator keeps up with its clock
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        stop_s = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-2000:]
    assert stop_s < 10, f"SIGTERM took {stop_s:.1f} s"
    assert rss[-1] - rss[0] < 40_000, f"RSS grew {rss} KB in 2.5 s"
    print(f"\n--speed 100: SIGTERM to exit {stop_s:.2f} s; RSS {rss[0] // 1024} -> {rss[-1] // 1024} MB over 2.5 s")
