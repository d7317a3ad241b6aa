"""SimVenue: the Venue protocol over a SimExchange paced in (scaled) real time, for `--venue sim`.

Simulated time is `ScaledClock.now()` (it runs `speed` times the wall clock). The event stream sleeps
until the exchange's next happening (or until a submit wakes it), advances the exchange to the clock
and yields what the bot has learned by then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from lighter_bot.domain.commands import CancelAll, Command
from lighter_bot.domain.events import BookUpdate, Event, PositionSnapshot
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.engine.clock import ScaledClock
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import VenueRules, tier_rules
from lighter_bot.venues.sim.scenarios import make_scenario

MAX_SLEEP_S = 0.5  # wall seconds; bounds how late a shutdown or submit is noticed
MAX_BATCH_S = 1.0  # simulated seconds advanced per batch


class SimVenue:
    def __init__(self, exchange: SimExchange, clock: ScaledClock) -> None:
        self.exchange = exchange
        self.clock = clock
        self._wake = asyncio.Event()
        self._closed = False
        self._late: list[Event] = []  # what the shutdown's cancels produced (fills too): still delivered

    @property
    def market(self) -> MarketSpec:
        return self.exchange.market

    @property
    def request_stats(self) -> dict[str, int]:
        """The simulated exchange's request window, as /metrics shows the live venue's."""
        ex = self.exchange
        return {
            "requests_last_minute": ex.requests_in_window(self.clock.now()),
            "request_limit_per_minute": ex.rules.tx_per_minute,
            "requests": ex.stats.requests,
            "rate_limited": ex.stats.requests_refused,
            "refused_locally": 0,
            "bad_rows": 0,
        }

    async def start(self) -> list[Event]:
        now = self.clock.now()
        self.exchange.advance(now)  # build the book up to now; the snapshot below supersedes it
        return [BookUpdate(now, self.exchange.book()), PositionSnapshot(now, self.exchange.position)]

    async def events(self) -> AsyncIterator[Event]:
        ex = self.exchange
        while not self._closed:
            nxt = ex.next_time()
            if nxt is None:
                return
            wait = self.clock.wall_delay(nxt - self.clock.now())
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=min(wait, MAX_SLEEP_S))
                continue
            # At most MAX_BATCH_S of simulated time per batch: a run that falls behind its clock
            # (too high a --speed) then halts on a stale book instead of building an unbounded backlog.
            for e in ex.advance(min(self.clock.now(), ex.now + MAX_BATCH_S)):
                yield e
                if self._closed:
                    return
            # Let the loop run between batches: at a high --speed events are always due, and without
            # this the signal handlers (SIGTERM), the ticker and the ledger writer would never run.
            await asyncio.sleep(0)
        late, self._late = self._late, []
        for e in late:
            yield e

    async def submit(self, commands: Sequence[Command]) -> None:
        if commands and not self._closed:
            self.exchange.submit(self.clock.now(), commands)
            self._wake.set()

    async def shutdown(self) -> int:
        """Cancel all ours and let the cancels land (in sim time), so nothing rests afterwards.

        A cancel-all refused by the tx budget is retried once the rolling minute has room. Returns
        how many of our orders still rest (0 when clean)."""
        ex = self.exchange
        r = ex.rules
        # From where the exchange is (a run that fell behind its clock does not replay the backlog).
        now = max(min(self.clock.now(), ex.now + MAX_BATCH_S), ex.now)
        settle = max(r.cancel_delay_s, r.maker_delay_s, r.taker_delay_s) + r.account_latency_s + 1e-6
        for _ in range(5):  # an order still in flight may land after the first cancel-all
            ex.submit(now, [CancelAll()])
            now += settle
            self._late += ex.advance(now)
            if not ex.resting_orders() and not ex.pending_commands():
                break
            now = max(now, ex.tx_window_frees_at())
        self._closed = True
        self._wake.set()
        return len(ex.resting_orders())


def make_sim_venue(
    scenario: str = "sol_day",
    seed: int = 7,
    tier: str | VenueRules = "standard",
    speed: float = 1.0,
    start_price: float = 170.0,
    start_time: float = 0.0,
    market: MarketSpec = SOL_PERP,
    run_id: str | None = None,
) -> SimVenue:
    """A paced simulator venue on an endless synthetic scenario (`make run`); with `run_id` its trade
    ids are `sim-<run_id>-<n>`, unique across runs."""
    rules = tier if isinstance(tier, VenueRules) else tier_rules(tier)
    clock = ScaledClock(start=start_time, speed=speed)
    src = make_scenario(scenario, seed, None, market, start_price, start_time)
    ex = SimExchange(market, src, rules, seed)
    if run_id is not None:
        ex.trade_id_prefix = f"sim-{run_id}"
    return SimVenue(ex, clock)
