"""SimVenue: the Venue protocol over SimExchange paced by a ScaledClock (fast wall clock fake)."""

from __future__ import annotations

import asyncio

from lighter_bot.domain.events import BookUpdate, OrderAccepted, PositionSnapshot
from lighter_bot.domain.orders import Side
from lighter_bot.engine.clock import ScaledClock
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.live import SimVenue, make_sim_venue

from .helpers import PX, QUIET, book_rows, post


class FakeWall:
    """A wall clock that we move by hand, so the test does not depend on real time."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def test_start_events_submit_and_shutdown_leave_nothing_resting() -> None:
    from lighter_bot.domain.market import SOL_PERP

    wall = FakeWall()
    clock = ScaledClock(start=0.0, speed=10.0, wall=wall)
    rows = [*book_rows(), *[(t * 0.5, 0, 1, PX - 10, 1000 + int(t)) for t in range(1, 40)]]
    venue = SimVenue(SimExchange(SOL_PERP, iter(rows), QUIET, 3), clock)

    async def go() -> list[object]:
        init = await venue.start()
        assert isinstance(init[0], BookUpdate) and init[0].book.best_bid == PX - 10
        assert isinstance(init[1], PositionSnapshot) and init[1].position == 0
        await venue.submit([post(1, Side.BID, PX - 10), post(2, Side.ASK, PX + 10)])
        seen: list[object] = []
        wall.t += 0.1  # 1 s of sim time
        async for e in venue.events():
            seen.append(e)
            if isinstance(e, OrderAccepted) and len([s for s in seen if isinstance(s, OrderAccepted)]) == 2:
                break
        assert all(getattr(e, "ts", 0.0) <= clock.now() for e in seen)
        assert await venue.shutdown() == 0
        return seen

    seen = asyncio.run(go())
    assert len([e for e in seen if isinstance(e, OrderAccepted)]) == 2
    assert not venue.exchange.resting_orders()


def test_make_sim_venue_builds_an_endless_scenario() -> None:
    v = make_sim_venue("calm", seed=1, speed=100.0)
    init = asyncio.run(v.start())
    assert isinstance(init[0], BookUpdate) and v.exchange.next_time() is not None
    assert v.market.symbol == "SOL"
