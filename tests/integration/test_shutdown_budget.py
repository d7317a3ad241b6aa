"""Shutdown fits Railway's drain: with the exchange unreachable the live venue gives up within its
budget and says it could not check (UNCHECKED), the runner's backstop holds against a venue that
never returns, and `lighter-bot run` prints an honest warning instead of "-1 order(s) still resting"."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from lighter_bot.config import BotConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import Command, PlaceOrder
from lighter_bot.domain.events import BookUpdate, Event, PositionSnapshot, VenueStatus
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.engine import runner as runner_mod
from lighter_bot.engine.clock import LiveClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.runner import EngineRunner, RunSummary
from lighter_bot.venues import base
from lighter_bot.venues.lighter import venue as lighter_venue
from tests.integration.test_live_venue import Collector, venue_for

harness = pytest.importorskip("lighter_bot.venues.emulator.harness", reason="the Lighter API emulator is not merged yet")
REPO = Path(__file__).resolve().parents[2]


def test_the_budget_fits_railways_drain() -> None:
    deploy = json.loads((REPO / "railway.json").read_text())["deploy"]
    drain_after, flush = 2.0, 2.0  # runner drain of late events; ledger flush + HTTP close (generous)
    assert base.SHUTDOWN_BUDGET_S + 1.0 + drain_after + flush <= deploy["drainingSeconds"]


def test_an_unreachable_exchange_ends_unchecked_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lighter_venue, "SHUTDOWN_BUDGET_S", 4.0)

    async def go() -> None:
        async with harness.running_emulator(harness.memory_backend(), cancel_all_min_delay_s=1.0) as emu:
            v = venue_for(emu)
            await v.load_market()
            book = (await v.start())[1].book
            c = Collector(v)
            await v.submit([PlaceOrder(1, Side.BID, book.best_bid - 50, 70, TimeInForce.POST_ONLY)])
            await c.wait_for(lambda: len(emu.exchange.open_orders(emu.account_index)) == 1)
            await emu.server.stop()  # the exchange is gone: no REST, no stream
            t0 = time.monotonic()
            left = await v.shutdown()
            took = time.monotonic() - t0
            assert left == base.UNCHECKED, left
            assert took <= 4.0 + 1.5, took

    asyncio.run(asyncio.wait_for(go(), 60))


class NeverClosing:
    """A venue whose shutdown never returns (a hung connection)."""

    def __init__(self, clock: LiveClock) -> None:
        self.clock = clock

    @property
    def market(self) -> MarketSpec:
        return SOL_PERP

    async def start(self) -> list[Event]:
        now = self.clock.now()
        return [VenueStatus(now, True), PositionSnapshot(now, 0, None),
                BookUpdate(now, BookView(((169_995, 900),), ((170_005, 900),)))]

    async def events(self) -> AsyncIterator[Event]:
        await asyncio.Event().wait()
        yield VenueStatus(0.0, False)

    async def submit(self, commands: Sequence[Command]) -> None:
        pass

    async def shutdown(self) -> int:
        await asyncio.Event().wait()
        return 0


def test_the_runner_backstop_ends_a_hung_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_mod, "SHUTDOWN_BUDGET_S", 1.0)
    clock = LiveClock()
    r = EngineRunner(EngineCore(BotConfig(), SOL_PERP, clock), NeverClosing(clock), clock)  # type: ignore[arg-type]
    t0 = time.monotonic()
    summary = asyncio.run(r.run(duration=0.2))
    assert time.monotonic() - t0 < 1.0 + 0.2 + 2.5
    assert summary.resting_orders_left == base.UNCHECKED and "did not finish" in (r.last_error or "")
    assert "resting_orders_left=unknown" in summary.lines()[2]


def test_summary_prints_unknown_not_minus_one() -> None:
    s = RunSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, base.UNCHECKED)
    assert "resting_orders_left=unknown" in " ".join(s.lines()) and "-1" not in " ".join(s.lines())


def test_run_says_it_could_not_check() -> None:
    from lighter_bot.cli.run_cmd import resting_warning

    unchecked = resting_warning(base.UNCHECKED) or ""
    assert "could not confirm that no order of ours rests" in unchecked and "-1" not in unchecked
    assert f"{base.SHUTDOWN_BUDGET_S:g} s shutdown budget" in unchecked
    assert "2 order(s) of ours still resting" in (resting_warning(2) or "")
    assert resting_warning(0) is None
