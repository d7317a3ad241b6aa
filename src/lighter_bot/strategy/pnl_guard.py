"""PnL guard: a watchdog on realized PnL per time slice that widens quotes and trims size after losses.

Realized PnL is the average-cost figure of `domain.position` (fees included), never cash flow: the
old guard read net buying as a loss (seed-system.md 8.A.5). Slices are `window_seconds` long and
aligned to the first observation. After `trigger_consecutive` bad slices in a row (realized < 0 and <= floor:
a slice must lose money to be bad, so a floor of 0 means "went negative" and a quiet slice with no
realized PnL is not bleeding)
the guard steps up one level (+widen_bps, x size_multiplier, capped); after `clear_consecutive` good
slices (realized >= clear_above_quote, above the floor: hysteresis) it steps down one level. A slice
between the two resets both streaks.
"""

from __future__ import annotations

import math

from lighter_bot.config import PnlGuardConfig

MAX_LEVELS = 100


class PnlGuard:
    def __init__(self, cfg: PnlGuardConfig) -> None:
        self.cfg = cfg
        self.level = 0
        self.bad_streak = 0
        self.good_streak = 0
        self.last_slice_pnl: float | None = None
        self._slice_start: float | None = None
        self._realized_at_start = 0.0
        if cfg.widen_bps > 0:
            self.max_level = max(1, math.ceil(cfg.max_extra_bps / cfg.widen_bps - 1e-9))
        else:
            self.max_level = 1
        if cfg.size_multiplier < 1.0:
            # enough levels for the size factor to reach its floor as well
            steps = math.ceil(math.log(cfg.min_size_multiplier) / math.log(cfg.size_multiplier) - 1e-9)
            self.max_level = max(self.max_level, steps)
        # A tiny step (widen_bps 1e-9, size_multiplier 0.999999999) would ask for billions of levels,
        # precomputed below: the config bounds test ran out of memory on it. 2 bad slices a level, 100
        # levels is days of losses; the guard never needs more.
        self.max_level = min(self.max_level, MAX_LEVELS)
        # per level: the extra width and the size factor (read on every decision)
        self._extra = [min(lv * cfg.widen_bps, cfg.max_extra_bps) for lv in range(self.max_level + 1)]
        self._mult = [1.0] + [max(cfg.size_multiplier**lv, cfg.min_size_multiplier) for lv in range(1, self.max_level + 1)]
        self._next_close = -math.inf  # when the current slice ends (roll does nothing before)

    def roll(self, now: float, realized: float) -> None:
        """Close every slice that ended at or before `now`. `realized` must be the cumulative realized PnL
        just before anything that happened at `now` (call before folding in the event at `now`)."""
        if now < self._next_close or not self.cfg.enabled:
            return
        if self._slice_start is None:
            self._slice_start = now
            self._realized_at_start = realized
            self._next_close = now + self.cfg.window_seconds
            return
        w = self.cfg.window_seconds
        while now >= self._slice_start + w:
            self._close(realized - self._realized_at_start)
            self._slice_start += w
            self._realized_at_start = realized
        self._next_close = self._slice_start + w

    def _close(self, pnl: float) -> None:
        c = self.cfg
        self.last_slice_pnl = pnl
        if pnl < 0.0 and pnl <= c.realized_floor_quote:
            self.bad_streak += 1
            self.good_streak = 0
            if self.bad_streak >= c.trigger_consecutive:
                self.level = min(self.level + 1, self.max_level)
                self.bad_streak = 0
        elif pnl >= c.clear_above_quote:
            self.good_streak += 1
            self.bad_streak = 0
            if self.good_streak >= c.clear_consecutive and self.level > 0:
                self.level -= 1
                self.good_streak = 0
        else:
            self.bad_streak = self.good_streak = 0

    @property
    def engaged(self) -> bool:
        return self.level > 0

    @property
    def extra_bps(self) -> float:
        return self._extra[self.level]

    @property
    def size_multiplier(self) -> float:
        return self._mult[self.level]
