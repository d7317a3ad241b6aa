"""Market signals measured in time, not in events: EWMA volatility, trend with hysteresis, markouts.

Every signal treats the mid as a step function of time (the last mid seen at or before t). The
volatility samples that step function on a fixed time grid, so the same market gives the same value
whatever the event rate (extra book updates with an unchanged mid, or timer ticks, change nothing);
the old bot's EMA of per-loop moves depended on its loop period (seed-system.md 3.1).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

from lighter_bot.domain.orders import Side

_LN2 = math.log(2.0)


class EwmaVolatility:
    """Exponentially weighted std-dev of log mid returns on a `sample_s` grid, in bps over `horizon_s`.

    The variance is an EWMA of squared grid returns with a time half-life; weights are normalised.
    It starts as if the half-life before the first sample had run at `prior_bps` (so neither does it
    start at 0, nor does the first single move decide it alone). Between mid changes the grid returns
    are zero, so a gap of any length is folded in O(1).
    """

    __slots__ = ("_decay", "_grid_i", "_horizon_steps", "_last_sample", "_mid", "_s", "_sample_s", "_w")

    def __init__(self, halflife_s: float, horizon_s: float, sample_s: float = 1.0, prior_bps: float = 0.0) -> None:
        if halflife_s <= 0 or horizon_s <= 0 or sample_s <= 0:
            raise ValueError("halflife, horizon and sample interval must be > 0")
        self._sample_s = sample_s
        self._decay = math.exp(-_LN2 * sample_s / halflife_s)  # weight kept per grid step
        self._horizon_steps = horizon_s / sample_s
        self._grid_i: int | None = None  # index of the last grid point folded in (time = i * sample_s)
        self._mid = 0.0  # current mid (the step function's value)
        self._last_sample = 0.0  # mid at the last grid point
        # Weight of one half-life of grid samples, at the prior's per-step variance.
        self._w = 0.5 / (1.0 - self._decay) if prior_bps > 0 else 0.0  # sum of weights
        self._s = self._w * prior_bps**2 / self._horizon_steps  # weighted sum of squared grid returns (bps^2)

    def update(self, ts: float, mid: float) -> None:
        """The mid is `mid` from time `ts` on."""
        if mid <= 0:
            return
        if self._grid_i is None:
            self._grid_i = math.floor(ts / self._sample_s)
            self._mid = self._last_sample = mid
            return
        if mid == self._mid:
            return
        self._advance(ts, inclusive=False)  # grid points strictly before ts saw the old mid
        self._mid = mid

    def advance(self, ts: float) -> None:
        """Fold in the grid points up to and including `ts` (call before reading a value)."""
        if self._grid_i is not None and math.floor(ts / self._sample_s) > self._grid_i:
            self._advance(ts, inclusive=True)

    def _advance(self, ts: float, inclusive: bool) -> None:
        assert self._grid_i is not None
        k = ts / self._sample_s
        last = math.floor(k) if inclusive else math.ceil(k) - 1
        n = last - self._grid_i
        if n <= 0:
            return
        # First new grid point: the return since the last sample; the n-1 after it have zero return.
        r = math.log(self._mid / self._last_sample) * 1e4
        d = self._decay
        self._s = self._s * d + r * r
        self._w = self._w * d + 1.0
        if n > 1:
            dk = d ** min(n - 1, 1_000_000)
            self._s *= dk
            self._w = self._w * dk + (1.0 - dk) / (1.0 - d)  # + sum of d^i for i < n-1
        self._last_sample = self._mid
        self._grid_i = last

    def value_at(self, ts: float) -> float:
        """The value at `ts` without folding anything in (a read-only peek, e.g. for status)."""
        if self._grid_i is None:
            return self.value_bps()
        n = math.floor(ts / self._sample_s) - self._grid_i
        if n <= 0 or self._w <= 0.0:
            return self.value_bps()
        r = math.log(self._mid / self._last_sample) * 1e4
        d = self._decay
        s_ = self._s * d + r * r
        w = self._w * d + 1.0
        if n > 1:
            dk = d ** min(n - 1, 1_000_000)
            s_ *= dk
            w = w * dk + (1.0 - dk) / (1.0 - d)
        return math.sqrt(s_ / w * self._horizon_steps)

    @property
    def ready(self) -> bool:
        return self._w > 0.0

    def value_bps(self) -> float:
        """Std-dev of the mid's log return over the horizon (bps); 0 before the first grid return."""
        if self._w <= 0.0:
            return 0.0
        return math.sqrt(self._s / self._w * self._horizon_steps)


class Trend(Enum):
    NONE = "none"
    UP = "up"
    DOWN = "down"

    @property
    def code(self) -> int:
        return 1 if self is Trend.UP else (-1 if self is Trend.DOWN else 0)


# Members as module constants for the per-event paths: Python 3.11 resolves `Enum.MEMBER` ~4x slower
# than a global name.
_UP, _DOWN, _NONE = Trend.UP, Trend.DOWN, Trend.NONE


