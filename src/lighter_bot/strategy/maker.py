"""The maker: from mid, volatility, trend, inventory and the PnL guard to the two quotes we want resting.

Widths are FULL widths in bps (each side sits half of it from the reservation price), as in the
operator's config: the volatility band (min_spread_bps in calm -> max_spread_bps in high volatility;
`spread_bps` when the band is off) + the trend extra while trending + the PnL guard's extra. The
reservation price is the fair value (strategy/fair_value.py; the mid when it has no coefficients)
shifted against the inventory (skew). With the edge model on, the core instead hands over a distance
per side chosen by expected edge (strategy/edge_model.py, within the band), the inventory cost already
counted in that choice, and a side the model finds no edge on is not quoted. Sizes follow the volatility
multiplier and the PnL guard, then the exchange minimums. Side gating: a trend stops the side that
trades into it (ask in an up-trend, bid in a down-trend) unless that side reduces inventory; a
volatility pause stops quoting until volatility has recovered AND inventory is small, posting only a
reduce-only order on the reducing side meanwhile so that the inventory condition can be met.
"""

from __future__ import annotations

from typing import NamedTuple

from lighter_bot.config import MakerConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Side
from lighter_bot.strategy.quoting import QuoteIntent, SizeRules, ask_ticks, bid_ticks
from lighter_bot.strategy.signals import Trend


class MakerDecision(NamedTuple):
    bid: QuoteIntent | None
    ask: QuoteIntent | None
    width_bps: float  # full width quoted (0 when nothing is computed)
    fair_ticks: float  # reservation price
    size_multiplier: float  # volatility x PnL-guard multiplier applied to maker.size
    paused: bool  # volatility pause in force
    notes: tuple[str, ...]  # why a side is missing or reduced

    @property
    def settled(self) -> bool:
        """The maker decided what to quote: a side, or a pause, or neither side with the reason said (the
        edge model finding no edge: the shipped config's normal state on real markets). /health's
        quotes_fresh counts these; a stuck loop decides nothing at all."""
        return self.paused or self.bid is not None or self.ask is not None or bool(self.notes)


def band_factor(vol_bps: float, low: float, high: float) -> float:
    """0 at or below `low`, 1 at or above `high`, linear between."""
    if vol_bps <= low:
        return 0.0
    if vol_bps >= high or high <= low:
        return 1.0
    return (vol_bps - low) / (high - low)


