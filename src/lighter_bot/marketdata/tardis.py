"""Tardis.dev downloadable CSV (gzip): `incremental_book_L2`, `book_snapshot_N`, `quotes`, `trades`.

Columns (docs.tardis.dev, "Data types"; times in µs since epoch, UTC):
* incremental_book_L2: `exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount`;
  `amount` is the level's new size (0 removes it). Rows before the first `is_snapshot=true` row are
  skipped; a snapshot row after non-snapshot rows starts a new book (CLEAR both sides; counted).
* book_snapshot_N: `exchange,symbol,timestamp,local_timestamp`, then `asks[i].price, asks[i].amount,
  bids[i].price, bids[i].amount` for i < N (empty when the book has fewer levels): each row replaces
  the book (Book.snapshot).
* quotes: `...,ask_amount,ask_price,bid_price,bid_amount`: top of book only (Book.best).
* trades: `...,id,side,price,amount`; `side` is the aggressor (`buy`, `sell`, or `unknown`: then
  inferred from the price against the prevailing best bid/ask, the tick rule at the mid).
Rows are ordered by `timestamp` (exchange time), then `local_timestamp` (arrival), then file order:
the same order as the Binance raw loader's (exchange time, then arrival). Trades before the first
book are dropped. One book source is used, the richest given: incremental > snapshots > quotes.
The file names follow Tardis's `<exchange>_<data_type>_<YYYY-MM-DD>_<SYMBOL>.csv.gz`, which is how a
missing trades or book file is found beside a given one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording, SeenTradeIds
from lighter_bot.marketdata.book import Book
from lighter_bot.marketdata.files import csv_lines, decimals, first_line, number, open_text
from lighter_bot.marketdata.merge import Event, concat, merge, reorder
from lighter_bot.marketdata.specs import inferred_spec, spec_for
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row

HEAD = ["exchange", "symbol", "timestamp", "local_timestamp"]
INCREMENTAL = [*HEAD, "is_snapshot", "side", "price", "amount"]
TRADES = [*HEAD, "id", "side", "price", "amount"]
QUOTES = [*HEAD, "ask_amount", "ask_price", "bid_price", "bid_amount"]
BOOK_PARTS = ("incremental_book_L2", "book_snapshot_25", "book_snapshot_5", "quotes")
ALL_PARTS = (*BOOK_PARTS, "trades")
REORDER_S = 5.0


def snapshot_header(n: int) -> list[str]:
    return [*HEAD] + [f"{s}[{i}].{f}" for i in range(n) for s in ("asks", "bids") for f in ("price", "amount")]


def classify(path: Path, cols: list[str]) -> tuple[str, str]:
    """(data type, symbol of the first row)."""
    if cols == INCREMENTAL:
        part = "incremental_book_L2"
    elif cols == TRADES:
        part = "trades"
    elif cols == QUOTES:
        part = "quotes"
    elif (len(cols) - 4) % 4 == 0 and cols == snapshot_header((len(cols) - 4) // 4):
        part = f"book_snapshot_{(len(cols) - 4) // 4}"
    else:
        raise DataError(f"{path}: a Tardis-like header of no data type we read ({','.join(cols)[:100]})")
    for i, line in enumerate(open_text(path)):
        if i == 1:
            return part, line.split(",")[1].strip().upper()
    raise DataError(f"{path}: no data rows (empty Tardis file)")


def _header(path: Path) -> list[str]:
    return first_line(path).split(",")


def sibling_names(name: str, part: str) -> list[str]:
    for p in sorted(ALL_PARTS, key=len, reverse=True):
        if f"_{p}_" in name:
            return [name.replace(f"_{p}_", f"_{part}_", 1)]
    return []


class TardisRecording(FileRecording):
    FORMAT = "tardis-csv"

    def __init__(self, parts: dict[Path, str], symbol: str, notes: list[str]) -> None:
        self.symbol = symbol
        present = set(parts.values())
        self.book_part = next((p for p in ("incremental_book_L2", *sorted(x for x in present if x.startswith("book_snapshot_")),
                                           "quotes") if p in present), "")
        self.book_files = sorted((p for p, k in parts.items() if k == self.book_part), key=lambda p: p.name)
        self.trade_files = sorted((p for p, k in parts.items() if k == "trades"), key=lambda p: p.name)
        unused = sorted(p.name for p, k in parts.items() if k not in (self.book_part, "trades"))
        if unused:
            notes = [*notes, f"book from {self.book_part}; not used: {', '.join(unused)}"]
        pd = sd = 0
        for p in self.book_files + self.trade_files:
            cols = _header(p)
            pi = [i for i, c in enumerate(cols) if c.endswith("price")]
            ai = [i for i, c in enumerate(cols) if c.endswith("amount")]
            for i, (_, f) in enumerate(csv_lines(p, cols)):
                pd = max([pd, *(decimals(f[j]) for j in pi if f[j])])
                sd = max([sd, *(decimals(f[j]) for j in ai if f[j])])
                if i >= 2000:
                    break
        exchange = next(iter(csv_lines(self.book_files[0], _header(self.book_files[0]))), (0, [""]))[1][0]
        # Binance USD-M symbols have a known spec (minimum order value); elsewhere the data's decimals
        spec = spec_for(symbol, 0, pd, sd) if exchange == "binance-futures" else inferred_spec(symbol, pd, sd)
        super().__init__(self.book_files + self.trade_files, spec, notes)

    def _lines(self, path: Path, cols: list[str], s: LoadSummary) -> Iterator[tuple[int, list[str], float, int]]:
        for n, f in csv_lines(path, cols):
            if f[1].upper() != self.symbol:
                s.add(s.dropped, "rows of other symbols")
                continue
            try:
                yield n, f, int(f[2]) / 1e6, int(f[3])
            except ValueError:
                raise DataError(f"{path}:{n}: timestamps {f[2]!r}, {f[3]!r} are not integers (µs)") from None

    def _book_events(self, path: Path, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        cols = _header(path)
        for n, f, t, local in self._lines(path, cols, s):
            if cols == INCREMENTAL:
                if f[5] not in ("bid", "ask"):
                    raise DataError(f"{path}:{n}: side {f[5]!r} (expected bid or ask)")
                yield t, local, ("L", f[4] == "true", BID if f[5] == "bid" else ASK,
                                 round(number(path, n, f[6]) * ps), round(number(path, n, f[7]) * ss))
            elif cols == QUOTES:
                v = [number(path, n, x) if x else 0.0 for x in f[4:8]]
                yield t, local, ("Q", round(v[2] * ps), round(v[3] * ss), round(v[1] * ps), round(v[0] * ss))
            else:
                v = [number(path, n, x) if x else 0.0 for x in f[4:]]
                asks = [(round(v[i] * ps), round(v[i + 1] * ss)) for i in range(0, len(v), 4) if f[4 + i]]
                bids = [(round(v[i + 2] * ps), round(v[i + 3] * ss)) for i in range(0, len(v), 4) if f[6 + i]]
                yield t, local, ("S", bids, asks)

    def _trade_events(self, path: Path, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        for n, f, t, local in self._lines(path, TRADES, s):
            side = {"buy": BID, "sell": ASK, "unknown": -1}.get(f[5])
            if side is None:
                raise DataError(f"{path}:{n}: side {f[5]!r} (expected buy, sell or unknown)")
            yield t, local, ("T", f[4], side, round(number(path, n, f[6]) * ps), round(number(path, n, f[7]) * ss))

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        streams = [reorder(concat(self._trade_events(p, s) for p in self.trade_files), REORDER_S, s, "trades"),
                   reorder(concat(self._book_events(p, s) for p in self.book_files), REORDER_S, s, "book rows")]
        book = Book(float("inf"), s)
        out: list[Row] = []
        seen = SeenTradeIds()
        in_snapshot = False
        started = False
        last_px, last_side = -1, BID
        for t, _, ev in merge(streams):
            tag = ev[0]
            if tag == "L":
                _, is_snap, side, px, sz = ev
                if is_snap and not in_snapshot:
                    if started:
                        s.add(s.counts, "book resets (a new snapshot after updates: the feed reconnected)")
                    out += [(t, CLEAR, BID, 0, 0), (t, CLEAR, ASK, 0, 0)]
                    book.bids.clear()
                    book.asks.clear()
                    started = True
                in_snapshot = is_snap
                if not started:
                    s.add(s.dropped, "book updates before the first snapshot")
                    continue
                levels = book.bids if side == BID else book.asks
                if sz:
                    levels[px] = sz
                else:
                    levels.pop(px, None)
                out.append((t, DEPTH, side, px, sz))
            elif tag == "S":
                started = True
                book.snapshot(t, ev[1], ev[2], out)
            elif tag == "Q":
                started = True
                if ev[1] and ev[3] and ev[1] >= ev[3]:
                    s.add(s.dropped, "crossed quotes")
                    continue
                book.best(t, BID, ev[1], ev[2], False, out)
                book.best(t, ASK, ev[3], ev[4], False, out)
            else:
                _, tid, side, px, sz = ev
                if not seen.first_time(tid):
                    s.add(s.dropped, "duplicate trade ids")
                    continue
                if not started:
                    s.add(s.dropped, "trades before the first book")
                    continue
                if side < 0:
                    bb, ba = book.best_bid(), book.best_ask()
                    if bb is not None and ba is not None and 2 * px != bb + ba:
                        side = BID if 2 * px > bb + ba else ASK
                    else:
                        side = BID if px > last_px else ASK if px < last_px else last_side
                    s.add(s.counts, "trade sides inferred (side unknown in the file)")
                last_px, last_side = px, side
                out.append((t, TRADE, side, px, sz))
            yield from out
            out.clear()
