"""The synchronous, deterministic decision core: `on_event(event) -> list[Command]`.

It folds each event into EngineState (engine.state) and the signals (strategy.signals), then, on
every event except public trades, decides:

  risk guard (ACTIVE / REDUCING / HALTED)  -> HALTED: cancel everything, nothing else
  maker quotes (vol band, trend, skew, PnL guard, pause)
  hedger step (passive -> cross), which blocks the maker's side it would trade against
  REDUCING: only the reducing side, reduce-only;  caps incl. every working and in-flight order
  planner (tolerance, queue places, modify over cancel+place); quotes the fair value crossed are moved
  at cancel priority (strategy/race.py)  -> request budget by priority: cancels, hedges, requotes
Fills are told apart: normal or race (behind our own cancel/modify, or past the fair value).

It never awaits, never reads a wall clock (time comes from the events' `ts`), and draws no random
numbers: same events in, same commands out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lighter_bot.config import BotConfig
from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder
from lighter_bot.domain.events import BookUpdate, Event, MarketTrade, MarkPrice, OrderFilled, Tick
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import OrderStatus, Purpose, Side
from lighter_bot.domain.request_budget import tier_limits
from lighter_bot.engine.clock import Clock
from lighter_bot.engine.core_status import CoreStatus
from lighter_bot.engine.placement import EdgeSideStatus, Placement
from lighter_bot.engine.state import EngineState, apply, register_sent
from lighter_bot.engine.txbudget import RequestBudget, TxPriority
from lighter_bot.risk.caps import Caps, gate_quotes
from lighter_bot.risk.guard import GuardInputs, TradingState, evaluate, increases_exposure, reducing_only
from lighter_bot.strategy.hedger import HedgePhase, Hedger
from lighter_bot.strategy.maker import Maker, MakerDecision
from lighter_bot.strategy.planner import PlannerSettings, plan_quotes
from lighter_bot.strategy.pnl_guard import PnlGuard
from lighter_bot.strategy.pnl_program import PnlProgram
from lighter_bot.strategy.queue_position import ACKS, QueueEstimator
from lighter_bot.strategy.race import FillTally, pull_crossed, race_kind
from lighter_bot.strategy.signals import EwmaVolatility, Markouts, Trend, TrendFilter

__all__ = ["CoreStatus", "EdgeSideStatus", "EngineCore", "TradingState"]


# Enum members read on every decision, as module constants (Python 3.11 resolves `Enum.MEMBER` ~4x
# slower than a global name).
_ACTIVE, _HALTED = TradingState.ACTIVE, TradingState.HALTED
_NO_TREND, _UP = Trend.NONE, Trend.UP
_BID = Side.BID


@dataclass
class _Memory:
    fills: list[FillRecord] = field(default_factory=list)
    last_quote_ts: float | None = None
    decision: MakerDecision | None = None
    trading_state: TradingState = TradingState.ACTIVE
    reasons: tuple[str, ...] = ()


class EngineCore:
    def __init__(self, config: BotConfig, market: MarketSpec, clock: Clock, client_id_base: int = 1) -> None:
        self.config = config
        self.market = market
        self.clock = clock
        self.state = EngineState(market=market, now=clock.now())
        self._next_cid = client_id_base
        mk, g, h = config.maker, config.guard, config.hedger
        # Requests per minute: the tier's transaction bucket minus what the live adapter spends itself.
        per_min = tier_limits(config.api.tier, config.api.tx_per_minute).core_requests_per_minute()
        self.budget = RequestBudget(per_min, g.tx_reserve_for_cancels, h.tx_reserve, quote_burst=mk.requote_burst_tx)
        self.maker = Maker(mk, market)
        self.hedger = Hedger(h, market, self.maker.sizes, g.stuck_order_seconds)
        self.pnl_guard = PnlGuard(mk.pnl_guard)
        v, t = mk.volatility, mk.trend
        self.volatility = EwmaVolatility(v.ema_halflife_seconds, v.horizon_seconds, v.sample_seconds, v.low_bps)
        self.trend = TrendFilter(t.lookback_seconds, t.threshold_bps, t.resume_threshold_bps, t.noise_multiple)
        # EWMA volatility is over the volatility horizon; the trend compares against its lookback's share.
        self._trend_noise_scale = math.sqrt(t.lookback_seconds / v.horizon_seconds) if t.noise_multiple > 0 else 0.0
        self.markouts = Markouts(tuple(mk.markout_horizons_seconds))
        # Fair value, edge model and reference models: where quotes go beyond the band.
        self.placement = Placement(config, market.size_scale)
        scale = market.price_scale * market.size_scale
        self.caps = Caps(market.size_to_lots_down(g.max_position_units), g.max_inventory_notional * scale)
        qc = mk.queue
        self.planner_settings = PlannerSettings(
            mk.requote_tolerance_bps, mk.requote_size_tolerance, mk.quote_expiry_seconds, g.stuck_order_seconds,
            qc.enabled, qc.keep_bps, qc.keep_ahead_fraction,
        )
        self.queue = QueueEstimator(enabled=qc.enabled)  # each resting order's place in its level
        self.fill_tally = FillTally(tuple(mk.markout_horizons_seconds))  # normal and race fills apart
        self._pull_on, self.race_pulls = mk.race.pull_crossed, 0
        # A pulled quote is moved only while the budget leaves the cancels' reserve alone, else cancelled.
        self._can_move = lambda: self.budget.can_spend(self.state.now, TxPriority.HEDGE)
        self.blocked_until = [-math.inf, -math.inf]  # per side (bid, ask): caps backoff ends at
        self.program = PnlProgram(config, self.caps.max_lots)  # plan steps 1-4 (docs/pnl-program.md)
        self._mem = _Memory()
        # Quiet fast path: when the last decision wanted nothing and nothing it read has changed, skip
        # caps and planner. `_dirty` marks events that change our orders or account.
        self._dirty = True
        self._quiet_key: tuple[object, ...] | None = None
        self._max_book_age = g.max_book_age_seconds
        self._reject_window = g.reject_storm_window_seconds
        self._max_unrecorded = g.max_unrecorded_fills
        self._trend_on = mk.trend.enabled
        self._maker_dry = mk.dry_run

    # -- public API ------------------------------------------------------------------------------
    def on_event(self, event: Event) -> list[Command]:
        s = self.state
        # PnL slices close on the realized PnL from before this event (a fill at ts belongs to the next slice).
        pg = self.pnl_guard
        pg.roll(event.ts, s.pnl.realized)
        if pg.level != self.program.guard_watch.level:
            self.program.on_guard(event.ts, pg.level, pg.last_slice_pnl, pg.extra_bps, pg.size_multiplier)
        before = s.orders.get(event.client_id) if isinstance(event, (OrderFilled, ACKS)) else None
        applied = apply(s, event)
        f = applied.new_fill
        if f is not None:
            status = None if before is None else before.status
            race = race_kind(f.side, f.price, f.role, status, self.placement.fair_ticks)
            self._mem.fills.append(FillRecord(f, s.mid, s.position_lots, race))
            self.fill_tally.on_fill(f.ts, f.side, f.price / 1.0, race)
            self.queue.on_filled(f.client_id, f.remaining)
            self.program.on_fill(f.ts, f.side, f.price / 1.0, None if before is None else f.ts - before.sent_at)
            self.markouts.on_fill(f.ts, f.side, f.price / 1.0)
            if before is not None and before.purpose is Purpose.QUOTE:
                self.placement.on_own_quote_fill(f.ts, f.side, f.price)
            self.hedger.on_fill(f.client_id, f.size)
        if applied.order_gone is not None:
            self.hedger.on_order_gone(applied.order_gone, s.now)
            self.queue.on_gone(applied.order_gone)
        elif isinstance(event, ACKS) and before is not None:
            self.queue.on_ack(event, before, s.book)
        if isinstance(event, BookUpdate):
            m2 = event.book.mid2
            self.placement.on_book(event.ts, event.book)
            self.markouts.on_time(event.ts, None if m2 is None else m2 / 2.0)
            self.fill_tally.on_time(event.ts, None if m2 is None else m2 / 2.0)
            self.queue.on_book(event.book)
            self.program.on_mid(event.ts, None if m2 is None else m2 / 2.0)
            if m2 is not None:
                self.volatility.update(event.ts, m2 / 2.0)
                if self._trend_on:
                    noise = self.volatility.value_bps() * self._trend_noise_scale if self._trend_noise_scale else 0.0
                    self.trend.update(event.ts, m2 / 2.0, noise)
        elif isinstance(event, MarketTrade):
            buy = event.taker_side is _BID
            self.placement.on_trade(event.ts, event.price, event.size, buy, s.book)
            self.queue.on_trade(event.price, event.size, event.taker_side)
            return []
        elif not isinstance(event, (Tick, MarkPrice)):
            self._dirty = True
        return self._decide()

    def drain_fills(self) -> list[FillRecord]:
        out, self._mem.fills = self._mem.fills, []
        return out

    def status(self) -> CoreStatus:
        m, s = self._mem, self.state
        d = m.decision
        pg, hs = self.pnl_guard, self.hedger.stats
        quoted = tuple(
            side
            for side in (Side.BID, Side.ASK)
            if any(o.purpose is Purpose.QUOTE and o.side is side and o.status is not OrderStatus.PENDING_CANCEL
                   for o in s.orders.values())
        )
        return CoreStatus(
            trading_state=m.trading_state,
            reasons=m.reasons,
            last_quote_ts=m.last_quote_ts,
            quoted_sides=quoted,
            spread_bps=d.width_bps if d is not None else None,
            volatility_bps=self.volatility.value_at(s.now),  # status() must not change the core's state
            trend=self.trend.state.value,
            trend_change_bps=self.trend.change_bps,
            trend_threshold_bps=self.trend.enter,
            paused=self.maker.paused,
            pnl_guard_level=pg.level,
            pnl_guard_extra_bps=pg.extra_bps,
            pnl_guard_size_multiplier=pg.size_multiplier,
            pnl_guard_last_slice=pg.last_slice_pnl,
            pnl_guard_engagements=self.program.guard_watch.engagements,
            hit_quality_engagements=sum(self.program.hit_quality.engagements.values()),
            hedge_alpha_vetoes=self.program.hedge_alpha.abandoned_spread + self.program.hedge_alpha.kickback_waits,
            hedge_kickback_tier_quotes=self.program.hedge_alpha.kickback_tier_quotes,
            size_multiplier=d.size_multiplier if d is not None else 1.0,
            maker_notes=d.notes if d is not None else (),
            desired_bid=d.bid.price if d is not None and d.bid is not None else None,
            desired_ask=d.ask.price if d is not None and d.ask is not None else None,
            blocked_sides=tuple(side for side, t in zip((Side.BID, Side.ASK), self.blocked_until, strict=True)
                                if t > s.now),
            hedger_phase=self.hedger.phase.value,
            hedger_note=self.hedger.last_note,
            hedges_planned=hs.planned,
            hedges_abandoned=hs.abandoned,
            hedge_filled_lots=hs.filled_lots,
            tx_used_last_minute=self.budget.used(s.now),
            markouts=self.markouts.stats(),
            race=self.fill_tally.status(self.race_pulls),
            fair_shift_bps=self.placement.fair_value.predict_bps(),
            edge=self.placement.edge_status(),
        )

    def shutdown_commands(self) -> list[Command]:
        """Cancel every order we believe is live (the venue's shutdown also cancels all)."""
        cmds: list[Command] = [CancelOrder(cid) for cid, o in self.state.orders.items()
                               if o.status is not OrderStatus.PENDING_CANCEL]
        for c in cmds:
            register_sent(self.state, c, self.state.now)
        return cmds

    # -- decision --------------------------------------------------------------------------------
    def _cid(self) -> int:
        cid = self._next_cid
        self._next_cid += 1
        return cid

    def _rejects_in_window(self) -> int:
        s = self.state
        cutoff = s.now - self.config.guard.reject_storm_window_seconds
        n = 0
        for t in reversed(s.rejects):
            if t <= cutoff:
                break
            n += 1
        return n

    def _decide(self) -> list[Command]:
        s, cfg, mem = self.state, self.config, self._mem
        now = s.now
        self.budget.begin(now)  # this decision's commands go out as one request
        book = s.book
        mid2 = book.mid2
        pos = s.position_lots
        mid_ticks = -(-mid2 // 2) if mid2 is not None else 0
        reasons: tuple[str, ...]
        if (s.venue_connected and s.account_ok and not s.other_instance and mid2 is not None and s.book_ts is not None
                and now - s.book_ts <= self._max_book_age and not book.crossed
                and (not s.rejects or s.rejects[-1] <= now - self._reject_window)
                and s.ledger_writable and s.unrecorded_fills < self._max_unrecorded
                and self.caps.within(pos, mid_ticks)):
            mode, reasons = _ACTIVE, ()  # the common case, without building the guard's inputs
        else:
            mode, reasons = evaluate(
                cfg.guard,
                self.caps,
                GuardInputs(now, s.venue_connected, s.account_ok, s.book_ts, mid2 is not None, book.crossed,
                            self._rejects_in_window(), pos, mid_ticks, s.ledger_writable, s.unrecorded_fills,
                            s.other_instance),
            )
        mem.trading_state, mem.reasons = mode, reasons
        if mode is _HALTED or mid2 is None:
            self.hedger.abort(now)
            return self._send(self._cancel_all_live(now), TxPriority.CANCEL)
        self.volatility.advance(now)
        vol = self.volatility.value_bps()
        trend = self.trend.state if self._trend_on else _NO_TREND
        trend_code = 0 if trend is _NO_TREND else (1 if trend is _UP else -1)
        pg = self.pnl_guard
        g_extra = pg.extra_bps
        ef_extra, ef_mult = self.program.quote_adjustments(now, s.pnl.realized,
                                                            self.maker.width_bps(vol, trend, g_extra))
        extra = g_extra + ef_extra
        pl = self.placement
        dists = None
        if pl.active:
            dists = pl.distances(now, pos, vol, self.maker.width_bps(vol, trend, extra) if pl.edge_places else 0.0)
        dec = self.maker.decide(mid2, book, pos, vol, trend, extra, pg.size_multiplier * ef_mult,
                                self.placement.fair_for_maker(), dists)
        mem.decision = dec
        bid, ask = (None, None) if self._maker_dry else (dec.bid, dec.ask)
        bid, ask = self.program.defend(now, bid, ask, book, mid2, pos, self.maker.sizes, trend_code)
        bu = self.blocked_until
        quiet_key = (dec, bid, ask, mid2, mode, now < bu[0], now < bu[1])
        if not self._dirty and quiet_key == self._quiet_key:
            if dec.settled or bid is not None or ask is not None:
                mem.last_quote_ts = now
            return []
        self._quiet_key = None
        self._dirty = False

        h = cfg.hedger
        if h.enabled and not h.dry_run and (self.hedger.active or self.hedger.needs_hedge(pos)):
            # Never add to inventory we are hedging, and never leave a quote our hedge could hit.
            reducing = Side.reducing(pos)
            blocked = self.hedger.blocked_side(pos) or (reducing.opposite if reducing is not None else None)
            if blocked is Side.BID:
                bid = None
            elif blocked is Side.ASK:
                ask = None

        if mode is TradingState.REDUCING:
            bid, ask = reducing_only(bid, ask, pos, self.maker.sizes)
        if bid is not None or ask is not None:
            bid, ask = gate_quotes(self.caps, s.orders.values(), bid, ask, pos, mid_ticks, now, self.blocked_until,
                                   cfg.guard.backoff_seconds_on_block)

        plan = plan_quotes(bid, ask, s.orders.values(), now, mid2, self.planner_settings, self.maker.sizes, self._cid,
                           self.queue.place)
        fair = self.placement.fair_ticks
        if self._pull_on and fair is not None:  # before the market does (strategy/race.py)
            plan, pulled = pull_crossed(plan, bid, ask, s.orders.values(), fair, self._can_move)
            self.race_pulls += pulled
        out: list[Command] = []
        for c in plan.cancels:
            if isinstance(c, ModifyOrder) and not self._fits_caps(c, mid_ticks):
                c = CancelOrder(c.client_id)  # a pulled quote the caps refuse at its new size: cancel it
            sent = self._send([c], TxPriority.CANCEL)  # (one command at a time: the caps see each one sent)
            if not sent:
                break
            out += sent
        # Hedger: at most one command per step, and it steps only when the budget can send it (it
        # sees the quote it could hit as cancelling, and waits for it to be gone).
        ready = self.hedger.phase is HedgePhase.CROSS_WAIT
        hplan = self.hedger.plan
        vetoed = h.enabled and self.program.hedge_veto(now, ready, hplan, hplan.side if hplan else None, pos, mid2, book)
        if vetoed and ready:
            self.hedger.abort(now)  # re-planned from the new book once the veto ends
        if not vetoed and h.enabled and (self.hedger.active or self.hedger.needs_hedge(pos)) and \
                self.budget.can_spend(now, TxPriority.HEDGE):
            wait = self.program.hedge_passive_wait(h.passive_wait_seconds, pos, trend_code)
            hedge_cmds = self.hedger.step(now, pos, mid2, book, s.orders, self._cid, wait)
            if hedge_cmds and not all(self._fits_caps(c, mid_ticks) for c in hedge_cmds):
                # A reduce-only order can still widen the worst case: with cancels unacked, ours fill
                # first down to flat, then the other sells past it. Wait for the orders in flight.
                self.hedger.hold_back(now)
                hedge_cmds = []
            if hedge_cmds:
                prio = TxPriority.CANCEL if isinstance(hedge_cmds[0], CancelOrder) else TxPriority.HEDGE
                out += self._send(hedge_cmds, prio)
        quotes = plan.quotes
        if quotes:
            if mode is TradingState.REDUCING:
                quotes = [c for c in quotes if not increases_exposure(c, pos, s.orders)]
            out += self._send_quotes(quotes, mid_ticks)
        if dec.settled or bid is not None or ask is not None:
            mem.last_quote_ts = now
        if out or plan.cancels or plan.quotes or self.hedger.active or self.hedger.needs_hedge(pos):
            self._dirty = True  # something is in motion: decide in full next time
        elif all(o.status is OrderStatus.OPEN for o in s.orders.values()):
            self._quiet_key = quiet_key
        else:
            self._dirty = True  # in-flight orders have timeouts
        return out

    def _cancel_all_live(self, now: float) -> list[Command]:
        stuck = self.config.guard.stuck_order_seconds
        out: list[Command] = []
        for cid, o in self.state.orders.items():
            if o.status in (OrderStatus.OPEN, OrderStatus.PENDING_MODIFY) or now - o.sent_at > stuck:
                out.append(CancelOrder(cid))
        return out

    def _send_quotes(self, quotes: list[Command], mid_ticks: int) -> list[Command]:
        """Quotes in urgency order, a placement at a higher priority than a modify (PLACEMENT_RESERVE);
        one the budget refuses is skipped, not the end: a later one may still pay for the request, and
        then the skipped ones ride along in it for free."""
        s = self.state
        out: list[Command] = []
        skipped: list[Command] = []
        for c in quotes:
            if not self._fits_caps(c, mid_ticks):
                continue  # the hedge sent in this decision may have used the room the gate saw
            prio = TxPriority.QUOTE if isinstance(c, ModifyOrder) else TxPriority.PLACE
            if self.budget.try_spend(s.now, prio):
                register_sent(s, c, s.now)
                out.append(c)
            else:
                skipped.append(c)
        if out and skipped:
            for c in skipped:  # riding along: free; each checked after the one before is counted
                if self._fits_caps(c, mid_ticks):
                    out += self._send([c], TxPriority.QUOTE)
        return out

    def _fits_caps(self, c: Command, mid_ticks: int) -> bool:
        """The last check before an order goes out, against the orders as they are now: the hedge and
        quotes of this same decision included (gate_quotes saw the orders before them)."""
        return self.caps.allows_command(self.state.position_lots, self.state.orders, c, mid_ticks)

    def _send(self, cmds: list[Command], prio: TxPriority) -> list[Command]:
        out: list[Command] = []
        s = self.state
        for c in cmds:
            if not self.budget.try_spend(s.now, prio):
                break
            register_sent(s, c, s.now)
            out.append(c)
        return out

