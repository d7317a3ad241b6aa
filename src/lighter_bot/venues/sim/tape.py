"""A replayed market prepared chunk by chunk for fast replays: the book's evolution, never our orders.

The market does not depend on our orders (no market impact), so a replay (TapeExchange,
tape_exchange.py) needs from each chunk of recorded rows only what concerns the bot or could concern a
resting order of ours. `MarketTape` reads the recording's chunks (numpy arrays of `ROW_DTYPE`, in time
order, source.py) one at a time and prepares each with one compiled pass (book_kernel.prepare):

* the market-data stream in the order the exchange emits it: trades, marks, and the book publications
  (a BookUpdate every `book_interval_s` while the book changes, exactly when SimExchange publishes
  them) with their top-`book_depth` views;
* the rows that may touch a resting order (level changes and trades) as numpy columns, so a replay finds
  the next one that concerns our orders with a few vectorised comparisons instead of a step per row.

Only the current chunk and the level book are held, so memory is bounded by the chunk and the book, not
by the recording's length; a recording may be many files (the loader joins them into one stream).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from lighter_bot.domain.book import BookView, Level
from lighter_bot.venues.sim.source import ASK, BID, CHUNK_ROWS, DEPTH, MARK, ROW_DTYPE, TRADE, Row

BIG = 1 << 62
MD_BOOK, MD_TRADE, MD_MARK = 0, 1, 2  # market-data items, in emission order
# A level book's state (book_kernel): best slot per side, live levels per side, last CLEAR row, last MARK
BEST, LIVE, LAST_CLEAR, LAST_MARK = 0, 2, 4, 5


def kernels() -> ModuleType:
    """The compiled kernels, imported on first use: only replays load numba, never the live bot."""
    from lighter_bot.venues.sim import book_kernel as bk

    return bk


def chunks_of(rows: list[Row], size: int = CHUNK_ROWS) -> list[np.ndarray]:
    """Row tuples already in memory as chunks of at most `size` rows."""
    table = np.array(rows, dtype=ROW_DTYPE) if rows else np.zeros(0, dtype=ROW_DTYPE)
    return [table[i:i + size] for i in range(0, len(table), size)]


@dataclass(frozen=True, slots=True)
class Chunks:
    """A recording's chunks (one pass): what `make_exchange` replays through the tape."""

    stream: Iterable[np.ndarray]


class LevelBook:
    """Both sides of a level book in the compiled kernels' layout (book_kernel's docstring)."""

    __slots__ = ("changed", "prices", "sizes", "state")

    def __init__(self) -> None:
        self.prices = np.zeros(0, dtype=np.int64)
        self.sizes = np.zeros((2, 0), dtype=np.int64)
        self.changed = np.zeros((2, 0), dtype=np.int64)
        self.state = np.array([-1, -1, 0, 0, -1, -1], dtype=np.int64)

    def use_prices(self, table: np.ndarray, pos: np.ndarray | None = None) -> None:
        """Re-index onto `table`, a sorted superset of the current price table (levels keep their sizes);
        `pos`: where each current price sits in it, when the caller knows."""
        if table is self.prices:
            return
        if pos is None:
            pos = np.searchsorted(table, self.prices)
        for name in ("sizes", "changed"):
            new = np.zeros((2, len(table)), dtype=np.int64)
            new[:, pos] = getattr(self, name)
            setattr(self, name, new)
        for b in (BEST + ASK, BEST + BID):
            if self.state[b] >= 0:
                self.state[b] = pos[self.state[b]]
        self.prices = table

    def slots_for(self, price: np.ndarray, is_depth: np.ndarray) -> np.ndarray:
        """The slot of each DEPTH row's price (0 for other rows), adding the prices not seen before."""
        table = self.prices
        px = price[is_depth]
        at = np.searchsorted(table, px)
        seen = table[np.minimum(at, len(table) - 1)] == px if len(table) else np.zeros(len(px), dtype=bool)
        new = np.unique(px[~seen])
        if len(new):  # each slot moves up by the new prices below it (the tables are disjoint)
            at += np.searchsorted(new, px)
            merged = np.empty(len(table) + len(new), dtype=np.int64)
            old_pos = np.arange(len(table)) + np.searchsorted(new, table)
            merged[old_pos] = table
            merged[np.arange(len(new)) + np.searchsorted(table, new)] = new
            self.use_prices(merged, old_pos)
        slot = np.zeros(len(price), dtype=np.int64)
        slot[is_depth] = at
        return slot

    def slot(self, price: int) -> int:
        """The slot of `price`, -1 if it was never a level."""
        i = int(np.searchsorted(self.prices, price))
        return i if i < len(self.prices) and self.prices[i] == price else -1


