"""A fixed probe quoter: the same yardstick for every market, real or synthetic.

The probe quotes one minimum-size post-only order per side at a fixed distance from the mid (or at
the touch), re-prices it when the wanted price moves, never manages inventory and never stops. Run
through the simulator under the bot's venue rules (delays, tx budget, queue model), its fills and
their markouts say what a maker at that distance meets on that market: how often it is filled and
how far the price then runs against it (the adverse-selection curve). It shares nothing with the
strategy, so a change of the strategy never changes the yardstick.

`ProbeCore` satisfies backtest.runner.DecisionCore. It also keeps what the market showed it (mid
series, spreads, trades), so the market's own statistics come out of the same pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lighter_bot.domain.commands import Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import BookUpdate, Event, MarketTrade, Tick
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import OrderStatus, Side, TimeInForce
from lighter_bot.engine.state import EngineState, apply, register_sent
from lighter_bot.engine.txbudget import RequestBudget, TxPriority

TOUCH = 0.0  # distance meaning "join the best bid / ask" rather than "d bps from the mid"


@dataclass
class MarketSeen:
    """What the probe saw of the market: mids (for markouts), spreads and trades (for statistics)."""

    mid_t: list[float] = field(default_factory=list)
    mid: list[float] = field(default_factory=list)  # quote units
    spread_bps: list[float] = field(default_factory=list)  # at each book update
    trade_t: list[float] = field(default_factory=list)
    trade_usd: list[float] = field(default_factory=list)
    trade_base: list[float] = field(default_factory=list)
    live_s: float = 0.0  # time with a two-sided book (a recording's gaps do not count)
    dead: list[tuple[float, float]] = field(default_factory=list)  # (from, to): no two-sided book

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.mid_t, dtype=np.float64), np.asarray(self.mid, dtype=np.float64)


class ProbeCore:
    """Quotes both sides at `distance_bps` from the mid (TOUCH: at the best prices); see the module doc.

    `tolerance_bps`: re-price when the wanted price is this far from the working one (at least one
    tick; at the touch any change). Requotes go through a RequestBudget of the venue's allowance (both
    sides of a decision are one request), so the probe never spends more than the account may."""

    def __init__(self, market: MarketSpec, distance_bps: float, size_lots: int, tx_per_minute: int,
                 tolerance_bps: float = 0.5, t0: float = 0.0) -> None:
        self.market = market
        self.distance = distance_bps
        self.size = size_lots
        self.tolerance = tolerance_bps
        self.state = EngineState(market=market, now=t0)
        self.budget = RequestBudget(tx_per_minute, 0, 0)
        self.seen = MarketSeen()
        self._cid = 1
        self._px = 1.0 / market.price_scale
        self._sz = 1.0 / market.size_scale
        self._last_ts = t0
        self._live = False  # the last book seen was two-sided
        self._dead_from: float | None = None
        self._blocked = False  # a wanted command was refused by the tx budget

    def drain_fills(self) -> list[object]:
        return []

    def on_event(self, event: Event) -> list[Command]:
        if self._live:
            self.seen.live_s += event.ts - self._last_ts
        self._last_ts = event.ts
        apply(self.state, event)
        if isinstance(event, BookUpdate):
            # a recording's gap shows as a book without two sides: that time is dead, not quiet
            live = event.book.best_bid is not None and event.book.best_ask is not None
            if live and not self._live and self._dead_from is not None:
                self.seen.dead.append((self._dead_from, event.ts))
            elif self._live and not live:
                self._dead_from = event.ts
            self._live = live
            book = event.book
            m2 = book.mid2
            if m2 is not None and not book.crossed:
                mid = m2 * 0.5 * self._px
                self.seen.mid_t.append(event.ts)
                self.seen.mid.append(mid)
                self.seen.spread_bps.append((book.asks[0][0] - book.bids[0][0]) * self._px / mid * 1e4)
        elif isinstance(event, MarketTrade):
            if not self._live:
                return []
            px = event.price * self._px
            base = event.size * self._sz
            self.seen.trade_t.append(event.ts)
            self.seen.trade_usd.append(px * base)
            self.seen.trade_base.append(base)
            return []
        elif isinstance(event, Tick) and not self._blocked:
            return []  # nothing new: only a requote the budget refused can be due on a timer
        return self._decide()

    def _wanted(self, side: Side) -> int | None:
        book = self.state.book
        bb, ba = book.best_bid, book.best_ask
        if bb is None or ba is None or book.crossed:
            return None
        if self.distance == TOUCH:
            return bb if side is Side.BID else ba
        mid = (bb + ba) / 2
        off = mid * self.distance / 1e4
        if side is Side.BID:
            return min(math.floor(mid - off), ba - 1)  # post-only: never at or through the ask
        return max(math.ceil(mid + off), bb + 1)

    def _decide(self) -> list[Command]:
        s = self.state
        out: list[Command] = []
        self._blocked = False
        self.budget.begin(s.now)  # this decision's commands go out as one request
        mine = {o.side: o for o in s.orders.values()}
        for side in (Side.BID, Side.ASK):
            want = self._wanted(side)
            if want is None:
                continue
            o = mine.get(side)
            cmd: Command | None = None
            if o is None:
                cmd = PlaceOrder(self._cid, side, want, self.size, TimeInForce.POST_ONLY)
                self._cid += 1
            elif o.status is OrderStatus.OPEN:
                tol = 0 if self.distance == TOUCH else max(1, round(want * self.tolerance / 1e4))
                if abs(o.price - want) >= max(tol, 1):
                    cmd = ModifyOrder(o.client_id, want, o.size)
            if cmd is None:
                continue
            prio = TxPriority.PLACE if isinstance(cmd, PlaceOrder) else TxPriority.QUOTE
            if self.budget.try_spend(s.now, prio):
                register_sent(s, cmd, s.now)
                out.append(cmd)
            else:
                self._blocked = True
        return out
