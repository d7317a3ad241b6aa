"""Market-data rows that drive the simulator, and the protocol a market source implements.

A market source is an iterator of rows `(t, kind, side, price, size)` in non-decreasing `t` (seconds):

* DEPTH: the level `price` (ticks) of `side` (BID=1 / ASK=0) now holds `size` lots (0 removes it);
  absolute sizes, as Binance and Lighter publish them.
* TRADE: a public trade of `size` lots at `price`; `side` is the aggressor (BID=1: someone bought).
* CLEAR: empty `side` (a snapshot follows as DEPTH rows).
* MARK: mark price `price` (side and size unused).

Plain tuples keep the hot loop cheap; synthetic scenarios and replays both produce them.
"""

from __future__ import annotations

from collections.abc import Iterator

DEPTH = 0
TRADE = 1
CLEAR = 2
MARK = 3

BID = 1
ASK = 0

Row = tuple[float, int, int, int, int]
MarketSource = Iterator[Row]
