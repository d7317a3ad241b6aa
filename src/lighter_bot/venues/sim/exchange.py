"""SimExchange: a synchronous, seeded, Lighter-faithful matching simulator for our orders.

One time-ordered loop merges the market source (rows, see source.py) with our delayed actions
(an order lands after its tier's entry delay, a cancel after the cancel delay...). The market book is
the recorded or generated one; our orders never change it (no market impact): they only decide our
own fills, through a queue position (queue.py) at their price. The bot sees events later than they
happen (market-data and account latency, with jitter), each stamped with the time it learns them.

Rules (docs/simulator.md): minimums => OrderRejected 21706 at submit; a submit() is one request (a
sendTxBatch), and a request over the rolling-minute budget (request_meter.py) => 23000 for each of
its commands; a post-only order that would cross lands and is cancelled `canceled-post-only`; IOC walks
the visible book up to its limit and the rest is cancelled; reduce-only never grows the position;
an incoming order that would trade with our own resting order is cancelled `canceled-self-trade`;
a modify leaves the order fillable at its old price until the modify lands.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    MarketTrade,
    MarkPrice,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.domain.request_budget import MAX_BATCH
from lighter_bot.venues.sim.queue import QueueModel, QueuePos
from lighter_bot.venues.sim.request_meter import RequestMeter
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, MARK, TRADE, MarketSource, Row

# Lighter error codes and order statuses the simulator produces.
CODE_RATE_LIMIT = 23000
CODE_BELOW_MIN = 21706
CODE_INVALID_SIZE = 21701
CODE_INVALID_PRICE = 21702
CODE_DUPLICATE_CLIENT_ID = 21728
CODE_NOT_ACTIVE = 21600
CANCELED = "canceled"
CANCELED_POST_ONLY = "canceled-post-only"
CANCELED_IOC = "canceled-not-enough-liquidity"  # IOC remainder; Lighter's status for unfilled taker size
CANCELED_EXPIRED = "canceled-expired"
CANCELED_REDUCE_ONLY = "canceled-reduce-only"
CANCELED_SELF_TRADE = "canceled-self-trade"

ORDER_INDEX_BASE = 1 << 48  # Lighter exchange order indexes are >= 2**48
_INF = float("inf")

# action kinds in the internal heap
_LAND_PLACE, _LAND_MODIFY, _LAND_CANCEL, _LAND_CANCEL_ALL, _PUBLISH, _EXPIRE = range(6)


@dataclass(slots=True)
class SimOrder:
    """One of our orders on the simulated exchange."""

    client_id: int
    order_index: int
    side: Side
    price: int
    size: int  # remaining lots
    initial_size: int
    tif: TimeInForce
    reduce_only: bool
    placed_at: float  # when it landed
    queue: QueuePos
    filled: int = 0
    filled_quote: float = 0.0

    @property
    def is_bid(self) -> bool:
        return self.side is Side.BID


@dataclass(frozen=True, slots=True)
class SimFill:
    """A fill as the exchange records it (`t` = when it happened; the bot learns it later)."""

    t: float
    client_id: int
    trade_id: str
    side: Side
    price: int
    size: int
    fee: float
    role: Role
    remaining: int
    cause: str  # "trade" (a public trade reached us), "cross" (the book crossed us), "take" (we took)


@dataclass(frozen=True, slots=True)
class TapeTrade:
    """A public trade of the market (ours are not on the tape: we have no market impact)."""

    t: float
    trade_id: str
    price: int
    size: int
    taker_side: Side


@dataclass
class _Pending:
    """A command on its way to the exchange (for lookups and the self-trade / client-id checks)."""

    cmd: Command
    lands_at: float


@dataclass
class SimStats:
    market_rows: int = 0
    tx_sent: int = 0
    tx_rejected: int = 0
    fills: int = 0
    volume_base_lots: int = 0
    volume_quote: float = 0.0
    fees: float = 0.0
    requests: int = 0  # sendTx/sendTxBatch requests the bot made (a batch counts once)
    background_requests: int = 0  # the live adapter's own requests, charged at their cadence
    requests_refused: int = 0  # requests answered 429 / 23000 (the budget or the volume quota)


class SimExchange:
    """The simulated exchange; synchronous and deterministic given `seed`."""

    def __init__(self, market: MarketSpec, source: MarketSource, rules: VenueRules, seed: int = 0) -> None:
        self.market = market
        self.rules = rules
        self.seed = seed
        self._rng = random.Random(seed)
        self._src: Iterator[Row] = iter(source)
        self._next_row: Row | None = next(self._src, None)
        self._now = self._next_row[0] if self._next_row is not None else 0.0
        self._last_row_t = self._now
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
        self._book_dirty = False
        self._publish_at: float | None = None
        self._orders: dict[int, SimOrder] = {}
        self._watch_dirty = False
        self._bid_watch: frozenset[int] = frozenset()
        self._ask_watch: frozenset[int] = frozenset()
        self._max_bid = -1
        self._min_ask = 1 << 62
        self._pending: dict[int, _Pending] = {}
        self._next_order_index = ORDER_INDEX_BASE
        self._trade_seq = 0
        # Trade ids are `<prefix>-<n>`; a paced run (`run --venue sim`) sets a per-run prefix so two
        # runs with one seed never share an id. Backtests keep `sim-<seed>` (deterministic).
        self.trade_id_prefix = f"sim-{seed}"
        self._public_seq = 0
        self.position = 0  # lots, signed
        self.fills: list[SimFill] = []
        self._tape: deque[TapeTrade] = deque(maxlen=5000)
        self.stats = SimStats()
        self._queue = QueueModel(rules.queue_model, rules.queue_power)
        self._meter = RequestMeter(rules, self.stats)

    # -- time ----------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Time of the last processed happening."""
        return self._now

    @property
    def source_exhausted(self) -> bool:
        return self._next_row is None

    @property
    def last_market_time(self) -> float:
        return self._last_row_t

    def next_time(self) -> float | None:
        t = _INF
        if self._next_row is not None:
            t = self._next_row[0]
        if self._actions and self._actions[0][0] < t:
            t = self._actions[0][0]
        if self._out and self._out[0][0] < t:
            t = self._out[0][0]
        return None if t == _INF else t

    def advance(self, until: float) -> list[Event]:
        """Process everything that happens at or before `until`; return what the bot learns by then."""
        acts = self._actions
        while True:
            row = self._next_row
            t_act = acts[0][0] if acts else _INF
            if row is not None and row[0] < t_act and row[0] <= until:
                self._run_rows(t_act, until)  # market rows up to the next action (exclusive)
                continue
            if t_act <= until and t_act != _INF:
                t, _, kind, payload = heapq.heappop(acts)
                self._now = t
                self._do_action(t, kind, payload)
                continue
            break
        if until > self._now and until != _INF:
            self._now = until
        out: list[Event] = []
        while self._out and self._out[0][0] <= until:
            out.append(heapq.heappop(self._out)[2])
        return out

    def catch_up(self, until: float) -> None:
        """Account for the market rows at or before `until` when nothing else happens by then (a
        no-op here: every row is a happening; TapeExchange skips rows that concern nobody)."""

    # -- commands ------------------------------------------------------------------------------
    def submit(self, now: float, commands: Sequence[Command]) -> None:
        """Send commands at `now` as one sendTxBatch (a request per MAX_BATCH commands); each command is
        one transaction and lands after its tier's delay. A request over the budget is refused whole."""
        for i in range(0, len(commands), MAX_BATCH):
            chunk = commands[i : i + MAX_BATCH]
            problem = self._meter.charge(now, sum(1 for c in chunk if isinstance(c, PlaceOrder | ModifyOrder)))
            if problem is not None:
                self.stats.tx_rejected += len(chunk)
                for cmd in chunk:
                    self._reject_tx(now, cmd, CODE_RATE_LIMIT, problem)
                continue
            for cmd in chunk:
                self._submit_one(now, cmd)

    def _submit_one(self, now: float, cmd: Command) -> None:
        r = self.rules
        if isinstance(cmd, PlaceOrder):
            problem = self._validate_place(cmd)
            if problem is not None:
                self._emit_acct_at(now + r.response_latency_s, OrderRejected(0.0, cmd.client_id, *problem))
                return
            delay = r.maker_delay_s if self._is_maker(cmd) else r.taker_delay_s
            self._pending[cmd.client_id] = _Pending(cmd, now + delay)
            self._schedule(now + delay, _LAND_PLACE, cmd)
        elif isinstance(cmd, ModifyOrder):
            if cmd.size <= 0 or cmd.price <= 0:
                self._emit_acct_at(now + r.response_latency_s,
                                   ModifyRejected(0.0, cmd.client_id, CODE_INVALID_SIZE, "invalid size or price"))
                return
            if not self.market.meets_minimums(cmd.price, cmd.size):
                self._emit_acct_at(now + r.response_latency_s,
                                   ModifyRejected(0.0, cmd.client_id, CODE_BELOW_MIN, "below market minimum"))
                return
            self._schedule(now + r.maker_delay_s, _LAND_MODIFY, cmd)
        elif isinstance(cmd, CancelOrder):
            self._schedule(now + r.cancel_delay_s, _LAND_CANCEL, cmd)
        else:
            self._schedule(now + r.cancel_delay_s, _LAND_CANCEL_ALL, cmd)
        self.stats.tx_sent += 1

    def requests_in_window(self, now: float) -> int:
        """Requests (ours and the adapter's background ones) within the rolling minute before `now`."""
        return self._meter.in_window(now)

    def tx_window_frees_at(self) -> float:
        """When the rolling one-minute request budget next has room (now-ish if it has room already)."""
        return self._meter.frees_at(self._now)

    def cancel_all(self, now: float) -> None:
        self.submit(now, [CancelAll()])

    def _is_maker(self, cmd: PlaceOrder) -> bool:
        if cmd.tif is TimeInForce.POST_ONLY:
            return True
        if cmd.tif is TimeInForce.IOC:
            return False
        return not self._crosses_market(cmd.side, cmd.price)

    def _validate_place(self, cmd: PlaceOrder) -> tuple[int, str] | None:
        if cmd.size <= 0:
            return CODE_INVALID_SIZE, "invalid base amount"
        if cmd.price <= 0:
            return CODE_INVALID_PRICE, "invalid price"
        if not self.market.meets_minimums(cmd.price, cmd.size):
            return CODE_BELOW_MIN, "order amount below the market minimum base/quote"
        if cmd.client_id in self._orders or cmd.client_id in self._pending:
            return CODE_DUPLICATE_CLIENT_ID, "client order index already exists"
        return None

    def _reject_tx(self, now: float, cmd: Command, code: int, reason: str) -> None:
        t = now + self.rules.response_latency_s
        if isinstance(cmd, PlaceOrder):
            self._emit_acct_at(t, OrderRejected(0.0, cmd.client_id, code, reason))
        elif isinstance(cmd, ModifyOrder | CancelOrder):
            self._emit_acct_at(t, ModifyRejected(0.0, cmd.client_id, code, reason))
        else:
            for cid in sorted(self._orders):
                self._emit_acct_at(t, ModifyRejected(0.0, cid, code, reason))

    # -- introspection (tests, emulator) -------------------------------------------------------
    @property
    def tape(self) -> deque[TapeTrade]:
        """Recent public trades of the market (the last 5000), oldest first."""
        return self._tape

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

    def pending_commands(self) -> list[Command]:
        return [p.cmd for p in self._pending.values()]

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

    # -- market rows ---------------------------------------------------------------------------
    def _on_row(self, row: Row) -> None:
        t, kind, side, price, size = row
        self.stats.market_rows += 1
        if kind == DEPTH:
            if side == BID:
                levels, pxs = self._bids, self._bid_px
            else:
                levels, pxs = self._asks, self._ask_px
            prev = levels.get(price, 0)
            if size > 0:
                if not prev:
                    insort(pxs, price)
                levels[price] = size
            elif prev:
                del levels[price]
                del pxs[bisect_left(pxs, price)]
            if prev != size:
                self._taken.pop((side, price), None)
                self._mark_dirty(t)
                if self._orders:
                    if self._watch_dirty:
                        self._refresh_watch()
                    if side == BID:
                        hit = price in self._bid_watch or (size > 0 and price >= self._min_ask)
                    else:
                        hit = price in self._ask_watch or (size > 0 and price <= self._max_bid)
                    if hit:
                        self._on_depth_for_orders(t, side, price, prev, size)
        elif kind == TRADE:
            self._public_seq += 1
            taker = Side.BID if side == BID else Side.ASK
            tid = f"m{self._public_seq}"
            self._tape.append(TapeTrade(t, tid, price, size, taker))
            self._emit_md(t, MarketTrade, price, size, taker)
            if self._orders:
                self._on_trade_for_orders(t, taker, price, size)
        elif kind == CLEAR:
            (self._bids if side == BID else self._asks).clear()
            (self._bid_px if side == BID else self._ask_px).clear()
            self._taken.clear()
            self._mark_dirty(t)
        elif kind == MARK:
            self._mark = price
            self._emit_md(t, MarkPrice, price)

    def _run_rows(self, t_act: float, until: float) -> None:
        """The hot loop: market rows with t < t_act and t <= until. Depth rows that cannot touch our
        orders are applied inline (most of a replay); everything else goes through `_on_row`."""
        acts = self._actions
        src = self._src
        bids, asks, bid_px, ask_px = self._bids, self._asks, self._bid_px, self._ask_px
        taken = self._taken
        row = self._next_row
        n = 0
        last = self._last_row_t
        while row is not None:
            t_row = row[0]
            if t_row >= t_act or t_row > until:
                break
            n += 1
            last = t_row
            if row[1] == DEPTH:
                _, _, side, price, size = row
                if side == BID:
                    levels, pxs = bids, bid_px
                else:
                    levels, pxs = asks, ask_px
                prev = levels.get(price, 0)
                if prev != size:
                    if size > 0:
                        if not prev:
                            insort(pxs, price)
                        levels[price] = size
                    else:
                        del levels[price]
                        del pxs[bisect_left(pxs, price)]
                    if taken:
                        taken.pop((side, price), None)
                    self._book_dirty = True
                    if self._publish_at is None:
                        self._mark_dirty(t_row)
                        t_act = acts[0][0]
                    if self._orders:
                        if self._watch_dirty:
                            self._refresh_watch()
                        if side == BID:
                            hit = price in self._bid_watch or (size > 0 and price >= self._min_ask)
                        else:
                            hit = price in self._ask_watch or (size > 0 and price <= self._max_bid)
                        if hit:
                            self._now = t_row
                            self._on_depth_for_orders(t_row, side, price, prev, size)
                            t_act = acts[0][0] if acts else _INF
            else:
                self._now = t_row
                n -= 1  # _on_row counts it
                self._on_row(row)
                t_act = acts[0][0] if acts else _INF
            row = next(src, None)
        self._next_row = row
        self.stats.market_rows += n
        self._last_row_t = last
        if last > self._now:
            self._now = last

    def _mark_dirty(self, t: float) -> None:
        self._book_dirty = True
        if self._publish_at is None:
            iv = self.rules.book_interval_s
            at = t if iv <= 0 else (int(t / iv) + 1) * iv
            self._publish_at = at
            self._schedule(at, _PUBLISH, None)

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

    # -- our actions ---------------------------------------------------------------------------
    def _do_action(self, t: float, kind: int, payload: Any) -> None:
        if kind == _PUBLISH:
            self._publish_at = None
            if self._book_dirty:
                self._book_dirty = False
                self._emit_md(t, BookUpdate, self.book())
        elif kind == _LAND_PLACE:
            self._land_place(t, payload)
        elif kind == _LAND_MODIFY:
            self._land_modify(t, payload)
        elif kind == _LAND_CANCEL:
            o = self._drop(payload.client_id, None)
            if o is None:
                self._emit_acct(t, ModifyRejected(0.0, payload.client_id, CODE_NOT_ACTIVE, "order not active"))
            else:
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED))
        elif kind == _LAND_CANCEL_ALL:
            for cid in sorted(self._orders):
                self._drop(cid)
                self._emit_acct(t, OrderCanceled(0.0, cid, CANCELED))
        elif kind == _EXPIRE:
            o = self._orders.get(payload)
            if o is not None:
                self._drop(payload)
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_EXPIRED))

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
            self._schedule(t + cmd.expiry_s, _EXPIRE, o.client_id)

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
