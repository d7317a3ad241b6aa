"""TapeExchange: SimExchange over a prepared MarketTape, for fast-forward replays of recordings.

Same rules, same matching and queue model, same events as SimExchange (it is a subclass: every
order-entry action, fill and queue step is SimExchange's own code); only the market side differs.
SimExchange applies every market row in Python; here the market comes from a MarketTape (tape.py)
prepared once per recording, so a replay touches only:

* the rows that concern a resting order of ours (a change of a level we rest at, an opposite level
  reaching our price, a trade at or through our price), found with vectorised comparisons over the
  tape's numpy columns, and processed by SimExchange's own handlers;
* our actions (landings, cancels, expiries), which read the book through the tape (best prices,
  level sizes, the levels an IOC walks);
* the market-data events, from the tape's pre-ordered stream: timestamps (latency + seeded jitter,
  drawn in the same order as SimExchange draws them) are computed once at construction, events are
  built only when delivered.

Every other row just moves a pointer. tests/unit/sim/test_tape_exchange.py checks that the events
and fills equal SimExchange's. One documented difference: if a market-data event and an account event
have exactly the same timestamp (possible only with zero jitter), the market-data event is delivered
first; SimExchange orders such ties by when each was produced.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterator
from heapq import heappop

import numpy as np

from lighter_bot.domain.book import BookView
from lighter_bot.domain.events import BookUpdate, Event, MarketTrade, MarkPrice
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side
from lighter_bot.venues.sim.exchange import SimExchange, SimOrder, TapeTrade
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import ASK, BID, DEPTH, Row
from lighter_bot.venues.sim.tape import BIG, MD_BOOK, MD_TRADE, NO_PRICE, MarketTape

_INF = float("inf")
_WINDOW0 = 2048  # first window of tape rows searched for the next row that concerns our orders


class TapeExchange(SimExchange):
    """SimExchange whose market is a MarketTape (see the module docstring)."""

    def __init__(self, market: MarketSpec, tape: MarketTape, rules: VenueRules, seed: int = 0) -> None:
        if tape.interval != rules.book_interval_s or tape.depth != rules.book_depth:
            raise ValueError("the tape was prepared for another book_interval_s / book_depth")
        super().__init__(market, iter(()), rules, seed)
        self._tp = tape
        self._times = tape.times
        self._n = tape.n
        self._ptr = 0  # rows applied
        self._now = self._last_row_t = self._times[0] if self._n else 0.0
        self._taken_at: dict[tuple[int, int], tuple[int, int]] = {}  # (side, price) -> (lots taken, pointer then)
        # Market data: timestamps drawn exactly as SimExchange._emit_md draws them, in the same order.
        src = tape.md_src
        if rules.md_jitter_s:
            rnd = self._rng.random
            jitter = np.fromiter((rnd() for _ in range(len(src))), dtype=np.float64, count=len(src))
            ts = (src + rules.md_latency_s) + jitter * rules.md_jitter_s
        else:
            ts = (src + rules.md_latency_s) + 0.0
        self._md_ts: list[float] = np.maximum.accumulate(ts).tolist() if len(ts) else []  # the feed keeps its order
        self._md_k = 0
        self._md_n = len(self._md_ts)
        # the next row concerning our orders (cached per set of watched prices)
        self._hits: list[int] = []
        self._hit_j = 0
        self._hit_end = 0
        self._window = _WINDOW0

    # -- time ----------------------------------------------------------------------------------
    @property
    def source_exhausted(self) -> bool:
        return self._ptr >= self._n

    def next_time(self) -> float | None:
        t = _INF
        if self._ptr < self._n:
            # The first and the last rows are always happenings (start and end of the market).
            t = self._times[0] if self._ptr == 0 else self._times[-1]
            h = self._next_hit()
            if h >= 0:
                th = self._times[self._tp.ev_row[h]]
                if th < t:
                    t = th
        if self._actions and self._actions[0][0] < t:
            t = self._actions[0][0]
        if self._out and self._out[0][0] < t:
            t = self._out[0][0]
        if self._md_k < self._md_n and self._md_ts[self._md_k] < t:
            t = self._md_ts[self._md_k]
        return None if t == _INF else t

    def advance(self, until: float) -> list[Event]:
        acts = self._actions
        times = self._times
        tp = self._tp
        while True:
            t_act = acts[0][0] if acts else _INF
            h = self._next_hit() if self._orders and self._ptr < self._n else -1
            if h >= 0:
                row = tp.ev_row[h]
                th = times[row]
                if th < t_act and th <= until:
                    self._ptr = row + 1
                    self._last_row_t = self._now = th
                    self._on_tape_row(th, h)
                    continue
            if t_act <= until and t_act != _INF:
                p = bisect_left(times, t_act, self._ptr)
                if p > self._ptr:
                    self._ptr = p
                    self._last_row_t = times[p - 1]
                t, _, kind, payload = heappop(acts)
                self._now = t
                self._do_action(t, kind, payload)
                continue
            break
        p = bisect_right(times, until, self._ptr)
        if p > self._ptr:
            self._ptr = p
            self._last_row_t = times[p - 1]
        self.stats.market_rows = self._ptr
        if self._last_row_t > self._now:
            self._now = self._last_row_t
        if until > self._now and until != _INF:
            self._now = until
        return self._deliver(until)

    def catch_up(self, until: float) -> None:
        p = bisect_right(self._times, until, self._ptr)
        if p > self._ptr:
            self._ptr = p
            self._last_row_t = self._times[p - 1]
            self.stats.market_rows = p
            if self._last_row_t > self._now:
                self._now = self._last_row_t
        # a book publication by `until` is a happening in SimExchange too (its clock reaches it)
        k = int(np.searchsorted(self._tp.md_src, until, side="right"))
        if k and self._tp.md_src[k - 1] > self._now:
            self._now = float(self._tp.md_src[k - 1])

    def _deliver(self, until: float) -> list[Event]:
        out: list[Event] = []
        acct = self._out
        md_ts = self._md_ts
        k, n = self._md_k, self._md_n
        while True:
            t_md = md_ts[k] if k < n else _INF
            if acct and acct[0][0] < t_md:
                if acct[0][0] > until:
                    break
                out.append(heappop(acct)[2])
            elif t_md <= until:
                out.append(self._md_event(k, t_md))
                k += 1
            else:
                break
        self._md_k = k
        return out

    def _md_event(self, k: int, ts: float) -> Event:
        tp = self._tp
        kind, ref = tp.md_kind[k], tp.md_ref[k]
        if kind == MD_BOOK:
            return BookUpdate(ts, tp.pub_views[ref])
        row = tp.rows[ref]
        if kind == MD_TRADE:
            return MarketTrade(ts, row[3], row[4], Side.BID if row[2] == BID else Side.ASK)
        return MarkPrice(ts, row[3])

    # -- rows that concern our orders ----------------------------------------------------------
    def _next_hit(self) -> int:
        """Index (in the tape's ev_* columns) of the next row at or after the pointer that can touch
        one of our orders as they rest now; -1 if none."""
        if not self._orders:
            return -1
        if self._watch_dirty:
            self._refresh_watch()
            self._hits, self._hit_j, self._hit_end, self._window = [], 0, 0, _WINDOW0
        tp = self._tp
        ev_row = tp.ev_row
        n_ev = len(ev_row)
        hits, j = self._hits, self._hit_j
        lo = -1
        while True:
            while j < len(hits) and ev_row[hits[j]] < self._ptr:
                j += 1
            if j < len(hits):
                self._hit_j = j
                return hits[j]
            if lo < 0:
                lo = bisect_left(ev_row, self._ptr)
            start = max(lo, self._hit_end)
            if start >= n_ev:
                self._hits, self._hit_j = [], 0
                return -1
            end = min(n_ev, start + self._window)
            self._window = min(self._window * 4, 1 << 20)
            m = (tp.ev_pa[start:end] >= self._min_ask) | (tp.ev_pb[start:end] <= self._max_bid)
            keys = tp.ev_key[start:end]
            for p in self._bid_watch:
                m |= keys == p * 2 + BID
            for p in self._ask_watch:
                m |= keys == p * 2 + ASK
            hits = (np.flatnonzero(m) + start).tolist()
            j = 0
            self._hits, self._hit_end = hits, end

    def _on_tape_row(self, t: float, h: int) -> None:
        tp = self._tp
        side, price, size = tp.ev_side[h], tp.ev_price[h], tp.ev_size[h]
        if tp.ev_kind[h] == DEPTH:
            self._on_depth_for_orders(t, side, price, tp.ev_prev[h], size)
        else:
            self._on_trade_for_orders(t, Side.BID if side == BID else Side.ASK, price, size)

    # -- the book, read from the tape ----------------------------------------------------------
    def book(self, depth: int | None = None) -> BookView:
        n = depth or self.rules.book_depth
        return self._tp.book(self._ptr, n)

    def best_bid(self) -> int | None:
        b = self._tp.best(self._ptr)[0]
        return None if b == NO_PRICE else b

    def best_ask(self) -> int | None:
        a = self._tp.best(self._ptr)[1]
        return None if a == NO_PRICE else a

    @property
    def mark(self) -> int | None:
        m = self._tp.mark(self._ptr)
        if m is not None:
            return m
        b, a = self.best_bid(), self.best_ask()
        return None if b is None or a is None else (a + b) // 2

    @property
    def tape(self) -> deque[TapeTrade]:
        """Recent public trades (the last 5000), rebuilt from the tape on demand."""
        tp = self._tp
        k = tp.trades_before(self._ptr)
        out: deque[TapeTrade] = deque(maxlen=5000)
        for seq in range(max(0, k - 5000), k):
            r: Row = tp.rows[tp.trade_rows[seq]]
            out.append(TapeTrade(r[0], f"m{seq + 1}", r[3], r[4], Side.BID if r[2] == BID else Side.ASK))
        return out

    def _level_size(self, is_bid: bool, price: int) -> int:
        return self._tp.size_at(BID if is_bid else ASK, price, self._ptr)

    def _take(self, t: float, o: SimOrder) -> None:
        """Walk the visible opposite book up to the limit (levels we already took count as gone)."""
        tp, ptr = self._tp, self._ptr
        book_side = ASK if o.is_bid else BID
        for p, size in tp.levels_from(book_side, ptr, limit=o.price):
            if o.size <= 0:
                break
            key = (book_side, p)
            prior = self._taken_at.get(key)
            taken = prior[0] if prior is not None and not tp.changed_since(book_side, p, prior[1], ptr) else 0
            q = min(size - taken, o.size)
            if q > 0:
                self._taken_at[key] = (taken + q, ptr)
                self._fill(t, o, q, p, Role.TAKER, "take")


__all__ = ["BIG", "TapeExchange"]


def make_exchange(market: MarketSpec, rows: Iterator[Row] | list[Row] | MarketTape, rules: VenueRules,
                  seed: int) -> SimExchange:
    """The simulator for a backtest: recorded data (a list of rows, or its MarketTape) takes the fast
    tape path, a synthetic scenario's row stream the reference SimExchange. Same fills either way."""
    if isinstance(rows, list):
        rows = MarketTape.build(rows, rules.book_interval_s, rules.book_depth)
    if isinstance(rows, MarketTape):
        return TapeExchange(market, rows, rules, seed)
    return SimExchange(market, rows, rules, seed)
