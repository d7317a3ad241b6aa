"""Market-data rows that drive the simulator, and the protocol a market source implements.

A market source is an iterator of rows `(t, kind, side, price, size)` in non-decreasing `t` (seconds):

* DEPTH: the level `price` (ticks) of `side` (BID=1 / ASK=0) now holds `size` lots (0 removes it);
  absolute sizes, as Binance and Lighter publish them.
* TRADE: a public trade of `size` lots at `price`; `side` is the aggressor (BID=1: someone bought).
* CLEAR: empty `side` (a snapshot follows as DEPTH rows).
* MARK: mark price `price` (side and size unused).

Plain tuples keep the hot loop cheap; synthetic scenarios produce them. Recordings stream the same
columns as chunks: numpy arrays of `ROW_DTYPE`, at most `CHUNK_ROWS` rows each
(`lighter_bot/marketdata/stream.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

DEPTH = 0
TRADE = 1
CLEAR = 2
MARK = 3

BID = 1
ASK = 0

Row = tuple[float, int, int, int, int]
MarketSource = Iterator[Row]

ROW_DTYPE = np.dtype([("t", "<f8"), ("kind", "<i8"), ("side", "<i8"), ("price", "<i8"), ("size", "<i8")])
CHUNK_ROWS = 1 << 16
