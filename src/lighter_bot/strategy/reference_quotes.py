"""Reference strategies to beat: GLFT and Avellaneda–Stoikov quotes, calibrated online from the market.

Both price each side at a distance from the mid (bps) from three market parameters and one risk
preference, all in bps and seconds so they carry across prices:

* the fill intensity at distance d, lambda(d) = A exp(-kappa d): measured, as hftbacktest's GLFT
  tutorial does, from how far public trades print from the mid (a trade printing d bps away would have
  filled a quote resting at any distance up to d), decayed with `halflife_s` and refitted by least
  squares on log rates every `refit_s`;
* sigma, the mid's volatility in bps per sqrt(second) (the core's EWMA volatility);
* gamma, the risk aversion (1/bps), a preference, not a fit.

GLFT (Guéant, Lehalle, Fernandez-Tapia 2013, the closed-form approximation with xi = gamma and one
clip per quote): c1 = ln(1 + gamma/kappa) / gamma, c2 = sqrt(gamma / (2 A kappa) (1 + gamma/kappa)^(kappa/gamma + 1)),
half spread = c1 + sigma c2 / 2, skew = sigma c2 per clip of inventory q: bid at half + skew q, ask at
half - skew q.

Avellaneda–Stoikov (2008) over a rolling horizon tau: reservation shift q gamma sigma^2 tau, total
spread gamma sigma^2 tau + (2/gamma) ln(1 + gamma/kappa).

Until the intensity fit has enough trades (`calibrated`), they quote nothing.
"""

from __future__ import annotations

import math

_LN2 = math.log(2.0)
DEPTHS_BPS: tuple[float, ...] = tuple(0.5 * k for k in range(0, 41))  # 0 .. 20 bps, every 0.5 bps


class IntensityFit:
    """Decayed counts of trades reaching each depth from the mid; lambda(d) = A exp(-kappa d) by least squares."""

    def __init__(self, halflife_s: float = 600.0, refit_s: float = 5.0, min_trades: int = 30,
                 depths: tuple[float, ...] = DEPTHS_BPS) -> None:
        self.halflife = halflife_s
        self.refit_s = refit_s
        self.min_trades = min_trades
        self.depths = depths
        self.counts = [0.0] * len(depths)
        self._ts: float | None = None
        self._t0: float | None = None
        self._fit_ts = -math.inf
        self.a = 0.0  # fills per second at the mid
        self.kappa = 0.0  # 1 / bps

    def on_trade(self, ts: float, price: float, mid: float) -> None:
        if mid <= 0:
            return
        if self._t0 is None:
            self._t0 = ts
        if self._ts is not None and ts > self._ts:
            k = math.exp(-_LN2 * (ts - self._ts) / self.halflife)
            self.counts = [c * k for c in self.counts]
        self._ts = ts if self._ts is None or ts > self._ts else self._ts
        depth = abs(price - mid) / mid * 1e4 + 1e-9
        for i, d in enumerate(self.depths):
            if d > depth:
                break
            self.counts[i] += 1.0

    def fit(self, now: float) -> bool:
        """Refit A and kappa if `refit_s` has passed; True when calibrated."""
        if now - self._fit_ts < self.refit_s:
            return self.calibrated
        self._fit_ts = now
        if self._t0 is None or self.counts[0] < self.min_trades:
            return self.calibrated
        tau = self.halflife / _LN2
        window = tau * (1.0 - math.exp(-(now - self._t0) / tau)) or 1e-9
        pts = [(d, math.log(c / window)) for d, c in zip(self.depths, self.counts, strict=True) if c >= 3.0]
        if len(pts) < 3:
            return self.calibrated
        n = len(pts)
        mx = sum(d for d, _ in pts) / n
        my = sum(y for _, y in pts) / n
        sxx = sum((d - mx) ** 2 for d, _ in pts)
        slope = sum((d - mx) * (y - my) for d, y in pts) / sxx if sxx > 0 else 0.0
        if slope >= 0:  # trades do not thin out with depth: no usable fit
            return self.calibrated
        self.kappa = -slope
        self.a = math.exp(my - slope * mx)
        return True

    @property
    def calibrated(self) -> bool:
        return self.kappa > 0 and self.a > 0


def glft_distances(a: float, kappa: float, sigma: float, gamma: float, q: float) -> tuple[float, float]:
    """(bid, ask) distances from the mid in bps for `q` clips of inventory (GLFT closed form)."""
    ratio = gamma / kappa
    c1 = math.log1p(ratio) / gamma
    c2 = math.sqrt(gamma / (2.0 * a * kappa) * (1.0 + ratio) ** (1.0 / ratio + 1.0))
    half = c1 + 0.5 * sigma * c2
    skew = sigma * c2
    return half + skew * q, half - skew * q


def avellaneda_distances(kappa: float, sigma: float, gamma: float, tau_s: float, q: float) -> tuple[float, float]:
    """(bid, ask) distances from the mid in bps for `q` clips (Avellaneda–Stoikov over a horizon tau)."""
    var_t = gamma * sigma * sigma * tau_s
    half = 0.5 * var_t + math.log1p(gamma / kappa) / gamma
    shift = q * var_t
    return half + shift, half - shift
