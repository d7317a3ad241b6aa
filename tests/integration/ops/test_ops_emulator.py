"""The operator's tools against the Lighter API emulator (venues/emulator, served by the simulator's
exchange on 127.0.0.1): market metadata, spreads, a token minted by our rotation code and accepted by
the emulator's auth check, and trade PnL that agrees with the emulator's own account."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lighter.signer_client import SignerClient
from typer.testing import CliRunner

from lighter_bot.cli.app import app
from lighter_bot.config import load_config
from lighter_bot.ops import ws_token
from lighter_bot.venues.emulator import EmulatorHandle, memory_backend, running_emulator

pytestmark = pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning")


class EmulatorThread:
    """running_emulator() in its own thread and loop, so the CLI (which calls asyncio.run) can use it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.emu: EmulatorHandle
        self.loop: asyncio.AbstractEventLoop

    async def _main(self) -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=None)  # a still market: exact numbers
        async with running_emulator(backend) as emu:
            self.emu, self.loop, self._stop = emu, asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            await self._stop.wait()

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def __enter__(self) -> EmulatorThread:
        self._thread.start()
        assert self._ready.wait(30), "emulator did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as t:
        yield t


def cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_set_market_and_suggest_against_the_emulator(emulator: EmulatorThread, workdir: Path) -> None:
    url = emulator.emu.base_url
    code, out = cli("ops", "set-market", "--symbol", "SOL", "--balance-usd", "30", "--sizing-multiplier", "1.1",
                    "--profile-out", "profiles/market_<id>.yaml", "--activate", "--base-url", url)
    assert code == 0, out
    market = emulator.emu.exchange.market
    profile = yaml.safe_load((workdir / "profiles" / f"market_{market.market_id}.yaml").read_text())
    assert profile["metadata"]["min_base_amount"] == float(market.min_base_size)
    assert profile["maker"]["size_scale"] == market.size_scale and profile["maker"]["price_scale"] == market.price_scale
    cfg = load_config(workdir / "config.yaml")
    assert cfg.maker.market_id == market.market_id
    # the minimum clip clears Lighter's minimums at the emulator's current price
    mid_ticks = emulator.emu.exchange.book().best_bid
    assert market.meets_minimums(mid_ticks, market.size_to_lots_down(cfg.maker.size_min))

    code, out = cli("ops", "suggest-markets", "--top", "10", "--target-symbol", "SOL", "--json", "--base-url", url)
    assert code == 0, out
    target = json.loads(out)["target"]
    book = emulator.emu.exchange.book()
    bid, ask = market.px(book.best_bid), market.px(book.best_ask)
    assert target["spread_bps"] == pytest.approx((ask - bid) / ((ask + bid) / 2) * 1e4, abs=0.01)


def test_token_from_our_rotation_reads_trades_whose_pnl_matches_the_emulator(emulator: EmulatorThread, workdir: Path) -> None:
    emu = emulator.emu
    ex = emu.exchange
    m = ex.market

    async def trade() -> None:
        assert emu.api_private_key is not None
        c = SignerClient(emu.base_url, emu.account_index, {emu.api_key_index: emu.api_private_key})
        ioc, limit = SignerClient.ORDER_TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, SignerClient.ORDER_TYPE_LIMIT
        try:
            book = ex.book()
            for coi, lots, px, is_ask in ((1, 200, book.best_ask + 5, False), (2, 120, book.best_bid - 5, True)):
                _, _, err = await c.create_order(m.market_id, coi, lots, px, is_ask, limit, ioc, order_expiry=0)
                assert err is None, err
            end = time.monotonic() + 10
            while len(ex.fills.get(emu.account_index, [])) < 2 and time.monotonic() < end:
                await asyncio.sleep(0.05)
        finally:
            await c.close()

    emulator.call(trade())
    assert len(ex.fills[emu.account_index]) >= 2
    assert emu.api_private_key is not None
    creds = ws_token.Credentials(emu.api_private_key, emu.account_index, emu.api_key_index)
    token = asyncio.run(ws_token.create_token(emu.base_url, creds, 3600, int(time.time())))

    mid = m.px(ex.book().best_bid) + m.px(1)
    (workdir / ".env.bearer").write_text(f"LIGHTER_API_BEARER={token}\n")  # not on the command line
    code, out = cli("ops", "fetch-trades", "--base-url", emu.base_url, "--account", str(emu.account_index),
                    "--market-id", str(m.market_id), "--limit", "200", "--mark-mid", str(mid),
                    "--token-file", str(workdir / ".env.bearer"), "--json")
    assert code == 0, out
    assert token not in out
    [s] = json.loads(out)["markets"]
    acc = ex.account(emu.account_index)
    assert s["position"] == pytest.approx(m.sz(acc.position), abs=1e-12)
    assert s["realized_pnl"] == pytest.approx(acc.pnl.realized, abs=1e-9)
    assert s["taker_count"] == len(ex.fills[emu.account_index]) and s["maker_count"] == 0
    assert s["unrealized_pnl"] == pytest.approx(acc.pnl.unrealized(mid), abs=1e-9)

    # the emulator checks expiry, account and key (it cannot verify the signature): an expired token
    expired = asyncio.run(ws_token.create_token(emu.base_url, creds, 60, int(time.time()) - 3600))
    code, out = cli("ops", "fetch-trades", "--base-url", emu.base_url, "--account", str(emu.account_index), "--token", expired)
    assert code == 2 and "authentication failed" in out and "token expired" in out and expired not in out
    assert "invalid configuration" not in out
