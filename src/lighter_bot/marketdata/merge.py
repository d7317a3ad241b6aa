"""Putting parsed messages in exchange-time order with bounded memory.

A loader parses each file into **events** `(t, k2, payload)`: `t` the exchange time (seconds),
`k2` a tie-breaker (the message's local arrival time in ns where the format has one, else 0) and a
format-specific payload. Collectors write messages in arrival order, which differs from exchange
order by a little (a trade and the book change it caused arrive on two streams): `reorder` sorts
each file through a heap that holds only `window_s` of exchange time, and `merge` interleaves the
sorted files of one recording. Equal (t, k2) keep file order, then the order of the streams given.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from lighter_bot.marketdata.stream import LoadSummary
from lighter_bot.venues.sim.source import CHUNK_ROWS

Event = tuple[float, int, Any]


def reorder(events: Iterable[Event], window_s: float, summary: LoadSummary, what: str) -> Iterator[Event]:
    """`events` sorted by (t, k2), assuming none arrives more than `window_s` after a later one.
    One that does is placed at the time already reached (so the stream stays ordered) and counted
    in `summary.counts`; the loader re-stamps its rows with the event's `t`."""
    heap: list[tuple[float, int, int, Any]] = []
    latest = -np.inf
    last_out = -np.inf
    for seq, (t0, k2, payload) in enumerate(events):
        t = t0
        if t < last_out:
            summary.add(summary.counts, f"{what} later than {window_s:g} s out of order, placed at the time reached")
            t = last_out
        heapq.heappush(heap, (t, k2, seq, payload))
        if t > latest:
            latest = t
        while heap and heap[0][0] <= latest - window_s:
            et, ek, _, ep = heapq.heappop(heap)
            last_out = et
            yield et, ek, ep
    while heap:
        et, ek, _, ep = heapq.heappop(heap)
        yield et, ek, ep


def merge(streams: list[Iterator[Event]]) -> Iterator[Event]:
    """Sorted event streams interleaved by (t, k2); ties go to the earlier stream."""
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda e: (e[0], e[1]))


def concat(streams: Iterable[Iterator[Event]]) -> Iterator[Event]:
    for s in streams:
        yield from s


def rechunk(chunks: Iterable[np.ndarray], size: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
    """Chunks of exactly `size` rows (the last may be shorter), from chunks of any size."""
    buf: list[np.ndarray] = []
    n = 0
    for c in chunks:
        if not len(c):
            continue
        buf.append(c)
        n += len(c)
        while n >= size:
            joined = np.concatenate(buf) if len(buf) > 1 else buf[0]
            yield joined[:size]
            rest = joined[size:]
            buf = [rest] if len(rest) else []
            n = len(rest)
    if n:
        yield np.concatenate(buf) if len(buf) > 1 else buf[0]
