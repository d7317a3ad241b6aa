"""The local L2 book: snapshot, deltas, and the begin_nonce == previous nonce continuity rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.venues.lighter.book import BookResult, LocalBook
from lighter_bot.venues.lighter.parse import BookFrame


def frame(snapshot: bool, nonce: int, begin: int, bids: tuple[tuple[int, int], ...] = (), asks: tuple[tuple[int, int], ...] = ()) -> BookFrame:
    return BookFrame(0, snapshot, bids, asks, nonce, begin, None)


def test_update_before_snapshot_waits() -> None:
    b = LocalBook()
    assert b.apply(frame(False, 5, 4, bids=((100, 1),))) is BookResult.WAITING
    assert not b.valid


def test_contiguous_updates_apply_and_zero_removes() -> None:
    b = LocalBook()
    assert b.apply(frame(True, 10, 0, bids=((100, 5), (99, 2)), asks=((101, 3),))) is BookResult.APPLIED
    assert b.apply(frame(False, 15, 10, bids=((100, 0), (98, 7)), asks=((102, 1),))) is BookResult.APPLIED
    v = b.view()
    assert v.bids == ((99, 2), (98, 7)) and v.asks == ((101, 3), (102, 1))
    assert b.nonce == 15


def test_gap_invalidates_until_a_new_snapshot() -> None:
    b = LocalBook()
    b.apply(frame(True, 10, 0, bids=((100, 5),), asks=((101, 3),)))
    assert b.apply(frame(False, 20, 12, bids=((100, 9),))) is BookResult.GAP
    assert not b.valid and b.gaps == 1
    # Later updates cannot repair it: only a snapshot can.
    assert b.apply(frame(False, 25, 20)) is BookResult.WAITING
    assert b.apply(frame(True, 30, 0, bids=((100, 1),), asks=((105, 1),))) is BookResult.APPLIED
    assert b.valid and b.view().best_ask == 105


def test_old_frame_is_ignored() -> None:
    b = LocalBook()
    b.apply(frame(True, 10, 0, bids=((100, 5),)))
    assert b.apply(frame(False, 9, 8, bids=((100, 1),))) is BookResult.STALE
    assert b.view().bids == ((100, 5),)


levels = st.lists(st.tuples(st.integers(1, 50), st.integers(0, 5)), max_size=6)


@given(st.lists(st.tuples(levels, levels, st.booleans()), min_size=1, max_size=30))
def test_book_equals_replay_of_contiguous_deltas(steps: list[tuple[list[tuple[int, int]], list[tuple[int, int]], bool]]) -> None:
    """Applying contiguous deltas equals a dict replay; a broken chain is always detected."""
    b = LocalBook(depth=100)
    b.apply(frame(True, 1, 0))
    ref_b: dict[int, int] = {}
    ref_a: dict[int, int] = {}
    nonce = 1
    for bids, asks, broken in steps:
        begin = nonce + 1 if broken else nonce
        res = b.apply(frame(False, nonce + 2, begin, tuple(bids), tuple(asks)))
        if broken:
            assert res is BookResult.GAP
            return
        assert res is BookResult.APPLIED
        for ref, lv in ((ref_b, bids), (ref_a, asks)):
            for p, s in lv:
                if s:
                    ref[p] = s
                else:
                    ref.pop(p, None)
        nonce += 2
    v = b.view()
    assert dict(v.bids) == ref_b and dict(v.asks) == ref_a
    assert [p for p, _ in v.bids] == sorted(ref_b, reverse=True)