@dataclass(eq=False, slots=True)
class TapeChunk:
    """One prepared chunk: rows row0 .. row0 + n - 1 of the recording (indexes below are chunk-local)."""

    row0: int
    n: int
    t: np.ndarray
    times: list[float]  # the same, for bisect
    kind: np.ndarray
    side: np.ndarray
    price: np.ndarray
    size: np.ndarray
    slot: np.ndarray  # each row's slot in `prices` (DEPTH rows)
    prices: np.ndarray  # the price table the slots index (book_kernel)
    # rows that may touch our orders (level changes and trades), ascending
    ev_row: np.ndarray
    ev_prev: np.ndarray  # level size before a DEPTH change
    ev_pa: np.ndarray  # price where the row can reach our asks (bid level > 0 or buyer-initiated trade), else -1
    ev_pb: np.ndarray  # price where the row can reach our bids, else BIG
    ev_key: np.ndarray  # price * 2 + side for level changes (our own price levels), -1 for trades
    # market data in emission order: kind, source time, publication index (books), price, size, side (trades)
    md_kind: list[int]
    md_src: np.ndarray
    md_ref: list[int]
    md_price: list[int]
    md_size: list[int]
    md_side: list[int]
    lv_price: np.ndarray  # the publications' levels back to back: bids then asks of each (book_kernel.prepare)
    lv_size: np.ndarray
    pub_n: np.ndarray  # (bids, asks) counts of publication k at 2k, 2k + 1
    trade_rows: np.ndarray
    mark_rows: np.ndarray
    _books: list[BookView] | None = field(default=None, repr=False)

    @classmethod
    def empty(cls) -> TapeChunk:
        z, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return cls(0, 0, f, [], z, z, z, z, z, z, z, z, z, z, z, [], f, [], [], [], [], z, z, z, z, z)

    def books(self) -> list[BookView]:
        """The publications' books, built on first use (when the chunk's market data is first delivered)."""
        if self._books is None:
            # Tens of thousands of books of small tuples, all acyclic and all kept: the cyclic collector
            # would walk them (and everything alive) again and again while they are made, for nothing
            # (a third of a first replay's time on the 8-minute BTCUSDT recording). Paused for the build.
            was_on = gc.isenabled()
            gc.disable()
            try:
                self._books = self._build_books()
            finally:
                if was_on:
                    gc.enable()
        return self._books

    def _build_books(self) -> list[BookView]:
        # Consecutive books share most of their levels (book_kernel.level_reuse): a side that did not change
        # is the previous book's side, and a level that did not change is the previous book's tuple, so only
        # the changed levels are made (a tenth of them on the BTCUSDT recording, and a tenth of the memory).
        lp, ls = self.lv_price, self.lv_size
        reuse_a, same_a = kernels().level_reuse(lp, ls, self.pub_n)
        reuse: list[int] = reuse_a.tolist()
        same: list[bool] = same_a.tolist()
        n: list[int] = self.pub_n.tolist()
        # Every level of the chunk, in the kernel's order. `Any`, not `Level`: compiled, a tuple[int, int]
        # read from a list is unboxed, and storing it again makes a new tuple, which is what this avoids.
        flat: list[Any] = [None] * len(reuse)
        out: list[BookView] = []
        sides: list[tuple[Level, ...]] = [(), ()]
        o = 0
        for k in range(0, len(n), 2):
            for s in (0, 1):
                m = n[k + s]
                if same[k + s]:
                    flat[o:o + m] = sides[s]
                else:
                    for i in range(o, o + m):
                        j = reuse[i]
                        flat[i] = flat[j] if j >= 0 else (int(lp[i]), int(ls[i]))
                    sides[s] = tuple(flat[o:o + m])
                o += m
            out.append(BookView(sides[0], sides[1]))
        return out


