"""Hedger as alpha (plan step 4): passive first, and do not pay for a cross the market no longer justifies.

Two vetoes on the hedger's cross (the hedger's own plan check covers a mid move beyond the slippage
cap; these come on top):
* spread: the book spread widened by more than `max_spread_widening_bps` since the plan was made:
  the cross would pay the widening, so it is abandoned and re-planned from the new book;
* kickback: the mid just moved against the position by >= `kickback_move_bps` within
  `kickback_lookback_seconds` (we were run over by a sweep): crossing now sells the low / buys the
  high. Instead the hedger stands down for `kickback_wait_seconds` while the maker's reducing quote,
  the second resting tier, rests to catch the kickback (one wait per lookback). A sweep that is still
  running (the mid makes a new extreme against the position) extends the wait to `kickback_wait_seconds`
  past that extreme, up to `kickback_max_wait_seconds` from its start: crossing mid-sweep sells the low.
  Meanwhile the reducing quote (the second resting tier) rests no closer than `kickback_retrace_ratio`
  of the sweep back from its extreme, so the kickback's own sweep does not take the inventory at the
  start of the rebound (`kickback_tier`); only after a sweep of `kickback_tier_sigma_multiple` standard
  deviations of the mid's noise over the lookback: in a market that is merely volatile, 10 bps in 20 s
  is an ordinary swing, no kickback follows, and holding the reducing quote back only keeps inventory.
  Never while |position| is at or above `kickback_max_inventory_ratio` of the hard cap: then the hedge
  goes through.

Patience (`patient_passive_seconds`): a cross pays the half spread plus slippage for certainty, which is
worth it when something runs against the position (a trend against it, or a position near the cap).
Otherwise the market is noise around the mid and the passive hedge, resting inside the spread, earns
instead of paying; so it rests longer before the hedger crosses.

And a resting exit tier (`trend_exit_tier`): while the trend filter says the market is trending
against the position (slow drift, not a sweep: no kickback is coming), the reducing quote moves to
the touch (one tick inside it when the spread allows), so noise flow takes the inventory off at
about the mid instead of letting it bleed along the trend: only while the mid is still drifting
against us (at least `exit_min_move_bps` within the lookback) and not after a sweep (a move of
`kickback_move_bps`), where the kickback is the better exit.
"""

from __future__ import annotations

import math
from collections import deque

from lighter_bot.config import HedgeAlphaConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.orders import Side
from lighter_bot.strategy.quoting import QuoteIntent
from lighter_bot.strategy.signals import EwmaVolatility


def spread_bps(book: BookView) -> float | None:
    bb, ba = book.best_bid, book.best_ask
    if bb is None or ba is None or bb <= 0:
        return None
    return (ba - bb) / ((ba + bb) / 2.0) * 1e4


def repriced(desired: dict[Side, QuoteIntent | None], side: Side, px: int) -> dict[Side, QuoteIntent | None]:
    """`desired` with the quote on `side` (present) moved to `px`, size and flags kept."""
    q = desired[side]
    assert q is not None
    out = dict(desired)
    out[side] = QuoteIntent(side, px, q.size, q.reduce_only)
    return out


