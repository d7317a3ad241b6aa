"""The streaming contract every market-data loader implements.

A recording is read as a stream of **chunks**: numpy structured arrays of `ROW_DTYPE`, each at most
`CHUNK_ROWS` rows, rows in non-decreasing exchange time `t` within and across chunks. The columns
carry the simulator's row format (`venues/sim/source.py`: DEPTH / TRADE / CLEAR / MARK, BID=1 /
ASK=0, prices in ticks and sizes in lots of the recording's MarketSpec). Chunks keep memory bounded
by the chunk, not by the recording's length, so a day of data replays like eight minutes.

`Recording.chunks()` starts a fresh pass over the files on every call (a sweep replays a recording
many times). `Recording.summary` says what the loader did with the format's known defects (rows
dropped and why, duplicates, locked books, inferred sides, gaps); it is complete once a pass has run
to the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lighter_bot.domain.market import MarketSpec
from lighter_bot.venues.sim.source import CHUNK_ROWS, ROW_DTYPE, Row

__all__ = ["CHUNK_ROWS", "ROW_DTYPE", "LoadSummary", "Recording", "chunked", "rows_of"]


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
