"""The tape's published books share what consecutive books have in common (book_kernel.level_reuse):
the same books as before, with the unchanged sides and levels shared instead of made again."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.domain.book import Level
from lighter_bot.venues.sim.scenarios import make_scenario
from lighter_bot.venues.sim.tape import MarketTape, chunks_of, kernels

Side = tuple[Level, ...]


def side(descending: bool) -> st.SearchStrategy[Side]:
    """Up to 5 levels, best first, on a few prices and sizes (so that consecutive books overlap)."""
    return st.dictionaries(st.integers(0, 8), st.integers(1, 3), max_size=5).map(
        lambda d: tuple(sorted(d.items(), reverse=descending)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(side(True), side(False)), min_size=1, max_size=12))
def test_level_reuse_points_at_the_same_level_of_the_previous_book(books: list[tuple[Side, Side]]) -> None:
    flat = [lv for bids, asks in books for lv in bids + asks]
    lv_price = np.array([p for p, _ in flat], dtype=np.int64)
    lv_size = np.array([s for _, s in flat], dtype=np.int64)
    pub_n = np.array([len(x) for b in books for x in b], dtype=np.int64)
    reuse, same = kernels().level_reuse(lv_price, lv_size, pub_n)
    o = 0
    starts: list[list[int]] = []
    for bids, asks in books:
        starts.append([o, o + len(bids)])
        o += len(bids) + len(asks)
    for k, (b, s) in enumerate(itertools.product(range(len(books)), (0, 1))):
        levels, at = books[b][s], starts[b][s]
        before = books[b - 1][s] if b > 0 else None
        assert bool(same[k]) == (before is not None and levels == before)
        for i, lv in enumerate(levels):
            j = int(reuse[at + i])
            if before is None or lv not in before:
                assert j == -1
            else:
                assert j == starts[b - 1][s] + before.index(lv)


def test_consecutive_books_share_their_unchanged_levels() -> None:
    rows = list(make_scenario("calm", 1, 120.0))
    tape = MarketTape(chunks_of(rows), 0.05, 20)
    shared = total = 0
    while (c := tape.next_chunk()) is not None:
        books = c.books()
        for a, b in itertools.pairwise(books):
            for old, new in ((a.bids, b.bids), (a.asks, b.asks)):
                if old == new:
                    assert old is new  # an unchanged side is the previous book's
                ids = {id(lv) for lv in old}
                for lv in new:
                    total += 1
                    if lv in old:
                        shared += 1
                        assert id(lv) in ids  # an unchanged level is the previous book's tuple
    assert total > 10_000 and shared > total // 2
