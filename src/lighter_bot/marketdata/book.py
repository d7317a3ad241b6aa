"""The level book a loader keeps to turn snapshots and best-bid/ask changes into level changes.

Formats that publish whole snapshots (Hyperliquid, StandX, LOBSTER) or only the best levels
(Hyperliquid's and Lighter's BBO streams) are replayed as DEPTH rows, so the simulator sees the same
kind of stream as from an incremental feed:

* a **snapshot** replaces the book: the levels it no longer lists are removed (size 0) first, then
  new and changed levels are set. It is emitted as the difference to the current book, not as
  CLEAR + every level: a CLEAR would make the level under a resting order look new and throw away
  the queue information a size change carries. Levels beyond the snapshot's depth are not known, so
  they are removed.
* a **best level** change (BBO) sets that level and removes the levels of its side that are better
  than it (vacated: it is the best now) and the opposite levels it reaches (crossed: they traded or
  were pulled). With `keep_deeper` the other levels of the side stay as the last snapshot had them
  (Hyperliquid: deeper levels change only at the next snapshot); without it the side is that one
  level (Lighter's top-of-book recording knows nothing deeper).
* a **gap**: when no book message came for `gap_s` seconds the feed is taken for dead. At that
  moment (`last book time + gap_s`, so rows stay in time order without looking ahead) the loader
  emits CLEAR rows of both sides: the replay sees "book unknown" (the bot stands aside), never a
  quiet market. The book comes back with the next snapshot or BBO. `LoadSummary.gaps` holds the
  true (last update, next update) intervals.
"""

from __future__ import annotations

from collections.abc import Iterable

from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, Row


class Book:
    def __init__(self, gap_s: float, summary: LoadSummary) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.gap_s = gap_s
        self.summary = summary
        self.known = False
        self.last_t = 0.0
        self._gap_from: float | None = None

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def expire(self, t: float, out: list[Row]) -> None:
        """Call before every event at time `t`: declares the book unknown once it is `gap_s` old."""
        if self.known and t > self.last_t + self.gap_s:
            self.clear(self.last_t + self.gap_s, out)
            self._gap_from = self.last_t

    def clear(self, t: float, out: list[Row]) -> None:
        out.append((t, CLEAR, BID, 0, 0))
        out.append((t, CLEAR, ASK, 0, 0))
        self.bids.clear()
        self.asks.clear()
        self.known = False

    def alive(self, t: float) -> None:
        """A book message that changed nothing (the feed is alive; the book is still known)."""
        if self.known:
            self.last_t = t

    def _touch(self, t: float) -> None:
        if self._gap_from is not None:
            self.summary.gaps.append((self._gap_from, t))
            self._gap_from = None
        self.known = True
        self.last_t = t

    def snapshot(self, t: float, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]], out: list[Row]) -> None:
        new_b = {p: s for p, s in bids if s > 0}
        new_a = {p: s for p, s in asks if s > 0}
        for side, book, new in ((BID, self.bids, new_b), (ASK, self.asks, new_a)):
            gone = [p for p in book if p not in new]
            for p in gone:
                del book[p]
                out.append((t, DEPTH, side, p, 0))
        for side, book, new in ((BID, self.bids, new_b), (ASK, self.asks, new_a)):
            for p, s in new.items():
                if book.get(p) != s:
                    book[p] = s
                    out.append((t, DEPTH, side, p, s))
        self._touch(t)

    def best(self, t: float, side: int, price: int, size: int, keep_deeper: bool, out: list[Row]) -> None:
        book, other = (self.bids, self.asks) if side == BID else (self.asks, self.bids)
        if side == BID:
            gone = [p for p in book if p > price or (not keep_deeper and p != price)]
            crossed = [p for p in other if p <= price]
        else:
            gone = [p for p in book if p < price or (not keep_deeper and p != price)]
            crossed = [p for p in other if p >= price]
        for p in gone:
            del book[p]
            out.append((t, DEPTH, side, p, 0))
        for p in crossed:
            del other[p]
            out.append((t, DEPTH, 1 - side, p, 0))
        if size > 0:
            if book.get(price) != size:
                book[price] = size
                out.append((t, DEPTH, side, price, size))
        elif price in book:
            del book[price]
            out.append((t, DEPTH, side, price, 0))
        self._touch(t)
