"""Synthetic scenarios: every name generates, is seeded, and matches its calibration targets."""

from __future__ import annotations

import itertools

import pytest

from lighter_bot.venues.sim.calibrate import book_trade_stats
from lighter_bot.venues.sim.scenarios import CALM, make_scenario, scenario_names, scenario_regimes
from lighter_bot.venues.sim.source import DEPTH, TRADE

REQUIRED = {"calm", "trend_up", "trend_down", "chop", "vol_spike", "flash_crash", "toxic", "thin_book", "sol_day"}


def test_all_required_scenarios_exist() -> None:
    assert set(scenario_names()) >= REQUIRED
    with pytest.raises(ValueError, match="unknown scenario"):
        scenario_regimes("nope")


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_scenario_is_seeded_ordered_and_sol_like(name: str) -> None:
    a = list(make_scenario(name, 4, 120.0))
    assert a == list(make_scenario(name, 4, 120.0))
    assert a != list(make_scenario(name, 5, 120.0))
    assert all(x[0] <= y[0] for x, y in itertools.pairwise(a))
    prices = [r[3] for r in a if r[1] in (DEPTH, TRADE)]
    assert min(prices) > 140_000 and max(prices) < 200_000  # ~170 USD at tick 0.001
    assert all(r[4] >= 0 for r in a) and any(r[1] == TRADE for r in a)


def test_calm_matches_its_calibration_within_a_factor_of_two() -> None:
    st = book_trade_stats(list(make_scenario("calm", 1, 900.0)), 1000, 1000)
    for key, target in (("spread_bps_median", CALM.spread_bps), ("vol_bps_per_sqrt_s", CALM.vol_bps),
                        ("trades_per_s", CALM.trades_per_s), ("level_gap_bps_median", CALM.level_gap_bps),
                        ("level_notional_median_usd", CALM.level_notional_usd)):
        assert target / 2 <= st[key] <= target * 2, (key, st[key], target)


def test_regimes_differ_as_named() -> None:
    def stats(name: str) -> dict[str, float]:
        return book_trade_stats(list(make_scenario(name, 2, 600.0)), 1000, 1000)

    calm, spike, thin = stats("calm"), stats("vol_spike"), stats("thin_book")
    assert spike["vol_bps_per_sqrt_s"] > 3 * calm["vol_bps_per_sqrt_s"]
    assert thin["level_notional_median_usd"] < calm["level_notional_median_usd"] / 5
    up = list(make_scenario("trend_up", 2, 600.0))
    down = list(make_scenario("trend_down", 2, 600.0))
    last = [r[3] for r in up if r[1] == TRADE][-1], [r[3] for r in down if r[1] == TRADE][-1]
    assert last[0] > 170_000 > last[1]
    crash = [r[3] for r in make_scenario("flash_crash", 2, 200.0) if r[1] == TRADE]
    assert min(crash) < 170_000 * (1 - 0.01)  # a drop of >1 %


def test_sol_day_switches_regimes() -> None:
    names = {r.name for r, _ in scenario_regimes("sol_day")}
    assert {"calm", "trend_up", "trend_down", "vol_spike", "toxic", "flash_crash"} <= names