class HedgeAlpha:
    def __init__(self, cfg: HedgeAlphaConfig, max_position_lots: int, prior_noise_bps: float = 0.0) -> None:
        """`prior_noise_bps`: the noise over the lookback assumed before any mid is seen (a calm market's)."""
        self.cfg = cfg
        # The mid's noise over the kickback lookback: is a sweep a crash or an ordinary swing?
        self.noise = EwmaVolatility(cfg.kickback_noise_halflife_seconds, cfg.kickback_lookback_seconds,
                                    prior_bps=prior_noise_bps)
        self._tier_armed = False
        self.max_position_lots = max_position_lots
        self._mids: deque[tuple[float, float]] = deque()  # (ts, mid) on a 1 s grid
        self._plan_key: object = None
        self._plan_spread: float | None = None
        self.hold_until = -math.inf
        self._wait_sign = 0  # +1: waiting with a long (lower mids are against it), -1: with a short
        self._wait_extreme = 0.0  # the worst mid since the wait began
        self._wait_best = 0.0  # the best mid since that extreme (the kickback so far)
        self._wait_origin = 0.0  # where the sweep started (the best mid of the lookback at the wait's start)
        self.kickback_tier_quotes = 0
        self._wait_cap = -math.inf  # the wait never runs past this
        self.abandoned_spread = 0
        self.kickback_waits = 0
        self.exit_tier_quotes = 0

    def on_mid(self, ts: float, mid: float) -> None:
        if self.cfg.enabled and self.cfg.kickback_retrace_ratio > 0:
            self.noise.update(ts, mid)
        m = self._mids
        if not m or ts - m[-1][0] >= 1.0:
            m.append((ts, mid))
        if self._wait_sign and ts < self.hold_until:
            # The sweep goes on (a new extreme against us), or the kickback does (a new best since the
            # extreme): either restarts the wait's clock.
            sign = self._wait_sign
            if (mid - self._wait_extreme) * sign < 0:
                self._wait_extreme = self._wait_best = mid
                self.hold_until = min(ts + self.cfg.kickback_wait_seconds, self._wait_cap)
                self._arm_tier(ts)
            elif (mid - self._wait_best) * sign / self._wait_best * 1e4 >= self.cfg.exit_min_move_bps:
                self._wait_best = mid
                self.hold_until = min(ts + self.cfg.kickback_wait_seconds, self._wait_cap)
        cutoff = ts - self.cfg.kickback_lookback_seconds
        while len(m) > 1 and m[0][0] < cutoff:
            m.popleft()

    def big(self, position_lots: int) -> bool:
        return abs(position_lots) >= self.cfg.kickback_max_inventory_ratio * self.max_position_lots

    def holding(self, now: float, position_lots: int) -> bool:
        """The hedger must stand down (a kickback wait is in force and the position is not too big)."""
        return self.cfg.enabled and now < self.hold_until and not self.big(position_lots)

    def move_against_bps(self, position_lots: int, mid: float) -> float:
        """How far the mid moved against the position over the lookback (bps; <= 0 when it did not)."""
        if not self._mids or position_lots == 0:
            return 0.0
        worst = max(x for _, x in self._mids) if position_lots > 0 else min(x for _, x in self._mids)
        if worst <= 0:
            return 0.0
        return (worst - mid) / worst * 1e4 if position_lots > 0 else (mid - worst) / worst * 1e4

    def passive_wait(self, default_s: float, position_lots: int, trend_code: int) -> float:
        """How long the hedger's passive order rests before crossing (trend_code: +1 up, -1 down, 0 none)."""
        c = self.cfg
        if not c.enabled or c.patient_passive_seconds <= default_s or self.big(position_lots):
            return default_s
        against = (position_lots > 0 and trend_code < 0) or (position_lots < 0 and trend_code > 0)
        return default_s if against else c.patient_passive_seconds

    def veto_cross(self, now: float, plan_key: object, hedge_side: Side, position_lots: int, mid2: int,
                   book: BookView) -> str | None:
        """Called while the hedger is ready to cross the plan `plan_key`; a reason when it must not."""
        c = self.cfg
        if not c.enabled:
            return None
        sp = spread_bps(book)
        if plan_key != self._plan_key:
            self._plan_key, self._plan_spread = plan_key, sp
        if sp is not None and self._plan_spread is not None and sp - self._plan_spread > c.max_spread_widening_bps:
            self.abandoned_spread += 1
            self._plan_key = None
            return f"abandoned: spread widened {sp - self._plan_spread:.1f} bps since the plan"
        # One wait per lookback: the hedge must still bring inventory back promptly if no kickback came.
        rested = now < self.hold_until + c.kickback_lookback_seconds
        if not rested and not self.big(position_lots) and \
                self.move_against_bps(position_lots, mid2 / 2.0) >= c.kickback_move_bps:
            self.kickback_waits += 1
            self.hold_until = now + c.kickback_wait_seconds
            self._wait_sign = 1 if position_lots > 0 else -1
            self._wait_extreme = self._wait_best = mid2 / 2.0
            mids = [x for _, x in self._mids]
            self._wait_origin = max(mids) if position_lots > 0 else min(mids)
            self._tier_armed = False
            self._arm_tier(now)
            self._wait_cap = now + max(c.kickback_max_wait_seconds, c.kickback_wait_seconds)
            self._plan_key = None
            return "kickback: resting for the rebound instead of crossing after a sweep"
        return None

    def _arm_tier(self, ts: float) -> None:
        """The tier rests once the sweep (so far) is a crash by the background noise's yardstick."""
        if self._tier_armed or self._wait_origin <= 0:
            return
        sweep_bps = abs(self._wait_origin - self._wait_extreme) / self._wait_origin * 1e4
        self._tier_armed = sweep_bps >= self.cfg.kickback_tier_sigma_multiple * self.noise.value_at(ts)

    def tiers_idle(self, now: float, position_lots: int, trend_code: int) -> bool:
        """Neither tier can move a quote now (exit_tier and kickback_tier would return it unchanged)."""
        c = self.cfg
        if not c.enabled:
            return True
        exit_possible = c.trend_exit_tier and position_lots != 0 and trend_code != 0 and \
            (position_lots > 0) == (trend_code < 0)
        return not exit_possible and not (self._tier_armed and c.kickback_retrace_ratio > 0 and
                                           self.holding(now, position_lots))

    def kickback_tier(self, now: float, desired: dict[Side, QuoteIntent | None], position_lots: int
                      ) -> dict[Side, QuoteIntent | None]:
        """During a kickback wait, rest the reducing quote at least `kickback_retrace_ratio` of the sweep back."""
        c = self.cfg
        sign = self._wait_sign
        if not c.enabled or c.kickback_retrace_ratio <= 0 or not self._tier_armed or \
                not self.holding(now, position_lots) or sign == 0 or (position_lots > 0) != (sign > 0):
            return desired
        side = Side.ASK if sign > 0 else Side.BID
        q = desired.get(side)
        if q is None:
            return desired
        level = self._wait_extreme + c.kickback_retrace_ratio * (self._wait_origin - self._wait_extreme)
        if side is Side.ASK:
            px = math.ceil(level)
            if px <= q.price:
                return desired
        else:
            px = math.floor(level)
            if px >= q.price:
                return desired
        self.kickback_tier_quotes += 1
        return repriced(desired, side, px)

    def exit_tier(self, desired: dict[Side, QuoteIntent | None], book: BookView, position_lots: int,
                  trend_code: int) -> dict[Side, QuoteIntent | None]:
        """Move the reducing quote to the touch while the trend (+1 up, -1 down) runs against the position."""
        if not self.cfg.enabled or not self.cfg.trend_exit_tier or position_lots == 0 or trend_code == 0:
            return desired
        if (position_lots > 0) != (trend_code < 0):
            return desired  # the trend is in our favour
        side = Side.ASK if position_lots > 0 else Side.BID
        q = desired.get(side)
        bb, ba = book.best_bid, book.best_ask
        if q is None or bb is None or ba is None:
            return desired
        move = self.move_against_bps(position_lots, (bb + ba) / 2.0)
        if move >= self.cfg.kickback_move_bps or move < self.cfg.exit_min_move_bps:
            return desired  # a sweep (a kickback is likely) or no drift right now (e.g. the rebound)
        if side is Side.ASK:
            px = ba - 1 if ba - bb > 2 else ba
            px = max(px, bb + 1)
            if px >= q.price:
                return desired
        else:
            px = bb + 1 if ba - bb > 2 else bb
            px = min(px, ba - 1)
            if px <= q.price:
                return desired
        self.exit_tier_quotes += 1
        return repriced(desired, side, px)
