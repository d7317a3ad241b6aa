"""Hyperliquid collector CSVs: `hl_<date>_{orderbooks,prices,trades}_<COIN>.csv.gz`, merged by exchange time.

* orderbooks: a full 20-level snapshot every ~540 ms (`exchange_timestamp` ms; level 0 = best):
  each replaces the book (Book.snapshot: removed levels, then changed ones).
* prices: every change of the best bid or ask (a bid row and an ask row per event). Between two
  snapshots only the best levels are known: a BBO change sets the best level and removes the
  levels of its side it vacated and the opposite levels it crossed; deeper levels stay as the last
  snapshot had them until the next snapshot (Book.best with keep_deeper).
* trades: `side` is the aggressor (`buy` = the taker bought). The first trades of a file are the
  subscription's backfill (up to ~40 s before the first book): trades before the first snapshot are
  dropped. Repeated trade ids are dropped. Exchange times are not monotonic in file order: they are
  sorted (reorder window 30 s).
* A silence of more than `GAP_S` in the book streams is a gap (book unknown; book.py).
At equal exchange time trades come first, then the snapshot, then BBO rows (a trade is the cause of
the book change published with it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording, SeenTradeIds
from lighter_bot.marketdata.book import Book
from lighter_bot.marketdata.files import csv_lines, decimals, number
from lighter_bot.marketdata.merge import Event, concat, merge, reorder
from lighter_bot.marketdata.specs import inferred_spec
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, TRADE, Row

LEVELS = 20
ORDERBOOKS = ["timestamp", "sequence", "exchange_timestamp"] + [
    f"{k}_{i}" for i in range(LEVELS) for k in ("bid_price", "bid_size", "ask_price", "ask_size")]
PRICES = ["timestamp", "price", "size", "side", "exchange_timestamp"]
TRADES = ["timestamp", "price", "size", "side", "trade_id", "exchange_timestamp"]
GAP_S = 5.0
TRADE_REORDER_S = 30.0
NAME = re.compile(r"^hl_(\d{8})_(orderbooks|prices|trades)_([A-Za-z0-9]+)\.csv(\.gz)?$")


def parse_name(path: Path) -> tuple[str, str] | None:
    """(kind, coin) from a collector file name."""
    m = NAME.match(path.name)
    return (m.group(2), m.group(3).upper()) if m else None


class HyperliquidRecording(FileRecording):
    FORMAT = "hyperliquid-csv"

    def __init__(self, books: list[Path], prices: list[Path], trades: list[Path], coin: str, notes: list[str]) -> None:
        self.books, self.prices, self.trades = books, prices, trades
        pd = sd = 0
        for p in books:
            for i, (_, f) in enumerate(csv_lines(p, ORDERBOOKS)):
                pd = max([pd, *(decimals(x) for x in f[3::2])])
                sd = max([sd, *(decimals(x) for x in f[4::2])])
                if i >= 200:
                    break
        for p in trades:
            for i, (_, f) in enumerate(csv_lines(p, TRADES)):
                pd, sd = max(pd, decimals(f[1])), max(sd, decimals(f[2]))
                if i >= 2000:
                    break
        super().__init__(books + prices + trades, inferred_spec(coin, pd, sd), notes)

    def _snapshots(self, path: Path) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        for n, f in csv_lines(path, ORDERBOOKS):
            t = number(path, n, f[2]) / 1000.0
            v = [number(path, n, x) for x in f[3:]]
            bids = [(round(v[i] * ps), round(v[i + 1] * ss)) for i in range(0, 4 * LEVELS, 4)]
            asks = [(round(v[i + 2] * ps), round(v[i + 3] * ss)) for i in range(0, 4 * LEVELS, 4)]
            yield t, 0, ("S", bids, asks)

    def _bbo(self, path: Path) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        for n, f in csv_lines(path, PRICES):
            if f[3] not in ("bid", "ask"):
                raise DataError(f"{path}:{n}: side {f[3]!r} (expected bid or ask)")
            yield (number(path, n, f[4]) / 1000.0, 0,
                   ("B", BID if f[3] == "bid" else ASK, round(number(path, n, f[1]) * ps), round(number(path, n, f[2]) * ss)))

    def _trades(self, path: Path) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        for n, f in csv_lines(path, TRADES):
            if f[3] not in ("buy", "sell"):
                raise DataError(f"{path}:{n}: side {f[3]!r} (expected buy or sell)")
            yield (number(path, n, f[5]) / 1000.0, 0,
                   ("T", f[4], BID if f[3] == "buy" else ASK, round(number(path, n, f[1]) * ps), round(number(path, n, f[2]) * ss)))

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        streams = [
            reorder(concat(self._trades(p) for p in self.trades), TRADE_REORDER_S, s, "trades"),
            reorder(concat(self._snapshots(p) for p in self.books), 1.0, s, "snapshots"),
            reorder(concat(self._bbo(p) for p in self.prices), 1.0, s, "BBO rows"),
        ]
        book = Book(GAP_S, s)
        seen = SeenTradeIds()
        out: list[Row] = []
        started = False
        for t, _, ev in merge(streams):
            book.expire(t, out)
            tag = ev[0]
            if tag == "S":
                started = True
                _, bids, asks = ev
                if bids[0][0] >= asks[0][0]:
                    s.add(s.dropped, "crossed or locked snapshots")
                    continue
                book.snapshot(t, bids, asks, out)
            elif tag == "B":
                if not started:
                    s.add(s.dropped, "BBO rows before the first snapshot")
                    continue
                book.best(t, ev[1], ev[2], ev[3], True, out)
            else:
                _, tid, side, px, sz = ev
                if not seen.first_time(tid):
                    s.add(s.dropped, "duplicate trade ids")
                    continue
                if not started:
                    s.add(s.dropped, "trades before the first snapshot (subscription backfill)")
                    continue
                out.append((t, TRADE, side, px, sz))
            yield from out
            out.clear()
