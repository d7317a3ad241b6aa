"""The streaming contract every market-data loader implements.

A recording is read as a stream of **chunks**: numpy structured arrays of `ROW_DTYPE`, each at most
`CHUNK_ROWS` rows, rows in non-decreasing exchange time `t` within and across chunks. The columns
carry the simulator's row format (`venues/sim/source.py`: DEPTH / TRADE / CLEAR / MARK, BID=1 /
ASK=0, prices in ticks and sizes in lots of the recording's MarketSpec). Chunks keep memory bounded
by the chunk, not by the recording's length, so a day of data replays like eight minutes.

`Recording.chunks()` starts a fresh pass over the files on every call (a sweep replays a recording
many times). `Recording.summary` says what the loader did with the format's known defects (rows
dropped and why, duplicates, locked books, inferred sides, gaps); it is complete once a pass has run
to the end (each pass starts a fresh one).

**Gaps.** A recording that stops knowing the book (a collector restart, a silent feed, lost updates)
says so in the stream: CLEAR rows of both sides at the moment the book became unknown (book.py: a
feed silent for a format's `GAP_S` is declared dead `GAP_S` after its last update, so rows stay in time
order). The book stays empty (unknown, not quiet: the bot sees no two-sided book and stands aside)
until the next snapshot or level rows. `LoadSummary.gaps` lists the (last update, next update)
intervals. Trades printed during a gap stay in the stream (they happened).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.venues.sim.source import BID, CHUNK_ROWS, CLEAR, DEPTH, ROW_DTYPE, TRADE, Row

__all__ = ["CHUNK_ROWS", "ROW_DTYPE", "LoadSummary", "Recording", "chunked", "first_mid", "rows_of"]


@dataclass
class LoadSummary:
    """What a loader did while reading; `counts` and `dropped` are keyed by a short reason."""

    format: str
    files: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)  # rows out by kind ("depth", "trade", ...)
    dropped: dict[str, int] = field(default_factory=dict)  # input rows not used, by reason
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (start, end) exchange seconds
    notes: list[str] = field(default_factory=list)  # one line per defect handled

    def add(self, table: dict[str, int], key: str, n: int = 1) -> None:
        table[key] = table.get(key, 0) + n


class Recording(Protocol):
    """One instrument's recording (one or many files, one continuous stream)."""

    @property
    def market(self) -> MarketSpec: ...

    @property
    def source(self) -> str: ...  # file names, for reports

    @property
    def summary(self) -> LoadSummary: ...

    def chunks(self) -> Iterator[np.ndarray]: ...


def rows_of(chunks: Iterable[np.ndarray]) -> Iterator[Row]:
    """Chunks as the plain row tuples SimExchange consumes (the generic, slower path)."""
    for c in chunks:
        yield from zip(c["t"].tolist(), c["kind"].tolist(), c["side"].tolist(), c["price"].tolist(),
                       c["size"].tolist(), strict=True)


def chunked(rows: Iterable[Row], size: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
    """Row tuples as chunks (for sources that produce tuples, e.g. tests and converters)."""
    buf: list[Row] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= size:
            yield np.array(buf, dtype=ROW_DTYPE)
            buf = []
    if buf:
        yield np.array(buf, dtype=ROW_DTYPE)


def first_mid(rows: Iterable[Row], market: MarketSpec, source: str) -> float:
    """A representative price: the mid of the book at the first trade seen with a two-sided book (the
    last two-sided mid if no trade comes), in quote units. Reads only as far as it needs."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    for _, kind, side, px, sz in rows:
        if kind == DEPTH:
            book = bids if side == BID else asks
            if sz:
                book[px] = sz
            else:
                book.pop(px, None)
        elif kind == CLEAR:
            (bids if side == BID else asks).clear()
        elif kind == TRADE and bids and asks:
            return market.px(max(bids) + min(asks)) / 2
    if bids and asks:
        return market.px(max(bids) + min(asks)) / 2
    raise DataError(f"{source}: no two-sided book in the data")
