"""The synchronous, deterministic decision core: `on_event(event) -> list[Command]`.

It folds each event into EngineState (engine.state), then, on events that can change a decision,
runs: trading-state check -> maker quotes -> hedger -> caps -> planner -> tx budget. It never awaits,
never reads a wall clock (time comes from the events and the injected Clock), and draws no random
numbers: same events in, same commands out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from lighter_bot.config import BotConfig
from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import Event, MarketTrade
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.engine.clock import Clock
from lighter_bot.engine.state import EngineState, apply, register_sent
from lighter_bot.engine.txbudget import TxBudget, TxPriority
from lighter_bot.risk.caps import allows
from lighter_bot.strategy.quoting import QuoteIntent, ask_price, bid_price, quote_size


class TradingState(Enum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"  # only exposure-reducing orders
    HALTED = "HALTED"  # cancels only


@dataclass(frozen=True, slots=True)
class CoreStatus:
    trading_state: TradingState
    reasons: tuple[str, ...]
    last_quote_ts: float | None
    quoted_sides: tuple[Side, ...]
    spread_bps: float | None


@dataclass
class _Hedge:
    client_id: int | None = None
    phase: str = "idle"  # idle | passive | cross
    started: float = 0.0
    plan_mid: float = 0.0
    last_attempt: float = -1e18


@dataclass
class _Memory:
    fills: list[FillRecord] = field(default_factory=list)
    last_quote_ts: float | None = None
    quoted: tuple[Side, ...] = ()
    spread_bps: float | None = None
    blocked_until: float = -1e18
    trading_state: TradingState = TradingState.ACTIVE
    reasons: tuple[str, ...] = ()




class EngineCore:
    def __init__(self, config: BotConfig, market: MarketSpec, clock: Clock, client_id_base: int = 1) -> None:
        self.config = config
        self.market = market
        self.clock = clock
        self.state = EngineState(market=market, now=clock.now())
        self._next_cid = client_id_base
        per_min = config.api.tx_per_minute or (60 if config.api.tier == "standard" else 4000)
        self.budget = TxBudget(per_min)
        self._hedge = _Hedge()
        self._mem = _Memory()

    # -- public API ------------------------------------------------------------------------------
    def on_event(self, event: Event) -> list[Command]:
        applied = apply(self.state, event)
        if applied.new_fill is not None:
            self._mem.fills.append(FillRecord(applied.new_fill, self.state.mid, self.state.position_lots))
            if self._hedge.client_id == applied.new_fill.client_id and applied.order_gone is not None:
                self._hedge = _Hedge(last_attempt=self.state.now)
        if applied.order_gone is not None and applied.order_gone == self._hedge.client_id:
            self._hedge.client_id = None
        if isinstance(event, MarketTrade):
            return []
        return self._decide()

    def drain_fills(self) -> list[FillRecord]:
        out, self._mem.fills = self._mem.fills, []
        return out

    def status(self) -> CoreStatus:
        m = self._mem
        return CoreStatus(m.trading_state, m.reasons, m.last_quote_ts, m.quoted, m.spread_bps)

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

    def _trading_state(self) -> tuple[TradingState, tuple[str, ...]]:
        s, g = self.state, self.config.guard
        reasons: list[str] = []
        if not s.venue_connected:
            reasons.append("venue disconnected")
        if not s.account_ok:
            reasons.append("account stream lost")
        age = s.book_age()
        if age is None or age > g.max_book_age_seconds:
            reasons.append("stale book" if age is not None else "no book yet")
        if s.book.crossed:
            reasons.append("crossed book")
        recent = [t for t in s.rejects if t > s.now - g.reject_storm_window_seconds]
        if len(recent) >= g.reject_storm_count:
            reasons.append("reject storm")
        if reasons:
            return TradingState.HALTED, tuple(reasons)
        mid = s.mid or 0.0
        pos = abs(self.market.sz(s.position_lots))
        if pos > g.max_position_units or pos * mid > g.max_inventory_notional:
            return TradingState.REDUCING, ("cap breach",)
        return TradingState.ACTIVE, ()

    def _decide(self) -> list[Command]:
        s = self.state
        mode, reasons = self._trading_state()
        self._mem.trading_state, self._mem.reasons = mode, reasons
        if mode is TradingState.HALTED:
            return self._send(self._cancel_all_live(), TxPriority.CANCEL)
        mid = s.mid
        assert mid is not None  # not HALTED => book has both sides
        desired = self._maker_quotes(mid) if mode is TradingState.ACTIVE else []
        hedge_cmds = self._hedger(mid, desired)
        if mode is TradingState.REDUCING:
            reducing = Side.reducing(s.position_lots)
            desired = [q for q in desired if q.side is reducing]
        desired = [q for q in desired if self._cap_ok(q.side, q.size, mid)]
        quote_cmds, cancels = self._plan(desired)
        out = self._send(cancels, TxPriority.CANCEL)
        out += self._send(hedge_cmds, TxPriority.HEDGE)
        out += self._send(quote_cmds, TxPriority.QUOTE)
        if desired:
            self._mem.last_quote_ts = s.now
        self._mem.quoted = tuple(q.side for q in desired)
        return out

    def _maker_quotes(self, mid: float) -> list[QuoteIntent]:
        m, s = self.config.maker, self.state
        if m.dry_run or s.now < self._mem.blocked_until:
            return []
        width = m.volatility.min_spread_bps if m.volatility.enabled else m.spread_bps
        self._mem.spread_bps = width
        inv_ratio = self.market.sz(s.position_lots) / m.inventory_soft_cap
        fair = mid * (1 - max(-1.0, min(1.0, inv_ratio)) * m.inventory_skew_bps / 1e4)
        out: list[QuoteIntent] = []
        hedging = abs(self.market.sz(s.position_lots)) > self.config.hedger.trigger_units
        for side in (Side.BID, Side.ASK):
            if hedging and side is not Side.reducing(s.position_lots):
                continue  # never add to inventory we are hedging, and never trade against our hedge
            px = (bid_price if side is Side.BID else ask_price)(fair, width / 2, s.book, self.market)
            if px is None:
                continue
            size = quote_size(m.size, m.size_min, m.size_max, m.exchange_min_size, m.exchange_min_notional, px,
                              self.market)
            out.append(QuoteIntent(side, px, size))
        return out

    def _cap_ok(self, side: Side, size: int, mid: float) -> bool:
        g, s = self.config.guard, self.state
        ok = allows(s.position_lots, s.orders.values(), side, size, self.market.size_to_lots_down(g.max_position_units),
                    g.max_inventory_notional, mid, self.market.sz(1) * mid)
        if not ok:
            self._mem.blocked_until = max(self._mem.blocked_until, s.now + g.backoff_seconds_on_block)
        return ok

    def _hedger(self, mid: float, desired: list[QuoteIntent]) -> list[Command]:
        h, s, mk = self.config.hedger, self.state, self.market
        if not h.enabled or h.dry_run:
            return []
        pos = mk.sz(s.position_lots)
        hs = self._hedge
        if hs.client_id is not None:
            o = s.orders.get(hs.client_id)
            if o is None:
                hs.client_id = None
            elif hs.phase == "passive" and s.now - hs.started >= h.passive_wait_seconds and \
                    o.status is OrderStatus.OPEN:
                hs.phase = "cancelling"
                return [CancelOrder(hs.client_id)]
            return []
        if abs(pos) <= h.trigger_units or s.now - hs.last_attempt < h.cooldown_seconds:
            if abs(pos) <= h.trigger_units:
                hs.phase = "idle"
            return []
        side = Side.ASK if pos > 0 else Side.BID
        clip = min(abs(pos) - h.target_units, h.max_clip_units)
        lots = max(mk.size_to_lots_down(clip), mk.min_size_lots)
        lots = min(lots, abs(s.position_lots))  # reduce-only: never flip
        # Our own resting quotes on the side the hedge would hit must be gone first (no self-trade).
        conflict = [o for o in s.orders.values() if o.side is side.opposite and o.purpose is Purpose.QUOTE]
        if conflict:
            return []
        passive = h.prefer_passive and hs.phase in ("idle",)
        cid = self._cid()
        if passive:
            price = (mk.price_to_ticks_up(mid * (1 + h.passive_offset_bps / 1e4)) if side is Side.ASK
                     else mk.price_to_ticks_down(mid * (1 - h.passive_offset_bps / 1e4)))
            if side is Side.ASK and s.book.best_bid is not None:
                price = max(price, s.book.best_bid + 1)
            if side is Side.BID and s.book.best_ask is not None:
                price = min(price, s.book.best_ask - 1)
            self._hedge = _Hedge(cid, "passive", s.now, mid, s.now)
            return [PlaceOrder(cid, side, price, lots, TimeInForce.POST_ONLY, True, Purpose.HEDGE_PASSIVE)]
        price = (mk.price_to_ticks_up(mid * (1 - h.max_slippage_bps / 1e4)) if side is Side.ASK
                 else mk.price_to_ticks_down(mid * (1 + h.max_slippage_bps / 1e4)))
        self._hedge = _Hedge(cid, "cross", s.now, mid, s.now)
        return [PlaceOrder(cid, side, price, lots, TimeInForce.IOC, True, Purpose.HEDGE_CROSS)]

    def _plan(self, desired: list[QuoteIntent]) -> tuple[list[Command], list[Command]]:
        """Desired quotes vs working quote orders -> (modifies/places, cancels)."""
        s, m = self.state, self.config.maker
        tol = m.requote_tolerance_bps
        quotes: dict[Side, list[WorkingOrder]] = {Side.BID: [], Side.ASK: []}
        for o in s.orders.values():
            if o.purpose is Purpose.QUOTE:
                quotes[o.side].append(o)
        want = {q.side: q for q in desired}
        acts: list[Command] = []
        cancels: list[Command] = []
        for side in (Side.BID, Side.ASK):
            live = [o for o in quotes[side] if o.status is not OrderStatus.PENDING_CANCEL]
            q = want.get(side)
            if q is None:
                cancels += [CancelOrder(o.client_id) for o in live if o.status is not OrderStatus.PENDING_NEW]
                continue
            if not live:
                acts.append(PlaceOrder(self._cid(), side, q.price, q.size, TimeInForce.POST_ONLY, False, Purpose.QUOTE,
                                       m.quote_expiry_seconds))
                continue
            keep, *extra = live
            cancels += [CancelOrder(o.client_id) for o in extra if o.status is not OrderStatus.PENDING_NEW]
            if keep.status is not OrderStatus.OPEN:
                continue  # wait for the ack before touching it again
            off_bps = abs(keep.price - q.price) / max(q.price, 1) * 1e4
            if off_bps > tol or keep.size != q.size:
                acts.append(ModifyOrder(keep.client_id, q.price, q.size))
        return acts, cancels

    def _cancel_all_live(self) -> list[Command]:
        return [CancelOrder(cid) for cid, o in self.state.orders.items()
                if o.status in (OrderStatus.OPEN, OrderStatus.PENDING_MODIFY)]

    def _send(self, cmds: list[Command], prio: TxPriority) -> list[Command]:
        out: list[Command] = []
        for c in cmds:
            if not self.budget.try_spend(self.state.now, prio):
                break
            register_sent(self.state, c, self.state.now)
            out.append(c)
        return out
