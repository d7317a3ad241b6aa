"""The fit holds (issue 12, "Done when"): each committed scenario profile, regenerated with a seed it was
not fitted with, meets the recording it was fitted to: fill rates within a factor 2 at every probe
distance where the recording has at least MIN_FILLS fills, and 5 s and 30 s markouts within 1 bp where,
in addition, the recording's own standard error is at most MAX_SE_BPS (a 1-bp test of a mean known
to +-1.8 bp, e.g. 40 fills 30 s out, would test noise: such cells are printed and left out, said so).
Out of sample, `calm` (fitted to Hyperliquid BTC) meets Binance's BTCUSDT recording under the same
rules (the one clean recording of the kind no fit used; there is no other SOL recording long enough).
And `lighter-bot calibrate` works end to end on a short recording with a tiny budget: it writes a
profile that reality and backtest accept by name."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lighter_bot.backtest.calibration import (
    BAR_MARKOUT_BPS,
    BAR_RATE,
    FIT_HORIZONS,
    MAX_SE_BPS,
    MIN_FILLS,
    measure_market,
)
from lighter_bot.backtest.reality import TOUCH, Reality
from lighter_bot.cli.app import app
from lighter_bot.cli.calibrate import load_recording
from lighter_bot.config.bot import SimConfig
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.venues.sim.rules import VenueRules, tier_rules
from lighter_bot.venues.sim.scenarios import CALM_BASE, SOL_BASE, load_profile, make_scenario, profile_path

pytestmark = pytest.mark.shared
CHECK_S = 3600.0  # synthetic seconds regenerated for the check (its own standard errors stay well under 1 bp)


def _label(d: float) -> str:
    return "touch" if d == TOUCH else f"{d:g} bp"


def fit_table(rec: Reality, syn: Reality) -> tuple[list[str], list[str]]:
    """(printed lines, failures) comparing the scenario with its recording distance by distance."""
    lines = [f"{'distance':>9} {'fills/h rec':>12} {'scenario':>8} {'ratio':>6}  "
             + "  ".join(f"{'mo ' + format(h, 'g') + 's rec':>14} {'scenario':>12} {'diff':>6}" for h in FIT_HORIZONS)]
    bad: list[str] = []
    for c in rec.curves:
        f = syn.curve(c.distance_bps)
        ratio = f.fills_per_hour / c.fills_per_hour if c.fills_per_hour > 0 else math.inf
        row = f"{_label(c.distance_bps):>9} {c.fills_per_hour:12.1f} {f.fills_per_hour:8.1f} {ratio:6.2f}  "
        if c.fills < MIN_FILLS:
            lines.append(row + f"(recording: {c.fills} fills < {MIN_FILLS}, not compared)")
            continue
        if not 1 / BAR_RATE <= ratio <= BAR_RATE:
            bad.append(f"{_label(c.distance_bps)} fill rate x{ratio:.2f}")
        cells = []
        for h in FIT_HORIZONS:
            mr, se = c.markout_bps[h], c.markout_se_bps[h]
            mf, sf = f.markout_bps.get(h, math.nan), f.markout_se_bps.get(h, math.nan)
            diff = mf - mr
            held = se <= MAX_SE_BPS
            cells.append(f"{mr:+7.2f} ±{se:4.2f} {mf:+7.2f} ±{sf:4.2f} {diff:+6.2f}{'' if held else ' (SE>0.5: not held)'}")
            if held and not abs(diff) <= BAR_MARKOUT_BPS:
                bad.append(f"{_label(c.distance_bps)} markout {h:g}s off by {diff:+.2f} bp")
        lines.append(row + "  ".join(cells))
    return lines, bad


@pytest.mark.parametrize("name", [CALM_BASE, SOL_BASE])
def test_a_committed_profile_meets_its_recording(name: str, shared_dir: Path) -> None:
    path = profile_path(name)
    assert path is not None
    _, fit = load_profile(path)
    files = [str(shared_dir / f.split("../shared/", 1)[1]) if f.startswith("../shared/") else f for f in fit["data"]]
    if not all(Path(f).is_file() for f in files):
        pytest.skip(f"{name}: recording not found ({', '.join(files)})")
    seed = int(fit.get("seed", 1))
    check_against(name, files, seed, seed + 1, "fitted to {source}")


def test_calm_meets_a_recording_it_was_not_fitted_to(shared_dir: Path) -> None:
    b = shared_dir / "data" / "binance_perp"
    files = [str(b / "usdm_btcusdt_20240718.gz"), str(b / "usdm_btcusdt_20240719.gz")]
    if not all(Path(f).is_file() for f in files):
        pytest.skip(f"out-of-sample recording not found ({', '.join(files)})")
    # the recording's latency jitter and the scenario both on the held-out seed (as `reality --seed 2`)
    check_against(CALM_BASE, files, 2, 2, "out of sample: {source}, not used by its fit")


def check_against(name: str, files: list[str], rec_seed: int, syn_seed: int, what: str) -> None:
    """Print the scenario's table against the recording; fail on any cell outside the tolerance."""
    _, fit = load_profile(profile_path(name) or Path(name))
    rules = tier_rules(str(fit.get("tier", "standard"))).with_(maker_fee_rate=0.0, taker_fee_rate=0.0)
    rows, market, price, source = load_recording(files)
    rec = measure_market(source, rows, market, price, rules, rec_seed).reality
    syn = scenario_reality(name, syn_seed, rules)
    lines, bad = fit_table(rec, syn)
    print(f"\n{name}: {what.format(source=source)} ({rec.market.seconds / 60:.0f} min with a book); scenario "
          f"regenerated with seed {syn_seed} for {CHECK_S / 60:.0f} min on {SOL_PERP.symbol} at {SimConfig().start_price:g}")
    print(f"  spread {rec.market.spread_median_bps:.2f} / {syn.market.spread_median_bps:.2f} bps, "
          f"vol {rec.market.vol_bps_per_sqrt_s:.3f} / {syn.market.vol_bps_per_sqrt_s:.3f} bps/sqrt s, "
          f"trades {rec.market.trades_per_min:.1f} / {syn.market.trades_per_min:.1f} per min (recording / scenario)")
    print("\n".join("  " + line for line in lines))
    compared = [c for c in rec.curves if c.fills >= MIN_FILLS]
    assert len(compared) >= 2, "too few distances with enough recording fills to hold a fit"
    assert not bad, bad


