"""Synthetic scenarios: fitted bases from scenario profiles, stresses on top of them, sol_day's cycle;
every name generates, is seeded and SOL-like; profiles are found, validated and round-trip."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from lighter_bot.errors import DataError
from lighter_bot.venues.sim.calibrate import book_trade_stats
from lighter_bot.venues.sim.market_model import MarketModel
from lighter_bot.venues.sim.scenarios import (
    CALM_BASE,
    SOL_BASE,
    STRESSES,
    load_profile,
    make_scenario,
    profile_model,
    profile_names,
    profile_text,
    scenario_names,
    scenario_regimes,
)
from lighter_bot.venues.sim.source import DEPTH, TRADE

REQUIRED = {"calm", "sol_base", "trend_up", "trend_down", "vol_spike", "flash_crash", "toxic", "thin_book",
            "sol_day"}


def test_all_required_scenarios_exist() -> None:
    assert set(scenario_names()) >= REQUIRED
    assert {CALM_BASE, SOL_BASE} <= set(profile_names())
    assert not set(profile_names()) & (set(STRESSES) | {"sol_day"})
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


def test_stresses_stand_on_the_calm_base_and_keep_its_adverse_selection() -> None:
    calm = profile_model(CALM_BASE)
    for name, stress in STRESSES.items():
        (regime, _), = scenario_regimes(name)
        assert regime == stress(calm) and regime.name == name
        assert regime.informed >= calm.informed and regime.impact_bps >= calm.impact_bps
        assert regime.flow_bias >= calm.flow_bias and regime.lag_s >= calm.lag_s


def test_regimes_differ_as_named() -> None:
    def stats(name: str) -> dict[str, float]:
        return book_trade_stats(make_scenario(name, 2, 600.0), 1000, 1000)

    calm, spike, thin = stats("calm"), stats("vol_spike"), stats("thin_book")
    assert spike["vol_bps_per_sqrt_s"] > 3 * calm["vol_bps_per_sqrt_s"]
    assert thin["touch_notional_median_usd"] < calm["touch_notional_median_usd"] / 5
    up = list(make_scenario("trend_up", 2, 600.0))
    down = list(make_scenario("trend_down", 2, 600.0))
    last = [r[3] for r in up if r[1] == TRADE][-1], [r[3] for r in down if r[1] == TRADE][-1]
    assert last[0] > 170_000 > last[1]
    crash = [r[3] for r in make_scenario("flash_crash", 2, 200.0) if r[1] == TRADE]
    assert min(crash) < 170_000 * (1 - 0.01)  # a drop of >1 %


def test_sol_day_cycles_the_stresses_over_its_own_base() -> None:
    cycle = scenario_regimes("sol_day")
    names = {r.name for r, _ in cycle}
    assert {"calm", "trend_up", "trend_down", "vol_spike", "toxic", "flash_crash"} <= names
    base = profile_model(SOL_BASE)
    assert all(r == replace(base, name="calm") for r, _ in cycle if r.name == "calm")


def test_a_profile_in_the_working_directory_is_a_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = replace(profile_model(CALM_BASE), spread_bps=2.0, informed=0.1)
    d = tmp_path / "profiles" / "scenarios"
    d.mkdir(parents=True)
    (d / "mine.yaml").write_text(profile_text(model, {"data": ["x.gz"]}, "a test profile\nsecond line"))
    monkeypatch.chdir(tmp_path)
    assert "mine" in scenario_names()
    loaded, fit = load_profile(d / "mine.yaml")
    assert loaded == replace(model, name="mine") and fit == {"data": ["x.gz"]}
    assert any(r[1] == TRADE for r in make_scenario("mine", 1, 60.0))
    # a working-directory profile overrides the repository's of the same name (an operator's refit)
    (d / "calm.yaml").write_text(profile_text(model, {}, "refit"))
    assert profile_model(CALM_BASE) == replace(model, name="calm")


@pytest.mark.parametrize(("text", "problem"), [
    ("model: [1, 2", "not valid YAML"),
    ("fit: {}\n", "'model' section"),
    ("model: {spread_bps: 1.0, nope: 2}\n", "unknown model parameter 'nope'"),
    ("model: {spread_bps: wide}\n", "'spread_bps' must be a finite number"),
    ("model: {spread_bps: -1}\n", "spread_bps must be > 0"),
    ("model: {informed: 1.5}\n", r"informed must be in \[0, 1\)"),
])
def test_bad_profiles_get_one_clear_error_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(DataError, match=problem) as err:
        load_profile(p)
    assert str(p) in str(err.value)


def test_profile_text_round_trips_every_parameter(tmp_path: Path) -> None:
    m = MarketModel(name="rt", tick_bps=0.5, spread_bps=0.49, levels=31, impact_bps=0.012345678, lag_s=1.5)
    p = tmp_path / "rt.yaml"
    p.write_text(profile_text(m, {"score": 1.5}, "x"))
    loaded, fit = load_profile(p)
    assert loaded == replace(m, impact_bps=0.0123457) and fit == {"score": 1.5}
