"""Fast-forward backtest loop: drive a decision core over a SimExchange as fast as the CPU allows.

Simulated time jumps from one happening to the next (market row, our order landing, an event the
bot learns, or a `Tick` every `tick_s` so time-based rules fire). The core's commands are submitted
at the time of the event that caused them. Statistics are computed from the exchange's own fill log
(average-cost PnL, fees included), independent of what the core believes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import BookUpdate, Event, PositionSnapshot, Tick
from lighter_bot.domain.position import PositionState, apply_fill
from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.sim.exchange import SimExchange

DRAIN_S = 2.0  # after the last market row, run this long so in-flight orders and acks settle


class DecisionCore(Protocol):
    """What the loop needs from the engine core (EngineCore satisfies it)."""

    def on_event(self, event: Event) -> list[Command]: ...

    def drain_fills(self) -> Sequence[Any]: ...


@dataclass(frozen=True, slots=True)
class BacktestResult:
    events: int  # market rows replayed or generated (the simulator's input events)
    events_per_second: float  # events / wall second
    bot_events: int  # events the core consumed (market data, acks, fills, ticks)
    fills: int
    volume_base: float
    volume_quote: float
    realized_pnl: float  # net of fees
    unrealized_pnl: float  # open position at the final mid
    fees: float
    max_abs_position: float  # base units
    max_abs_notional: float  # USD at the fill's price
    final_position: float
    tx_sent: int
    tx_rejected: int
    commands: int
    requests: int  # sendTx/sendTxBatch requests (a batch once), what Lighter's budget counts
    requests_refused: int  # requests answered 429 / 23000
    background_requests: int  # the live adapter's own requests the simulator charged
    sim_seconds: float
    wall_seconds: float
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_backtest(
    exchange: SimExchange,
    core: DecisionCore,
    clock: SimClock,
    duration_s: float | None = None,
    tick_s: float = 0.1,
) -> BacktestResult:
    """Run until the source is exhausted (or `duration_s` of sim time); return the statistics."""
    ex = exchange
    wall0 = time.perf_counter()
    first = ex.next_time()
    t0 = first if first is not None else 0.0
    end = None if duration_s is None else t0 + duration_s
    clock.advance_to(t0)
    ex.advance(t0)  # the opening book
    bot_events = 0
    commands = 0

    def feed(e: Event) -> None:
        nonlocal bot_events, commands
        bot_events += 1
        cmds = core.on_event(e)
        if cmds:
            commands += len(cmds)
            ex.submit(clock.now(), cmds)

    feed(BookUpdate(t0, ex.book()))
    feed(PositionSnapshot(t0, ex.position))
    next_tick = t0 + tick_s
    while True:
        nxt = ex.next_time()
        if nxt is None or (ex.source_exhausted and nxt > ex.last_market_time + DRAIN_S):
            break  # the market is over and what was in flight has been delivered
        t = next_tick if next_tick <= nxt else nxt
        if end is not None and t > end:
            ex.catch_up(end)
            break
        clock.advance_to(t)
        for e in ex.advance(t):
            feed(e)
        if t >= next_tick:
            feed(Tick(t))
            next_tick += tick_s
        core.drain_fills()
    wall = time.perf_counter() - wall0
    return summarize(ex, bot_events, commands, wall, t0)


def summarize(ex: SimExchange, bot_events: int, commands: int, wall: float, t0: float) -> BacktestResult:
    m = ex.market
    pos = PositionState()
    lots = 0
    max_lots = 0
    max_notional = 0.0
    for f in ex.fills:
        signed = f.side.sign * f.size
        lots += signed
        pos = apply_fill(pos, m.sz(signed), m.px(f.price), f.fee)
        max_lots = max(max_lots, abs(lots))
        max_notional = max(max_notional, m.notional(f.price, abs(lots)))
    mark = ex.mark
    unreal = pos.unrealized(m.px(mark)) if mark is not None else 0.0
    rows = ex.stats.market_rows
    return BacktestResult(
        events=rows,
        events_per_second=rows / wall if wall > 0 else 0.0,
        bot_events=bot_events,
        fills=len(ex.fills),
        volume_base=pos.volume_base,
        volume_quote=pos.volume_quote,
        realized_pnl=pos.realized,
        unrealized_pnl=unreal,
        fees=pos.fees,
        max_abs_position=m.sz(max_lots),
        max_abs_notional=max_notional,
        final_position=m.sz(lots),
        tx_sent=ex.stats.tx_sent,
        tx_rejected=ex.stats.tx_rejected,
        commands=commands,
        requests=ex.stats.requests,
        requests_refused=ex.stats.requests_refused,
        background_requests=ex.stats.background_requests,
        sim_seconds=ex.now - t0,
        wall_seconds=wall,
        seed=ex.seed,
    )
