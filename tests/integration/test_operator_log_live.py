"""The log an operator tails (`railway logs`), read from a real `lighter-bot run --venue lighter` against
the emulator: our bid fills and passes the hedge trigger (a `fill` line per fill, a `hedge_step` line
per hedge order), the account stream drops (a `trading_state` line to HALTED naming the reason, and
back), and `status` lines come at the configured interval. stderr is a file here, so every line is
JSON with Railway's `message` and `level` fields."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.bot_harness import LEDGER, free_port
from tests.bot_harness import write_config as harness_config
from tests.integration.test_live_run import BOT, Bots, fill_our_bid, wait_until

harness = pytest.importorskip("lighter_bot.venues.emulator.harness", reason="the Lighter API emulator is not merged yet")


def lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for raw in path.read_text().splitlines():
        if raw.startswith("{"):
            out.append(json.loads(raw))
    return out


@pytest.mark.slow
def test_the_log_has_a_line_for_each_fill_the_hedge_and_the_halt(tmp_path: Path) -> None:
    async def go() -> None:
        backend = harness.memory_backend(trade_every_s=1e9)
        async with harness.running_emulator(backend, cancel_all_min_delay_s=1.0) as emu:
            cfg = harness_config(tmp_path, free_port(), maker={"trend": {"enabled": False}},
                                 telemetry={"status_log_seconds": 2.0})
            bots = Bots()
            try:
                await _run(emu, cfg, tmp_path)
            finally:
                await bots.kill_all()

    asyncio.run(asyncio.wait_for(go(), 180))


async def _run(emu: Any, cfg: Path, tmp: Path) -> None:
    log_path = tmp / "bot.log"
    env = dict(os.environ)
    env.update(LIGHTER_API_PRIVATE_KEY=emu.api_private_key, LIGHTER_ACCOUNT_INDEX=str(emu.account_index),
               LIGHTER_API_KEY_INDEX=str(emu.api_key_index), NO_PROXY="127.0.0.1,localhost",
               WS_TOKEN_FILE=str(tmp / "no-token-file"))
    with log_path.open("w") as err:
        proc = await asyncio.create_subprocess_exec(
            *BOT, "run", "--venue", "lighter", "--base-url", emu.base_url, "--config", str(cfg),
            stdout=asyncio.subprocess.DEVNULL, stderr=err, env=env)
        try:
            acct = emu.account_index
            has = lambda ev: lambda: any(e.get("event") == ev for e in lines(log_path))  # noqa: E731
            await wait_until(lambda: any(o.visible and not o.is_ask for o in emu.exchange.open_orders(acct)), 30, "quotes")
            await fill_our_bid(emu)  # one clip (0.071) is past hedger.trigger_units (0.07)
            await wait_until(lambda: emu.exchange.position(acct) != 0, 10, "a fill")
            await wait_until(has("hedge_step"), 15, "a hedge step in the log")
            await wait_until(has("status"), 10, "a status line")
            before = len(lines(log_path))
            emu.server.drop_ws()  # the account and book streams die: the bot halts until it reconnects

            def halted_and_back() -> bool:
                new = [(e.get("from"), e.get("to")) for e in lines(log_path)[before:] if e.get("event") == "trading_state"]
                return ("ACTIVE", "HALTED") in new and new[-1] == ("HALTED", "ACTIVE")

            await wait_until(halted_and_back, 30, "HALTED and back in the log")
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = await asyncio.wait_for(proc.wait(), 60)
    log = lines(log_path)
    assert rc == 0, log[-20:]
    ledger = [json.loads(x) for x in (tmp / LEDGER).read_text().splitlines()]
    fills = [e for e in log if e["event"] == "fill"]
    assert len(ledger) >= 1 and sorted(e["trade_id"] for e in fills) == sorted(r["trade_id"] for r in ledger)
    assert all(e["message"].startswith(("bought", "sold")) and e["level"] == "info" for e in fills)
    hedges = [e for e in log if e["event"] == "hedge_step"]
    assert hedges and hedges[0]["message"].startswith("hedge passive: sell")
    halts = [e for e in log if e["event"] == "trading_state" and e["to"] == "HALTED"]
    states = [(e["from"], e["to"]) for e in log if e["event"] == "trading_state"]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(states)), states  # one line per change
    assert halts and halts[0]["level"] == "warn" and halts[0]["reasons"], halts
    assert "trading ACTIVE -> HALTED: " in halts[0]["message"]
    status = [e for e in log if e["event"] == "status"]
    assert status and "tx/min" in status[-1]["message"] and "PnL 5m" in status[-1]["message"]
    assert all("message" in e and e["level"] in ("debug", "info", "warn", "error") for e in log)
