"""What every file-backed loader shares: its files, spec and summary, and one fresh pass per `chunks()`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lighter_bot.domain.market import MarketSpec
from lighter_bot.marketdata.stream import LoadSummary, chunked
from lighter_bot.venues.sim.source import Row

KIND_NAMES = ("depth", "trade", "clear", "mark")


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
