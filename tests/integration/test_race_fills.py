"""Race fills on the simulator: counted apart in the backtest report and the matrix row, and pulling a
quote the fair value crossed leaves fewer fills past the fair value (docs/strategy.md "Race fills")."""

from __future__ import annotations

from typing import Any

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
    run = run_recorded(cfg(True), SOL_PERP, make_scenario("toxic", 1, SECONDS), STANDARD, 1, SECONDS)
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


def test_pulling_crossed_quotes_leaves_fewer_fills_past_the_fair_value() -> None:
    base = BotConfig()
    rows: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for pull in (False, True):
        data = parse_config(overlay(base.model_dump(mode="python"), {"maker": {"race": {"pull_crossed": pull}}}))
        rows[pull] = [run_case(Case("toxic", seed, "full", SECONDS), data) for seed in (1, 5)]
    for r in rows[False] + rows[True]:
        assert r["normal_fills"] + r["race_fills"] == r["fills"]
        assert r["race_fills_in_flight"] + r["race_fills_fair_passed"] == r["race_fills"]

    def total(pull: bool, key: str) -> int:
        return sum(int(r[key]) for r in rows[pull])

    assert total(False, "race_pulls") == 0 and total(True, "race_pulls") > 0
    assert total(True, "race_fills_fair_passed") < total(False, "race_fills_fair_passed"), rows
