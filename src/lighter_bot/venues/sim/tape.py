"""A replayed market prepared once for fast replays: the book's evolution, never our orders.

The market does not depend on our orders (no market impact), so everything about it can be worked
out once per recording and reused by every replay (TapeExchange, tape_exchange.py) and every
configuration of a sweep:

* the level-size history of every price (only the rows that change a level), to answer "size at
  price p after row i" by bisection, and the best bid/ask after every book change;
* the book publications (BookUpdate every `book_interval_s` while the book changes, exactly when the
  reference SimExchange publishes them) with their top-`book_depth` views;
* the market-data stream in the order the exchange emits it (publications, trades, marks);
* the rows that may touch a resting order (level changes and trades) as numpy columns, so a replay
  finds the next row that concerns our orders with a few vectorised comparisons instead of a Python
  step per row.

One sequential pass over the rows (the level books, as SimExchange keeps them) builds all of it.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lighter_bot.domain.book import BookView
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, MARK, TRADE, Row

NO_PRICE = -1  # best bid/ask of an empty side
BIG = 1 << 62

_ROW_DTYPE = np.dtype([("t", "f8"), ("kind", "i8"), ("side", "i8"), ("price", "i8"), ("size", "i8")])

# kinds of market-data items, in emission order
MD_BOOK, MD_TRADE, MD_MARK = 0, 1, 2


@dataclass(eq=False)
class MarketTape:
    """Strategy-independent facts about one replayed market (see the module docstring)."""

    interval: float  # book publication interval this tape was prepared for
    depth: int  # levels per side in a publication
    times: list[float]  # row times
    # best prices after change k: valid from row pointer best_from[k] on (pointer = rows applied)
    best_from: list[int]
    best_bid: list[int]
    best_ask: list[int]
    # level histories: key = price * 2 + side -> slice of (h_row, h_size), rows ascending
    levels: dict[int, tuple[int, int]]
    h_row: list[int]
    h_size: list[int]
    prices: tuple[list[int], list[int]]  # distinct prices ever seen per side (index ASK=0, BID=1), ascending
    clears: tuple[list[int], list[int]]  # CLEAR row indexes per side
    clears_any: list[int]
    # market data in emission order: kind, source time, payload (publication index or row index)
    md_kind: list[int]
    md_src: np.ndarray
    md_ref: list[int]
    pub_views: list[BookView]
    pub_ptr: list[int]
    trade_rows: list[int]
    mark_rows: list[int]
    rows: Sequence[Row]
    # rows that may touch our orders (book changes and trades), ascending row index
    ev_row: list[int]
    ev_kind: list[int]  # DEPTH or TRADE
    ev_side: list[int]
    ev_price: list[int]
    ev_size: list[int]
    ev_prev: list[int]  # level size before a DEPTH change
    ev_pa: np.ndarray  # price where the row can reach our asks (bid level > 0 or buyer-initiated trade), else -1
    ev_pb: np.ndarray  # price where the row can reach our bids, else BIG
    ev_key: np.ndarray  # price * 2 + side for level changes (our own price levels), -1 for trades

    @property
    def n(self) -> int:
        return len(self.times)

    @classmethod
    def build(cls, rows: Sequence[Row], interval: float, depth: int) -> MarketTape:
        """One pass over `rows` (the SimExchange book logic, without our orders)."""
        if interval <= 0:
            raise ValueError("a market tape needs book_interval_s > 0")
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        bpx: list[int] = []
        apx: list[int] = []
        best_from: list[int] = [0]
        best_bid: list[int] = [NO_PRICE]
        best_ask: list[int] = [NO_PRICE]
        ev_row: list[int] = []
        ev_prev: list[int] = []
        clears: tuple[list[int], list[int]] = ([], [])
        clears_any: list[int] = []
        md_kind: list[int] = []
        md_src: list[float] = []
        md_ref: list[int] = []
        pub_views: list[BookView] = []
        pub_ptr: list[int] = []
        trade_rows: list[int] = []
        mark_rows: list[int] = []
        inf = float("inf")
        pub_at = inf  # time of the pending publication (inf: none pending)
        bb = ba = NO_PRICE
        times = [r[0] for r in rows]

        def publish(ptr: int, at: float) -> None:
            md_kind.append(MD_BOOK)
            md_src.append(at)
            md_ref.append(len(pub_views))
            pub_ptr.append(ptr)
            top = bpx[-depth:]
            top.reverse()
            low = apx[:depth]
            pub_views.append(BookView(tuple(zip(top, map(bids.__getitem__, top), strict=True)),
                                      tuple(zip(low, map(asks.__getitem__, low), strict=True))))

        # Lean on purpose (it is the only per-row Python loop of a tape replay): only level changes
        # append, and the best prices are recorded only when they move.
        for i, (t, kind, side, price, size) in enumerate(rows):
            if t >= pub_at:
                publish(i, pub_at)  # the publication lands before the rows at or after its time
                pub_at = inf
            if kind == DEPTH:
                if side == BID:
                    prev = bids.get(price, 0)
                    if prev == size:
                        continue
                    if size > 0:
                        if not prev:
                            insort(bpx, price)
                        bids[price] = size
                    else:
                        del bids[price]
                        del bpx[bisect_left(bpx, price)]
                    if price >= bb:
                        b = bpx[-1] if bpx else NO_PRICE
                        if b != bb:
                            bb = b
                            best_from.append(i + 1)
                            best_bid.append(bb)
                            best_ask.append(ba)
                else:
                    prev = asks.get(price, 0)
                    if prev == size:
                        continue
                    if size > 0:
                        if not prev:
                            insort(apx, price)
                        asks[price] = size
                    else:
                        del asks[price]
                        del apx[bisect_left(apx, price)]
                    if ba == NO_PRICE or price <= ba:
                        a = apx[0] if apx else NO_PRICE
                        if a != ba:
                            ba = a
                            best_from.append(i + 1)
                            best_bid.append(bb)
                            best_ask.append(ba)
                ev_row.append(i)
                ev_prev.append(prev)
                if pub_at == inf:
                    pub_at = (int(t / interval) + 1) * interval  # the same grid as SimExchange._mark_dirty
            elif kind == TRADE:
                ev_row.append(i)
                ev_prev.append(0)
                trade_rows.append(i)
                md_kind.append(MD_TRADE)
                md_src.append(t)
                md_ref.append(i)
            elif kind == CLEAR:
                (bids if side == BID else asks).clear()
                (bpx if side == BID else apx).clear()
                clears[side].append(i)
                clears_any.append(i)
                bb = bpx[-1] if bpx else NO_PRICE
                ba = apx[0] if apx else NO_PRICE
                best_from.append(i + 1)
                best_bid.append(bb)
                best_ask.append(ba)
                if pub_at == inf:
                    pub_at = (int(t / interval) + 1) * interval
            elif kind == MARK:
                mark_rows.append(i)
                md_kind.append(MD_MARK)
                md_src.append(t)
                md_ref.append(i)
        if pub_at != inf:
            publish(len(rows), pub_at)

        # columns of the rows that may touch our orders
        table = np.array(rows, dtype=_ROW_DTYPE) if len(rows) else np.zeros(0, dtype=_ROW_DTYPE)
        ev_row_a = np.asarray(ev_row, dtype=np.int64)
        sel = table[ev_row_a]
        kind_a, side_a, price_a, size_a = sel["kind"], sel["side"], sel["price"], sel["size"]
        sizes = size_a.tolist()
        is_trade = kind_a == TRADE
        is_bid = side_a == BID
        reach_asks = np.where(is_trade, is_bid, is_bid & (size_a > 0))
        reach_bids = np.where(is_trade, ~is_bid, ~is_bid & (size_a > 0))
        ev_pa = np.where(reach_asks, price_a, -1)
        ev_pb = np.where(reach_bids, price_a, BIG)
        ev_key = np.where(is_trade, -1, price_a * 2 + side_a)

        # level histories (level changes only, grouped by price and side, in row order)
        depth_pos = np.flatnonzero(~is_trade)
        keys = ev_key[depth_pos]
        order = np.argsort(keys, kind="stable")
        sk = keys[order]
        hist_pos = depth_pos[order]
        h_row = ev_row_a[hist_pos].tolist()
        h_size = size_a[hist_pos].tolist()
        ukeys, starts = np.unique(sk, return_index=True)
        ends = np.append(starts[1:], len(sk)) if len(starts) else starts
        levels_idx = dict(zip(ukeys.tolist(), zip(starts.tolist(), ends.tolist(), strict=True), strict=True))
        ask_prices = (ukeys[(ukeys & 1) == ASK] >> 1).tolist()  # keys ascend, so prices do per side
        bid_prices = (ukeys[(ukeys & 1) == BID] >> 1).tolist()

        return cls(
            interval=interval, depth=depth, times=times,
            best_from=best_from, best_bid=best_bid, best_ask=best_ask,
            levels=levels_idx, h_row=h_row, h_size=h_size, prices=(ask_prices, bid_prices),
            clears=clears, clears_any=clears_any,
            md_kind=md_kind, md_src=np.asarray(md_src, dtype=np.float64), md_ref=md_ref,
            pub_views=pub_views, pub_ptr=pub_ptr, trade_rows=trade_rows, mark_rows=mark_rows, rows=rows,
            ev_row=ev_row, ev_kind=kind_a.tolist(), ev_side=side_a.tolist(), ev_price=price_a.tolist(),
            ev_size=sizes, ev_prev=ev_prev, ev_pa=ev_pa, ev_pb=ev_pb, ev_key=ev_key,
        )

    # -- the book after the first `ptr` rows ---------------------------------------------------
    def best(self, ptr: int) -> tuple[int, int]:
        """(best bid, best ask) after `ptr` rows; NO_PRICE for an empty side."""
        k = bisect_left(self.best_from, ptr + 1) - 1
        return self.best_bid[k], self.best_ask[k]

    def size_at(self, side: int, price: int, ptr: int) -> int:
        """The level's size after `ptr` rows."""
        span = self.levels.get(price * 2 + side)
        if span is None:
            return 0
        lo, hi = span
        j = bisect_left(self.h_row, ptr, lo, hi) - 1
        if j < lo:
            return 0
        cl = self.clears[side]
        if cl:
            c = bisect_left(cl, ptr) - 1
            if c >= 0 and cl[c] > self.h_row[j]:
                return 0  # emptied by a snapshot since
        return self.h_size[j]

    def changed_since(self, side: int, price: int, since: int, ptr: int) -> bool:
        """Did the level change (or a CLEAR happen) in rows [since, ptr)?"""
        c = bisect_left(self.clears_any, since)
        if c < len(self.clears_any) and self.clears_any[c] < ptr:
            return True
        span = self.levels.get(price * 2 + side)
        if span is None:
            return False
        lo, hi = span
        j = bisect_left(self.h_row, since, lo, hi)
        return j < hi and self.h_row[j] < ptr

    def levels_from(self, side: int, ptr: int, limit: int | None = None, count: int | None = None) -> list[tuple[int, int]]:
        """Live levels of one side after `ptr` rows, best first, up to price `limit` and/or `count` levels."""
        bb, ba = self.best(ptr)
        prices = self.prices[side]
        out: list[tuple[int, int]] = []
        if side == BID:
            if bb == NO_PRICE:
                return out
            k = bisect_left(prices, bb)
            while k >= 0 and (count is None or len(out) < count):
                p = prices[k]
                if limit is not None and p < limit:
                    break
                s = self.size_at(BID, p, ptr)
                if s > 0:
                    out.append((p, s))
                k -= 1
        else:
            if ba == NO_PRICE:
                return out
            k = bisect_left(prices, ba)
            while k < len(prices) and (count is None or len(out) < count):
                p = prices[k]
                if limit is not None and p > limit:
                    break
                s = self.size_at(ASK, p, ptr)
                if s > 0:
                    out.append((p, s))
                k += 1
        return out

    def book(self, ptr: int, depth: int) -> BookView:
        """The top `depth` levels per side after `ptr` rows."""
        return BookView(tuple(self.levels_from(BID, ptr, count=depth)), tuple(self.levels_from(ASK, ptr, count=depth)))

    def mark(self, ptr: int) -> int | None:
        """The last MARK price among the first `ptr` rows."""
        k = bisect_left(self.mark_rows, ptr) - 1
        return self.rows[self.mark_rows[k]][3] if k >= 0 else None

    def trades_before(self, ptr: int) -> int:
        return bisect_left(self.trade_rows, ptr)
