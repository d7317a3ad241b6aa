"""SimExchange: a synchronous, seeded, Lighter-faithful matching simulator for our orders.

One time-ordered loop merges the market source (rows, see source.py) with our delayed actions
(an order lands after its tier's entry delay, a cancel after the cancel delay...). The market book is
the recorded or generated one; our orders never change it (no market impact): they only decide our
own fills, through a queue position (queue.py) at their price. The bot sees events later than they
happen (market-data and account latency, with jitter), each stamped with the time it learns them.

This module runs the clock, the market rows and the requests; what an order does once it lands (the
matching, the fills, the landing rules) is matching.py, the records and codes records.py.
Rules (docs/simulator.md): minimums => OrderRejected 21706 at submit; a submit() is one request (a
sendTxBatch), and a request over the rolling-minute budget (request_meter.py) => 23000 for each of
its commands.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    MarketTrade,
    MarkPrice,
    ModifyRejected,
    OrderCanceled,
    OrderRejected,
)
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.domain.request_budget import MAX_BATCH
from lighter_bot.venues.sim.matching import (
    EXPIRE,
    LAND_CANCEL,
    LAND_CANCEL_ALL,
    LAND_MODIFY,
    LAND_PLACE,
    PUBLISH,
    Matching,
)
from lighter_bot.venues.sim.records import (
    CANCELED,
    CANCELED_EXPIRED,
    CODE_BELOW_MIN,
    CODE_DUPLICATE_CLIENT_ID,
    CODE_INVALID_PRICE,
    CODE_INVALID_SIZE,
    CODE_NOT_ACTIVE,
    CODE_RATE_LIMIT,
    PendingCommand,
    SimFill,
    SimOrder,
    SimStats,
    TapeTrade,
)
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import BID, CLEAR, DEPTH, MARK, TRADE, MarketSource, Row

__all__ = ["SimExchange", "SimFill", "SimOrder", "SimStats", "TapeTrade"]

_INF = float("inf")


class SimExchange(Matching):
    """The simulated exchange; synchronous and deterministic given `seed`."""

    def __init__(self, market: MarketSpec, source: MarketSource, rules: VenueRules, seed: int = 0) -> None:
        super().__init__(market, rules, seed)
        self._src: Iterator[Row] = iter(source)
        self._next_row: Row | None = next(self._src, None)
        self._now = self._next_row[0] if self._next_row is not None else 0.0
        self._last_row_t = self._now
        self._book_dirty = False
        self._publish_at: float | None = None
        self._public_seq = 0
        self._tape: deque[TapeTrade] = deque(maxlen=5000)

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
            self._pending[cmd.client_id] = PendingCommand(cmd, now + delay)
            self._schedule(now + delay, LAND_PLACE, cmd)
        elif isinstance(cmd, ModifyOrder):
            if cmd.size <= 0 or cmd.price <= 0:
                self._emit_acct_at(now + r.response_latency_s,
                                   ModifyRejected(0.0, cmd.client_id, CODE_INVALID_SIZE, "invalid size or price"))
                return
            if not self.market.meets_minimums(cmd.price, cmd.size):
                self._emit_acct_at(now + r.response_latency_s,
                                   ModifyRejected(0.0, cmd.client_id, CODE_BELOW_MIN, "below market minimum"))
                return
            self._schedule(now + r.maker_delay_s, LAND_MODIFY, cmd)
        elif isinstance(cmd, CancelOrder):
            self._schedule(now + r.cancel_delay_s, LAND_CANCEL, cmd)
        else:
            self._schedule(now + r.cancel_delay_s, LAND_CANCEL_ALL, cmd)
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

    def pending_commands(self) -> list[Command]:
        return [p.cmd for p in self._pending.values()]

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
            self._schedule(at, PUBLISH, None)

    # -- our actions ---------------------------------------------------------------------------
    def _do_action(self, t: float, kind: int, payload: Any) -> None:
        if kind == PUBLISH:
            self._publish_at = None
            if self._book_dirty:
                self._book_dirty = False
                self._emit_md(t, BookUpdate, self.book())
        elif kind == LAND_PLACE:
            self._land_place(t, payload)
        elif kind == LAND_MODIFY:
            self._land_modify(t, payload)
        elif kind == LAND_CANCEL:
            o = self._drop(payload.client_id, None)
            if o is None:
                self._emit_acct(t, ModifyRejected(0.0, payload.client_id, CODE_NOT_ACTIVE, "order not active"))
            else:
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED))
        elif kind == LAND_CANCEL_ALL:
            for cid in sorted(self._orders):
                self._drop(cid)
                self._emit_acct(t, OrderCanceled(0.0, cid, CANCELED))
        elif kind == EXPIRE:
            o = self._orders.get(payload)
            if o is not None:
                self._drop(payload)
                self._emit_acct(t, OrderCanceled(0.0, o.client_id, CANCELED_EXPIRED))

