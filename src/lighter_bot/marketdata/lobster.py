"""LOBSTER order-by-order files: `<TICKER>_<date>_<start>_<end>_message_<N>.csv` + `..._orderbook_<N>.csv`.

Line i of the orderbook file is the book (N levels of `ask_px, ask_sz, bid_px, bid_sz`, prices ×10000)
after message i (`time` in seconds after midnight New York time, `type`, `order_id`, `size`,
`price` ×10000, `direction`). Replayed as L2: each orderbook line replaces the book (Book.snapshot;
empty levels, LOBSTER's ±9999999999 dummies, are skipped); executions (type 4 visible, 5 hidden)
are trades, the aggressor opposite to the executed order's `direction` (-1, a sell order executed,
means a buyer took it), placed before the book change they caused. Type 6 (cross trades) are
skipped, type 7 (trading halts) makes the book unknown until trading resumes. The two files must have
the same number of lines (one that ends early is truncated). The order ids in the message file are
what tests/integration/test_queue_model_lobster.py uses to check the queue model exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lighter_bot.errors import DataError
from lighter_bot.marketdata.base import FileRecording
from lighter_bot.marketdata.book import Book
from lighter_bot.marketdata.files import open_text
from lighter_bot.marketdata.specs import inferred_spec
from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import ASK, BID, TRADE, Row

NAME = re.compile(r"^([A-Za-z0-9.]+)_(\d{4}-\d{2}-\d{2})_(\d+)_(\d+)_(message|orderbook)_(\d+)\.csv$")
PRICE_SCALE = 10_000  # LOBSTER prices are dollars x 10000
DUMMY = 9_999_999_999
EXCHANGE_TZ = ZoneInfo("America/New_York")


def parse_name(path: Path) -> tuple[str, str] | None:
    """(ticker, 'message' | 'orderbook')."""
    m = NAME.match(path.name)
    return (m.group(1).upper(), m.group(5)) if m else None


def _midnight(path: Path) -> float:
    m = NAME.match(path.name)
    if m is None:
        raise DataError(f"{path}: not a LOBSTER file name (<TICKER>_<date>_<start>_<end>_message_<N>.csv)")
    return datetime.fromisoformat(m.group(2)).replace(tzinfo=EXCHANGE_TZ).timestamp()


def _ints(path: Path, n: int, line: str, width: int | None) -> list[int]:
    try:
        vals = [int(x) for x in line.strip().split(",")]
    except ValueError:
        raise DataError(f"{path}:{n}: not LOBSTER integers ({line.strip()[:60]!r})") from None
    if width is not None and len(vals) != width:
        raise DataError(f"{path}:{n}: {len(vals)} fields, expected {width} (a truncated or malformed line)")
    return vals


class LobsterRecording(FileRecording):
    FORMAT = "lobster"

    def __init__(self, messages: list[Path], books: list[Path], ticker: str, notes: list[str]) -> None:
        if len(messages) != len(books):
            raise DataError(f"{', '.join(p.name for p in messages + books)}: each message file needs its orderbook file")
        self.pairs = list(zip(messages, books, strict=True))
        # US equities trade on a cent grid (ticks of 100 in LOBSTER's x10000 prices); sizes are shares.
        super().__init__(messages + books, inferred_spec(ticker, 2, 0, min_quote="1"), notes)

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        div = PRICE_SCALE // self.market.price_scale
        book = Book(float("inf"), s)
        out: list[Row] = []
        for mpath, bpath in self.pairs:
            day = _midnight(mpath)
            blines = open_text(bpath)
            width: int | None = None
            n = 0
            for n, mline in enumerate(open_text(mpath), 1):
                if not mline.strip():
                    continue
                bline = next(blines, None)
                if bline is None:
                    raise DataError(f"{bpath}: ends at line {n - 1} but {mpath.name} goes on (truncated)")
                secs_s, _, rest = mline.partition(",")
                try:
                    t = day + float(secs_s)
                except ValueError:
                    raise DataError(f"{mpath}:{n}: time {secs_s!r} is not a number") from None
                typ, _oid, size, price, direction = _ints(mpath, n, rest, 5)
                lv = _ints(bpath, n, bline, width)
                width = len(lv)
                if width % 4:
                    raise DataError(f"{bpath}:{n}: {width} fields, not 4 per level")
                if typ in (4, 5):
                    out.append((t, TRADE, BID if direction < 0 else ASK, price // div, size))
                elif typ == 6:
                    s.add(s.dropped, "cross trades (type 6)")
                elif typ == 7:
                    if direction == -1 and book.known:
                        s.add(s.counts, "trading halts (book unknown)")
                        book.clear(t, out)
                        yield from out
                        out.clear()
                    continue
                if typ in (1, 2, 3, 4, 5):
                    asks = [(lv[i] // div, lv[i + 1]) for i in range(0, width, 4) if lv[i + 1] > 0 and abs(lv[i]) != DUMMY]
                    bids = [(lv[i + 2] // div, lv[i + 3]) for i in range(0, width, 4) if lv[i + 3] > 0 and abs(lv[i + 2]) != DUMMY]
                    book.snapshot(t, bids, asks, out)
                yield from out
                out.clear()
            if next(blines, None) is not None:
                raise DataError(f"{mpath}: ends at line {n} but {bpath.name} goes on (truncated)")
