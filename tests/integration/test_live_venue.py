"""LighterVenue against the Lighter API emulator on loopback, through the real SDK signer.

Skipped until the emulator (branch `emulator`, `venues/emulator/harness.py`) is merged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from lighter_bot.config import BotConfig, Secrets
from lighter_bot.domain.commands import CancelAll, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    PositionSnapshot,
    VenueStatus,
)
from lighter_bot.domain.orders import Purpose, Side, TimeInForce
from lighter_bot.engine.clock import LiveClock
from lighter_bot.venues.lighter.venue import LighterVenue

harness = pytest.importorskip(
    "lighter_bot.venues.emulator.harness", reason="the Lighter API emulator (branch `emulator`) is not merged yet"
)


class Collector:
    """Reads the venue's event stream in the background, like the runner does."""

    def __init__(self, venue: LighterVenue) -> None:
        self.events: list[Event] = []
        self.task = asyncio.create_task(self._run(venue))

    async def _run(self, venue: LighterVenue) -> None:
        async for e in venue.events():
            self.events.append(e)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, pred: Callable[[], bool], timeout: float = 10.0) -> None:
        end = asyncio.get_running_loop().time() + timeout
        while not pred():
            if asyncio.get_running_loop().time() > end:
                raise AssertionError(f"timed out; last events: {self.events[-8:]}")
            await asyncio.sleep(0.05)


def venue_for(emu: Any, **settings: Any) -> LighterVenue:
    secrets = Secrets(
        api_private_key=SecretStr(emu.api_private_key), account_index=emu.account_index, api_key_index=emu.api_key_index
    )
    v = LighterVenue.create(BotConfig(), secrets, LiveClock(), base_url=emu.base_url)
    for k, val in settings.items():
        setattr(v.s, k, val)
    return v


async def kill_hard(v: LighterVenue) -> None:
    """What kill -9 leaves behind: connections dropped, no cancels sent."""
    await v._stop_tasks()
    await v.rest.close()
    if v.ctx.signer is not None:
        await v.ctx.signer.close()


@pytest.fixture
def emulator() -> Callable[..., Any]:
    def make(backend: Any = None, **kw: Any) -> Any:
        kw.setdefault("cancel_all_min_delay_s", 1.0)
        return harness.running_emulator(backend if backend is not None else harness.memory_backend(), **kw)

    return make


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 120))  # type: ignore[arg-type]


def test_quote_modify_fill_and_clean_shutdown(emulator: Callable[..., Any]) -> None:
    async def go() -> None:
        async with emulator(backend=harness.memory_backend()) as emu:
            v = venue_for(emu)
            await v.load_market()
            init = await v.start()
            assert [type(e) for e in init] == [PositionSnapshot, BookUpdate, VenueStatus]
            book = init[1].book
            c = Collector(v)
            bb, ba = book.best_bid, book.best_ask
            await v.submit([PlaceOrder(1, Side.BID, bb - 50, 70, TimeInForce.POST_ONLY),
                            PlaceOrder(2, Side.ASK, ba + 50, 70, TimeInForce.POST_ONLY)])
            await c.wait_for(lambda: len(c.of(OrderAccepted)) == 2)
            assert len(emu.exchange.open_orders(emu.account_index)) == 2
            await v.submit([ModifyOrder(1, bb - 40, 70)])
            await c.wait_for(lambda: any(e.client_id == 1 and e.price == bb - 40 for e in c.of(OrderModified)))
            # A crossing reduce-only-free IOC (a hedge) fills against the book.
            await v.submit([PlaceOrder(3, Side.ASK, bb - 200, 70, TimeInForce.IOC, purpose=Purpose.HEDGE_CROSS)])
            await c.wait_for(lambda: sum(f.size for f in c.of(OrderFilled)) == 70)
            fills = c.of(OrderFilled)
            assert len({f.trade_id for f in fills}) == len(fills)
            assert v.tracker.position == -70 == emu.exchange.position(emu.account_index)
            left = await v.shutdown()
            await c.task
            assert left == 0 and emu.exchange.open_orders(emu.account_index) == []
            assert 1 in {e.client_id for e in c.of(OrderCanceled)}

    run(go())


