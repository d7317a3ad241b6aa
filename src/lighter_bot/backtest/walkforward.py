"""Walk-forward evaluation: fit on one part of a recording, judge on the other, both ways round.

A recording is cut in two halves of equal duration. Whatever is fitted (the fair value's coefficients,
`backtest/fit.py`) is fitted on one half; the strategy is then judged on the other half alone, starting
from the book as it stood at the cut (a snapshot: CLEAR + every level), with every online statistic
(volatility, edge model) starting empty. Judging A with B's fit and B with A's covers the whole
recording out of sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, Row


@dataclass(frozen=True)
class Halves:
    first: list[Row]
    second: list[Row]  # starts with a snapshot of the book at the cut
    cut: float


def split_halves(rows: Sequence[Row]) -> Halves:
    """Cut at the middle of the recording's time span; the second half opens with the book at the cut."""
    if not rows:
        raise ValueError("an empty recording cannot be split")
    cut = (rows[0][0] + rows[-1][0]) / 2
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    i = 0
    n = len(rows)
    while i < n and rows[i][0] < cut:
        _, kind, side, price, size = rows[i]
        book = bids if side == BID else asks
        if kind == DEPTH:
            if size > 0:
                book[price] = size
            else:
                book.pop(price, None)
        elif kind == CLEAR:
            book.clear()
        i += 1
    snap: list[Row] = [(cut, CLEAR, BID, 0, 0), (cut, CLEAR, ASK, 0, 0)]
    snap += [(cut, DEPTH, BID, p, s) for p, s in sorted(bids.items(), reverse=True)]
    snap += [(cut, DEPTH, ASK, p, s) for p, s in sorted(asks.items())]
    return Halves(list(rows[:i]), snap + list(rows[i:]), cut)
