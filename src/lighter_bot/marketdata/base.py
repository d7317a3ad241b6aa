"""What every file-backed loader shares: its files, spec and summary, and one fresh pass per `chunks()`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lighter_bot.domain.market import MarketSpec
from lighter_bot.marketdata.stream import LoadSummary, chunked
from lighter_bot.venues.sim.source import Row

KIND_NAMES = ("depth", "trade", "clear", "mark")


class SeenTradeIds:
    """The last `capacity` trade ids, to drop a trade recorded twice (a collector's overlap, a subscribe
    snapshot repeating recent trades); bounded, as a day of trades would not fit."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def first_time(self, tid: str) -> bool:
        """True the first time `tid` is seen (and remember it), False for a repeat."""
        if tid in self._ids:
            return False
        self._ids[tid] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


class FileRecording:
    """Base of the loaders: subclasses set `FORMAT` and implement `_rows` (or `_chunks`)."""

    FORMAT = "?"

    def __init__(self, files: list[Path], market: MarketSpec, notes: list[str] | None = None) -> None:
        self.files = files
        self._market = market
        self._notes = list(notes or [])
        self._summary = self._fresh()

    @property
    def market(self) -> MarketSpec:
        return self._market

    @property
    def source(self) -> str:
        return ", ".join(p.name for p in self.files)

    @property
    def summary(self) -> LoadSummary:
        return self._summary

    def _fresh(self) -> LoadSummary:
        return LoadSummary(self.FORMAT, tuple(str(p) for p in self.files), notes=list(self._notes))

    def chunks(self) -> Iterator[np.ndarray]:
        s = self._summary = self._fresh()
        for c in self._chunks(s):
            for k, n in enumerate(np.bincount(c["kind"], minlength=4)[:4].tolist()):
                if n:
                    s.add(s.counts, KIND_NAMES[k], n)
            yield c

    def _chunks(self, s: LoadSummary) -> Iterator[np.ndarray]:
        return chunked(self._rows(s))

    def _rows(self, s: LoadSummary) -> Iterator[Row]:
        raise NotImplementedError
