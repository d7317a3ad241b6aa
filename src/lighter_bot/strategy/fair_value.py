"""A fair value beyond the mid: the mid plus a linear prediction of its next move from the book and the tape.

Features (each O(1) per event, all in bps or dimensionless, so coefficients carry from one price to
another):

* `imbalance`: top-of-book size imbalance (b - a) / (b + a) times half the spread in bps. With a
  coefficient of 1 the fair value is Stoikov's micro-price (the size-weighted mid).
* `depth_imbalance`: the same over the top `depth_levels` levels, nearer levels weighing more
  (1/(k+1)), times half the spread: pressure the touch alone does not show.
* `flow`: order-flow imbalance of the tape: an EWMA (half-life `flow_halflife_seconds`) of signed
  trade notional over the EWMA of unsigned notional, in [-1, 1] (dimensionless; its coefficient is
  in bps). Buyers lifting the ask push it toward +1.
* `trade_gap`: where the last trade printed against the mid (bps), fading with the same half-life.
  Useful where trades print inside the visible spread (hidden or fleeting liquidity).

`predict_bps()` = sum of coefficient x feature, clamped to +-`max_shift_bps`; the fair value is
mid x (1 + prediction / 1e4). All-zero coefficients give exactly the mid (and the features are still
tracked, so `lighter-bot fit` can read them). The coefficients come from `lighter-bot fit`, which
regresses future mid changes on these very features (backtest/fit.py).
"""

from __future__ import annotations

import math

from lighter_bot.domain.book import BookView

FEATURES: tuple[str, ...] = ("imbalance", "depth_imbalance", "flow", "trade_gap")
_LN2 = math.log(2.0)


class FairValue:
    __slots__ = ("_coef", "_depth", "_feat", "_flow_abs", "_flow_signed", "_flow_ts", "_gap", "_gap_ts",
                 "_hl", "_max_shift", "_mid", "active")

    def __init__(self, coefficients: dict[str, float], depth_levels: int = 5, flow_halflife_s: float = 2.0,
                 max_shift_bps: float = 5.0) -> None:
        unknown = set(coefficients) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown fair-value feature(s): {', '.join(sorted(unknown))}")
        self._coef = tuple(float(coefficients.get(name, 0.0)) for name in FEATURES)
        self.active = any(c != 0.0 for c in self._coef)
        self._depth = depth_levels
        self._hl = flow_halflife_s
        self._max_shift = max_shift_bps
        self._feat = [0.0, 0.0, 0.0, 0.0]
        self._mid = 0.0
        self._flow_signed = 0.0
        self._flow_abs = 0.0
        self._flow_ts: float | None = None
        self._gap = 0.0  # bps, at _gap_ts
        self._gap_ts: float | None = None

    # -- inputs -----------------------------------------------------------------------------------
    def on_book(self, ts: float, book: BookView) -> None:
        if not book.bids or not book.asks:
            return
        (bp, bs), (ap, as_) = book.bids[0], book.asks[0]
        mid = (bp + ap) * 0.5
        if mid <= 0:
            return
        self._mid = mid
        half_bps = (ap - bp) * 0.5 / mid * 1e4
        f = self._feat
        f[0] = (bs - as_) / (bs + as_) * half_bps if bs + as_ > 0 else 0.0
        wb = wa = 0.0
        for k, (_, s) in enumerate(book.bids[: self._depth]):
            wb += s / (k + 1)
        for k, (_, s) in enumerate(book.asks[: self._depth]):
            wa += s / (k + 1)
        f[1] = (wb - wa) / (wb + wa) * half_bps if wb + wa > 0 else 0.0
        self._fade(ts)

    def on_trade(self, ts: float, price: int, size: int, buyer_initiated: bool) -> None:
        self._fade(ts)
        notional = price * size
        self._flow_signed += notional if buyer_initiated else -notional
        self._flow_abs += notional
        if self._mid > 0:
            self._gap = (price - self._mid) / self._mid * 1e4
            self._gap_ts = ts
        self._fade(ts)

    def _fade(self, ts: float) -> None:
        """Bring the decaying tape features to time `ts`."""
        f = self._feat
        if self._flow_ts is not None and ts > self._flow_ts:
            k = math.exp(-_LN2 * (ts - self._flow_ts) / self._hl)
            self._flow_signed *= k
            self._flow_abs *= k
        if self._flow_ts is None or ts > self._flow_ts:
            self._flow_ts = ts
        f[2] = self._flow_signed / self._flow_abs if self._flow_abs > 0 else 0.0
        if self._gap_ts is not None:
            f[3] = self._gap * math.exp(-_LN2 * max(0.0, ts - self._gap_ts) / self._hl)

    # -- outputs ----------------------------------------------------------------------------------
    def features(self) -> tuple[float, ...]:
        return tuple(self._feat)

    def predict_bps(self) -> float:
        if not self.active:
            return 0.0
        c, f = self._coef, self._feat
        p = c[0] * f[0] + c[1] * f[1] + c[2] * f[2] + c[3] * f[3]
        m = self._max_shift
        return m if p > m else (-m if p < -m else p)

    def fair(self, mid: float) -> float:
        """The fair value for a mid (same unit as `mid`); exactly `mid` when every coefficient is 0."""
        return mid * (1.0 + self.predict_bps() / 1e4) if self.active else mid
