"""The engine core on the simulator's scenarios (Standard tier: delays, 60 requests/min, queue positions).

Checked at every event the bot sees, against the EXCHANGE's truth (its position and resting orders):
|position| <= 0.3 and |position| x mid <= 50 USD; no order of ours is ever cancelled for self-trade;
the hedger brings inventory back under its trigger within 15 s (without hedge alpha; with it, held as
an expected failure on the fitted markets, see NO_ALPHA); in trend_up/trend_down the gated side is not
quoted (except reduce-only when it reduces); a volatility spike pauses quoting and it resumes only
by the rule; in calm, requests/min <= 60 with both sides quoted >= 90 % of the time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import pytest

from lighter_bot.backtest.runner import BacktestResult, run_backtest
from lighter_bot.config import BotConfig
from lighter_bot.domain.commands import Command, PlaceOrder
from lighter_bot.domain.events import Event, OrderCanceled, Tick
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Purpose, Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.market_model import generate
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.scenarios import CALM_BASE, STRESSES, make_scenario, profile_model

CFG = BotConfig()
CAP_LOTS = SOL_PERP.size_to_lots_down(CFG.guard.max_position_units)
TRIGGER_LOTS = CFG.hedger.trigger_units * SOL_PERP.size_scale
GRACE_S = 1.0  # an order cancelled now still rests until the cancel lands (200 ms) and we hear of it


@dataclass
class Probe:
    """Wraps the core for the backtest loop and checks the exchange after every event."""

    core: EngineCore
    ex: SimExchange
    purposes: dict[int, Purpose] = field(default_factory=dict)
    ticks: int = 0
    both_sides: int = 0
    max_notional: float = 0.0
    max_lots: int = 0
    cancel_reasons: Counter[str] = field(default_factory=Counter)
    over_trigger_since: float | None = None
    longest_over_trigger: float = 0.0
    longest_kickback_wait: float = 0.0  # over the trigger while hedge alpha waits for a kickback on purpose
    _kickback_held: bool = False  # a kickback wait was in force during the current stretch
    trend_since: tuple[str, float] = ("none", 0.0)
    gated_violations: list[str] = field(default_factory=list)
    trend_ticks: Counter[str] = field(default_factory=Counter)
    paused_since: float | None = None
    pause_violations: list[str] = field(default_factory=list)
    pauses: int = 0
    resumes: int = 0
    was_paused: bool = False

    def on_event(self, event: Event) -> list[Command]:
        cmds = self.core.on_event(event)
        for c in cmds:
            if isinstance(c, PlaceOrder):
                self.purposes[c.client_id] = c.purpose
        if isinstance(event, OrderCanceled):
            self.cancel_reasons[event.reason] += 1
        self._check_caps()
        st = self.core.status()
        if st.paused != self.was_paused:
            if st.paused:
                self.pauses += 1
                if st.volatility_bps < CFG.maker.volatility.pause_threshold_bps:
                    self.pause_violations.append(f"paused at vol {st.volatility_bps:.1f}")
            else:
                self.resumes += 1
                pos = abs(self.core.state.position_lots) / SOL_PERP.size_scale
                v = CFG.maker.volatility
                if st.volatility_bps > v.resume_threshold_bps or (
                    pos >= v.resume_inventory_ratio * CFG.maker.inventory_soft_cap and pos > 0
                ):
                    self.pause_violations.append(f"resumed at vol {st.volatility_bps:.1f}, |inv| {pos}")
            self.was_paused = st.paused
            self.paused_since = event.ts if st.paused else None
        if isinstance(event, Tick):
            self._on_tick(event.ts, st.trend)
        return cmds

    def drain_fills(self) -> list[FillRecord]:
        return self.core.drain_fills()

    def _check_caps(self) -> None:
        pos = self.ex.position
        mid2 = self.ex.book().mid2
        self.max_lots = max(self.max_lots, abs(pos))
        if mid2 is not None:
            self.max_notional = max(self.max_notional, SOL_PERP.notional(mid2, abs(pos)) / 2)

    def _quotes_resting(self) -> list[tuple[Side, bool]]:
        return [(o.side, o.reduce_only) for o in self.ex.resting_orders()
                if self.purposes.get(o.client_id) is Purpose.QUOTE]

    def _on_tick(self, ts: float, trend: str) -> None:
        self.ticks += 1
        resting = self._quotes_resting()
        if {s for s, _ in resting} == {Side.BID, Side.ASK}:
            self.both_sides += 1
        pos = self.ex.position
        if abs(pos) > TRIGGER_LOTS:
            if self.over_trigger_since is None:
                self.over_trigger_since, self._kickback_held = ts, False
            # hedge alpha holds the hedger back while a kickback wait is in force (capped by config)
            self._kickback_held = self._kickback_held or self.core.program.hedge_alpha.holding(ts, pos)
            if self._kickback_held:
                self.longest_kickback_wait = max(self.longest_kickback_wait, ts - self.over_trigger_since)
            else:
                self.longest_over_trigger = max(self.longest_over_trigger, ts - self.over_trigger_since)
        else:
            self.over_trigger_since = None
        if trend != self.trend_since[0]:
            self.trend_since = (trend, ts)
        self.trend_ticks[trend] += 1
        if trend != "none" and ts - self.trend_since[1] >= GRACE_S:
            gated = Side.ASK if trend == "up" else Side.BID
            for side, ro in resting:
                if side is gated and not (ro and Side.reducing(pos) is gated):
                    self.gated_violations.append(f"t={ts:.1f} trend {trend}: {side.value} quote resting (pos {pos})")
        if self.paused_since is not None and ts - self.paused_since >= GRACE_S:
            for side, ro in resting:
                if not ro:
                    self.pause_violations.append(f"t={ts:.1f} paused but a {side.value} quote rests")


def run(source_rows: object, seed: int, config: BotConfig = CFG) -> tuple[Probe, BacktestResult]:
    clock = SimClock()
    ex = SimExchange(SOL_PERP, source_rows, STANDARD, seed)  # type: ignore[arg-type]
    probe = Probe(EngineCore(config, SOL_PERP, clock), ex)
    res = run_backtest(ex, probe, clock, tick_s=0.1)
    return probe, res


def assert_safe(p: Probe, hedged_within_15s: bool = False) -> None:
    assert p.max_lots <= CAP_LOTS, p.max_lots
    assert p.max_notional <= CFG.guard.max_inventory_notional, p.max_notional
    assert p.cancel_reasons["canceled-self-trade"] == 0
    if hedged_within_15s:
        assert p.longest_over_trigger <= 15.0, p.longest_over_trigger
    # A kickback wait holds the hedge back on purpose, at most kickback_max_wait_seconds from its start.
    assert p.longest_kickback_wait <= CFG.hedger.alpha.kickback_max_wait_seconds + 15.0, p.longest_kickback_wait


# On the markets fitted to real recordings (docs/simulator.md) inventory stays over the hedger's trigger
# for 17-42 s in thin_book and hard volatility spikes when hedge alpha is on (2.6-4.6 s with it off):
# those stretches are hedge alpha's kickback waits, holding the hedge back on purpose after a sweep
# (hedger.alpha.kickback_max_wait_seconds, 45 s). The probe counts them apart (longest_kickback_wait,
# bounded by that knob + 15 s); outside them the hedger brings inventory back within 15 s, with hedge
# alpha and without.
NO_ALPHA = CFG.model_copy(update={"hedger": CFG.hedger.model_copy(
    update={"alpha": CFG.hedger.alpha.model_copy(update={"enabled": False})})})


SCENARIOS = ["calm", "trend_up", "trend_down", "vol_spike", "flash_crash", "toxic", "thin_book"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_respects_the_caps_and_never_self_trades(name: str) -> None:
    p, res = run(make_scenario(name, 11, 480.0), 11)
    assert_safe(p)
    # Lighter's budget counts requests (a batch once), the live adapter's own included.
    assert (res.requests + res.background_requests) / (res.sim_seconds / 60.0) <= 60.0
    assert res.tx_rejected == 0 and res.requests_refused == 0  # never over the budget, never below minimums
    if name == "trend_up":
        assert p.trend_ticks["up"] > 0 and not p.gated_violations, p.gated_violations[:3]
    if name == "trend_down":
        assert p.trend_ticks["down"] > 0 and not p.gated_violations, p.gated_violations[:3]
    assert not p.pause_violations, p.pause_violations[:3]


def test_calm_at_standard_tier_quotes_both_sides_within_the_request_budget() -> None:
    p, res = run(make_scenario("calm", 3, 900.0), 3)
    per_min = (res.requests + res.background_requests) / (res.sim_seconds / 60.0)
    assert per_min <= 60.0 and res.requests_refused == 0
    assert p.both_sides / p.ticks >= 0.9, p.both_sides / p.ticks
    assert_safe(p)


def spike_rows(seed: int) -> object:
    """Calm, then a spike strong enough to cross the 30-bps pause threshold, then calm again."""
    calm = profile_model(CALM_BASE)
    spike = replace(STRESSES["vol_spike"](calm), name="hard_spike", vol_bps=6.0)  # ~46 bps over 60 s
    return generate(((calm, 240.0), (spike, 120.0), (calm, 600.0)), seed, 960.0, SOL_PERP, 170.0)


def test_vol_spike_pauses_and_resumes_by_the_rule() -> None:
    p, _ = run(spike_rows(5), 5)
    assert p.pauses >= 1 and p.resumes >= 1
    assert not p.pause_violations, p.pause_violations[:3]
    assert_safe(p)


def over_trigger_runs(config: BotConfig) -> list[Probe]:
    """Runs where inventory crosses the hedger's trigger. With hedge alpha: a thin book (seed 3) and a
    hard volatility spike (seed 6); without it the maker's own skew keeps inventory under the trigger
    there (one clip, 0.064 < 0.07), so: vol_spike seed 1 and thin_book seed 2 (refitted markets; since the
    refit of `calm` against the bar, flash_crash crosses the trigger on one seed of six)."""
    if config.hedger.alpha.enabled:
        return [run(make_scenario("thin_book", 3, 480.0), 3, config)[0], run(spike_rows(6), 6, config)[0]]
    return [run(make_scenario("vol_spike", 1, 480.0), 1, config)[0],
            run(make_scenario("thin_book", 2, 480.0), 2, config)[0]]


def test_the_hedger_brings_inventory_under_its_trigger_within_15s_outside_kickback_waits() -> None:
    probes = over_trigger_runs(CFG)
    assert all(p.core.hedger.stats.planned > 0 for p in probes)
    assert max(p.longest_over_trigger for p in probes) <= 15.0, [p.longest_over_trigger for p in probes]
    for p in probes:
        assert_safe(p, hedged_within_15s=True)


def test_without_hedge_alpha_the_hedger_brings_inventory_back_within_15s() -> None:
    probes = over_trigger_runs(NO_ALPHA)
    for p in probes:
        hs = p.core.hedger.stats
        assert hs.planned > 0 and hs.filled_lots > 0
        assert_safe(p, hedged_within_15s=True)
