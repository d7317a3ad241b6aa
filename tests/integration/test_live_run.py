"""End to end: `lighter-bot run --venue lighter --base-url ...` against the emulator.

The bot quotes and gets filled; its ledger, its position and the emulator's account agree;
after SIGTERM none of its orders rest; a kill -9 and a restart leave no orphans and the right
position; neither the private key nor an auth token ever appears in its output.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.bot_harness import LEDGER, free_port
from tests.bot_harness import write_config as harness_config

harness = pytest.importorskip(
    "lighter_bot.venues.emulator.harness", reason="the Lighter API emulator (branch `emulator`) is not merged yet"
)

BOT = [str(Path(sys.executable).parent / "lighter-bot")]
TOKEN_RE = re.compile(r"\d{10}:\d+:\d+:[0-9a-f]{160}")


def write_config(tmp: Path, port: int) -> Path:
    return harness_config(tmp, port, maker={"trend": {"enabled": False}})


async def start_bot(emu: Any, cfg: Path) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env.update(
        LIGHTER_API_PRIVATE_KEY=emu.api_private_key,
        LIGHTER_ACCOUNT_INDEX=str(emu.account_index),
        LIGHTER_API_KEY_INDEX=str(emu.api_key_index),
        NO_PROXY="127.0.0.1,localhost",
        WS_TOKEN_FILE=str(cfg.parent / "no-token-file"),
    )
    return await asyncio.create_subprocess_exec(
        *BOT, "run", "--venue", "lighter", "--base-url", emu.base_url, "--config", str(cfg),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )


class Bots:
    """Every bot process a test starts is killed at the end, even when an assertion fails."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, emu: Any, cfg: Path) -> asyncio.subprocess.Process:
        p = await start_bot(emu, cfg)
        self.procs.append(p)
        return p

    async def kill_all(self) -> None:
        for p in self.procs:
            if p.returncode is None:
                p.kill()
                await p.wait()


async def wait_until(pred: Any, timeout: float, what: str, out: bytearray | None = None) -> None:
    end = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > end:
            tail = out.decode(errors="replace")[-3000:] if out is not None else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        await asyncio.sleep(0.1)


def ledger_position(path: Path) -> Decimal:
    if not path.exists():
        return Decimal(0)
    return sum((Decimal(json.loads(line)["base_delta"]) for line in path.read_text().splitlines() if line), Decimal(0))


async def fill_our_bid(emu: Any) -> None:
    """Move the book down so its ask crosses our resting bid: the bid fills as a maker."""
    mine = [o for o in emu.exchange.open_orders(emu.account_index) if not o.is_ask and o.visible]
    assert mine, "no resting bid of ours"
    be = emu.exchange.backend
    be.move_to(emu.exchange.sim_time(), max(o.price for o in mine) - 5)  # the new ask crosses our bid


@pytest.mark.slow
def test_run_quotes_gets_filled_and_sigterm_leaves_nothing(tmp_path: Path) -> None:
    async def go() -> None:
        backend = harness.memory_backend(trade_every_s=1e9)
        async with harness.running_emulator(backend, cancel_all_min_delay_s=1.0) as emu:
            cfg = write_config(tmp_path, free_port())
            bots = Bots()
            try:
                await _quote_fill_sigterm(emu, backend, cfg, tmp_path, bots)
            finally:
                await bots.kill_all()

    asyncio.run(asyncio.wait_for(go(), 180))


async def _quote_fill_sigterm(emu: Any, backend: Any, cfg: Path, tmp_path: Path, bots: Bots) -> None:
    proc = await bots.start(emu, cfg)
    out = bytearray()

    async def read() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(4096):
            out.extend(chunk)

    reader = asyncio.create_task(read())
    acct = emu.account_index
    await wait_until(lambda: any(o.visible for o in emu.exchange.open_orders(acct)), 30, "quotes")
    start_bid = backend.best_bid
    await fill_our_bid(emu)
    await wait_until(lambda: emu.exchange.position(acct) > 0, 10, "our bid to fill", out)
    await asyncio.sleep(1.0)
    backend.move_to(emu.exchange.sim_time(), start_bid)
    await asyncio.sleep(3.0)
    fills = emu.exchange.fills.get(acct, [])
    assert any(o for o in fills), "no fills recorded by the emulator"
    proc.send_signal(signal.SIGTERM)
    rc = await asyncio.wait_for(proc.wait(), 60)
    await reader
    text = out.decode(errors="replace")
    assert rc == 0, text[-3000:]
    assert emu.exchange.open_orders(acct) == [], "orders left resting after SIGTERM"
    lots = emu.exchange.position(acct)
    assert ledger_position(tmp_path / LEDGER) == Decimal(lots).scaleb(-3), text[-2000:]
    assert emu.api_private_key not in text and emu.api_private_key[2:] not in text
    assert not TOKEN_RE.search(text), "an auth token leaked into the output"


@pytest.mark.slow
def test_kill9_then_restart_leaves_no_orphans_and_adopts_position(tmp_path: Path) -> None:
    async def go() -> None:
        backend = harness.memory_backend(trade_every_s=1e9)
        async with harness.running_emulator(backend, cancel_all_min_delay_s=1.0) as emu:
            cfg = write_config(tmp_path, free_port())
            acct = emu.account_index
            bots = Bots()
            try:
                await _kill9_restart(emu, cfg, tmp_path, acct, bots)
            finally:
                await bots.kill_all()

    asyncio.run(asyncio.wait_for(go(), 180))


async def _kill9_restart(emu: Any, cfg: Path, tmp_path: Path, acct: int, bots: Bots) -> None:
    proc = await bots.start(emu, cfg)
    await wait_until(lambda: any(o.visible and not o.is_ask for o in emu.exchange.open_orders(acct)), 30, "quotes")
    await fill_our_bid(emu)
    await wait_until(lambda: emu.exchange.position(acct) > 0, 10, "a fill")
    await asyncio.sleep(1.0)
    proc.kill()  # kill -9: no cancels, no goodbye
    await proc.wait()
    orphans = emu.exchange.open_orders(acct)
    assert orphans, "kill -9 should have left quotes behind for the restart to clean up"
    pos_before = emu.exchange.position(acct)
    proc2 = await bots.start(emu, cfg)
    out = bytearray()

    async def read() -> None:
        assert proc2.stdout is not None
        while chunk := await proc2.stdout.read(4096):
            out.extend(chunk)

    reader = asyncio.create_task(read())
    old = {o.order_index for o in orphans}
    await wait_until(
        lambda: not ({o.order_index for o in emu.exchange.open_orders(acct)} & old), 30, "orphans cancelled"
    )
    await asyncio.sleep(2.0)
    proc2.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc2.wait(), 60) == 0
    await reader
    text = out.decode(errors="replace")
    assert emu.exchange.open_orders(acct) == []
    # The restarted bot adopted the exchange's position at start (it may hedge afterwards).
    up = [line for line in text.splitlines() if "lighter_venue_up" in line]
    assert up and re.search(rf"position_lots\W{{1,3}}{pos_before}\b", up[0]), text[-2000:]
    assert ledger_position(tmp_path / LEDGER) == Decimal(emu.exchange.position(acct)).scaleb(-3)