def test_kill_and_restart_adopts_position_and_leaves_no_orphans(emulator: Callable[..., Any]) -> None:
    async def go() -> None:
        async with emulator(backend=harness.memory_backend()) as emu:
            v1 = venue_for(emu)
            await v1.load_market()
            book = (await v1.start())[1].book
            c1 = Collector(v1)
            await v1.submit([PlaceOrder(1, Side.BID, book.best_bid - 30, 80, TimeInForce.POST_ONLY),
                             PlaceOrder(2, Side.BID, book.best_ask + 200, 80, TimeInForce.IOC, purpose=Purpose.HEDGE_CROSS)])
            await c1.wait_for(lambda: bool(c1.of(OrderFilled)) and bool(c1.of(OrderAccepted)))
            await kill_hard(v1)
            c1.task.cancel()
            assert any(not o.is_ask for o in emu.exchange.open_orders(emu.account_index))  # the orphaned quote
            v2 = venue_for(emu)
            await v2.load_market()
            init = await v2.start()
            pos = init[0]
            assert isinstance(pos, PositionSnapshot) and pos.position == emu.exchange.position(emu.account_index) == 80
            assert emu.exchange.open_orders(emu.account_index) == []  # stale order cancelled at start
            assert v2.tracker.base > v1.tracker.base  # fresh client order indexes
            assert await v2.shutdown() == 0

    run(go())


async def _drive_quotes(v: LighterVenue, c: Collector, seconds: float) -> None:
    """A tiny stand-in for the engine: keep one bid and one ask near the touch, requoting."""
    cid = 100
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        books = c.of(BookUpdate)
        status = c.of(VenueStatus)
        healthy = not status or (status[-1].connected and status[-1].account_stream_ok)
        if books and healthy and books[-1].book.best_bid and books[-1].book.best_ask:
            b = books[-1].book
            await v.submit([CancelAll(),
                            PlaceOrder(cid, Side.BID, b.best_bid - 2, 70, TimeInForce.POST_ONLY),
                            PlaceOrder(cid + 1, Side.ASK, b.best_ask + 2, 70, TimeInForce.POST_ONLY)])
            cid += 2
        await asyncio.sleep(1.5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "faults",
    [
        "book_gap:p=0.05",
        "ws_drop:every=6s",
        "shutdown:every=7s:close_in_ms=500",
        "http5xx:p=0.2,slow_ack:ms=400",
        "http429:burst=5@4s,http429:burst=5@10s",
        "frozen_book:at=4s:for=6s",
        "no_pong:at=3s:for=8s",
    ],
)
def test_faults_never_lose_or_double_fills(emulator: Callable[..., Any], faults: str) -> None:
    async def go() -> None:
        async with emulator(faults=faults, ws_ping_interval_s=2.0, ws_pong_timeout_s=2.0) as emu:
            v = venue_for(emu)
            await v.load_market()
            await v.start()
            c = Collector(v)
            await _drive_quotes(v, c, 16.0)
            # After the faults: healthy again within 5 s, and the book flowing.
            await c.wait_for(lambda: v.health()[:2] == (True, True), timeout=8.0)
            await asyncio.sleep(v.s.position_grace_s + 0.5)
            fills = c.of(OrderFilled)
            assert len({f.trade_id for f in fills}) == len(fills), "a fill was counted twice"
            exchange_pos = emu.exchange.position(emu.account_index)
            assert v.tracker.position == exchange_pos, f"venue {v.tracker.position} != exchange {exchange_pos}"
            assert await v.shutdown() == 0
            assert emu.exchange.open_orders(emu.account_index) == []

    run(go())


def test_dead_man_switch_is_re_armed_again_and_again(emulator: Callable[..., Any]) -> None:
    """Each re-arm must replace the queued scheduled cancel-all (abort, then arm), never be refused
    with 21712 — otherwise the first arming fires its cancel-all on a healthy bot."""

    async def go() -> None:
        async with emulator(backend=harness.memory_backend()) as emu:
            v = venue_for(emu, deadman_rearm_s=0.5)
            await v.load_market()
            await v.start()
            c = Collector(v)
            acct = emu.exchange.account(emu.account_index)
            seen: set[int] = set()
            end = asyncio.get_running_loop().time() + 6.0
            while asyncio.get_running_loop().time() < end and len(seen) < 4:
                if acct.cancel_all_time:
                    seen.add(acct.cancel_all_time)
                await asyncio.sleep(0.05)
            assert len(seen) >= 3, f"re-armed {len(seen)} time(s) only"
            assert v.stats["tx_rejected"] == 0
            assert await v.shutdown() == 0
            await c.task
            assert acct.cancel_all_time == 0  # shutdown aborts the switch it armed

    run(go())
