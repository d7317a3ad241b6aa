"""Race fills on the simulator: counted apart in the backtest report and the matrix row, and pulling a
quote the fair value crossed leaves fewer fills past the fair value (docs/strategy.md "Race fills")."""

from __future__ import annotations

from typing import Any

import pytest

from lighter_bot.backtest.matrix import Case, overlay, run_case
from lighter_bot.backtest.session import run_recorded
from lighter_bot.config import BotConfig, parse_config
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.scenarios import make_scenario

SECONDS = 300.0


def cfg(pull: bool) -> BotConfig:
    return parse_config(overlay(BotConfig().model_dump(mode="python"), {"maker": {"race": {"pull_crossed": pull}}}))


def test_report_counts_race_fills_apart() -> None:
    # vol_spike seed 2: on the markets fitted to real recordings the bot fills too rarely elsewhere in
    # 300 s, and race fills are rare everywhere (seed 2: 2 race fills, 13 normal; seed 1: none)
    run = run_recorded(cfg(True), SOL_PERP, make_scenario("vol_spike", 2, SECONDS), STANDARD, 2, SECONDS)
    m: dict[str, Any] = run.metrics
    race = m["race"]
    normal = sum(1 for f in run.fills if f.race is None)
    assert race["fills"] > 0 and normal > 0
    assert race["fills"] + normal == m["fills"] == len(run.fills)
    assert race["in_flight"] + race["fair_passed"] == race["fills"]
    assert abs(race["share"] - race["fills"] / m["fills"]) < 1e-12
    for side in ("bid", "ask"):
        n_race = sum(1 for f in run.fills if f.race is not None and f.side.value == side)
        n_all = m["markouts"][side]["1"]["count"]
        # Each group is marked out on its own fills only, together on all of them.
        assert race["markouts"][side]["1"]["count"] <= n_race
        assert race["markouts"][side]["1"]["count"] + race["normal_markouts"][side]["1"]["count"] == n_all


# On the fitted markets a book moves in steps (re-centred on the fair value at once, as recorded best
# prices do) and a quote is crossed in the same step the mid passes it: no fill lands past the fair
# value, pulled or not (vol_spike, 6 seeds x 600 s: 0 either way, 46 pulls vs 0). The pull's benefit
# cannot show there; a finding for the strategy (issue 13), held as a strict expected failure.
@pytest.mark.xfail(strict=True, reason="no fill lands past the fair value on the fitted markets, pulled or not")
def test_pulling_crossed_quotes_leaves_fewer_fills_past_the_fair_value() -> None:
    base = BotConfig()
    rows: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for pull in (False, True):
        data = parse_config(overlay(base.model_dump(mode="python"), {"maker": {"race": {"pull_crossed": pull}}}))
        rows[pull] = [run_case(Case("vol_spike", seed, "full", SECONDS), data) for seed in (1, 5)]
    for r in rows[False] + rows[True]:
        assert r["normal_fills"] + r["race_fills"] == r["fills"]
        assert r["race_fills_in_flight"] + r["race_fills_fair_passed"] == r["race_fills"]

    def total(pull: bool, key: str) -> int:
        return sum(int(r[key]) for r in rows[pull])

    assert total(False, "race_pulls") == 0 and total(True, "race_pulls") > 0
    assert total(True, "race_fills_fair_passed") < total(False, "race_fills_fair_passed"), rows
