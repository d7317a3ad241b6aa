"""EngineRunner's shutdown: fills that happen while the venue cancels our orders reach the sinks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from lighter_bot.config import BotConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import Command, PlaceOrder
from lighter_bot.domain.events import BookUpdate, Event, OrderAccepted, OrderFilled, PositionSnapshot, VenueStatus
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.domain.orders import Role, Side
from lighter_bot.engine.clock import LiveClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.runner import EngineRunner


class FillsWhileCancelling:
    """Acks quotes; on shutdown our bid fills before its cancel lands (as on a live exchange)."""

    def __init__(self, clock: LiveClock) -> None:
        self.clock = clock
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.bid: PlaceOrder | None = None

    @property
    def market(self) -> MarketSpec:
        return SOL_PERP

    async def start(self) -> list[Event]:
        now = self.clock.now()
        book = BookView(((169_995, 900),), ((170_005, 900),))
        return [VenueStatus(now, True), PositionSnapshot(now, 0, None), BookUpdate(now, book)]

    async def events(self) -> AsyncIterator[Event]:
        while (e := await self.queue.get()) is not None:
            yield e

    async def submit(self, commands: Sequence[Command]) -> None:
        for c in commands:
            if isinstance(c, PlaceOrder):
                self.queue.put_nowait(OrderAccepted(self.clock.now(), c.client_id, str(c.client_id)))
                if c.side is Side.BID and self.bid is None:
                    self.bid = c

    async def shutdown(self) -> int:
        b = self.bid
        assert b is not None, "the engine never quoted a bid"
        self.queue.put_nowait(OrderFilled(self.clock.now(), b.client_id, "t-late", Side.BID, b.price, b.size, 0.0,
                                          Role.MAKER, 0))
        self.queue.put_nowait(None)
        return 0


def test_a_fill_during_shutdown_reaches_the_core_and_the_ledger_sinks() -> None:
    async def go() -> tuple[list[FillRecord], EngineRunner, FillsWhileCancelling]:
        clock = LiveClock()
        venue = FillsWhileCancelling(clock)
        got: list[FillRecord] = []
        runner = EngineRunner(EngineCore(BotConfig(), SOL_PERP, clock), venue, clock, sinks=[got.extend])
        await runner.run(duration=0.3)
        return got, runner, venue

    got, runner, venue = asyncio.run(go())
    assert venue.bid is not None
    assert [f.fill.trade_id for f in got] == ["t-late"]
    assert runner.summary().position == SOL_PERP.sz(venue.bid.size)
