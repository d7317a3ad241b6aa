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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from lighter_bot.domain.book import BookView
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

    def use_prices(self, table: np.ndarray) -> None:
        """Re-index onto `table`, a sorted superset of the current price table (levels keep their sizes)."""
        if table is self.prices:
            return
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
        """The slot of each DEPTH row's price, adding the prices not seen before to the table."""
        table = self.prices
        at = np.searchsorted(table, price)
        seen = table[np.minimum(at, len(table) - 1)] == price if len(table) else np.zeros(len(price), dtype=bool)
        new = price[is_depth & ~seen]
        if not len(new):
            return at  # the usual case once the book's prices have been seen
        self.use_prices(np.union1d(table, new))
        return np.searchsorted(self.prices, price)

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
    views: np.ndarray  # [publication, level, (price, size)]: bids then asks (book_kernel.prepare)
    view_n: np.ndarray  # [publication, (bids, asks)]
    trade_rows: np.ndarray
    mark_rows: np.ndarray

    @classmethod
    def empty(cls) -> TapeChunk:
        z, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return cls(0, 0, f, [], z, z, z, z, z, z, z, z, z, z, z, [], f, [], [], [], [],
                   np.zeros((0, 0, 2), dtype=np.int64), np.zeros((0, 2), dtype=np.int64), z, z)

    def book_views(self) -> list[BookView]:
        """The publications' books (built once, when the chunk's market data is first delivered)."""
        d = self.views.shape[1] // 2
        nb, na = self.view_n[:, 0], self.view_n[:, 1]
        bb = np.where(nb > 0, self.views[:, 0, 0], -1).tolist()
        ba = np.where(na > 0, self.views[:, d, 0], -1).tolist()
        views = self.views
        return [PublishedBook(views, k, n, b, a)
                for k, (n, b, a) in enumerate(zip(self.view_n.tolist(), bb, ba, strict=True))]


class PublishedBook(BookView):
    """A published book whose levels are built only when read: the engine reads the best prices of
    every publication but rarely the 20 levels of each side (building them is most of a replay's market
    data cost). It is a BookView in every way, equal to one with the same levels."""

    __slots__ = ("_ask", "_bid", "_k", "_n", "_views")
    _views: np.ndarray
    _k: int
    _n: list[int]
    _bid: int
    _ask: int

    def __init__(self, views: np.ndarray, k: int, n: list[int], best_bid: int, best_ask: int) -> None:
        set_ = object.__setattr__  # BookView is frozen
        set_(self, "_views", views)  # the chunk's publications; this is number k, with n = [bids, asks] levels
        set_(self, "_k", k)
        set_(self, "_n", n)
        set_(self, "_bid", best_bid)
        set_(self, "_ask", best_ask)

    def _side(self, off: int, n: int) -> tuple[tuple[int, int], ...]:
        v = self._views[self._k, off:off + n]
        return tuple(zip(v[:, 0].tolist(), v[:, 1].tolist(), strict=True))

    @property
    def bids(self) -> tuple[tuple[int, int], ...]:
        return self._side(0, self._n[0])

    @property
    def asks(self) -> tuple[tuple[int, int], ...]:
        return self._side(self._views.shape[1] // 2, self._n[1])

    @property
    def best_bid(self) -> int | None:
        return self._bid if self._bid >= 0 else None

    @property
    def best_ask(self) -> int | None:
        return self._ask if self._ask >= 0 else None

    @property
    def mid2(self) -> int | None:
        return self._bid + self._ask if self._bid >= 0 and self._ask >= 0 else None

    @property
    def crossed(self) -> bool:
        return 0 <= self._ask <= self._bid

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BookView) and (self.bids, self.asks) == (other.bids, other.asks)

    def __hash__(self) -> int:
        return hash((self.bids, self.asks))

    def __repr__(self) -> str:
        return f"BookView(bids={self.bids!r}, asks={self.asks!r})"


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
        prev, md_kind, md_src, md_ref, views, view_n, self._pub_at = self._bk.prepare(
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
            views=views, view_n=view_n,
            trade_rows=np.flatnonzero(is_trade), mark_rows=np.flatnonzero(kind == MARK),
        )
