"""Lighter collector CSVs: `lighter_<date>_prices_<SYM>.csv.gz` (best bid/ask) + `..._trades_<SYM>.csv.gz`.

* prices: `timestamp` (ISO without zone, local receive time), `bid_price, bid_size, ask_price,
  ask_size` (+ `market_id`). One row per WS order_book message, so most rows repeat the top: only
  changes become rows. The book is the top level of each side only (Book.best without keep_deeper).
* trades: `timestamp` (the trade's exchange time, ISO without zone, rendered by the collector in its
  local zone), `price, size, side` (`buy` = the taker bought), `trade_id`, `usd_amount`; REST-polled,
  so polls overlap: deduplicated by `trade_id`.
* **Time zone**: the timestamps carry none. `tz_hours` (the `--tz` flag) is the collector clock's UTC
  offset at the start of the file. Default: +2 h for the 2025-09-15 files (../shared/data/README.md:
  UTC+2 by inference), else UTC (ASTER 2025-09-18: UTC by inference).
* **Clock changes**: collectors restart, sometimes in another zone. Files are written in time order
  (trade ids rise monotonically through them), so a step back of more than 10 minutes is a clock
  change: rows from there are shifted by the whole hours that put them after the previous row
  (assumes the restart took less than an hour). The 2025-09-15 BTC/ETH files have one: their last
  four fragments are stamped about 2 h earlier than the first five although their trade ids are
  higher, i.e. that part was written in UTC while the first part was UTC+2.
* **Fragments**: the collector restarts its WS often (~12 s silences every ~71 s, and minutes-long
  breaks between runs); a silence of more than `GAP_S` in the prices is a gap (book unknown, see
  book.py), never a quiet market. Trades keep coming from REST during gaps and are kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording, SeenTradeIds
from lighter_bot.marketdata.book import Book
from lighter_bot.marketdata.files import csv_lines, decimals, first_line, number
from lighter_bot.marketdata.merge import Event, concat, merge, reorder
from lighter_bot.marketdata.specs import LIGHTER_IDS, LIGHTER_MARKETS, inferred_spec
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, TRADE, Row

PRICES = ["timestamp", "bid_price", "bid_size", "ask_price", "ask_size"]
TRADES = ["timestamp", "price", "size", "side", "trade_id", "usd_amount"]
GAP_S = 5.0
CLOCK_JUMP_S = 600.0
TRADE_REORDER_S = 60.0  # REST polls write each batch late
DEFAULT_TZ_HOURS = {"20250915": 2.0}


def default_tz(path: Path) -> float:
    return next((h for d, h in DEFAULT_TZ_HOURS.items() if f"_{d}_" in path.name), 0.0)


def _epoch(path: Path, n: int, s: str) -> float:
    try:
        return datetime.fromisoformat(s).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise DataError(f"{path}:{n}: {s!r} is not an ISO time") from None


def _header(path: Path) -> list[str]:
    return first_line(path).split(",")


class LighterCsvRecording(FileRecording):
    FORMAT = "lighter-csv"

    def __init__(self, prices: list[Path], trades: list[Path], symbol: str, tz_hours: float | None,
                 notes: list[str]) -> None:
        self.prices, self.trades = prices, trades
        self.tz = {p: (tz_hours if tz_hours is not None else default_tz(p)) for p in prices + trades}
        notes = [*notes, *(f"{p.name}: clock taken as UTC{self.tz[p]:+g} h" + ("" if tz_hours is not None else " (default for this file; --tz to change)")
                           for p in prices + trades)]
        super().__init__(prices + trades, self._spec(symbol), notes)

    def _spec(self, symbol: str) -> MarketSpec:
        market_id = LIGHTER_IDS.get(symbol)
        pd = sd = 0
        for p in self.prices:
            cols = _header(p)
            for i, (n, f) in enumerate(csv_lines(p, cols, 1)):
                if len(f) > 5:
                    mid = int(f[cols.index("market_id")])
                    if market_id is not None and mid != market_id:
                        raise DataError(f"{p}:{n}: market_id {mid}, but {symbol} is Lighter market {market_id}")
                    market_id = mid
                pd = max(pd, decimals(f[1]), decimals(f[3]))
                sd = max(sd, decimals(f[2]), decimals(f[4]))
                if i >= 3000:
                    break
        for p in self.trades:
            for i, (_, f) in enumerate(csv_lines(p, TRADES)):
                pd, sd = max(pd, decimals(f[1])), max(sd, decimals(f[2]))
                if i >= 3000:
                    break
        if market_id is not None and market_id in LIGHTER_MARKETS:
            return LIGHTER_MARKETS[market_id]
        return inferred_spec(symbol, pd, sd, market_id or 0)

    def _times(self, path: Path, rows: Iterator[tuple[int, list[str]]], s: LoadSummary) -> Iterator[tuple[float, int, list[str]]]:
        """(UTC seconds, line, fields) in file order, with clock changes undone (module docstring)."""
        offset = -self.tz[path] * 3600.0
        prev = -math.inf
        for n, f in rows:
            t = _epoch(path, n, f[0]) + offset
            if t < prev - CLOCK_JUMP_S:
                hours = math.ceil((prev - t) / 3600.0)
                offset += hours * 3600.0
                t += hours * 3600.0
                s.notes.append(f"{path.name}:{n}: the clock went back {(prev - t) / 3600 + hours:.2f} h "
                               f"(a restart in another time zone); rows from here shifted +{hours} h")
            prev = t
            yield t, n, f

    def _book_events(self, path: Path, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        cols = _header(path)
        for t, n, f in self._times(path, csv_lines(path, cols, 1), s):
            if len(f) < len(cols):
                s.add(s.counts, "price rows without market_id (the collector dropped the column mid-file)")
            b, bs, a, as_ = (number(path, n, x) for x in f[1:5])
            yield t, 0, ("B", round(b * ps), round(bs * ss), round(a * ps), round(as_ * ss))

    def _trade_events(self, path: Path, s: LoadSummary) -> Iterator[Event]:
        ps, ss = self.market.price_scale, self.market.size_scale
        for t, n, f in self._times(path, csv_lines(path, TRADES), s):
            if f[3] not in ("buy", "sell"):
                raise DataError(f"{path}:{n}: side {f[3]!r} (expected buy or sell)")
            yield t, 0, ("T", f[4], BID if f[3] == "buy" else ASK, round(number(path, n, f[1]) * ps),
                         round(number(path, n, f[2]) * ss))

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        book_s = reorder(concat(self._book_events(p, s) for p in self.prices), 5.0, s, "price rows")
        trade_s = reorder(concat(self._trade_events(p, s) for p in self.trades), TRADE_REORDER_S, s, "trades")
        book = Book(GAP_S, s)
        seen = SeenTradeIds()
        out: list[Row] = []
        started = False
        last_top: tuple[object, ...] = ()
        for t, _, ev in merge([trade_s, book_s]):
            book.expire(t, out)
            if ev[0] == "B":
                _, b, bs, a, as_ = ev
                if book.known and ev == last_top:
                    book.alive(t)  # most rows repeat the top (a deeper level changed): the feed is alive
                    s.add(s.dropped, "price rows repeating the top of book")
                    continue
                last_top = ev
                if b >= a:
                    s.add(s.dropped, "price rows with bid >= ask")
                    continue
                started = True
                book.best(t, BID, b, bs, False, out)
                book.best(t, ASK, a, as_, False, out)
            else:
                _, tid, side, px, sz = ev
                if not seen.first_time(tid):
                    s.add(s.dropped, "duplicate trade ids")
                    continue
                if not started:
                    s.add(s.dropped, "trades before the first book")
                    continue
                out.append((t, TRADE, side, px, sz))
            yield from out
            out.clear()