class PreparedMarket:
    """A recording prepared once and kept for repeated replays (a sweep's trials, seeds, variants): its
    prepared chunks with their books built. Only for recordings small enough to hold (the 8-minute
    BTCUSDT recording takes ~100 MB); longer ones stream, prepared as they go."""

    def __init__(self, chunks: Iterable[np.ndarray], interval: float, depth: int, max_rows: int | None = None) -> None:
        tape = MarketTape(chunks, interval, depth)
        self.interval, self.depth = interval, depth
        self.chunks: list[TapeChunk] = []
        self.complete = True
        rows = 0
        while (c := tape.next_chunk()) is not None:
            rows += c.n
            if max_rows is not None and rows > max_rows:
                self.chunks, self.complete = [], False  # too long to hold: the caller streams it instead
                return
            c.books()
            self.chunks.append(c)

    @classmethod
    def at_most(cls, chunks: Iterable[np.ndarray], interval: float, depth: int, max_rows: int) -> PreparedMarket | None:
        """The prepared recording, or None when it has more than `max_rows` rows (stop reading there)."""
        p = cls(chunks, interval, depth, max_rows)
        return p if p.complete else None


class MarketTape:
    """Prepares a recording's chunks in order, one pass (see the module docstring)."""

    def __init__(self, chunks: Iterable[np.ndarray], interval: float, depth: int) -> None:
        if interval <= 0:
            raise ValueError("a market tape needs book_interval_s > 0")
        self.interval = interval
        self.depth = depth
        self._src: Iterator[np.ndarray] = iter(chunks)
        self._ahead = self._next_raw()  # one raw chunk of lookahead: is the current one the last?
        self._bk = kernels()
        self._book = LevelBook()
        self._pub_at = float("inf")
        self._rows = 0

    def _next_raw(self) -> np.ndarray | None:
        for c in self._src:
            if len(c):
                return c
        return None

    def next_chunk(self) -> TapeChunk | None:
        """The next prepared chunk (None at the end of the recording)."""
        raw = self._ahead
        if raw is None:
            return None
        self._ahead = self._next_raw()
        t = np.ascontiguousarray(raw["t"], dtype=np.float64)
        kind, side, price, size = (np.ascontiguousarray(raw[c], dtype=np.int64) for c in ("kind", "side", "price", "size"))
        row0, n = self._rows, len(raw)
        b = self._book
        slot = b.slots_for(price, kind == DEPTH)
        prev, md_kind, md_src, md_ref, lv_price, lv_size, pub_n, self._pub_at = self._bk.prepare(
            t, kind, side, slot, size, row0, b.prices, b.sizes, b.changed, b.state, self.interval, self.depth,
            self._pub_at, self._ahead is None)
        self._rows += n
        is_trade = kind == TRADE
        md_row = np.where(md_kind == MD_BOOK, 0, md_ref)  # trades' and marks' rows (0 for a book: unused)
        ev = np.flatnonzero(is_trade | ((kind == DEPTH) & (prev != size)))
        k_a, s_a, p_a, z_a = kind[ev], side[ev], price[ev], size[ev]
        is_t, is_bid = k_a == TRADE, s_a == BID
        return TapeChunk(
            row0=row0, n=n, t=t, times=t.tolist(), kind=kind, side=side, price=price, size=size, slot=slot,
            prices=b.prices,
            ev_row=ev, ev_prev=prev[ev],
            ev_pa=np.where(np.where(is_t, is_bid, is_bid & (z_a > 0)), p_a, -1),
            ev_pb=np.where(np.where(is_t, ~is_bid, ~is_bid & (z_a > 0)), p_a, BIG),
            ev_key=np.where(is_t, -1, p_a * 2 + s_a),
            md_kind=md_kind.tolist(), md_src=md_src, md_ref=md_ref.tolist(),
            md_price=price[md_row].tolist(), md_size=size[md_row].tolist(), md_side=side[md_row].tolist(),
            lv_price=lv_price, lv_size=lv_size, pub_n=pub_n,
            trade_rows=np.flatnonzero(is_trade), mark_rows=np.flatnonzero(kind == MARK),
        )
