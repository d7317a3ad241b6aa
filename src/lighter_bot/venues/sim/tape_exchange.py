"""TapeExchange: SimExchange over a stream of prepared market chunks, for fast-forward replays of recordings.

Same rules, same matching and queue model, same events as SimExchange (it is a subclass: every
order-entry action, fill and queue step is SimExchange's own code); only the market side differs.
SimExchange applies every market row in Python; here the market comes chunk by chunk from a MarketTape
(tape.py), each chunk prepared by one compiled pass, so a replay touches only:

* the rows that concern a resting order of ours (a change of a level we rest at, an opposite level
  reaching our price, a trade at or through our price), found with vectorised comparisons over the
  chunk's numpy columns, and processed by SimExchange's own handlers;
* our actions (landings, cancels, expiries), which read the book from a level book brought up to the
  pointer by the compiled kernel when asked (best prices, level sizes, the levels an IOC walks);
* the market-data events, from the chunk's pre-ordered stream: timestamps (latency + seeded jitter,
  drawn in the same order as SimExchange draws them) are computed when the chunk arrives, events are
  built only when delivered.

Every other row just moves a pointer. Memory is bounded by the chunk and the book: a chunk is dropped
once the pointer has passed it and its market data has been delivered. The last row of each chunk is a
happening (`next_time`), so a replay never looks past the chunk it is in.

tests/unit/sim/test_tape_exchange.py checks that the events and fills equal SimExchange's, whole and in
small chunks. One documented difference: if a market-data event and an account event have exactly the
same timestamp (possible only with zero jitter), the market-data event is delivered first; SimExchange
orders such ties by when each was produced.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from heapq import heappop

import numpy as np

from lighter_bot.domain.book import BookView
from lighter_bot.domain.events import BookUpdate, Event, MarketTrade, MarkPrice
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side
from lighter_bot.venues.sim.exchange import SimExchange, SimOrder, TapeTrade
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import ASK, BID, DEPTH, Row
from lighter_bot.venues.sim.tape import (
    BEST,
    BIG,
    LAST_CLEAR,
    LAST_MARK,
    MD_BOOK,
    MD_TRADE,
    Chunks,
    LevelBook,
    MarketTape,
    PreparedMarket,
    TapeChunk,
    chunks_of,
    kernels,
)

_INF = float("inf")
_WINDOW0 = 2048  # first window of a chunk's rows searched for the next row that concerns our orders
_RECENT = 5000  # public trades kept for `tape`


class TapeExchange(SimExchange):
    """SimExchange whose market is a stream of prepared chunks (see the module docstring)."""

    def __init__(self, market: MarketSpec, chunks: Iterable[np.ndarray] | PreparedMarket, rules: VenueRules,
                 seed: int = 0) -> None:
        super().__init__(market, iter(()), rules, seed)
        self._next_chunk: Callable[[], TapeChunk | None]
        if isinstance(chunks, PreparedMarket):
            if (chunks.interval, chunks.depth) != (rules.book_interval_s, rules.book_depth):
                raise ValueError("the market was prepared for another book_interval_s / book_depth")
            prepared = iter(chunks.chunks)
            self._next_chunk = lambda: next(prepared, None)
        else:
            self._next_chunk = MarketTape(chunks, rules.book_interval_s, rules.book_depth).next_chunk
        self._bk = kernels()
        self._live = LevelBook()  # the book after the rows applied (brought up to the pointer when read)
        self._live_at = 0
        self._taken_at: dict[tuple[int, int], tuple[int, int]] = {}  # (side, price) -> (lots taken, global row then)
        # public trades of finished chunks (for `tape`): columns t, price, size, side, and their count
        self._old_trades = np.zeros((0, 4))
        self._trades_before = 0
        self._md: deque[tuple[TapeChunk, list[float]]] = deque()  # chunks with market data not yet delivered
        self._md_ts: list[float] = []
        self._md_k = self._md_n = 0
        self._exhausted = False
        first = self._next_chunk()
        self._exhausted = first is None
        self._enter(first if first is not None else TapeChunk.empty())
        self._now = self._last_row_t = self._times[0] if self._n else 0.0

    def _enter(self, c: TapeChunk) -> None:
        """Make `c` the chunk the pointer is in; time its market data (the seeded jitter, in order)."""
        self._chunk, self._times, self._n, self._ptr = c, c.times, c.n, 0
        self._live.use_prices(c.prices)
        self._hit_rows: list[int] = []
        self._hit_evs: list[int] = []
        self._hit_j = self._hit_end = 0
        self._window = _WINDOW0
        src = c.md_src
        r = self.rules
        if r.md_jitter_s:
            rnd = self._rng.random
            ts = (src + r.md_latency_s) + np.array([rnd() for _ in range(len(src))]) * r.md_jitter_s
        else:
            ts = (src + r.md_latency_s) + 0.0
        if len(ts):
            ts = np.maximum(np.maximum.accumulate(ts), self._md_last)  # the feed keeps its order
            self._md_last = float(ts[-1])
            self._md.append((c, ts.tolist()))
            if self._md_k >= self._md_n:
                self._next_md()

    def _next_md(self) -> None:
        """Move delivery on to the next chunk with market data (the front one is done)."""
        if self._md and self._md_n and self._md_k >= self._md_n:
            self._md.popleft()
        if self._md:
            self._md_ts = self._md[0][1]
            self._md_k, self._md_n = 0, len(self._md_ts)
        else:
            self._md_ts, self._md_k, self._md_n = [], 0, 0

    def _load_next(self) -> bool:
        """The pointer is at the end of its chunk: move into the next one (False at the end of the market)."""
        c = self._chunk
        nxt = self._next_chunk()
        if nxt is None:
            self._exhausted = True
            return False
        self._live_book()  # the live book passes this chunk's rows before they are dropped
        tr = c.trade_rows
        if len(tr):
            cols = np.column_stack((c.t[tr], c.price[tr], c.size[tr], c.side[tr]))
            self._old_trades = np.concatenate((self._old_trades, cols))[-_RECENT:]
            self._trades_before += len(tr)
        self._enter(nxt)
        return True

    # -- time ----------------------------------------------------------------------------------
    @property
    def source_exhausted(self) -> bool:
        return self._exhausted

    def _rows_done(self) -> int:
        return self._chunk.row0 + self._ptr

    def next_time(self) -> float | None:
        t = _INF
        if not self._exhausted:
            # The first row of the market and the last row of each chunk are always happenings.
            t = self._times[0] if self._ptr == 0 and self._chunk.row0 == 0 else self._times[-1]
            row = self._next_hit()
            if row >= 0 and self._times[row] < t:
                t = self._times[row]
        if self._actions and self._actions[0][0] < t:
            t = self._actions[0][0]
        if self._out and self._out[0][0] < t:
            t = self._out[0][0]
        if self._md_k < self._md_n and self._md_ts[self._md_k] < t:
            t = self._md_ts[self._md_k]
        return None if t == _INF else t

    def advance(self, until: float) -> list[Event]:
        acts = self._actions
        while True:
            times = self._times
            t_act = acts[0][0] if acts else _INF
            row = self._next_hit() if self._orders and not self._exhausted else -1
            if row >= 0:
                th = times[row]
                if th < t_act and th <= until:
                    self._move(row + 1)
                    self._now = th
                    self._on_tape_row(th, row, self._hit_evs[self._hit_j])
                    continue
            if t_act <= until and t_act != _INF:
                p = bisect_left(times, t_act, self._ptr)  # the rows before the action
                self._move(p)
                if p == self._n and not self._exhausted and self._load_next():
                    continue  # the next chunk may hold rows (and hits) before the action
                t, _, kind, payload = heappop(acts)
                self._now = t
                self._do_action(t, kind, payload)
                continue
            p = bisect_right(times, until, self._ptr)
            self._move(p)
            if p == self._n and not self._exhausted and self._load_next():
                continue
            break
        self.stats.market_rows = self._rows_done()
        if self._last_row_t > self._now:
            self._now = self._last_row_t
        if until > self._now and until != _INF:
            self._now = until
        return self._deliver(until)

    def _move(self, p: int) -> None:
        if p > self._ptr:
            self._ptr = p
            self._last_row_t = self._times[p - 1]

    def catch_up(self, until: float) -> None:
        while not self._exhausted:
            p = bisect_right(self._times, until, self._ptr)
            self._move(p)
            if p < self._n or not self._load_next():
                break
        self.stats.market_rows = self._rows_done()
        if self._last_row_t > self._now:
            self._now = self._last_row_t

    def _deliver(self, until: float) -> list[Event]:
        out: list[Event] = []
        acct = self._out
        md_ts, k, n = self._md_ts, self._md_k, self._md_n
        while True:
            if k >= n:
                if len(self._md) <= 1:
                    t_md = _INF
                else:
                    self._md_k = k
                    self._next_md()
                    md_ts, k, n = self._md_ts, self._md_k, self._md_n
                    continue
            else:
                t_md = md_ts[k]
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
        c = self._md[0][0]
        kind = c.md_kind[k]
        if kind == MD_TRADE:
            return MarketTrade(ts, c.md_price[k], c.md_size[k], Side.BID if c.md_side[k] == BID else Side.ASK)
        if kind == MD_BOOK:
            return BookUpdate(ts, c.books()[c.md_ref[k]])
        return MarkPrice(ts, c.md_price[k])

    # -- rows that concern our orders ----------------------------------------------------------
    def _next_hit(self) -> int:
        """Chunk-local index of the next row at or after the pointer (in this chunk) that can touch one of
        our orders as they rest now, -1 if none; `_hit_evs[_hit_j]` is its index in the ev_* columns."""
        if not self._orders:
            return -1
        if self._watch_dirty:
            self._refresh_watch()
            self._hit_rows, self._hit_evs, self._hit_j, self._hit_end, self._window = [], [], 0, 0, _WINDOW0
        rows, j, ptr = self._hit_rows, self._hit_j, self._ptr
        c = self._chunk
        n_ev = len(c.ev_row)
        while True:
            while j < len(rows) and rows[j] < ptr:
                j += 1
            if j < len(rows):
                self._hit_j = j
                return rows[j]
            if self._hit_end >= n_ev:
                self._hit_j = j
                return -1
            start = max(self._hit_end, int(c.ev_row.searchsorted(ptr)))
            end = min(n_ev, start + self._window)
            self._window = min(self._window * 4, 1 << 20)
            m = (c.ev_pa[start:end] >= self._min_ask) | (c.ev_pb[start:end] <= self._max_bid)
            keys = c.ev_key[start:end]
            for p in self._bid_watch:
                m |= keys == p * 2 + BID
            for p in self._ask_watch:
                m |= keys == p * 2 + ASK
            evs = np.flatnonzero(m) + start
            self._hit_evs, self._hit_rows = evs.tolist(), c.ev_row[evs].tolist()
            rows, j, self._hit_end = self._hit_rows, 0, end

    def _on_tape_row(self, t: float, row: int, ev: int) -> None:
        c = self._chunk
        side, price, size = int(c.side[row]), int(c.price[row]), int(c.size[row])
        if c.kind[row] == DEPTH:
            self._on_depth_for_orders(t, side, price, int(c.ev_prev[ev]), size)
        else:
            self._on_trade_for_orders(t, Side.BID if side == BID else Side.ASK, price, size)

    # -- the book, read from the live level book ---------------------------------------------------
    def _live_book(self) -> LevelBook:
        """The level book after the rows applied so far (the kernel applies what it has not seen yet)."""
        c, g, lb = self._chunk, self._rows_done(), self._live
        if self._live_at < g:
            self._bk.apply_rows(c.kind, c.side, c.slot, c.size, c.price, self._live_at - c.row0, self._ptr, c.row0,
                          lb.sizes, lb.changed, lb.state)
            self._live_at = g
        return lb

    def _levels(self, side: int, limit: int, most: int) -> list[tuple[int, int]]:
        lb = self._live_book()
        return list(map(tuple, self._bk.levels(lb.prices, lb.sizes, lb.state, side, limit, most).tolist()))

    def book(self, depth: int | None = None) -> BookView:
        n = depth or self.rules.book_depth
        return BookView(tuple(self._levels(BID, -BIG, n)), tuple(self._levels(ASK, BIG, n)))

    def _best(self, side: int) -> int | None:
        lb = self._live_book()
        i = int(lb.state[BEST + side])
        return int(lb.prices[i]) if i >= 0 else None

    def best_bid(self) -> int | None:
        return self._best(BID)

    def best_ask(self) -> int | None:
        return self._best(ASK)

    @property
    def mark(self) -> int | None:
        m = int(self._live_book().state[LAST_MARK])
        if m >= 0:
            return m
        b, a = self.best_bid(), self.best_ask()
        return None if b is None or a is None else (a + b) // 2

    @property
    def tape(self) -> deque[TapeTrade]:
        """Recent public trades (the last 5000), rebuilt on demand."""
        c = self._chunk
        tr = c.trade_rows[: int(np.searchsorted(c.trade_rows, self._ptr))]
        cur = np.column_stack((c.t[tr], c.price[tr], c.size[tr], c.side[tr]))
        rows = np.concatenate((self._old_trades, cur))[-_RECENT:].tolist()
        seq0 = self._trades_before + len(tr) - len(rows)
        out: deque[TapeTrade] = deque(maxlen=_RECENT)
        for i, (t, p, s, side) in enumerate(rows):
            out.append(TapeTrade(t, f"m{seq0 + i + 1}", int(p), int(s), Side.BID if side == BID else Side.ASK))
        return out

    def _level_size(self, is_bid: bool, price: int) -> int:
        lb = self._live_book()
        i = lb.slot(price)
        return int(lb.sizes[BID if is_bid else ASK, i]) if i >= 0 else 0

    def _take(self, t: float, o: SimOrder) -> None:
        """Walk the visible opposite book up to the limit (levels we already took count as gone)."""
        book_side = ASK if o.is_bid else BID
        g = self._rows_done()
        lb = self._live_book()
        last_clear = int(lb.state[LAST_CLEAR])
        for p, size in self._levels(book_side, o.price, 1 << 30):
            if o.size <= 0:
                break
            key = (book_side, p)
            prior = self._taken_at.get(key)  # still gone unless the level changed (or a snapshot came) since
            taken = prior[0] if prior is not None and last_clear < prior[1] and \
                lb.changed[book_side, lb.slot(p)] < prior[1] else 0
            q = min(size - taken, o.size)
            if q > 0:
                self._taken_at[key] = (taken + q, g)
                self._fill(t, o, q, p, Role.TAKER, "take")


__all__ = ["BIG", "Chunks", "PreparedMarket", "TapeExchange", "make_exchange"]


def make_exchange(market: MarketSpec, data: Iterator[Row] | list[Row] | Chunks | PreparedMarket, rules: VenueRules,
                  seed: int) -> SimExchange:
    """The simulator for a backtest: recorded data (a list of rows, a recording's chunks, or a prepared
    recording) takes the fast tape path, a synthetic scenario's row stream the reference SimExchange.
    Same fills either way."""
    if isinstance(data, list):
        return TapeExchange(market, chunks_of(data), rules, seed)
    if isinstance(data, Chunks):
        return TapeExchange(market, data.stream, rules, seed)
    if isinstance(data, PreparedMarket):
        return TapeExchange(market, data, rules, seed)
    return SimExchange(market, data, rules, seed)
