"""The synthetic market model: seeded, on its price grid, its measured parameters come out as set, and
its adverse-selection ingredients make a maker's fills adverse (which a random walk does not)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import pytest

from lighter_bot.backtest.calibration import measure_market
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.venues.sim.calibrate import book_trade_stats
from lighter_bot.venues.sim.market_model import MIN_TRADE_USD, MarketModel, generate
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.source import DEPTH, TRADE

BASE = MarketModel(name="base", tick_bps=0.47, spread_bps=0.5, level_gap_bps=0.5, levels=30, level_usd=50_000.0,
                   touch_usd=40_000.0, churn_per_s=1.0, touch_churn_per_s=3.0, trades_per_s=2.0, trade_usd=800.0,
                   trade_log_sigma=2.0, vol_bps=1.0)
ADVERSE = replace(BASE, name="adverse", impact_bps=0.25, flow_bias=0.5, flow_s=7.0, lag_s=2.0, informed=0.55,
                  jumps_per_h=10.0, jump_bps=2.0, jump_revert=0.5, revert_s=4.0)  # near the Hyperliquid SOL fit
RULES = STANDARD.with_(maker_fee_rate=0.0, taker_fee_rate=0.0)


def rows_of(model: MarketModel, seed: int, seconds: float) -> list[tuple[float, int, int, int, int]]:
    return list(generate(((model, 3600.0),), seed, seconds, SOL_PERP, 170.0))


@pytest.mark.parametrize("model", [BASE, ADVERSE], ids=["base", "adverse"])
def test_seeded_ordered_on_its_grid_and_within_lighter_minimums(model: MarketModel) -> None:
    a = rows_of(model, 3, 120.0)
    assert a == rows_of(model, 3, 120.0)
    assert a != rows_of(model, 4, 120.0)
    assert all(x[0] <= y[0] for x, y in itertools.pairwise(a))
    grid = round(model.tick_bps * 170.0 * SOL_PERP.price_scale / 1e4)
    assert grid == 8
    assert all(r[3] % grid == 0 for r in a if r[1] == DEPTH)  # the recording's tick carried over
    trades = [r for r in a if r[1] == TRADE]
    assert trades and all(r[4] > 0 for r in trades)
    assert min(SOL_PERP.notional(r[3], r[4]) for r in trades) >= MIN_TRADE_USD * 0.99 or any(
        r[4] < 5 for r in trades)  # takers are never below the venue minimum (a partial print may be)


@pytest.mark.parametrize("model", [BASE, ADVERSE], ids=["base", "adverse"])
def test_measured_parameters_come_out_as_set(model: MarketModel) -> None:
    """Spread, trade rate and 1 s volatility are inputs the fit sets from a recording: they must hold
    with adverse selection on too (impact and the book's lag are taken out of the diffusion)."""
    m = measure_market(model.name, rows_of(model, 5, 900.0), SOL_PERP, 170.0, RULES, 5, distances=(0.0,))
    ms, st = m.reality.market, m.stats
    assert ms.spread_median_bps == pytest.approx(model.spread_bps, rel=0.1)
    assert ms.trades_per_min / 60 == pytest.approx(model.trades_per_s, rel=0.15)
    assert ms.vol_bps_per_sqrt_s == pytest.approx(model.vol_bps, rel=0.2)
    assert st["touch_notional_median_usd"] == pytest.approx(model.touch_usd, rel=0.35)
    assert ms.trade_median_usd == pytest.approx(model.trade_usd, rel=0.35)


def test_adverse_selection_makes_fills_adverse() -> None:
    """The same market without and with the ingredients: with them the probe 1 bp from the mid loses
    clearly more 5 s after its fills (without, a fill costs about the half spread it was crossed by)."""
    quiet = measure_market("base", rows_of(BASE, 7, 900.0), SOL_PERP, 170.0, RULES, 7, distances=(1.0,))
    toxic = measure_market("adverse", rows_of(ADVERSE, 7, 900.0), SOL_PERP, 170.0, RULES, 7, distances=(1.0,))
    q, x = quiet.reality.curve(1.0), toxic.reality.curve(1.0)
    print(f"1 bp probe: markout 5 s without {q.markout_bps[5.0]:+.2f} +- {q.markout_se_bps[5.0]:.2f} "
          f"({q.fills} fills), with {x.markout_bps[5.0]:+.2f} +- {x.markout_se_bps[5.0]:.2f} ({x.fills} fills)")
    assert q.fills > 20 and x.fills > 20
    assert x.markout_bps[5.0] < q.markout_bps[5.0] - 3 * math.hypot(q.markout_se_bps[5.0], x.markout_se_bps[5.0])


def test_one_sided_flow_makes_moves_run_on() -> None:
    """Runs of one-sided flow with impact: 30 s moves outgrow 1 s moves (without: about equal)."""
    runs = replace(BASE, name="runs", impact_bps=0.3, flow_bias=0.6, flow_s=60.0)
    ratio = {}
    for m in (BASE, runs):
        st = book_trade_stats(rows_of(m, 8, 1800.0), SOL_PERP.price_scale, SOL_PERP.size_scale)
        ratio[m.name] = st["vol30_bps_per_sqrt_s"] / st["vol_bps_per_sqrt_s"]
    print(f"vol 30 s / 1 s: {ratio}")
    assert ratio["base"] < 1.2 and ratio["runs"] > 1.5


def test_a_jump_run_moves_30_s_returns_more_than_1_s_returns() -> None:
    """The same jumps at once and run over 3 s (the recordings' big moves take seconds): the run puts
    less of itself into 1 s moves, which the diffusion then keeps (the 1 s volatility stays near its
    target), and as much into 30 s moves."""
    stats = {}
    for js in (0.0, 3.0):
        m = replace(BASE, lag_s=2.0, jumps_per_h=120.0, jump_bps=6.0, jump_s=js)
        stats[js] = book_trade_stats(rows_of(m, 8, 1800.0), SOL_PERP.price_scale, SOL_PERP.size_scale)
    print({js: (round(st["vol_bps_per_sqrt_s"], 3), round(st["vol30_bps_per_sqrt_s"], 3)) for js, st in stats.items()})
    assert stats[3.0]["vol_bps_per_sqrt_s"] < stats[0.0]["vol_bps_per_sqrt_s"] - 0.1
    assert stats[3.0]["vol_bps_per_sqrt_s"] == pytest.approx(BASE.vol_bps, rel=0.2)
    assert stats[3.0]["vol30_bps_per_sqrt_s"] == pytest.approx(stats[0.0]["vol30_bps_per_sqrt_s"], rel=0.15)


def test_a_jump_of_one_step_is_the_instant_jump() -> None:
    instant = replace(ADVERSE, jump_s=0.0)
    assert rows_of(instant, 4, 300.0) == rows_of(replace(instant, jump_s=0.1), 4, 300.0)
    assert rows_of(instant, 4, 300.0) != rows_of(replace(instant, jump_s=2.0), 4, 300.0)


def test_a_crash_drops_and_rebounds() -> None:
    crash = replace(BASE, crash_bps=-150.0, crash_at_s=20.0, crash_len_s=10.0)
    prices = [r[3] for r in rows_of(crash, 2, 150.0) if r[1] == TRADE]
    assert min(prices) < 170_000 * (1 - 0.012)
    assert prices[-1] > min(prices) * 1.005  # the 60 % rebound


def test_invalid_models_are_named() -> None:
    bad = replace(BASE, spread_bps=0.0, informed=1.0, lag_s=-1.0, jump_s=-1.0)
    assert {p.split()[0] for p in bad.problems()} == {"spread_bps", "informed", "lag_s", "jump_s"}
    with pytest.raises(ValueError, match="spread_bps"):
        next(generate(((bad, 60.0),), 1, 60.0, SOL_PERP, 170.0))
    assert BASE.problems() == [] and ADVERSE.problems() == []


def test_diffusion_leaves_room_for_impact_and_jumps() -> None:
    assert BASE.diffusion_bps() == pytest.approx(BASE.vol_bps)
    lagged = replace(BASE, lag_s=1.0)
    assert lagged.diffusion_bps() == BASE.vol_bps  # a book re-centred at random times keeps F's variance
    jumpy = replace(BASE, jumps_per_h=360.0, jump_bps=1.0)  # 0.2 bps^2 a second from jumps
    assert jumpy.diffusion_bps() == pytest.approx(math.sqrt(BASE.vol_bps**2 - 0.2))
    # run over L = 3 s, a jump J adds J^2 (L - 1/3) / L^2 to the 1 s windows it overlaps; within 1 s, J^2 (1 - L/3)
    assert replace(jumpy, jump_s=3.0).jump_var_1s() == pytest.approx(0.2 * (3 - 1 / 3) / 9)
    assert replace(jumpy, jump_s=0.6).jump_var_1s() == pytest.approx(0.2 * (1 - 0.6 / 3))
    heavy = replace(BASE, impact_bps=1.0)  # impact alone would exceed the target: diffusion floored
    assert heavy.diffusion_bps() == pytest.approx(0.3 * BASE.vol_bps)
    assert math.isfinite(ADVERSE.diffusion_bps())