class Maker:
    """Stateful only in the volatility pause (hysteresis); everything else is a function of its inputs."""

    def __init__(self, cfg: MakerConfig, market: MarketSpec) -> None:
        self.cfg = cfg
        self.market = market
        self.sizes = SizeRules(market, cfg.exchange_min_size, cfg.exchange_min_notional)
        self.paused = False
        self._scale = float(market.size_scale)
        self._memo_key: tuple[object, ...] | None = None
        self._memo: MakerDecision | None = None
        # Hot-path copies of the config (attribute chains on the pydantic models cost more than the math).
        v, t = cfg.volatility, cfg.trend
        self._band = v.enabled
        self._vlow, self._vhigh = v.low_bps, v.high_bps
        self._wmin, self._wspan = v.min_spread_bps, v.max_spread_bps - v.min_spread_bps
        self._mmax, self._mspan = v.max_size_multiplier, v.max_size_multiplier - v.min_size_multiplier
        self._trend_on, self._gate = t.enabled, t.enabled and t.gate_sides
        self._trend_extra = t.extra_spread_bps
        self._soft_cap, self._skew = cfg.inventory_soft_cap, cfg.inventory_skew_bps / 1e4
        self._size, self._size_min, self._size_max = cfg.size, cfg.size_min, cfg.size_max

    def width_bps(self, vol_bps: float, trend: Trend, guard_extra_bps: float) -> float:
        if self._band:
            w = self._wmin + self._wspan * band_factor(vol_bps, self._vlow, self._vhigh)
        else:
            w = self.cfg.spread_bps
        if self._trend_on and trend is not Trend.NONE:
            w += self._trend_extra
        return w + guard_extra_bps

    def size_multiplier(self, vol_bps: float, guard_size_mult: float) -> float:
        m = 1.0
        if self._band:
            m = self._mmax - self._mspan * band_factor(vol_bps, self._vlow, self._vhigh)
        return m * guard_size_mult

    def update_pause(self, vol_bps: float, position_lots: int) -> bool:
        """Pause at vol >= pause threshold; resume only when vol <= resume threshold AND |inventory| is below
        resume_inventory_ratio x soft cap (or as flat as the exchange minimum allows: no order could
        bring it closer to zero)."""
        v = self.cfg.volatility
        if not v.enabled:
            self.paused = False
            return False
        if not self.paused:
            if vol_bps >= v.pause_threshold_bps:
                self.paused = True
        elif vol_bps <= v.resume_threshold_bps and self._inventory_ok(position_lots):
            self.paused = False
        return self.paused

    def _inventory_ok(self, position_lots: int) -> bool:
        inv = abs(position_lots) / self._scale
        return inv < self.cfg.volatility.resume_inventory_ratio * self.cfg.inventory_soft_cap or position_lots == 0

    def decide(
        self,
        mid2: int,
        book: BookView,
        position_lots: int,
        vol_bps: float,
        trend: Trend,
        guard_extra_bps: float = 0.0,
        guard_size_mult: float = 1.0,
        fair_ticks: float | None = None,
        distances: tuple[float | None, float | None] | None = None,
    ) -> MakerDecision:
        """`fair_ticks`: the fair value (None: the mid). `distances`: per side (bid, ask) bps from the fair
        value chosen by the edge model, None = that side has no edge (None for both: the band decides)."""
        # Same inputs (and pause state) => same decision: most events move nothing the maker reads.
        key = (mid2, book.best_bid, book.best_ask, position_lots, vol_bps, trend, guard_extra_bps, guard_size_mult,
               self.paused, fair_ticks, distances)
        if key == self._memo_key and self._memo is not None:
            return self._memo
        d = self._decide(mid2, book, position_lots, vol_bps, trend, guard_extra_bps, guard_size_mult, fair_ticks,
                         distances)
        self._memo_key, self._memo = key, d
        return d

    def _decide(
        self,
        mid2: int,
        book: BookView,
        position_lots: int,
        vol_bps: float,
        trend: Trend,
        guard_extra_bps: float,
        guard_size_mult: float,
        fair_ticks: float | None = None,
        distances: tuple[float | None, float | None] | None = None,
    ) -> MakerDecision:
        paused = self.update_pause(vol_bps, position_lots)
        width = self.width_bps(vol_bps, trend, guard_extra_bps)
        mult = self.size_multiplier(vol_bps, guard_size_mult)
        base = mid2 / 2.0 if fair_ticks is None else fair_ticks
        notes: list[str] = []
        if distances is None:
            ratio = position_lots / self._scale / self._soft_cap
            ratio = -1.0 if ratio < -1.0 else (1.0 if ratio > 1.0 else ratio)
            fair = base * (1.0 - ratio * self._skew)  # long -> lower prices (skew opposes inventory)
            off_bid = off_ask = width / 2e4
        else:  # the edge model chose each side's distance, inventory cost included
            fair = base
            off_bid = off_ask = 0.0
            if distances[0] is None:
                notes.append("placement: no bid worth quoting (no edge, or the model is not calibrated yet)")
            else:
                off_bid = distances[0] / 1e4
            if distances[1] is None:
                notes.append("placement: no ask worth quoting (no edge, or the model is not calibrated yet)")
            else:
                off_ask = distances[1] / 1e4
        reducing = Side.reducing(position_lots)
        want_bid = distances is None or distances[0] is not None
        want_ask = distances is None or distances[1] is not None
        ro_bid = ro_ask = False
        if paused:
            want_bid = want_ask = False
            notes.append("volatility pause")
            off_bid = off_ask = width / 2e4
            if not self._inventory_ok(position_lots):
                # Unwind passively so the resume rule's inventory condition can be met.
                if reducing is Side.BID:
                    want_bid = ro_bid = True
                elif reducing is Side.ASK:
                    want_ask = ro_ask = True
        elif self._gate and trend is not Trend.NONE:
            gated = Side.ASK if trend is Trend.UP else Side.BID
            if reducing is gated:
                notes.append(f"trend {trend.value}: {gated.value} reduce-only")
            else:
                notes.append(f"trend {trend.value}: {gated.value} gated")
            if gated is Side.ASK:
                want_ask, ro_ask = want_ask and reducing is Side.ASK, True
            else:
                want_bid, ro_bid = want_bid and reducing is Side.BID, True
        if self.cfg.dry_run:
            notes.append("maker dry run")
        size_units = self._size * mult
        bid = ask = None
        if want_bid:
            px = bid_ticks(fair * (1.0 - off_bid), book)
            if px is not None:
                bid = QuoteIntent(Side.BID, px, self._lots(size_units, px, ro_bid, position_lots), ro_bid)
        if want_ask:
            px = ask_ticks(fair * (1.0 + off_ask), book)
            if px is not None:
                ask = QuoteIntent(Side.ASK, px, self._lots(size_units, px, ro_ask, position_lots), ro_ask)
        if bid is not None and ask is not None and bid.price >= ask.price:  # cannot happen with width > 0
            bid = ask = None
            notes.append("bid >= ask")
        return MakerDecision(bid, ask, width, fair, mult, paused, tuple(notes))

    def _lots(self, size_units: float, px: int, reduce_only: bool, position_lots: int) -> int:
        lots = self.sizes.quote_lots(size_units, self._size_min, self._size_max, px)
        if reduce_only:
            # Never more than the position when the exchange minimum allows it (the venue trims the rest).
            lots = max(min(lots, abs(position_lots)), self.sizes.floor_lots(px))
        return lots
