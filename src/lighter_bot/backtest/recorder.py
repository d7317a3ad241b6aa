"""Time series of a backtest run, recorded by wrapping the decision core (no change to the loop).

`RecordingCore` stands between `run_backtest` and the engine core: it forwards every event, counts
the commands (placements by purpose, modifies, cancels), and on the loop's `Tick`s samples the
exchange: the mid (every tick, for markouts), and each `sample_s` our position, equity (average-cost
realized + unrealized at the mid, fees included), which sides carry a resting quote of ours, and the
regime label. The fills themselves come from the exchange's own log afterwards; the core's fill
records say which of them were race fills (strategy/race.py).

With `plan` (engine/plan_view.plan_view over the engine core) it also samples, each `sample_s`, what
the plan steps are doing (quoted width, PnL guard level, edge first's floor, the sides hit quality
defends, hedge alpha's vetoes, the trading state), and keeps every change a PlanWatch reports as the
run's engagement timeline: the same changes the live bot logs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import Event, Tick
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Purpose, Side
from lighter_bot.domain.position import PositionState, apply_fill
from lighter_bot.engine.plan_view import PlanChange, PlanView, PlanWatch

STATE_CODE = {"ACTIVE": 0, "REDUCING": 1, "HALTED": 2}


class _Core(Protocol):
    def on_event(self, event: Event) -> list[Command]: ...

    def drain_fills(self) -> Sequence[Any]: ...


class _Exchange(Protocol):
    """What the recorder reads from SimExchange."""

    market: MarketSpec
    fills: list[Any]
    position: int

    def best_bid(self) -> int | None: ...

    def best_ask(self) -> int | None: ...

    def resting_orders(self) -> list[Any]: ...


@dataclass
class Series:
    """Everything a report needs, in plain lists (floats in USD / base units / seconds)."""

    mid_t: list[float] = field(default_factory=list)  # every tick
    mid: list[float] = field(default_factory=list)  # USD
    t: list[float] = field(default_factory=list)  # every sample_s
    position: list[float] = field(default_factory=list)  # base units, signed
    notional: list[float] = field(default_factory=list)  # |position| x mid, USD
    equity: list[float] = field(default_factory=list)  # realized + unrealized, USD
    realized: list[float] = field(default_factory=list)
    bid_quoted: list[bool] = field(default_factory=list)
    ask_quoted: list[bool] = field(default_factory=list)
    regime: list[str] = field(default_factory=list)
    places: dict[str, int] = field(default_factory=dict)  # by purpose
    modifies: int = 0
    cancels: int = 0
    quote_ids: set[int] = field(default_factory=set)  # client ids placed as quotes
    placed_at: dict[int, float] = field(default_factory=dict)  # client id -> sim time sent
    race: dict[str, str] = field(default_factory=dict)  # trade id -> race kind of the core's race fills
    purpose: dict[int, str] = field(default_factory=dict)  # client id -> quote / hedge_passive / hedge_cross
    # the plan steps, each sample_s (with a plan view): time, quoted width (bps, None = not quoting),
    # PnL guard level, edge first floor (bps added), hit quality defends bid / ask, hedge alpha vetoes
    # (cumulative), trading state (0 ACTIVE, 1 REDUCING, 2 HALTED)
    plan_t: list[float] = field(default_factory=list)
    plan_spread: list[float | None] = field(default_factory=list)
    plan_guard: list[int] = field(default_factory=list)
    plan_edge_floor: list[float] = field(default_factory=list)
    plan_defend_bid: list[bool] = field(default_factory=list)
    plan_defend_ask: list[bool] = field(default_factory=list)
    plan_vetoes: list[int] = field(default_factory=list)
    plan_state: list[int] = field(default_factory=list)
    events: list[PlanChange] = field(default_factory=list)  # the engagement timeline


class RecordingCore:
    """A DecisionCore that records while delegating to `core`."""

    def __init__(
        self,
        core: _Core,
        exchange: _Exchange,
        sample_s: float = 1.0,
        regime_at: Callable[[float], str] | None = None,
        progress: Callable[[float], None] | None = None,
        plan: Callable[[], PlanView] | None = None,
    ) -> None:
        self.core = core
        self.ex = exchange
        self.market = exchange.market
        self.sample_s = sample_s
        self.regime_at = regime_at
        self.progress = progress
        self.series = Series()
        self.plan = plan
        self._watch = PlanWatch()
        self._t0: float | None = None
        self._next_sample = -1.0
        self._pos = PositionState()
        self._n_fills = 0

    def on_event(self, event: Event) -> list[Command]:
        cmds = self.core.on_event(event)
        s = self.series
        for c in cmds:
            if isinstance(c, PlaceOrder):
                s.places[c.purpose.value] = s.places.get(c.purpose.value, 0) + 1
                s.placed_at[c.client_id] = event.ts
                s.purpose[c.client_id] = c.purpose.value
                if c.purpose is Purpose.QUOTE:
                    s.quote_ids.add(c.client_id)
            elif isinstance(c, ModifyOrder):
                s.modifies += 1
            elif isinstance(c, CancelOrder):
                s.cancels += 1
        if isinstance(event, Tick):
            self._on_tick(event.ts)
        return cmds

    def drain_fills(self) -> Sequence[Any]:
        recs = self.core.drain_fills()
        for r in recs:
            kind = getattr(r, "race", None)
            if kind is not None:
                self.series.race[r.fill.trade_id] = kind
        return recs

    def _mid(self) -> float | None:
        bb, ba = self.ex.best_bid(), self.ex.best_ask()
        if bb is None or ba is None:
            return None
        return (bb + ba) / 2.0 / self.market.price_scale

    def _on_tick(self, t: float) -> None:
        if self._t0 is None:
            self._t0 = t
        mid = self._mid()
        if mid is None:
            return
        s = self.series
        s.mid_t.append(t)
        s.mid.append(mid)
        if t < self._next_sample:
            return
        self._next_sample = t + self.sample_s
        m = self.market
        fills = self.ex.fills
        for f in fills[self._n_fills:]:
            self._pos = apply_fill(self._pos, m.sz(f.side.sign * f.size), m.px(f.price), f.fee)
        self._n_fills = len(fills)
        pos = self._pos
        bid_q = ask_q = False
        for o in self.ex.resting_orders():
            if o.client_id in s.quote_ids:
                if o.side is Side.BID:
                    bid_q = True
                else:
                    ask_q = True
        s.t.append(t)
        s.position.append(pos.qty)
        s.notional.append(abs(pos.qty) * mid)
        s.realized.append(pos.realized)
        s.equity.append(pos.total(mid))
        s.bid_quoted.append(bid_q)
        s.ask_quoted.append(ask_q)
        s.regime.append(self.regime_at(t - self._t0) if self.regime_at is not None else "all")
        if self.plan is not None:
            self._sample_plan(t, self.plan())
        if self.progress is not None:
            self.progress(t - self._t0)

    def _sample_plan(self, t: float, v: PlanView) -> None:
        s = self.series
        s.plan_t.append(t)
        s.plan_spread.append(v.spread_bps)
        s.plan_guard.append(v.guard_level)
        s.plan_edge_floor.append(v.edge_floor_bps)
        s.plan_defend_bid.append("bid" in v.defended)
        s.plan_defend_ask.append("ask" in v.defended)
        s.plan_vetoes.append(v.hedge_vetoes)
        s.plan_state.append(STATE_CODE.get(v.trading_state, 0))
        s.events += self._watch.update(v)
