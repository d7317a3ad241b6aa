"""GLFT and Avellaneda–Stoikov anchors: the closed forms, and the intensity fit they are calibrated by."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.strategy.reference_quotes import IntensityFit, avellaneda_distances, glft_distances


def test_glft_closed_form_by_hand() -> None:
    a, kappa, sigma, gamma = 2.0, 0.5, 1.5, 0.1
    c1 = math.log(1 + gamma / kappa) / gamma
    c2 = math.sqrt(gamma / (2 * a * kappa) * (1 + gamma / kappa) ** (kappa / gamma + 1))
    bid, ask = glft_distances(a, kappa, sigma, gamma, 0.0)
    assert bid == ask == pytest.approx(c1 + 0.5 * sigma * c2)
    bid, ask = glft_distances(a, kappa, sigma, gamma, 2.0)
    assert bid - ask == pytest.approx(2 * 2.0 * sigma * c2)  # long: bid further, ask nearer


@given(st.floats(0.1, 10), st.floats(0.05, 5), st.floats(0.1, 5), st.floats(0.01, 1),
       st.one_of(st.floats(0.01, 5), st.floats(-5, -0.01)))
def test_inventory_skews_both_models_against_the_position(a: float, kappa: float, sigma: float, gamma: float,
                                                          q: float) -> None:
    for bid, ask in (glft_distances(a, kappa, sigma, gamma, q), avellaneda_distances(kappa, sigma, gamma, 60.0, q)):
        if q > 0:
            assert bid > ask  # long: buy less eagerly, sell more eagerly
        elif q < 0:
            assert bid < ask


def test_avellaneda_total_spread() -> None:
    bid, ask = avellaneda_distances(0.5, 1.0, 0.1, 60.0, 0.0)
    assert bid + ask == pytest.approx(0.1 * 1.0 * 60.0 + 2 / 0.1 * math.log(1 + 0.1 / 0.5))


def test_intensity_fit_recovers_a_and_kappa() -> None:
    """Trades at exponentially distributed depths, 3 per second: lambda(d) = 3 exp(-0.8 d)."""
    rng = random.Random(5)
    fit = IntensityFit(halflife_s=1e9, refit_s=0.0, min_trades=30)
    t = 0.0
    while t < 3000.0:
        t += rng.expovariate(3.0)
        depth = rng.expovariate(0.8)
        fit.on_trade(t, 100.0 * (1 + depth / 1e4 * (1 if rng.random() < 0.5 else -1)), 100.0)
    assert fit.fit(t)
    assert fit.kappa == pytest.approx(0.8, rel=0.1)
    assert fit.a == pytest.approx(3.0, rel=0.15)


def test_intensity_fit_waits_for_enough_trades() -> None:
    fit = IntensityFit(min_trades=30, refit_s=0.0)
    for k in range(10):
        fit.on_trade(float(k), 100.01, 100.0)
    assert not fit.fit(10.0)
