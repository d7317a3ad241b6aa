"""Walk-forward halves: the second half opens with the book exactly as it stood at the cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.backtest.walkforward import split_halves
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, TRADE, Row


def _book(rows: list[Row]) -> tuple[dict[int, int], dict[int, int]]:
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    for _, kind, side, p, s in rows:
        b = bids if side == BID else asks
        if kind == CLEAR:
            b.clear()
        elif kind == DEPTH:
            if s:
                b[p] = s
            else:
                b.pop(p, None)
    return bids, asks


rows_st = st.lists(st.tuples(st.integers(0, 1000), st.sampled_from([DEPTH, DEPTH, DEPTH, TRADE, CLEAR]),
                             st.sampled_from([BID, ASK]), st.integers(90, 110), st.integers(0, 5)),
                   min_size=1, max_size=120).map(lambda rs: [(float(t), k, s, p, z) for t, k, s, p, z in sorted(rs)])


@given(rows_st)
def test_second_half_replays_to_the_same_book(rows: list[Row]) -> None:
    h = split_halves(rows)
    assert all(r[0] < h.cut for r in h.first) and all(r[0] >= h.cut for r in h.second)
    # Replaying the second half alone ends in the same book as replaying everything.
    assert _book(h.second) == _book(rows)
    # ...and its opening snapshot is the book at the cut.
    bids, asks = _book(h.first)
    assert _book(h.second[: 2 + len(bids) + len(asks)]) == (bids, asks)
    # No trade is lost or duplicated.
    trades = [r for r in rows if r[1] == TRADE]
    assert [r for r in h.first + h.second if r[1] == TRADE] == trades
