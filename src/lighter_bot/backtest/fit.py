"""Fit the fair value's coefficients to a recording (`lighter-bot fit`), judged out of sample.

The features are the strategy's own (strategy/fair_value.py), computed from the market data the bot
would see (run through the simulator with the tier's delays), sampled every `sample_s`; the target is
the mid's move over `horizon_s` (bps). A ridge regression without intercept (a drift term would fit
the recording's trend, which says nothing about the next day) is fitted on the first
`train_fraction` of the recording's time and scored on the rest: the R² printed is out of sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lighter_bot.backtest.runner import run_backtest
from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import BookUpdate, Event, MarketTrade
from lighter_bot.domain.orders import Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.strategy.fair_value import FEATURES, FairValue
from lighter_bot.venues.sim.exchange import SimExchange

FIT_HORIZON_S = 1.2  # Standard's 0.2 s entry delay + 1 s the quote must hold


class FeatureCore:
    """Watches the market like the engine core does (same FairValue code) and places nothing."""

    def __init__(self, sample_s: float, depth_levels: int = 5, flow_halflife_s: float = 2.0) -> None:
        self.fv = FairValue({}, depth_levels, flow_halflife_s)
        self.sample_s = sample_s
        self._next = -math.inf
        self.t: list[float] = []
        self.mid: list[float] = []
        self.x: list[tuple[float, ...]] = []

    def on_event(self, event: Event) -> list[Command]:
        if isinstance(event, BookUpdate):
            m2 = event.book.mid2
            if m2 is not None and not event.book.crossed:
                self.fv.on_book(event.ts, event.book)
                if event.ts >= self._next:
                    self._next = event.ts + self.sample_s
                    self.t.append(event.ts)
                    self.mid.append(m2 / 2.0)
                    self.x.append(self.fv.features())
        elif isinstance(event, MarketTrade):
            self.fv.on_trade(event.ts, event.price, event.size, event.taker_side is Side.BID)
        return []

    def drain_fills(self) -> list[object]:
        return []


@dataclass(frozen=True)
class Sample:
    t: np.ndarray
    mid: np.ndarray
    x: np.ndarray  # rows x len(FEATURES)


def sample_features(exchange: SimExchange, sample_s: float = 0.1, depth_levels: int = 5,
                    flow_halflife_s: float = 2.0) -> Sample:
    core = FeatureCore(sample_s, depth_levels, flow_halflife_s)
    run_backtest(exchange, core, SimClock())
    x = np.asarray(core.x, dtype=np.float64).reshape(-1, len(FEATURES))
    return Sample(np.asarray(core.t, dtype=np.float64), np.asarray(core.mid, dtype=np.float64), x)


def future_moves(t: np.ndarray, mid: np.ndarray, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(mid move over the horizon in bps, mask of samples whose horizon ends inside the data)."""
    if not len(t):
        return np.zeros(0), np.zeros(0, dtype=bool)
    j = np.searchsorted(t, t + horizon_s, side="right") - 1
    return (mid[j] - mid) / mid * 1e4, t + horizon_s <= t[-1]


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge without intercept; the penalty is `alpha` x the mean diagonal of X'X (scale-free)."""
    xtx = x.T @ x
    lam = alpha * float(np.trace(xtx)) / max(1, x.shape[1])
    coef: np.ndarray = np.linalg.solve(xtx + lam * np.eye(x.shape[1]), x.T @ y)
    return coef


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / ss if ss > 0 else math.nan


@dataclass(frozen=True)
class FitResult:
    coefficients: dict[str, float]
    horizon_s: float
    r2_train: float
    r2_test: float  # out of sample: the part of the recording the fit never saw
    n_train: int
    n_test: int

    def lines(self) -> list[str]:
        coefs = ", ".join(f"{k} {v:+.4f}" for k, v in self.coefficients.items())
        return [f"fair value, mid move over {self.horizon_s:g} s: {coefs}",
                f"R2 in sample {self.r2_train:.4f} ({self.n_train} samples), "
                f"out of sample {self.r2_test:.4f} ({self.n_test} samples)"]


def fit_fair_value(sample: Sample, horizon_s: float, train_fraction: float = 0.5, alpha: float = 0.01) -> FitResult:
    """Fit on the first `train_fraction` of the sample's time span, score on the rest."""
    if len(sample.t) < 20:
        raise ValueError("too little market data to fit (fewer than 20 samples of a two-sided book)")
    y, ok = future_moves(sample.t, sample.mid, horizon_s)
    cut = sample.t[0] + (sample.t[-1] - sample.t[0]) * train_fraction
    train = ok & ((sample.t < cut) if train_fraction < 1.0 else True)
    test = ok & (sample.t >= cut)
    if train.sum() < 10:
        raise ValueError("too little market data before the split to fit")
    coef = ridge(sample.x[train], y[train], alpha)
    r_in = r2(y[train], sample.x[train] @ coef)
    r_out = r2(y[test], sample.x[test] @ coef) if test.sum() >= 10 else math.nan
    return FitResult({name: round(float(c), 6) for name, c in zip(FEATURES, coef, strict=True)}, horizon_s,
                     r_in, r_out, int(train.sum()), int(test.sum()))
