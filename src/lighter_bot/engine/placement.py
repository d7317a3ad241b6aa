"""Where the quotes go beyond the operator's band: the fair value they centre on, the distances the
edge model (maker.edge) or a reference model (maker.model glft / avellaneda) chooses, and what the
edge placement reports.

The engine core feeds it the events it reads and asks it once per decision; it owns the fair value,
the edge model and the intensity fit, so the core stays the order of the decision steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lighter_bot.config import BotConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.orders import Side
from lighter_bot.strategy.edge_model import Edge, EdgeModel
from lighter_bot.strategy.fair_value import FairValue
from lighter_bot.strategy.reference_quotes import IntensityFit, avellaneda_distances, glft_distances

__all__ = ["EdgeSideStatus", "Placement"]

Distances = tuple[float | None, float | None]


@dataclass(frozen=True, slots=True)
class EdgeSideStatus:
    """One side of the placement by expected edge: where it quotes and how our fills compare."""

    side: Side
    distance_bps: float | None  # chosen distance from the fair value (None: no distance worth quoting)
    expected_bps: float | None  # expected edge of a fill there, inventory cost included
    live_fills: float  # our matured quote fills the live check has seen (decayed count)
    live_gap_bps: float  # their markout minus what the model expected (< 0: worse than the model)


class Placement:
    def __init__(self, config: BotConfig, size_scale: int) -> None:
        mk = config.maker
        fv, ed, ref = mk.fair_value, mk.edge, mk.reference
        self._maker = mk
        self._size_scale = size_scale
        self.fair_value = FairValue({str(k): v for k, v in fv.coefficients.items()}, fv.depth_levels,
                                    fv.flow_halflife_seconds, fv.max_shift_bps)
        # A quote lands one entry delay after it is priced (Standard's 200 ms speed bump).
        self.edge = EdgeModel(ed.horizon_seconds, ed.halflife_seconds, 0.2 if config.api.tier == "standard" else 0.0,
                              ed.min_events, ed.z)
        self.model = mk.model
        self.edge_places = ed.enabled and mk.model == "band"
        self.active = ed.enabled or mk.model != "band"  # else the band places, distances() is not asked
        self._edge_max = ed.max_distance_bps
        self._edge_last: dict[Side, Edge | None] = {}  # the last placement per side (status, metrics)
        self.intensity = IntensityFit(ref.intensity_halflife_seconds, ref.refit_seconds, ref.min_trades)
        self.fair_ticks: float | None = None  # the fair value in force (ticks), None before a two-sided book

    # -- what it reads ---------------------------------------------------------------------------
    def on_book(self, ts: float, book: BookView) -> None:
        m2 = book.mid2
        if m2 is None:
            self.fair_ticks = None
            return
        if self.fair_value.active:  # without coefficients fair() is the mid, whatever the features
            self.fair_value.on_book(ts, book)
        self.fair_ticks = self.fair_value.fair(m2 / 2.0)
        self.edge.on_fair(ts, self.fair_ticks, m2 / 2.0, book.bids[0][0], book.asks[0][0])

    def on_trade(self, ts: float, price: int, size: int, buy: bool, book: BookView) -> None:
        if self.fair_value.active:
            self.fair_value.on_trade(ts, price, size, buy)
        self.edge.on_trade(ts, float(price), buy)
        if self.model != "band":  # the book's mid only for the reference models' intensity fit
            mid2 = book.mid2
            if mid2 is not None:
                self.intensity.on_trade(ts, float(price), mid2 / 2.0)

    def on_own_quote_fill(self, ts: float, side: Side, price: int) -> None:
        self.edge.on_own_fill(ts, side, float(price))

    # -- what it decides -------------------------------------------------------------------------
    def fair_for_maker(self) -> float | None:
        """The fair value the maker centres on; None: the mid (no coefficients)."""
        return self.fair_ticks if self.fair_value.active else None

    def distances(self, now: float, pos: int, vol_bps: float, width_bps: float) -> Distances:
        """Per side, the distance (bps) to quote at while `active` (None: that side is not worth quoting);
        `width_bps` is the band's full width, the edge placement's nearest distance being half of it."""
        if self.model != "band":
            return self._reference_distances(now, pos, vol_bps)
        return self._edge_distances(now, pos, width_bps)

    def _edge_distances(self, now: float, pos: int, width_bps: float) -> Distances:
        """Per side, the distance from the fair value with the best expected edge x fill rate between the
        band's half width and edge.max_distance_bps; a fill that adds inventory pays the skew, one that
        reduces it earns it (GLFT-style penalty, the maker's inventory_skew_bps at the soft cap)."""
        mk = self._maker
        ratio = pos / self._size_scale / mk.inventory_soft_cap
        ratio = -1.0 if ratio < -1.0 else (1.0 if ratio > 1.0 else ratio)
        pen = ratio * mk.inventory_skew_bps
        lo = width_bps / 2
        hi = self._edge_max if self._edge_max > lo else lo
        b = self.edge.best(Side.BID, now, lo, hi, pen)
        a = self.edge.best(Side.ASK, now, lo, hi, -pen)
        self._edge_last[Side.BID], self._edge_last[Side.ASK] = b, a
        return (None if b is None else b.distance_bps, None if a is None else a.distance_bps)

    def _reference_distances(self, now: float, pos: int, vol_bps: float) -> Distances:
        """GLFT / Avellaneda–Stoikov distances from the mid (maker.model), inventory in clips of maker.size."""
        mk = self._maker
        fit = self.intensity
        if not fit.fit(now):
            return None, None
        sigma = vol_bps / math.sqrt(mk.volatility.horizon_seconds)  # bps per sqrt(second)
        q = pos / self._size_scale / mk.size
        ref = mk.reference
        if self.model == "glft":
            return glft_distances(fit.a, fit.kappa, sigma, ref.gamma, q)
        return avellaneda_distances(fit.kappa, sigma, ref.gamma, ref.horizon_seconds, q)

    def edge_status(self) -> tuple[EdgeSideStatus, ...]:
        if not self.edge_places:
            return ()
        out = []
        for side in (Side.BID, Side.ASK):
            e = self._edge_last.get(side)
            g = self.edge.live_gap(side)
            out.append(EdgeSideStatus(side, None if e is None else e.distance_bps, None if e is None else e.edge_bps,
                                      g.fills, g.gap_bps))
        return tuple(out)
