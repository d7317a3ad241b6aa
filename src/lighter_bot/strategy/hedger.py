"""The hedger: bring |inventory| from above trigger_units back toward target_units, cheaply and safely.

One hedge at a time, as a small state machine driven by the core's events:

  IDLE --(|inv| > trigger, cooldown over)--> PASSIVE: a reduce-only post-only order passive_offset_bps
  from the mid on our side of it (never crossing the touch), resting passive_wait_seconds;
  PASSIVE --(timed out)--> cancel it, wait for the cancel --> CROSS;
  CROSS: a reduce-only IOC limited to max_slippage_bps from the mid AT PLANNING TIME. It is abandoned
  (back to IDLE after the cooldown, re-planned from the new mid) when the market has moved beyond the
  plan: the mid moved against us by more than max_slippage_bps or the touch is beyond our limit.
  Any own order that the IOC could hit (the opposite side, at or through the limit, old or pending
  price) must be gone first: while a hedge is active the maker does not quote that side
  (`blocked_side`), and the cross waits until no such order of ours is left.

A hedge counts only what actually filled (fills are reported by the core); the old bot counted a
submitted IOC as done and its IOCs traded against its own quotes (seed-system.md 3.2, 8.A.6, 8.A.10).
With dry_run the plan is computed and recorded, nothing is sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from lighter_bot.config import HedgerConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelOrder, Command, PlaceOrder
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.strategy.quoting import SizeRules, ask_ticks, bid_ticks


class HedgePhase(Enum):
    IDLE = "idle"
    PASSIVE = "passive"
    CANCELLING = "cancelling"  # passive timed out, its cancel is in flight
    CROSS_WAIT = "cross_wait"  # ready to cross, waiting for a conflicting own order to leave
    CROSS = "cross"  # IOC in flight


@dataclass(frozen=True, slots=True)
class HedgePlanView:
    """The current (or last dry-run) hedge plan, for status and logs."""

    side: Side
    lots: int
    plan_mid2: int
    limit_ticks: int
    ts: float


@dataclass
class HedgerStats:
    planned: int = 0
    passive_sent: int = 0
    cross_sent: int = 0
    abandoned: int = 0
    filled_lots: int = 0
    dry_run_plans: int = 0
    held_back: int = 0


class Hedger:
    def __init__(self, cfg: HedgerConfig, market: MarketSpec, sizes: SizeRules, stuck_after_s: float = 5.0) -> None:
        self.cfg = cfg
        self.stuck_after_s = stuck_after_s  # an order of ours unanswered this long is cancelled (again)
        self.market = market
        self.sizes = sizes
        self.phase = HedgePhase.IDLE
        self.cid: int | None = None
        self.plan: HedgePlanView | None = None
        self.phase_since = 0.0
        self.cooldown_until = -math.inf
        self.stats = HedgerStats()
        self.last_note = ""
        scale = market.size_scale
        self._trigger_lots = cfg.trigger_units * scale
        self._target_lots = cfg.target_units * scale
        self._max_clip_lots = math.floor(cfg.max_clip_units * scale + 1e-9)

    # -- events ------------------------------------------------------------------------------------
    def on_fill(self, client_id: int, lots: int) -> None:
        if client_id == self.cid:
            self.stats.filled_lots += lots

    def on_order_gone(self, client_id: int, now: float) -> None:
        if client_id != self.cid:
            return
        self.cid = None
        if self.phase is HedgePhase.CROSS:
            self._finish(now, "cross done")
        elif self.phase in (HedgePhase.PASSIVE, HedgePhase.CANCELLING):
            # Filled, cancelled after the wait, or refused (post-only would cross): go on to the cross,
            # which re-reads the position (only what filled counts).
            self._enter(HedgePhase.CROSS_WAIT, now)

    def abort(self, now: float) -> None:
        """The guard halted trading: forget the plan (the core cancels our orders)."""
        if self.phase is not HedgePhase.IDLE:
            self._finish(now, "aborted")
        self.cid = None

    def hold_back(self, now: float) -> None:
        """The caps refused the order just planned (it was not sent): forget it, retry after the cooldown."""
        self.stats.held_back += 1
        self.abort(now)
        self.last_note = "held back by the caps (orders in flight)"

    # -- decision ----------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.phase is not HedgePhase.IDLE

    def blocked_side(self, position_lots: int) -> Side | None:
        """The side the maker must not quote while hedging (what our hedge would trade against)."""
        if not self.active or self.plan is None:
            return None
        return self.plan.side.opposite

    def needs_hedge(self, position_lots: int) -> bool:
        return abs(position_lots) > self._trigger_lots + 1e-9

    def step(
        self,
        now: float,
        position_lots: int,
        mid2: int,
        book: BookView,
        orders: Mapping[int, WorkingOrder],
        new_cid: Callable[[], int],
        passive_wait_s: float | None = None,
    ) -> list[Command]:
        """`passive_wait_s` overrides passive_wait_seconds for this step (hedge alpha's patience)."""
        c = self.cfg
        if not c.enabled:
            return []
        ph = self.phase
        if ph is HedgePhase.IDLE:
            if not self.needs_hedge(position_lots) or now < self.cooldown_until:
                return []
            return self._start(now, position_lots, mid2, book, new_cid)
        if ph is HedgePhase.PASSIVE:
            o = orders.get(self.cid) if self.cid is not None else None
            if o is None:
                self._enter(HedgePhase.CROSS_WAIT, now)
            elif now - self.phase_since >= (c.passive_wait_seconds if passive_wait_s is None else passive_wait_s) \
                    and o.status is not OrderStatus.PENDING_CANCEL:
                # (a cancel sent after the place is sequenced after it, even if the ack is still on its way)
                self._enter(HedgePhase.CANCELLING, now)
                return [CancelOrder(o.client_id)]
            else:
                return []
        if self.phase in (HedgePhase.CANCELLING, HedgePhase.CROSS):
            # Wait for the cancel / the IOC's result; if the answer is lost, cancel (again).
            if now - self.phase_since > self.stuck_after_s:
                if self.cid is None or self.cid not in orders:
                    self.cid = None
                    self._finish(now, "lost track of the hedge order")
                    return []
                self.phase_since = now
                return [CancelOrder(self.cid)]
            return []
        return self._cross(now, position_lots, mid2, book, orders, new_cid)  # CROSS_WAIT

    # -- internals ---------------------------------------------------------------------------------
    def _enter(self, phase: HedgePhase, now: float) -> None:
        self.phase = phase
        self.phase_since = now

    def _finish(self, now: float, note: str) -> None:
        self.last_note = note
        self.phase = HedgePhase.IDLE
        self.phase_since = now
        self.cooldown_until = now + self.cfg.cooldown_seconds

    def clip_lots(self, position_lots: int, price_ticks: int) -> int:
        """min(|inv| - target, max_clip) in lots, raised to the exchange minimums (which win over the clip);
        never more than the position unless the minimum forces it (reduce-only: the venue trims)."""
        excess = abs(position_lots) - self._target_lots
        lots = min(math.floor(excess + 1e-9), self._max_clip_lots)
        lots = min(lots, abs(position_lots))
        return max(lots, self.sizes.floor_lots(price_ticks))

    def _limit(self, side: Side, mid2: int) -> int:
        slip = self.cfg.max_slippage_bps / 1e4
        mid = mid2 / 2.0
        if side is Side.ASK:  # selling: no lower than mid - slippage (round up: stay within it)
            return math.ceil(mid * (1.0 - slip) - 1e-9)
        return math.floor(mid * (1.0 + slip) + 1e-9)

    def _start(
        self, now: float, position_lots: int, mid2: int, book: BookView, new_cid: Callable[[], int]
    ) -> list[Command]:
        c = self.cfg
        side = Side.ASK if position_lots > 0 else Side.BID
        limit = self._limit(side, mid2)
        lots = self.clip_lots(position_lots, limit)
        self.plan = HedgePlanView(side, lots, mid2, limit, now)
        self.stats.planned += 1
        if c.dry_run:
            self.stats.dry_run_plans += 1
            self.last_note = "dry run"
            self._finish(now, "dry run")
            return []
        if c.prefer_passive:
            off = c.passive_offset_bps / 1e4
            mid = mid2 / 2.0
            px = ask_ticks(mid * (1.0 + off), book) if side is Side.ASK else bid_ticks(mid * (1.0 - off), book)
            if px is not None:
                cid = new_cid()
                self.cid = cid
                self._enter(HedgePhase.PASSIVE, now)
                self.stats.passive_sent += 1
                lots = self.clip_lots(position_lots, px)
                return [PlaceOrder(cid, side, px, lots, TimeInForce.POST_ONLY, True, Purpose.HEDGE_PASSIVE)]
        self._enter(HedgePhase.CROSS_WAIT, now)
        return []

    def moved_beyond_plan(self, side: Side, mid2: int, book: BookView) -> bool:
        plan = self.plan
        assert plan is not None
        moved_bps = (mid2 - plan.plan_mid2) / plan.plan_mid2 * 1e4 * side.sign  # >0: against a buy hedge
        if moved_bps > self.cfg.max_slippage_bps:
            return True
        touch = book.best_bid if side is Side.ASK else book.best_ask
        if touch is None:
            return True
        return touch < plan.limit_ticks if side is Side.ASK else touch > plan.limit_ticks

    def _cross(
        self,
        now: float,
        position_lots: int,
        mid2: int,
        book: BookView,
        orders: Mapping[int, WorkingOrder],
        new_cid: Callable[[], int],
    ) -> list[Command]:
        plan = self.plan
        assert plan is not None
        if not self.needs_hedge(position_lots) or Side.reducing(position_lots) is not plan.side:
            self._finish(now, "passive filled")
            return []
        if self.moved_beyond_plan(plan.side, mid2, book):
            self.stats.abandoned += 1
            self._finish(now, "abandoned: market moved beyond the plan")
            return []
        if self.conflicting_order(plan.side, plan.limit_ticks, orders) is not None:
            return []  # the maker's quote on that side is being cancelled; cross once it is gone
        cid = new_cid()
        self.cid = cid
        self._enter(HedgePhase.CROSS, now)
        self.stats.cross_sent += 1
        lots = self.clip_lots(position_lots, plan.limit_ticks)
        return [PlaceOrder(cid, plan.side, plan.limit_ticks, lots, TimeInForce.IOC, True, Purpose.HEDGE_CROSS)]

    @staticmethod
    def conflicting_order(side: Side, limit: int, orders: Mapping[int, WorkingOrder]) -> WorkingOrder | None:
        """An order of ours that an IOC on `side` limited at `limit` could trade against."""
        for o in orders.values():
            if o.side is side:
                continue
            prices = (o.price,) if o.pending_price is None else (o.price, o.pending_price)
            for p in prices:
                if (side is Side.ASK and p >= limit) or (side is Side.BID and p <= limit):
                    return o
        return None
