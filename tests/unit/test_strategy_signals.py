"""Signals: time-aware EWMA volatility (event-rate invariant), trend hysteresis, markouts."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.domain.orders import Side
from lighter_bot.strategy.signals import EwmaVolatility, Markouts, Trend, TrendFilter


def random_path(seed: int, seconds: float, sigma_bps_per_sqrt_s: float, step: float = 0.1) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    mid, t, out = 170.0, 0.0, []
    while t < seconds:
        t = round(t + step, 6)
        mid *= math.exp(rng.gauss(0.0, sigma_bps_per_sqrt_s * math.sqrt(step)) / 1e4)
        out.append((t, mid))
    return out


def vol_of(events: list[tuple[float, float]], end: float) -> float:
    v = EwmaVolatility(45.0, 60.0, 1.0, prior_bps=6.0)
    for t, m in events:
        v.update(t, m)
    v.advance(end)
    return v.value_bps()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), extra_rate=st.integers(1, 5), jitter_seed=st.integers(0, 1000))
def test_volatility_ignores_the_event_rate(seed: int, extra_rate: int, jitter_seed: int) -> None:
    """The same mid path (a step function of time) seen through more events gives the same value."""
    path = random_path(seed, 120.0, 1.0)
    rng = random.Random(jitter_seed)
    dense: list[tuple[float, float]] = []
    prev = path[0][1]
    prev_t = 0.0
    for t, m in path:
        # repeat the previous mid at random times before this change (redundant book updates)
        for _ in range(extra_rate):
            dense.append((prev_t + (t - prev_t) * rng.random() * 0.999, prev))
        dense.sort(key=lambda e: e[0])
        dense.append((t, m))
        prev, prev_t = m, t
    dense.sort(key=lambda e: e[0])
    a, b = vol_of(path, 121.0), vol_of(dense, 121.0)
    assert abs(a - b) <= 1e-9 * max(1.0, a)


def test_volatility_measures_the_std_dev_over_the_horizon() -> None:
    sigma = 0.55  # bps per sqrt(s): the simulator's calm SOL
    vals = [vol_of(random_path(s, 900.0, sigma), 900.0) for s in range(6)]
    mean = sum(vals) / len(vals)
    expected = sigma * math.sqrt(60.0)  # ~4.3 bps over 60 s
    assert 0.8 * expected < mean < 1.2 * expected


def test_volatility_decays_with_its_half_life_when_the_market_stops() -> None:
    v = EwmaVolatility(45.0, 60.0, 1.0)
    for t, m in random_path(3, 300.0, 3.0):
        v.update(t, m)
    v.advance(300.0)
    before = v.value_bps()
    v.advance(300.0 + 45.0)  # no move for one half-life: variance halves (weights stay normalised)
    after = v.value_bps()
    assert after < before
    v.advance(300.0 + 45.0 * 20)
    assert v.value_bps() < 0.05 * before


def test_first_move_does_not_decide_alone() -> None:
    v = EwmaVolatility(45.0, 60.0, 1.0, prior_bps=6.0)
    v.update(0.0, 170.0)
    v.update(1.5, 170.0 * (1 + 2e-4))  # a 2 bps move
    v.advance(3.0)
    assert 5.0 < v.value_bps() < 12.0


def test_trend_enters_and_leaves_with_hysteresis() -> None:
    tf = TrendFilter(45.0, 12.0, 6.0)
    assert tf.update(0.0, 100.0) is Trend.NONE
    assert tf.update(10.0, 100.11) is Trend.NONE  # +11 bps
    assert tf.update(20.0, 100.12) is Trend.UP  # +12 bps: enter
    assert tf.update(30.0, 100.07) is Trend.UP  # +7 bps: still outside +-6
    assert tf.update(40.0, 100.05) is Trend.NONE  # +5 bps: inside +-6, leave
    # The reference is the mid that held 45 s ago (a step function), not the oldest event.
    tf2 = TrendFilter(45.0, 12.0, 6.0)
    tf2.update(0.0, 100.0)
    tf2.update(50.0, 100.0)
    tf2.update(60.0, 99.85)  # mid 45 s ago (t=15) was 100.0 -> -15 bps
    assert tf2.state is Trend.DOWN and abs(tf2.change_bps + 15.0) < 1e-6
    tf2.update(120.0, 99.85)  # 45 s ago (t=75) the mid was already 99.85: no change
    assert tf2.state is Trend.NONE


def test_trend_can_flip_directly() -> None:
    tf = TrendFilter(10.0, 12.0, 6.0)
    tf.update(0.0, 100.0)
    assert tf.update(5.0, 100.2) is Trend.UP
    assert tf.update(16.0, 99.9) is Trend.DOWN  # vs 100.2 held at t=6: -30 bps


def test_markouts_settle_at_each_horizon_with_the_mid_then() -> None:
    mk = Markouts((1.0, 5.0))
    mk.on_time(0.0, 100.0)
    mk.on_fill(0.5, Side.BID, 100.0)  # bought at 100
    mk.on_time(1.0, 100.1)  # mid 100.1 from t=1.0
    mk.on_time(1.6, 100.3)  # horizon 1 s (t=1.5) reached: the mid then was 100.1 -> +10 bps
    s1, s5 = mk.stats()
    assert s1.count == 1 and abs(s1.mean_bps - 10.0) < 1e-6 and s5.count == 0
    mk.on_fill(2.0, Side.ASK, 100.3)  # sold at 100.3
    mk.on_time(6.0, 100.0)  # t=5.5 (first fill, 5 s) mid was 100.3 -> +30 bps; second fill 1 s at t=3 -> 0
    s1, s5 = mk.stats()
    assert s1.count == 2 and abs(s1.mean_bps - 5.0) < 1e-6
    assert s5.count == 1 and abs(s5.mean_bps - 30.0) < 1e-6
    mk.on_time(7.5, 100.0)  # second fill at 5 s (t=7): mid 100.0, sold at 100.3 -> +29.9 bps
    s5 = mk.stats()[1]
    assert s5.count == 2 and abs(s5.mean_bps - (30.0 + 0.3 / 100.3 * 1e4) / 2) < 1e-6


def test_peeking_does_not_change_the_estimate() -> None:
    path = random_path(9, 200.0, 2.0)
    a = EwmaVolatility(45.0, 60.0, 1.0, prior_bps=6.0)
    b = EwmaVolatility(45.0, 60.0, 1.0, prior_bps=6.0)
    for t, m in path:
        a.update(t, m)
        b.update(t, m)
        peek = b.value_at(t + 3.7)
        b_copy_value = EwmaVolatility.value_at(b, t + 3.7)
        assert peek == b_copy_value
    a.advance(210.0)
    assert a.value_bps() == b.value_at(210.0)
    b.advance(210.0)
    assert a.value_bps() == b.value_bps()


def test_trend_noise_scaling_raises_the_thresholds_only_in_a_noisy_market() -> None:
    quiet = TrendFilter(45.0, 12.0, 6.0, noise_multiple=1.5)
    quiet.update(0.0, 100.0)
    assert quiet.update(20.0, 100.13, noise_bps=4.0) is Trend.UP  # 1.5 x 4 = 6 < 12: the fixed 12 bps rules
    assert (quiet.enter, quiet.leave) == (12.0, 6.0)
    noisy = TrendFilter(45.0, 12.0, 6.0, noise_multiple=1.5)
    noisy.update(0.0, 100.0)
    assert noisy.update(20.0, 100.20, noise_bps=17.0) is Trend.NONE  # +20 bps is 1.2 sigma: noise
    assert abs(noisy.enter - 25.5) < 1e-9 and abs(noisy.leave - 12.75) < 1e-9  # hysteresis keeps its ratio
    assert noisy.update(30.0, 100.30, noise_bps=17.0) is Trend.UP  # +30 bps >= 25.5
    fixed = TrendFilter(45.0, 12.0, 6.0)  # noise_multiple 0: the operator's fixed thresholds whatever the noise
    fixed.update(0.0, 100.0)
    assert fixed.update(20.0, 100.20, noise_bps=17.0) is Trend.UP


@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(0, 40)), min_size=1, max_size=40), st.floats(0.5, 3.0))
def test_a_noise_scaled_trend_is_never_entered_below_the_fixed_threshold(
    steps: list[tuple[float, float]], k: float
) -> None:
    scaled, fixed = TrendFilter(45.0, 12.0, 6.0, noise_multiple=k), TrendFilter(45.0, 12.0, 6.0)
    scaled.update(0.0, 100.0)
    fixed.update(0.0, 100.0)
    for i, (bps, noise) in enumerate(steps, start=1):
        mid = 100.0 * (1 + bps / 1e4)
        before = scaled.state
        s = scaled.update(float(i), mid, noise_bps=noise)
        fixed.update(float(i), mid, noise_bps=noise)
        assert scaled.enter >= 12.0 and scaled.leave / scaled.enter == 0.5
        if s is not Trend.NONE and s is not before:  # newly entered: the move beat both thresholds
            assert abs(scaled.change_bps) >= max(12.0, k * noise) - 1e-9