@cache
def scenario_reality(name: str, seed: int, rules: VenueRules) -> Reality:
    """The probe at every distance on CHECK_S seconds of the scenario (shared by the tests that ask)."""
    sim_price = SimConfig().start_price
    return measure_market(f"{name} seed {seed}", list(make_scenario(name, seed, CHECK_S, SOL_PERP, sim_price)),
                          SOL_PERP, sim_price, rules, seed).reality


def test_calibrate_writes_a_profile_the_commands_accept(shared_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = shared_dir / "data" / "binance_perp" / "usdm_btcusdt_20240718.gz"  # 3 minutes of BTCUSDT
    if not data.is_file():
        pytest.skip(f"{data} not found")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["calibrate", "--data", str(data), "--name", "tiny", "--trials", "2",
                              "--duration", "60"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "profiles" / "scenarios" / "tiny.yaml"
    model, fit = load_profile(out)
    assert model.name == "tiny" and fit["trials"] == 2 and fit["data"] == [str(data)]
    assert set(fit["compared"]) >= {"touch fills/h", "spread", "vol 1s", "trades/min"}
    assert "score" in res.output and "wrote" in res.output
    res = runner.invoke(app, ["reality", "--scenario", "tiny", "--duration", "60"])
    assert res.exit_code == 0, res.output
    assert "tiny (seed 1)" in res.output
    res = runner.invoke(app, ["backtest", "--scenario", "tiny", "--duration", "60", "--config", "builtin-defaults"])
    assert res.exit_code == 0, res.output
    # bad input: one clear error, exit 2
    for args, problem in ((["--name", "toxic"], "not one of the stresses"), (["--name", "Bad Name"], "lower-case"),
                          (["--name", "x", "--out", "x.json"], ".yaml")):
        res = runner.invoke(app, ["calibrate", "--data", str(data), *args])
        assert res.exit_code == 2 and problem in res.output, res.output
