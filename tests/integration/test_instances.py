"""Two bots on one account and market (issue 17 item 3): the second refuses to trade.

Before, a second bot started, cancelled the first one's orders and both stayed ACTIVE (13 untracked
cancels, 11 invalid nonces, a duplicated trade id in the ledger). Now:

* on one machine (one ledger folder): the second exits 2 at once on the folder lock, before it
  talks to the exchange;
* elsewhere (its own folder), next to a first bot whose quotes move (the market swings): the second
  sees them move during its start probe and exits 2 without cancelling anything;
* next to a quiet first bot (nothing moves during the probe): the second starts, and halts as soon
  as the first bot's new orders (an older client-index base) appear: /health names the reason and
  it leaves the first bot's orders alone, which keeps quoting.

The second bot uses its own API key on the account, as two deployments with separate keys would, so
nonce clashes (a different failure, of one key shared by two processes) stay out of the picture.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.bot_harness import free_port
from tests.bot_harness import write_config as harness_config
from tests.integration.test_live_run import Bots, wait_until

harness = pytest.importorskip("lighter_bot.venues.emulator.harness")
BIN = str(Path(sys.executable).parent / "lighter-bot")
SECOND_KEY_INDEX = 7


def config(root: Path, port: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return harness_config(root, port, maker={"trend": {"enabled": False}, "volatility": {"enabled": False}},
                          api={"tx_per_minute": 600})


async def start(emu: Any, cfg: Path, bots: Bots, key: tuple[int, str] | None = None) -> asyncio.subprocess.Process:
    env = {**os.environ, "LIGHTER_API_PRIVATE_KEY": key[1] if key else emu.api_private_key,
           "LIGHTER_ACCOUNT_INDEX": str(emu.account_index),
           "LIGHTER_API_KEY_INDEX": str(key[0] if key else emu.api_key_index),
           "NO_PROXY": "127.0.0.1,localhost", "WS_TOKEN_FILE": str(cfg.parent / "no-token-file")}
    p = await asyncio.create_subprocess_exec(BIN, "run", "--venue", "lighter", "--base-url", emu.base_url,
                                             "--config", str(cfg), stdout=asyncio.subprocess.PIPE,
                                             stderr=asyncio.subprocess.STDOUT, env=env)
    bots.procs.append(p)
    return p


def second_key(emu: Any) -> tuple[int, str]:
    priv, pub = harness.generate_api_key()
    emu.exchange.register_key(emu.account_index, SECOND_KEY_INDEX, pub)
    return SECOND_KEY_INDEX, priv


async def health(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http, \
            http.get(f"http://127.0.0.1:{port}/health") as r:
        return dict(await r.json())


async def output(proc: asyncio.subprocess.Process, timeout: float) -> tuple[int, str]:
    """Its exit code and output; a bot still running after `timeout` is killed (code -9)."""
    buf = bytearray()

    async def read() -> None:
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            buf.extend(chunk)

    reader = asyncio.create_task(read())
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    await reader
    return proc.returncode if proc.returncode is not None else -9, buf.decode(errors="replace")


def run_emulator(body: Any, **backend: Any) -> None:
    async def go() -> None:
        be = harness.memory_backend(trade_every_s=1e9, **backend)
        async with harness.running_emulator(be, cancel_all_min_delay_s=1.0, tx_limit_per_min=600) as emu:
            bots = Bots()
            try:
                await body(emu, bots)
            finally:
                await bots.kill_all()

    asyncio.run(asyncio.wait_for(go(), 180))


def quoting(emu: Any) -> bool:
    return {o.is_ask for o in emu.exchange.open_orders(emu.account_index) if o.visible} == {False, True}


@pytest.mark.slow
def test_second_bot_on_the_same_ledger_folder_exits_2_before_touching_the_exchange(tmp_path: Path) -> None:
    async def body(emu: Any, bots: Bots) -> None:
        port = free_port()
        cfg = config(tmp_path, port)
        first = await start(emu, cfg, bots)
        await wait_until(lambda: quoting(emu), 30, "the first bot's quotes")
        before = {o.order_index for o in emu.exchange.open_orders(emu.account_index)}
        code, text = await output(await start(emu, cfg, bots), 60)
        assert code == 2, text[-2000:]
        assert "another lighter-bot is running on this ledger" in text and f"pid {first.pid}" in text
        assert "lighter_venue_up" not in text and "Traceback" not in text
        assert before <= {o.order_index for o in emu.exchange.open_orders(emu.account_index)}, "orders touched"
        assert (await health(port))["trading_state"] == "ACTIVE"
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 60) == 0

    run_emulator(body)


@pytest.mark.slow
def test_second_bot_next_to_a_busy_first_one_refuses_at_start_and_cancels_nothing(tmp_path: Path) -> None:
    async def body(emu: Any, bots: Bots) -> None:
        port = free_port()
        first = await start(emu, config(tmp_path / "a", port), bots)
        await wait_until(lambda: quoting(emu), 30, "the first bot's quotes")
        be = emu.exchange.backend
        mid = be.best_bid

        async def busy_market() -> None:  # the mid drifts up 1.7 bps every 0.3 s: the first bot requotes
            for i in range(10_000):
                be.move_to(emu.exchange.sim_time(), mid + 25 * i)
                await asyncio.sleep(0.3)

        mover = asyncio.create_task(busy_market())
        try:
            code, text = await output(await start(emu, config(tmp_path / "b", free_port()), bots, second_key(emu)), 60)
        finally:
            mover.cancel()
        assert code == 2, text[-3000:]
        line = next(ln for ln in text.splitlines() if ln.startswith("error:"))
        assert "another bot is trading account" in line and "Refusing to start (nothing was cancelled)" in line, line
        assert "lighter_venue_up" not in text and "Traceback" not in text
        h = await health(port)
        assert h["trading_state"] == "ACTIVE" and h["checks"]["single_instance"], h
        assert quoting(emu)
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 60) == 0
        assert emu.exchange.open_orders(emu.account_index) == []

    run_emulator(body)


@pytest.mark.slow
def test_second_bot_next_to_a_quiet_first_one_halts_once_it_sees_it_and_leaves_it_alone(tmp_path: Path) -> None:
    async def body(emu: Any, bots: Bots) -> None:
        p1, p2 = free_port(), free_port()
        first = await start(emu, config(tmp_path / "a", p1), bots)
        await wait_until(lambda: quoting(emu), 30, "the first bot's quotes")
        second = await start(emu, config(tmp_path / "b", p2), bots, second_key(emu))
        seen: list[dict[str, Any]] = []

        async def second_halted() -> bool:
            try:
                h = await health(p2)
            except (aiohttp.ClientError, TimeoutError, ValueError):
                return False
            seen.append(h)
            return h["trading_state"] == "HALTED" and "another bot on this account" in h["trading_state_reasons"]

        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while not await second_halted():
            assert loop.time() < end, f"the second bot never halted: {seen[-3:]}"
            assert second.returncode is None
            await asyncio.sleep(0.25)
        h2 = seen[-1]
        assert h2["status"] == "unhealthy" and "single_instance" in h2["failing"], h2
        # The second bot sends nothing more and leaves the first one's orders alone: the first quotes on.
        await asyncio.sleep(1.5)
        h1 = await health(p1)
        assert h1["trading_state"] == "ACTIVE", h1
        assert quoting(emu), "the first bot's quotes were taken away"
        second.send_signal(signal.SIGTERM)
        _, text = await output(second, 60)
        assert "another_bot_on_account" in text and "Traceback" not in text
        up = json.loads(next(ln for ln in text.splitlines() if "lighter_venue_up" in ln))
        base2 = up["client_index_base"]
        mine2 = [o for o in emu.exchange.open_orders(emu.account_index) if o.client_order_index >= base2]
        assert mine2 == [], "the halted second bot left orders resting"
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 60) == 0
        assert emu.exchange.open_orders(emu.account_index) == []

    run_emulator(body)
