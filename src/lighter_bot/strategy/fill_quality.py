"""Recent fill quality per side: rolling markouts at several horizons and how fast our quotes got hit.

Unlike `signals.Markouts` (running averages since the start, for reporting), this keeps only the
last `window` settled fills per side and horizon, so the defences it feeds (edge-first gating, hit
quality) react to what is happening now and recover once it stops. A fill's markout at horizon h is
side * (mid(t + h) - price) / price in bps (+ = the mid moved our way), settled with the mid that
held at t + h as soon as a later mid arrives. Each settled markout keeps its fill's age (seconds since
the order was sent or moved), so the markouts of quick hits alone can be judged (hit quality).
"""

from __future__ import annotations

import math
from collections import deque

from lighter_bot.domain.orders import Side

_BID = Side.BID  # evidence() runs on every decision: a global is ~4x faster than `Side.BID` on Python 3.11


class RecentFillQuality:
    MAX_PENDING = 2_000

    def __init__(self, horizons_s: tuple[float, ...], window: int) -> None:
        if window < 1:
            raise ValueError("window must be >= 1")
        self.horizons = tuple(sorted(set(horizons_s)))
        self.window = window
        # (ts, side, price, age or inf, next horizon idx)
        self._pending: deque[tuple[float, Side, float, float, int]] = deque()
        self._settled: dict[tuple[Side, float], deque[tuple[float, float]]] = {  # (markout bps, age s)
            (s, h): deque(maxlen=window) for s in (Side.BID, Side.ASK) for h in self.horizons
        }
        self._ages: dict[Side, deque[float]] = {s: deque(maxlen=window) for s in (Side.BID, Side.ASK)}
        self._seen = [0, 0]  # per side (bid, ask): see evidence()
        self._mid: float | None = None
        self.last_fill_ts: dict[Side, float] = {}
        # markout() is asked on every decision but its answer only changes when a markout settles or a
        # side is forgotten: memoise it per version of the settled windows (hot path of every backtest).
        self._version = 0
        self._memo: dict[tuple[Side | None, float, int | None, float], tuple[float, int]] = {}
        self._memo_version = -1
        self._share_memo: dict[tuple[Side, float, int | None], tuple[float, int]] = {}

    def on_fill(self, ts: float, side: Side, price: float, age_s: float | None) -> None:
        """`age_s`: seconds since the order was sent or last moved (None when unknown)."""
        if price <= 0:
            return
        self.last_fill_ts[side] = ts
        self._seen[0 if side is Side.BID else 1] += 1
        if age_s is not None:
            self._ages[side].append(age_s)
            self._share_memo.clear()
        if self.horizons:
            self._pending.append((ts, side, price, math.inf if age_s is None else age_s, 0))
            if len(self._pending) > self.MAX_PENDING:
                self._pending.popleft()

    def on_mid(self, ts: float, mid: float | None) -> None:
        """Settle every horizon reached strictly before `ts` with the mid that held until now; note `mid`."""
        p = self._pending
        if p and self._mid is not None:
            hs = self.horizons
            for _ in range(len(p)):
                t0, side, px, age, idx = p.popleft()
                while idx < len(hs) and t0 + hs[idx] < ts:
                    self._settled[(side, hs[idx])].append((side.sign * (self._mid - px) / px * 1e4, age))
                    self._version += 1
                    idx += 1
                if idx < len(hs):
                    p.append((t0, side, px, age, idx))
        if mid is not None:
            self._mid = mid

    def markout(self, side: Side | None, horizon_s: float, last: int | None = None,
                max_age_s: float = math.inf) -> tuple[float, int]:
        """(mean markout in bps, number of settled fills) over the window, or its `last` fills; both sides
        when side is None. With `max_age_s`, only the fills that came within that long of sending the order."""
        if self._memo_version != self._version:
            self._memo.clear()
            self._memo_version = self._version
        key = (side, horizon_s, last, max_age_s)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        h = min(self.horizons, key=lambda x: abs(x - horizon_s)) if self.horizons else horizon_s
        pairs: list[tuple[float, float]] = []
        for s in (Side.BID, Side.ASK) if side is None else (side,):
            pairs.extend(self._settled.get((s, h), ()))
        keep = min(self.window, last) if last is not None else self.window
        if len(pairs) > keep:
            pairs = pairs[-keep:]
        vals = [m for m, age in pairs if age <= max_age_s]
        out = (sum(vals) / len(vals) if vals else 0.0), len(vals)
        self._memo[key] = out
        return out

    @property
    def version(self) -> int:
        """Changes whenever a markout settles or a side is forgotten (what markout() answers from)."""
        return self._version

    def evidence(self, side: Side) -> int:
        """An upper bound on the fills any statistic of `side` can count now (a cheap early exit): fills
        recorded since the side was last forgotten, plus those still pending then (they settle later)."""
        return self._seen[0 if side is _BID else 1]

    def immediate_share(self, side: Side, within_s: float, last: int | None = None) -> tuple[float, int]:
        """(share of recent fills (or of the `last` ones) that came within `within_s` of sending the order,
        number of fills)."""
        key = (side, within_s, last)
        hit = self._share_memo.get(key)  # asked on every decision once a side has fills; cleared when ages change
        if hit is not None:
            return hit
        ages = list(self._ages[side])
        if last is not None:
            ages = ages[-last:]
        out = (sum(1 for a in ages if a <= within_s) / len(ages), len(ages)) if ages else (0.0, 0)
        self._share_memo[key] = out
        return out

    def forget(self, side: Side) -> None:
        """Drop a side's evidence (after a defence expired: judge it on fresh fills)."""
        for h in self.horizons:
            self._settled[(side, h)].clear()
        self._ages[side].clear()
        self._share_memo.clear()
        self._seen[0 if side is Side.BID else 1] = sum(1 for p in self._pending if p[1] is side)
        self._version += 1
