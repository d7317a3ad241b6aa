"""The per-row loops of a tape replay, compiled with numba: the market's level book and one pass over a
chunk of rows. Everything else about a replay is per happening, in Python (tape.py, tape_exchange.py).

A level book indexes levels by a sorted table of every price seen so far (`prices`, both sides share
it; tape.LevelBook grows it chunk by chunk), so a row's level is a fixed slot: `sizes[side, i]` is the
size at `prices[i]` (0: no level), `changed[side, i]` the global row of its last change (the
taken-liquidity rule of TapeExchange asks whether a level changed since a row). `state` holds, per
book, the slot of the best level of each side (-1: empty side), the number of live levels of each
side, the global row of the last CLEAR and the last MARK price (-1: none). Setting a level is O(1); the
best moves by a short scan over slots when the best level goes (the next one is near it).

The chunk pass is SimExchange's market logic without our orders, row by row in the same order (tape.py
says what it produces). Functions are compiled on first use and cached on disk (`cache=True`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, MARK, TRADE
from lighter_bot.venues.sim.tape import BEST, LAST_CLEAR, LAST_MARK, LIVE, MD_BOOK, MD_MARK, MD_TRADE

F = TypeVar("F", bound=Callable[..., Any])
INF = np.inf


def compiled(fn: F) -> F:
    """numba.njit (nopython, cached on disk), keeping the function's type for mypy."""
    try:
        return cast(F, numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # no writable cache location (read-only install, no home): compile in each process
        return cast(F, numba.njit(nogil=True)(fn))


@compiled
def set_level(sizes: np.ndarray, changed: np.ndarray, state: np.ndarray, side: int, i: int, size: int,
              row: int) -> int:
    """The level in slot `i` of `side` now holds `size` (0 removes it); returns the size before."""
    prev: int = sizes[side, i]
    if prev == size:
        return prev
    sizes[side, i] = size
    changed[side, i] = row
    live = state[LIVE + side] + (1 if prev == 0 else (-1 if size == 0 else 0))
    state[LIVE + side] = live
    best = state[BEST + side]
    step = -1 if side == BID else 1  # away from the touch
    if size > 0:
        if best < 0 or (i > best if side == BID else i < best):
            state[BEST + side] = i
    elif i == best:
        j = -1
        if live > 0:
            j = i + step
            while sizes[side, j] == 0:
                j += step
        state[BEST + side] = j
    return prev


@compiled
def clear_side(sizes: np.ndarray, state: np.ndarray, side: int) -> None:
    """Empty one side (every live level lies at or beyond the best, away from the touch)."""
    left = state[LIVE + side]
    j = state[BEST + side]
    step = -1 if side == BID else 1
    while left > 0:
        if sizes[side, j] > 0:
            sizes[side, j] = 0
            left -= 1
        j += step
    state[LIVE + side] = 0
    state[BEST + side] = -1


@compiled
def levels(prices: np.ndarray, sizes: np.ndarray, state: np.ndarray, side: int, limit: int, most: int) -> np.ndarray:
    """Up to `most` levels of `side`, best first, not beyond price `limit` (a bid limit is a floor, an ask
    limit a ceiling): rows of (price, size)."""
    live = state[LIVE + side]
    out = np.empty((min(live, most), 2), dtype=np.int64)
    m = 0
    j = state[BEST + side]
    step = -1 if side == BID else 1
    while m < live and m < most:
        s = sizes[side, j]
        if s > 0:
            p = prices[j]
            if (side == BID and p < limit) or (side == ASK and p > limit):
                break
            out[m, 0] = p
            out[m, 1] = s
            m += 1
        j += step
    return out[:m]


@compiled
def apply_rows(kind: np.ndarray, side: np.ndarray, slot: np.ndarray, size: np.ndarray, price: np.ndarray,
               lo: int, hi: int, row0: int, sizes: np.ndarray, changed: np.ndarray, state: np.ndarray) -> None:
    """Apply rows lo..hi-1 of a chunk (global index row0 + i; `slot`: each row's price slot) to a book."""
    for i in range(lo, hi):
        k = kind[i]
        if k == DEPTH:
            set_level(sizes, changed, state, side[i], slot[i], size[i], row0 + i)
        elif k == CLEAR:
            clear_side(sizes, state, side[i])
            state[LAST_CLEAR] = row0 + i
        elif k == MARK:
            state[LAST_MARK] = price[i]


@compiled
def level_reuse(lv_price: np.ndarray, lv_size: np.ndarray, pub_n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What each publication shares with the one before it (`prepare`'s levels back to back, `pub_n`).

    Returns (`reuse`, `same`): for each level, the index of the same (price, size) level on the same side
    of the previous publication, -1 if there is none; for each publication side (2k bids, 2k + 1 asks),
    whether it is exactly the previous one's. Consecutive books 50 ms apart share most levels (about 9 in
    10 on the BTCUSDT recording), so the books can share their level tuples instead of making new ones."""
    reuse = np.full(lv_price.shape[0], -1, dtype=np.int64)
    same = np.zeros(pub_n.shape[0], dtype=np.bool_)
    prev_at = np.zeros(2, dtype=np.int64)
    prev_n = np.full(2, -1, dtype=np.int64)
    o = 0
    for k in range(0, pub_n.shape[0], 2):
        for s in range(2):
            m = pub_n[k + s]
            q, qn = prev_at[s], prev_n[s]
            if qn >= 0:  # both lists are best first: bids descending, asks ascending
                a = b = 0
                alike = m == qn
                while a < m and b < qn:
                    pa, pb = lv_price[o + a], lv_price[q + b]
                    if pa == pb:
                        if lv_size[o + a] == lv_size[q + b]:
                            reuse[o + a] = q + b
                        else:
                            alike = False
                        a += 1
                        b += 1
                    elif (pa > pb) if s == 0 else (pa < pb):  # a level the previous book did not have
                        alike = False
                        a += 1
                    else:  # a level that has gone
                        alike = False
                        b += 1
                same[k + s] = alike
            prev_at[s], prev_n[s] = o, m
            o += m
    return reuse, same


@compiled
def _grow(a: np.ndarray, need: int) -> np.ndarray:
    """`a` (1-D) with room for `need` entries (doubling)."""
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@compiled
def prepare(t: np.ndarray, kind: np.ndarray, side: np.ndarray, slot: np.ndarray, size: np.ndarray, row0: int,
            prices: np.ndarray, sizes: np.ndarray, changed: np.ndarray, state: np.ndarray, interval: float,
            depth: int, pub_at: float, final: bool) -> tuple[Any, ...]:
    """One pass over a chunk, as SimExchange applies it, on the book it leaves behind.

    Returns (prev, md_kind, md_src, md_ref, lv_price, lv_size, pub_n, pub_at): the size before each DEPTH
    row; the market-data items in emission order (kind, source time, row index or publication index);
    the levels of every publication back to back (its top-`depth` bids, then asks, best first) with
    `pub_n[k]` = (bids, asks) counts of publication k; and the time of the publication still pending
    after the chunk (`final`: the stream ends here, so it is published)."""
    n = t.shape[0]
    prev = np.zeros(n, dtype=np.int64)
    md_kind = np.empty(2 * n + 1, dtype=np.int8)
    md_src = np.empty(2 * n + 1, dtype=np.float64)
    md_ref = np.empty(2 * n + 1, dtype=np.int64)
    lv_price = np.empty(1024, dtype=np.int64)
    lv_size = np.empty(1024, dtype=np.int64)
    pub_n = np.empty(128, dtype=np.int64)  # bids, asks of publication k at 2k, 2k + 1
    n_md = 0
    n_pub = 0
    n_lv = 0
    for i in range(n + 1):
        if i == n and not final:
            break
        ti = t[i] if i < n else INF
        if ti >= pub_at:  # the publication lands before the rows at or after its time
            pub_n = _grow(pub_n, 2 * n_pub + 2)
            lv_price = _grow(lv_price, n_lv + 2 * depth)
            lv_size = _grow(lv_size, n_lv + 2 * depth)
            for s in (BID, ASK):
                got = levels(prices, sizes, state, s, -(1 << 62) if s == BID else 1 << 62, depth)
                m = got.shape[0]
                lv_price[n_lv:n_lv + m] = got[:, 0]
                lv_size[n_lv:n_lv + m] = got[:, 1]
                n_lv += m
                pub_n[2 * n_pub + (0 if s == BID else 1)] = m
            md_kind[n_md], md_src[n_md], md_ref[n_md] = MD_BOOK, pub_at, n_pub
            n_md += 1
            n_pub += 1
            pub_at = INF
        if i == n:
            break
        k = kind[i]
        if k == DEPTH:
            p = set_level(sizes, changed, state, side[i], slot[i], size[i], row0 + i)
            prev[i] = p
            if p != size[i] and pub_at == INF:
                pub_at = (int(ti / interval) + 1) * interval  # SimExchange._mark_dirty's grid
        elif k in (TRADE, MARK):
            md_kind[n_md], md_src[n_md], md_ref[n_md] = MD_TRADE if k == TRADE else MD_MARK, ti, i
            n_md += 1
        elif k == CLEAR:
            clear_side(sizes, state, side[i])
            if pub_at == INF:
                pub_at = (int(ti / interval) + 1) * interval
    return (prev, md_kind[:n_md], md_src[:n_md], md_ref[:n_md], lv_price[:n_lv], lv_size[:n_lv],
            pub_n[: 2 * n_pub], pub_at)
