"""Edge first (plan step 1): the volatility band may tighten only while recent fills are profitable by
markout, and clips stay at the minimum until realized PnL has held >= 0 for `proof_seconds`.

Until the recent mean markout (at `markout_horizon_seconds`, over the last `window_fills` fills, at
least `min_fills` of them) is >= `tighten_above_bps`, the quoted width may not go below
`floor_spread_bps`: `extra_bps()` is what must be added to the band's width to respect that floor.
The size proof restarts whenever cumulative realized PnL dips below zero.
"""

from __future__ import annotations

from lighter_bot.config import EdgeFirstConfig
from lighter_bot.strategy.fill_quality import RecentFillQuality


class EdgeFirst:
    def __init__(self, cfg: EdgeFirstConfig) -> None:
        self.cfg = cfg
        self._nonneg_since: float | None = None
        self.tighten_allowed = False
        self.proven = False
        self._seen: tuple[RecentFillQuality, int] | None = None  # (quality, version) tighten_allowed is from
        # read on every decision
        self._enabled, self._pin = cfg.enabled, cfg.enabled and cfg.min_size_until_proven
        self._floor, self._proof_s = cfg.floor_spread_bps, cfg.proof_seconds

    def update(self, now: float, realized: float, quality: RecentFillQuality) -> None:
        if realized >= 0.0:
            if self._nonneg_since is None:
                self._nonneg_since = now
        else:
            self._nonneg_since = None
        self.proven = self._nonneg_since is not None and now - self._nonneg_since >= self._proof_s
        seen = self._seen
        if seen is None or seen[0] is not quality or seen[1] != quality.version:  # the markouts changed
            self._seen = (quality, quality.version)
            c = self.cfg
            mean, n = quality.markout(None, c.markout_horizon_seconds)
            self.tighten_allowed = n >= c.min_fills and mean >= c.tighten_above_bps

    def extra_bps(self, band_width_bps: float) -> float:
        """Width to add so the quoted width is not below the floor while tightening is not earned."""
        if not self._enabled or self.tighten_allowed:
            return 0.0
        return max(0.0, self._floor - band_width_bps)

    def size_multiplier(self, size: float, size_min: float) -> float:
        """Factor on maker.size that pins clips to maker.size_min until the proof holds."""
        if not self._pin or self.proven or size <= 0:
            return 1.0
        return min(1.0, size_min / size)
