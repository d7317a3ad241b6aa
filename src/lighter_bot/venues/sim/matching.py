"""Our orders on the simulated exchange: where they land, what they match, the fills they get.

The base of SimExchange (exchange.py runs the clock, the market rows and the requests): the true market
book (price levels; our orders are never in it), our resting and in-flight orders, the queue position
of each (queue.py), and the events the bot learns, each after its latency. Landing rules
(docs/simulator.md): a post-only order that would cross is cancelled `canceled-post-only`; IOC walks
the visible book up to its limit and the rest is cancelled; reduce-only never grows the position; an
incoming order that would trade with our own resting order is cancelled `canceled-self-trade`; a modify
leaves the order fillable at its old price until it lands.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_left
from dataclasses import replace
from typing import Any

from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    Event,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.venues.sim.queue import QueueModel, QueuePos
from lighter_bot.venues.sim.records import (
    CANCELED_IOC,
    CANCELED_POST_ONLY,
    CANCELED_REDUCE_ONLY,
    CANCELED_SELF_TRADE,
    CODE_DUPLICATE_CLIENT_ID,
    CODE_NOT_ACTIVE,
    ORDER_INDEX_BASE,
    PendingCommand,
    SimFill,
    SimOrder,
    SimStats,
)
from lighter_bot.venues.sim.request_meter import RequestMeter
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import ASK, BID

_INF = float("inf")

# action kinds in the internal heap
LAND_PLACE, LAND_MODIFY, LAND_CANCEL, LAND_CANCEL_ALL, PUBLISH, EXPIRE = range(6)


class Matching:
    """The market book, our orders on it and their matching; the events the bot learns (see the module
    docstring). Synchronous and deterministic given `seed`."""

    def __init__(self, market: MarketSpec, rules: VenueRules, seed: int) -> None:
        self.market = market
        self.rules = rules
        self.seed = seed
        self._rng = random.Random(seed)
        self._bids: dict[int, int] = {}
        self._asks: dict[int, int] = {}
        self._bid_px: list[int] = []  # sorted ascending (best bid last)
        self._ask_px: list[int] = []  # sorted ascending (best ask first)
        self._taken: dict[tuple[int, int], int] = {}  # (side, price) -> lots we took since it last changed
        self._mark: int | None = None
        self._actions: list[tuple[float, int, int, Any]] = []
        self._out: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._md_last = -_INF
        self._acct_last = -_INF
        self._orders: dict[int, SimOrder] = {}
        self._watch_dirty = False
        self._bid_watch: frozenset[int] = frozenset()
        self._ask_watch: frozenset[int] = frozenset()
        self._max_bid = -1
        self._min_ask = 1 << 62
        self._pending: dict[int, PendingCommand] = {}
        self._next_order_index = ORDER_INDEX_BASE
        self._trade_seq = 0
        # Trade ids are `<prefix>-<n>`; a paced run (`run --venue sim`) sets a per-run prefix so two
        # runs with one seed never share an id. Backtests keep `sim-<seed>` (deterministic).
        self.trade_id_prefix = f"sim-{seed}"
        self.position = 0  # lots, signed
        self.fills: list[SimFill] = []
        self.stats = SimStats()
        self._queue = QueueModel(rules.queue_model, rules.queue_power)
        self._meter = RequestMeter(rules, self.stats)

    # -- introspection (tests, emulator) -------------------------------------------------------
    def book(self, depth: int | None = None) -> BookView:
        """The current true market book (our orders are not in it)."""
        n = depth or self.rules.book_depth
        b, a = self._bids, self._asks
        bids = tuple((p, b[p]) for p in reversed(self._bid_px[-n:]))
        asks = tuple((p, a[p]) for p in self._ask_px[:n])
        return BookView(bids, asks)

    def best_bid(self) -> int | None:
        return self._bid_px[-1] if self._bid_px else None

    def best_ask(self) -> int | None:
        return self._ask_px[0] if self._ask_px else None

    @property
    def mark(self) -> int | None:
        """Last mark price, else the mid (ticks, rounded down)."""
        if self._mark is not None:
            return self._mark
        b, a = self.best_bid(), self.best_ask()
        return None if b is None or a is None else (a + b) // 2

    def resting_orders(self) -> list[SimOrder]:
        return [self._orders[c] for c in sorted(self._orders)]

    def order(self, client_id: int) -> SimOrder | None:
        """Our live order with this client id (None if gone or not landed yet)."""
        return self._orders.get(client_id)

    # -- our order set and the prices it watches ------------------------------------------------
    def _drop(self, client_id: int, default: SimOrder | None = None) -> SimOrder | None:
        self._watch_dirty = True
        return self._orders.pop(client_id, default)

    def _refresh_watch(self) -> None:
        """Which market rows can touch our orders: our own prices, and opposite levels crossing them."""
        bids = [o.price for o in self._orders.values() if o.side is Side.BID]
        asks = [o.price for o in self._orders.values() if o.side is Side.ASK]
        self._bid_watch = frozenset(bids)
        self._ask_watch = frozenset(asks)
        self._max_bid = max(bids) if bids else -1
        self._min_ask = min(asks) if asks else 1 << 62
        self._watch_dirty = False

    # -- internal scheduling -------------------------------------------------------------------
    def _schedule(self, t: float, kind: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._actions, (t, self._seq, kind, payload))

    def _emit(self, ts: float, event: Event) -> None:
        self._seq += 1
        heapq.heappush(self._out, (ts, self._seq, event))

    def _emit_md(self, t: float, make: Any, *args: Any) -> None:
        r = self.rules
        ts = t + r.md_latency_s + (self._rng.random() * r.md_jitter_s if r.md_jitter_s else 0.0)
        if ts < self._md_last:
            ts = self._md_last  # the feed keeps its order
        self._md_last = ts
        self._emit(ts, make(ts, *args))

    def _emit_acct(self, t: float, event: Event) -> None:
        self._emit_acct_at(t + self.rules.account_latency_s, event)

    def _emit_acct_at(self, ts: float, event: Event) -> None:
        if ts < self._acct_last:
            ts = self._acct_last
        self._acct_last = ts
        self._emit(ts, _restamp(event, ts))

    # -- our orders against the market ----------------------------------------------------------
    def _on_depth_for_orders(self, t: float, side: int, price: int, prev: int, size: int) -> None:
        is_bid = side == BID
        for o in list(self._orders.values()):
            if o.is_bid == is_bid:
                if o.price == price:
                    self._queue.on_depth(o.queue, prev, size)
            elif self.rules.fill_on_cross and size > 0 and (
                (is_bid and price >= o.price) or (not is_bid and price <= o.price)
            ):
                # The market's opposite side reached our resting price: we would have traded.
                self._fill(t, o, o.size, o.price, Role.MAKER, "cross")

    def _on_trade_for_orders(self, t: float, taker: Side, price: int, size: int) -> None:
        # Makers on the other side of the aggressor, best price first (price priority).
        if taker is Side.BID:
            cands = sorted((o for o in self._orders.values() if not o.is_bid and o.price <= price),
                           key=lambda o: (o.price, o.placed_at))
        else:
            cands = sorted((o for o in self._orders.values() if o.is_bid and o.price >= price),
                           key=lambda o: (-o.price, o.placed_at))
        avail = size
        for o in cands:
            if avail <= 0:
                break
            # A trade through our price means everything at our price traded first.
            reach = int(self._queue.on_trade(o.queue, avail)) if o.price == price else avail
            q = min(reach, o.size, avail)
            if q > 0:
                avail -= q
                self._fill(t, o, q, o.price, Role.MAKER, "trade")

    # -- our actions landing ----------------------------------------------------------------------
    def _crosses_market(self, side: Side, price: int) -> bool:
        if side is Side.BID:
            ba = self.best_ask()
            return ba is not None and price >= ba
        bb = self.best_bid()
        return bb is not None and price <= bb

    def _level_size(self, is_bid: bool, price: int) -> int:
        """The market's size at `price` on one side now (lots; 0 if the level is empty)."""
        return (self._bids if is_bid else self._asks).get(price, 0)

    def _own_cross(self, side: Side, price: int) -> bool:
        for o in self._orders.values():
            if o.side is not side and (price >= o.price if side is Side.BID else price <= o.price):
                return True
        return False

    def _land_place(self, t: float, cmd: PlaceOrder) -> None:
        self._pending.pop(cmd.client_id, None)
        if cmd.client_id in self._orders:
            self._emit_acct(t, OrderRejected(0.0, cmd.client_id, CODE_DUPLICATE_CLIENT_ID,
                                             "client order index already exists"))
            return
        size = cmd.size
        if cmd.reduce_only:
            if Side.reducing(self.position) is not cmd.side:
                self._emit_acct(t, OrderCanceled(0.0, cmd.client_id, CANCELED_REDUCE_ONLY))
                return
            size = min(size, abs(self.position))
        self._next_order_index += 1
        oid = self._next_order_index
        self._emit_acct(t, OrderAccepted(0.0, cmd.client_id, str(oid)))
        crosses = self._crosses_market(cmd.side, cmd.price)
        if cmd.tif is TimeInForce.POST_ONLY and (crosses or self._own_cross(cmd.side, cmd.price)):
            self._emit_acct(t, OrderCanceled(0.0, cmd.client_id, CANCELED_POST_ONLY))
            return
        o = SimOrder(cmd.client_id, oid, cmd.side, cmd.price, size, size, cmd.tif, cmd.reduce_only, t, QueuePos(0.0))
        if cmd.tif is not TimeInForce.POST_ONLY and self._own_cross(cmd.side, cmd.price):
            self._emit_acct(t, OrderCanceled(0.0, cmd.client_id, CANCELED_SELF_TRADE))
            return
        if crosses:
            self._take(t, o)
            if o.size <= 0:
                return
        if cmd.tif is TimeInForce.IOC:
            self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_IOC))
            return
        o.queue.ahead = float(self._level_size(o.is_bid, o.price))
        self._orders[o.client_id] = o
        self._watch_dirty = True
        if cmd.expiry_s is not None:
            self._schedule(t + cmd.expiry_s, EXPIRE, o.client_id)

    def _take(self, t: float, o: SimOrder) -> None:
        """Walk the visible opposite book up to the limit (levels we already took count as gone)."""
        book_side = ASK if o.is_bid else BID
        levels = self._asks if o.is_bid else self._bids
        if o.is_bid:
            prices = self._ask_px[: bisect_left(self._ask_px, o.price + 1)]
        else:
            prices = self._bid_px[bisect_left(self._bid_px, o.price):][::-1]
        for p in prices:
            if o.size <= 0:
                break
            key = (book_side, p)
            free = levels[p] - self._taken.get(key, 0)
            q = min(free, o.size)
            if q > 0:
                self._taken[key] = self._taken.get(key, 0) + q
                self._fill(t, o, q, p, Role.TAKER, "take")

    def _land_modify(self, t: float, cmd: ModifyOrder) -> None:
        o = self._orders.get(cmd.client_id)
        if o is None:
            self._emit_acct(t, ModifyRejected(0.0, cmd.client_id, CODE_NOT_ACTIVE, "order not active"))
            return
        if o.tif is TimeInForce.POST_ONLY and (
            self._crosses_market(o.side, cmd.price) or self._own_cross_except(o, cmd.price)
        ):
            self._drop(o.client_id)
            self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_POST_ONLY))
            return
        size = cmd.size
        if o.reduce_only:
            size = min(size, abs(self.position))
            if size <= 0 or Side.reducing(self.position) is not o.side:
                self._drop(o.client_id)
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_REDUCE_ONLY))
                return
        if cmd.price != o.price or size > o.size:
            # A new price, or more size, loses priority: back of the queue at the (new) price.
            o.queue = QueuePos(float(self._level_size(o.is_bid, cmd.price)))
        o.price = cmd.price
        self._watch_dirty = True
        o.size = size
        self._emit_acct(t, OrderModified(0.0, o.client_id, o.price, o.size))
        if o.tif is not TimeInForce.POST_ONLY and self._crosses_market(o.side, o.price):
            self._take(t, o)
            if o.size <= 0:
                self._drop(o.client_id, None)

    def _own_cross_except(self, mine: SimOrder, price: int) -> bool:
        for o in self._orders.values():
            if o is not mine and o.side is not mine.side and (
                price >= o.price if mine.is_bid else price <= o.price
            ):
                return True
        return False

    def _fill(self, t: float, o: SimOrder, size: int, price: int, role: Role, cause: str) -> None:
        if o.reduce_only:
            size = min(size, abs(self.position)) if Side.reducing(self.position) is o.side else 0
        if size <= 0:
            if o.reduce_only:
                self._drop(o.client_id, None)
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_REDUCE_ONLY))
            return
        m = self.market
        notional = m.notional(price, size)
        fee = notional * (self.rules.maker_fee_rate if role is Role.MAKER else self.rules.taker_fee_rate)
        o.size -= size
        o.filled += size
        o.filled_quote += notional
        self.position += o.side.sign * size
        self._trade_seq += 1
        tid = f"{self.trade_id_prefix}-{self._trade_seq}"
        f = SimFill(t, o.client_id, tid, o.side, price, size, fee, role, o.size, cause)
        self.fills.append(f)
        st = self.stats
        st.fills += 1
        st.volume_base_lots += size
        st.volume_quote += notional
        st.fees += fee
        self._meter.on_traded(notional)
        self._emit_acct(t, OrderFilled(0.0, o.client_id, tid, o.side, price, size, fee, role, o.size))
        if o.size <= 0:
            self._drop(o.client_id, None)
        self._check_reduce_only(t)

    def _check_reduce_only(self, t: float) -> None:
        """Reduce-only orders that can no longer reduce are cancelled; oversized ones are trimmed."""
        for o in list(self._orders.values()):
            if not o.reduce_only:
                continue
            if Side.reducing(self.position) is not o.side:
                self._drop(o.client_id)
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_REDUCE_ONLY))
            elif o.size > abs(self.position):
                o.size = abs(self.position)



def _restamp(event: Event, ts: float) -> Event:
    """Copy of `event` with `ts` set (events are frozen)."""
    return replace(event, ts=ts)
