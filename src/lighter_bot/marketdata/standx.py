"""StandX parquet: `orderbook_<SYM>_<date>_<HH>.parquet` (20-level snapshots) + `trades_<SYM>_<date>_<HH>.parquet`.

Read with pyarrow batch by batch (memory bounded by a batch, not by the day). The hourly files of
one symbol are one recording. Known defects of the shared day (../shared/data/README.md) and what
the loader does with them (each is counted in the summary):

* **Every snapshot twice**: a snapshot equal to the previous one (same time, same levels) is dropped.
* **Locked books** (~44 % of snapshots: best bid == best ask, both with size). Trades print at
  0.01 steps while the book's levels are 0.1 apart, and the trades that hit the ask land anywhere in
  the 0.1 above the ask level (most at +0.00), the ones that hit the bid anywhere in the 0.1 above
  the bid level (most at +0.09): the snapshot shows each level at its price truncated to 0.1. A
  locked book is then a bid and an ask inside one 0.1 bucket, the ask strictly above the bid. On the
  0.1 grid (bids snap down, asks up, as everywhere in the bot) that ask belongs one tick up: the
  loader moves it there (adding its size to a level already there). Neither side is stale (both
  sides' sizes keep changing while locked), so dropping locked snapshots (44 % of the book) or a
  side would throw away real liquidity. Crossed snapshots (none in the shared day) are dropped.
* **Aggressor side lost** (`side` SELL, `is_buyer_taker` false on every row): inferred from the trade
  price against the prevailing book (the last snapshot, as published): at/above the ask bucket = a
  buy, inside/below the bid bucket = a sell, inside the spread: against the mid; inside a locked
  bucket or at the mid the tick rule decides (above the previous trade's price = a buy, below = a
  sell, equal = the previous side).
* **0.01 trade prices vs the 0.1 tick**: a buy is put on the ask grid (rounded up), a sell on the bid
  grid (rounded down): the level it traded against on the 0.1 book.
* **Gaps** (every ~36 s a ~6.5 s silence, plus minutes-long ones): book silent for more than GAP_S
  = gap (book unknown; book.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording
from lighter_bot.marketdata.book import Book
from lighter_bot.marketdata.merge import Event, concat, merge, reorder
from lighter_bot.marketdata.specs import inferred_spec
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, TRADE, Row

BOOK_COLUMNS = ["timestamp", "symbol", "bid_prices", "bid_quantities", "ask_prices", "ask_quantities"]
TRADE_COLUMNS = ["timestamp", "symbol", "price", "quantity"]
GAP_S = 5.0
BATCH = 8192
NAME = re.compile(r"^(orderbook|trades)_(.+?)_\d{4}-\d{2}-\d{2}_\d{2}\.parquet$")


def _pq() -> Any:
    import pyarrow.parquet as pq

    return pq


def classify(path: Path) -> tuple[str, str]:
    """('orderbook' | 'trades', symbol) from the parquet schema and the file name."""
    try:
        names = set(_pq().read_schema(path).names)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-parquet or truncated files
        raise DataError(f"{path}: not a readable parquet file ({exc})") from None
    if set(BOOK_COLUMNS) <= names:
        part = "orderbook"
    elif set(TRADE_COLUMNS) <= names:
        part = "trades"
    else:
        raise DataError(f"{path}: a parquet file without StandX orderbook or trades columns (has {sorted(names)})")
    m = NAME.match(path.name)
    return part, (m.group(2) if m else path.stem)


def _batches(path: Path, columns: list[str]) -> Iterator[Any]:
    try:
        yield from _pq().ParquetFile(path).iter_batches(batch_size=BATCH, columns=columns)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot read the parquet file ({exc}); damaged or truncated") from None


def _ns_to_s(col: Any) -> np.ndarray:
    ns = col.cast("int64").to_numpy(zero_copy_only=False)
    out: np.ndarray = (ns // 1000).astype(np.float64) / 1e6
    return out


def _levels(col: Any, scale: int, path: Path) -> np.ndarray:
    """A list<double> column of fixed length as an (n, depth) int64 array on the `scale` grid."""
    offs = col.offsets.to_numpy()
    widths = np.diff(offs)
    if len(widths) and (widths != widths[0]).any():
        raise DataError(f"{path}: snapshots with different numbers of levels (expected the same depth in every row)")
    vals = col.flatten().to_numpy(zero_copy_only=False)
    depth = int(widths[0]) if len(widths) else 0
    out: np.ndarray = np.rint(vals * scale).astype(np.int64).reshape(len(widths), depth)
    return out


def _decimals(values: np.ndarray) -> int:
    v = values[np.isfinite(values) & (values > 0)][:5000]
    for d in range(0, 9):
        if np.all(np.abs(v * 10**d - np.rint(v * 10**d)) < 1e-6):
            return d
    return 8


class StandXRecording(FileRecording):
    FORMAT = "standx-parquet"

    def __init__(self, books: list[Path], trades: list[Path], symbol: str, notes: list[str]) -> None:
        self.books, self.trades = books, trades
        first = next(_batches(books[0], BOOK_COLUMNS), None)
        tfirst = next(_batches(trades[0], TRADE_COLUMNS), None)
        if first is None or first.num_rows == 0:
            raise DataError(f"{books[0]}: no snapshots")
        pd = _decimals(first.column("bid_prices").flatten().to_numpy(zero_copy_only=False))
        sd = max(_decimals(first.column("bid_quantities").flatten().to_numpy(zero_copy_only=False)),
                 _decimals(tfirst.column("quantity").to_numpy(zero_copy_only=False)) if tfirst is not None else 0)
        self.trade_decimals = max(pd, _decimals(tfirst.column("price").to_numpy(zero_copy_only=False))) if tfirst is not None else pd
        super().__init__(books + trades, inferred_spec(symbol, pd, sd), notes)

    def _check_symbol(self, path: Path, batch: Any) -> None:
        syms = set(batch.column("symbol").unique().to_pylist())
        if syms != {self.market.symbol}:
            raise DataError(f"{path}: symbols {sorted(map(str, syms))} in a {self.market.symbol} recording (mixed instruments)")

    def _snapshots(self, path: Path, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        prev: np.ndarray | None = None
        prev_t = -1.0
        for batch in _batches(path, BOOK_COLUMNS):
            self._check_symbol(path, batch)
            t = _ns_to_s(batch.column("timestamp"))
            cols = [_levels(batch.column(c), sc, path) for c, sc in
                    (("bid_prices", ps), ("bid_quantities", ss), ("ask_prices", ps), ("ask_quantities", ss))]
            flat = np.concatenate(cols, axis=1)
            same = np.zeros(len(t), dtype=bool)
            if len(t):
                same[1:] = (t[1:] == t[:-1]) & (flat[1:] == flat[:-1]).all(axis=1)
                if prev is not None:
                    same[0] = t[0] == prev_t and bool((flat[0] == prev).all())
                prev, prev_t = flat[-1].copy(), float(t[-1])
            if same.any():
                s.add(s.dropped, "duplicate snapshots", int(same.sum()))
            bp, bq, ap, aq = (c.tolist() for c in cols)
            for i in np.flatnonzero(~same).tolist():
                yield float(t[i]), 0, ("S", bp[i], bq[i], ap[i], aq[i])

    def _trade_events(self, path: Path) -> Iterator[Event]:
        fine = 10**self.trade_decimals
        ss = self.market.size_scale
        for batch in _batches(path, TRADE_COLUMNS):
            self._check_symbol(path, batch)
            t = _ns_to_s(batch.column("timestamp")).tolist()
            px = np.rint(batch.column("price").to_numpy(zero_copy_only=False) * fine).astype(np.int64).tolist()
            q = np.rint(batch.column("quantity").to_numpy(zero_copy_only=False) * ss).astype(np.int64).tolist()
            for i in range(len(t)):
                yield t[i], 0, ("T", px[i], q[i])

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        streams = [
            reorder(concat(self._trade_events(p) for p in self.trades), 1.0, s, "trades"),
            reorder(concat(self._snapshots(p, s) for p in self.books), 1.0, s, "snapshots"),
        ]
        r = 10 ** (self.trade_decimals - self.market.price_decimals)  # trade price units per book tick
        book = Book(GAP_S, s)
        out: list[Row] = []
        raw_b = raw_a = -1  # the prevailing snapshot's best bid/ask as published (before un-locking)
        last_px, last_side = -1, BID
        for t, _, ev in merge(streams):
            book.expire(t, out)
            if ev[0] == "S":
                _, bp, bq, ap, aq = ev
                if bp[0] > ap[0]:
                    s.add(s.dropped, "crossed snapshots")
                    continue
                raw_b, raw_a = bp[0], ap[0]
                asks = list(zip(ap, aq, strict=True))
                if bp[0] == ap[0]:
                    s.add(s.counts, "locked snapshots (ask moved one tick up)")
                    merged: dict[int, int] = {}
                    for p, q in [(ap[0] + 1, aq[0]), *asks[1:]]:
                        merged[p] = merged.get(p, 0) + q
                    asks = list(merged.items())
                book.snapshot(t, zip(bp, bq, strict=True), asks, out)
            else:
                _, px, q = ev
                if raw_b < 0:
                    s.add(s.dropped, "trades before the first snapshot")
                    continue
                if not book.known:
                    s.add(s.counts, "trades during gaps (kept; sides from the last book)")
                lo, hi = raw_b * r, raw_a * r
                if raw_b == raw_a:
                    side = BID if px >= hi + r else ASK if px < lo else -1
                else:
                    side = BID if px >= hi else ASK if px < lo + r else (BID if 2 * px > lo + hi else ASK if 2 * px < lo + hi else -1)
                if side < 0:
                    side = BID if px > last_px else ASK if px < last_px else last_side
                    s.add(s.counts, "trade sides by the tick rule (locked bucket or mid)")
                else:
                    s.add(s.counts, "trade sides from the book (quote rule)")
                last_px, last_side = px, side
                tick = -(-px // r) if side == BID else px // r
                if px % r:
                    s.add(s.counts, "trade prices put on the book's tick")
                out.append((t, TRADE, side, tick, q))
            yield from out
            out.clear()
