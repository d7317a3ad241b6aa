"""The Positive-PnL program's hooks into the core: edge first (step 1), the self-healing guard's
engagement record (step 2), hit quality (step 3) and hedger as alpha (step 4), composed in one object
so that engine/core.py needs only a few calls. Each step has its own config switch (ablation).

Order inside a decision: the maker's band width and size get edge-first's floor and size pin (on top
of the PnL guard's), then the maker's quotes get hit quality's per-side defence, then the hedger's
cross is subject to hedge alpha's vetoes.

With placement by expected edge on (`maker.edge`, strategy/edge_model.py) two steps are re-expressed
on its basis instead of acting on top of it: edge first's width floor ("tighten only once fills prove
profitable") is the edge model's own rule (a distance is quoted only with evidence that it earns), and
hit quality's defence ("are we picked off? quote the safe side") is its live check (our own fills'
markouts against the model lower that side's expected edge until it is not quoted). Edge first's size
pin, the PnL guard and hedge alpha stay as they are.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from lighter_bot.config import BotConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.orders import Side
from lighter_bot.strategy.edge_first import EdgeFirst
from lighter_bot.strategy.fill_quality import RecentFillQuality
from lighter_bot.strategy.hedge_alpha import HedgeAlpha
from lighter_bot.strategy.hit_quality import HitQuality
from lighter_bot.strategy.quoting import QuoteIntent, SizeRules
from lighter_bot.strategy.signals import EwmaVolatility

GUARD_LOG_LIMIT = 200


@dataclass(frozen=True, slots=True)
class GuardChange:
    """One change of the self-healing guard's level (engage, step, recover), for logs and the dashboard."""

    ts: float
    level_from: int
    level_to: int
    last_slice_pnl: float | None  # USD
    extra_bps: float
    size_multiplier: float


class GuardWatch:
    """Records every level change of the PnL guard; `engagements` counts 0 -> engaged transitions."""

    def __init__(self) -> None:
        self.level = 0
        self.engagements = 0
        self.steps_up = 0
        self.steps_down = 0
        self.changes: deque[GuardChange] = deque(maxlen=GUARD_LOG_LIMIT)
        self._unread: list[GuardChange] = []

    def observe(self, ts: float, level: int, last_slice_pnl: float | None, extra_bps: float, size_mult: float) -> None:
        if level == self.level:
            return
        ch = GuardChange(ts, self.level, level, last_slice_pnl, extra_bps, size_mult)
        if self.level == 0:
            self.engagements += 1
        if level > self.level:
            self.steps_up += 1
        else:
            self.steps_down += 1
        self.level = level
        self.changes.append(ch)
        self._unread.append(ch)

    def drain(self) -> list[GuardChange]:
        """Changes since the last call (the shell logs them)."""
        out, self._unread = self._unread, []
        return out


class PnlProgram:
    def __init__(self, config: BotConfig, max_position_lots: int) -> None:
        mk = config.maker
        self.config = config
        horizons = tuple({*mk.markout_horizons_seconds, mk.edge_first.markout_horizon_seconds,
                          mk.hit_quality.markout_horizon_seconds})
        window = max(mk.edge_first.window_fills, mk.hit_quality.window_fills)
        self.quality = RecentFillQuality(horizons, window)
        v, ha = mk.volatility, config.hedger.alpha
        calm_noise = v.low_bps * math.sqrt(ha.kickback_lookback_seconds / v.horizon_seconds)
        self.edge_first = EdgeFirst(mk.edge_first)
        self.hit_quality = HitQuality(mk.hit_quality)
        # the mid's noise over hit quality's markout horizon: what a markout can swing by chance
        self.markout_noise = EwmaVolatility(mk.volatility.ema_halflife_seconds, mk.hit_quality.markout_horizon_seconds)
        self.hedge_alpha = HedgeAlpha(config.hedger.alpha, max_position_lots, calm_noise)
        self.guard_watch = GuardWatch()
        self.hedge_note = ""
        self._edge_places = mk.edge.enabled and mk.model == "band"  # see the module doc
        self._size, self._size_min = mk.size, mk.size_min

    # -- inputs ------------------------------------------------------------------------------------
    def on_fill(self, ts: float, side: Side, price: float, age_s: float | None) -> None:
        self.quality.on_fill(ts, side, price, age_s)

    def on_mid(self, ts: float, mid: float | None) -> None:
        self.quality.on_mid(ts, mid)
        if mid is not None:
            self.hedge_alpha.on_mid(ts, mid)
            self.markout_noise.update(ts, mid)

    def on_guard(self, ts: float, level: int, last_slice_pnl: float | None, extra_bps: float, size_mult: float) -> None:
        self.guard_watch.observe(ts, level, last_slice_pnl, extra_bps, size_mult)

    # -- decisions ---------------------------------------------------------------------------------
    def quote_adjustments(self, now: float, realized: float, band_width_bps: float) -> tuple[float, float]:
        """(extra full width in bps, size factor) edge first adds to the maker's band and size."""
        self.edge_first.update(now, realized, self.quality)
        if self.hit_quality.cfg.enabled:
            self.markout_noise.advance(now)
            self.hit_quality.update(now, self.quality, self.markout_noise.value_bps())
        extra = 0.0 if self._edge_places else self.edge_first.extra_bps(band_width_bps)
        return extra, self.edge_first.size_multiplier(self._size, self._size_min)

    def defend(self, now: float, bid: QuoteIntent | None, ask: QuoteIntent | None, book: BookView, mid2: int,
               position_lots: int, sizes: SizeRules, trend_code: int = 0) -> tuple[QuoteIntent | None, QuoteIntent | None]:
        """Hit quality's per-side defence, then hedge alpha's exit tier and kickback tier on the reducing side."""
        if bid is None and ask is None:
            return bid, ask
        hq = self.hit_quality
        if not (not self._edge_places and hq.any_defended(now)) and \
                self.hedge_alpha.tiers_idle(now, position_lots, trend_code):
            if not self._edge_places:
                hq.notes = ()  # what hq.apply() leaves when no side is defended
            return bid, ask  # no step changes these quotes (most decisions): skip building the per-side dicts
        out: dict[Side, QuoteIntent | None] = {Side.BID: bid, Side.ASK: ask}
        if not self._edge_places:
            out = hq.apply(now, out, book, mid2, position_lots, sizes)
        out = self.hedge_alpha.exit_tier(out, book, position_lots, trend_code)
        out = self.hedge_alpha.kickback_tier(now, out, position_lots)
        return out[Side.BID], out[Side.ASK]

    def hedge_passive_wait(self, default_s: float, position_lots: int, trend_code: int) -> float:
        """The hedger's passive wait under hedge alpha's patience rule."""
        return self.hedge_alpha.passive_wait(default_s, position_lots, trend_code)

    def hedge_veto(self, now: float, ready_to_cross: bool, plan_key: object, hedge_side: Side | None,
                   position_lots: int, mid2: int, book: BookView) -> bool:
        """True when the hedger must not step now (kickback wait, or its cross is abandoned)."""
        if self.hedge_alpha.holding(now, position_lots):
            return True
        if not ready_to_cross or hedge_side is None:
            return False
        reason = self.hedge_alpha.veto_cross(now, plan_key, hedge_side, position_lots, mid2, book)
        if reason is not None:
            self.hedge_note = reason
            return True
        return False
