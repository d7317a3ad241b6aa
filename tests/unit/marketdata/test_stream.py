"""The chunk contract: tuples -> chunks -> tuples is the identity, chunks are bounded and ordered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.marketdata.stream import ROW_DTYPE, chunked, rows_of

rows_st = st.lists(
    st.tuples(st.floats(0, 1e6, allow_nan=False), st.integers(0, 3), st.integers(0, 1),
              st.integers(0, 10**12), st.integers(0, 10**12)),
    max_size=200,
).map(lambda rs: sorted(rs, key=lambda r: r[0]))


@given(rows_st, st.integers(1, 50))
def test_chunked_round_trip(rows: list[tuple[float, int, int, int, int]], size: int) -> None:
    chunks = list(chunked(rows, size))
    assert all(c.dtype == ROW_DTYPE and 0 < len(c) <= size for c in chunks)
    assert list(rows_of(chunks)) == rows
