"""Ledgers that cannot lie (issue 16 item 1, its "Done when"): two simulator runs and one live-venue
run (against the emulator) in one folder; the live ledger holds exactly the live fills, and
premium-check ignores the rest.

Before, every simulator run wrote into the live ledger with ids `sim-<seed>-<n>`: a second run with
the same seed repeated them and the ledger dropped its fills as duplicates (16 lines, not 32), and
premium-check counted simulated fills as live evidence.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.bot_harness import LEDGER, free_port
from tests.bot_harness import write_config as harness_config
from tests.integration.test_live_run import Bots, fill_our_bid, wait_until

harness = pytest.importorskip("lighter_bot.venues.emulator.harness")
BIN = str(Path(sys.executable).parent / "lighter-bot")


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def sim_run(root: Path, cfg: Path) -> tuple[int, Path]:
    r = subprocess.run([BIN, "run", "--config", str(cfg), "--scenario", "vol_spike", "--seed", "7",
                        "--duration", "300", "--speed", "100", "--port", "0"],
                       cwd=root, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    fills = int(next(ln for ln in r.stdout.splitlines() if ln.startswith("summary:")).split("fills=")[1].split()[0])
    ledger = Path(json.loads(next(ln for ln in r.stderr.splitlines() if "bot_started" in ln))["ledger"])
    return fills, ledger if ledger.is_absolute() else root / ledger


@pytest.mark.slow
def test_two_sim_runs_and_one_live_run_the_live_ledger_holds_only_live_fills(tmp_path: Path) -> None:
    cfg = harness_config(tmp_path, free_port(), maker={"trend": {"enabled": False}})
    live_ledger = tmp_path / LEDGER
    # Two simulator runs with the same seed in one folder: each keeps every fill, in its own folder.
    (n1, sim1), (n2, sim2) = sim_run(tmp_path, cfg), sim_run(tmp_path, cfg)
    assert n1 > 5 and n2 > 5 and sim1.parent != sim2.parent
    r1, r2 = rows(sim1), rows(sim2)
    assert (len(r1), len(r2)) == (n1, n2)
    assert not {r["trade_id"] for r in r1} & {r["trade_id"] for r in r2}, "two runs share trade ids"
    assert all(r["clock"] == "simulated" and r["source"] == "sim" for r in r1 + r2)
    assert not live_ledger.exists(), "a simulator run wrote into the live ledger"

    # One live run against the emulator, with a fill.
    async def live() -> list[str]:
        backend = harness.memory_backend(trade_every_s=1e9)
        async with harness.running_emulator(backend, cancel_all_min_delay_s=1.0) as emu:
            bots = Bots()
            try:
                proc = await bots.start(emu, cfg)
                acct = emu.account_index
                await wait_until(lambda: any(o.visible and not o.is_ask for o in emu.exchange.open_orders(acct)),
                                 30, "quotes")
                await fill_our_bid(emu)
                await wait_until(lambda: emu.exchange.position(acct) > 0, 10, "a fill")
                await asyncio.sleep(1.5)
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 60) == 0
                return [str(t.trade_id) for t in emu.exchange.fills.get(acct, [])]
            finally:
                await bots.kill_all()

    live_ids = asyncio.run(asyncio.wait_for(live(), 120))
    live_rows = rows(live_ledger)
    assert live_ids and sorted(str(r["trade_id"]) for r in live_rows) == sorted(live_ids)
    assert all(r["source"] == "lighter" and r["clock"] == "wall" for r in live_rows)

    # premium-check counts the live fills only; pointed at a ledger mixing all three runs (as one
    # written before this change would), it ignores the simulated ones and says so.
    def premium(*args: str) -> dict[str, Any]:
        r = subprocess.run([BIN, "premium-check", "--config", str(cfg), "--json", *args], capture_output=True,
                           text=True, timeout=60, env={**os.environ, "LIGHTER_CONFIG": str(cfg)})
        assert r.returncode == 0, r.stderr
        out: dict[str, Any] = json.loads(r.stdout)["numbers"]
        return out

    assert premium()["fills"] == len(live_ids) and premium()["ignored_simulated_fills"] == 0
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("".join(json.dumps(r) + "\n" for r in r1 + r2 + live_rows))
    n = premium("--ledger", str(mixed))
    assert n["fills"] == len(live_ids) and n["ignored_simulated_fills"] == n1 + n2
    text = subprocess.run([BIN, "premium-check", "--config", str(cfg), "--ledger", str(mixed)], capture_output=True,
                          text=True, timeout=60).stdout
    assert f"ignored {n1 + n2} simulated fill(s)" in text