class TrendFilter:
    """Trend = mid change over `lookback_s` in bps, with hysteresis: enter at +-enter_bps, leave inside
    +-leave_bps (from UP, a change below leave_bps ends the up-trend; at or below -enter_bps it turns DOWN).

    Noise scaling (`noise_multiple` > 0): a change is a trend only when it is also that many standard
    deviations of the mid's noise over the lookback (`update(..., noise_bps=...)`). In a quiet market the
    fixed thresholds rule; in a volatile one a 12 bps move over 45 s is one sigma of noise, not a trend,
    and gating a side on it only costs fills. Both thresholds scale by the same factor (hysteresis kept).
    """

    __slots__ = ("_base_enter", "_base_leave", "_hist", "_lookback", "_noise_k", "change_bps", "enter", "leave",
                 "state")

    def __init__(self, lookback_s: float, enter_bps: float, leave_bps: float, noise_multiple: float = 0.0) -> None:
        if leave_bps > enter_bps:
            raise ValueError("leave threshold must be <= enter threshold")
        if noise_multiple < 0:
            raise ValueError("noise multiple must be >= 0")
        self._lookback = lookback_s
        self._base_enter, self._base_leave = enter_bps, leave_bps
        self._noise_k = noise_multiple
        self.enter = enter_bps
        self.leave = leave_bps
        self._hist: deque[tuple[float, float]] = deque()  # (time, mid) at each change of mid
        self.state = Trend.NONE
        self.change_bps = 0.0

    def update(self, ts: float, mid: float, noise_bps: float = 0.0) -> Trend:
        """`noise_bps`: std-dev of the mid's change over the lookback (used only with a noise multiple)."""
        if self._noise_k > 0.0:
            floor = self._noise_k * noise_bps
            f = floor / self._base_enter if floor > self._base_enter else 1.0
            self.enter, self.leave = self._base_enter * f, self._base_leave * f
        h = self._hist
        if not h or h[-1][1] != mid:
            h.append((ts, mid))
        cutoff = ts - self._lookback
        # Keep the last change at or before the cutoff: it is the mid that held lookback_s ago.
        while len(h) >= 2 and h[1][0] <= cutoff:
            h.popleft()
        ref = h[0][1]
        self.change_bps = (mid - ref) / ref * 1e4 if ref else 0.0
        self.state = self.next_state(self.state, self.change_bps)
        return self.state

    def next_state(self, state: Trend, change: float) -> Trend:
        if state is _UP and change >= self.leave:
            return _UP
        if state is _DOWN and change <= -self.leave:
            return _DOWN
        if change >= self.enter:
            return _UP
        if change <= -self.enter:
            return _DOWN
        return _NONE


@dataclass(frozen=True, slots=True)
class MarkoutStats:
    horizon_s: float
    count: int
    mean_bps: float  # average markout: + means the mid moved our way after the fill


class Markouts:
    """Markouts of our fills: side * (mid(t + h) - fill price) / fill price, in bps, at each horizon.

    A fill's markout at horizon h uses the mid that held at t + h (the step function), settled as soon
    as an event later than t + h arrives. Keeps running sums; pending fills are bounded.
    """

    MAX_PENDING = 10_000

    def __init__(self, horizons_s: tuple[float, ...]) -> None:
        self.horizons = tuple(sorted(horizons_s))
        self._pending: deque[tuple[float, int, float, int]] = deque()  # (fill ts, sign, price, next horizon idx)
        self._sum = [0.0] * len(self.horizons)
        self._n = [0] * len(self.horizons)
        self._mid: float | None = None
        self._next_due = math.inf

    def on_fill(self, ts: float, side: Side, price: float) -> None:
        if self.horizons and price > 0:
            self._pending.append((ts, side.sign, price, 0))
            self._next_due = min(self._next_due, ts + self.horizons[0])
            if len(self._pending) > self.MAX_PENDING:
                self._pending.popleft()

    def on_time(self, ts: float, mid: float | None) -> None:
        """Settle every horizon reached strictly before `ts` with the mid that held until now, then note `mid`."""
        p = self._pending
        if p and self._mid is not None and ts > self._next_due:
            hs = self.horizons
            due = math.inf
            for _ in range(len(p)):
                t0, sign, px, idx = p.popleft()
                while idx < len(hs) and t0 + hs[idx] < ts:
                    self._sum[idx] += sign * (self._mid - px) / px * 1e4
                    self._n[idx] += 1
                    idx += 1
                if idx < len(hs):
                    p.append((t0, sign, px, idx))
                    due = min(due, t0 + hs[idx])
            self._next_due = due
        if mid is not None:
            self._mid = mid

    def stats(self) -> tuple[MarkoutStats, ...]:
        return tuple(
            MarkoutStats(h, n, (s / n) if n else 0.0) for h, n, s in zip(self.horizons, self._n, self._sum, strict=True)
        )
