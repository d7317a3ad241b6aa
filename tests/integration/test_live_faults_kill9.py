"""The real bot killed with -9 in the middle of faults (frozen book, 5xx, slow acks) and restarted.

Checked: the restart cancels every orphan, adopts the exchange's position, quotes again after the
faults and leaves nothing after SIGTERM; the ledger never holds a fill twice or one not ours, and the
only fills missing are those made while no bot was running. Harness: test_live_faults_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.bot_harness import LEDGER
from tests.integration.test_live_faults_e2e import ledger_rows, read_into, run_under_faults, write_config
from tests.integration.test_live_run import Bots, free_port, wait_until

KILL_FAULTS = "frozen_book:at=12s:for=10s,http5xx:p=0.05,slow_ack:ms=400:p=0.5,http429:burst=2@16s"
KILL_AT = 12.5  # inside the frozen book, before the 5 s stale-book halt cancels the quotes
RESTART_AT = 15.0  # the book is still frozen, 5xx and slow acks go on, a 429 burst follows


@pytest.mark.slow
def test_kill9_during_faults_then_restart_cleans_orphans_and_adopts_position(tmp_path: Path) -> None:
    run_under_faults(9, KILL_FAULTS, _kill9_under_faults, tmp_path, 150)


async def _kill9_under_faults(emu: Any, tmp: Path, bots: Bots) -> None:
    cfg = write_config(tmp, free_port())
    acct = emu.account_index
    ex = emu.exchange
    proc = await bots.start(emu, cfg)
    out1 = bytearray()
    reader1 = asyncio.create_task(read_into(proc, out1))
    await wait_until(lambda: any(o.visible for o in ex.open_orders(acct)), 25, "first quotes", out1)
    seen = []
    while ex.elapsed() < KILL_AT or not any(o.visible for o in ex.open_orders(acct)):
        await asyncio.sleep(0.05)
        seen.append((round(ex.elapsed(), 1), len(ex.open_orders(acct)), ex.position(acct)))
        assert ex.elapsed() < 17.0, f"no quote resting when the kill was due {seen[::5]}\n{out1.decode()[-6000:]}"
    proc.kill()  # kill -9 with the book frozen and 5xx / slow acks in flight
    await proc.wait()
    await reader1
    killed_ms = ex.now_ms()
    orphans = {o.order_index for o in ex.open_orders(acct)}
    assert orphans, "kill -9 should have left quotes behind"
    while ex.elapsed() < RESTART_AT:
        await asyncio.sleep(0.05)
    proc2 = await bots.start(emu, cfg)
    out = bytearray()
    reader = asyncio.create_task(read_into(proc2, out))
    await wait_until(lambda: not ({o.order_index for o in ex.open_orders(acct)} & orphans), 30, "orphans cancelled", out)
    await wait_until(lambda: ex.elapsed() > 26.0 and any(o.visible for o in ex.open_orders(acct)), 30,
                     "quotes after the faults", out)
    proc2.send_signal(signal.SIGTERM)
    rc = await asyncio.wait_for(proc2.wait(), 60)
    await reader
    text = out.decode(errors="replace")
    assert rc == 0, text[-3000:]
    assert ex.open_orders(acct) == [], "orders left resting after SIGTERM"
    pos = ex.position(acct)
    # The restarted bot's position is the exchange's: adopted at start, moved by its own fills after.
    summary = next(line for line in text.splitlines() if line.startswith("summary:"))
    assert re.search(rf"position={Decimal(pos).scaleb(-3):.3f}\b", summary), (summary, pos)
    # Ledger: never a duplicate, nothing that is not ours; the only fills missing are those no bot
    # was listening for (from the kill until the new bot's account snapshot).
    up = json.loads(next(line for line in text.splitlines() if "lighter_venue_up" in line))
    up_ms = _iso_ms(up["timestamp"])
    ids = [str(r["trade_id"]) for r in ledger_rows(tmp / LEDGER)]
    assert len(ids) == len(set(ids)), "a fill was recorded twice"
    by_id = {str(t.trade_id): t for t in ex.fills.get(acct, [])}
    assert set(ids) <= set(by_id), sorted(set(ids) - set(by_id))[:5]
    missing = [by_id[i] for i in sorted(set(by_id) - set(ids))]
    assert all(killed_ms - 2000 <= t.ts_ms <= up_ms + 500 for t in missing), [(t.trade_id, t.ts_ms) for t in missing]
    print(f"\nkill -9 at t={KILL_AT}s (frozen book, 5xx, slow acks): {len(orphans)} orphan(s) cancelled by the "
          f"restart; final position {pos} lots == the bot's; {len(missing)} fill(s) happened while no bot was running")


def _iso_ms(ts: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
