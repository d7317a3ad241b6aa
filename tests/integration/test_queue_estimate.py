"""The core's queue-position estimate (strategy/queue_position.py, from the L2 feed the bot sees: delayed,
batched every 50 ms) against the simulator's own queue, which knows each resting order's true `ahead`.

At every 0.1-s tick of a backtest, for each resting quote of ours the core tracks, the estimate is
compared with the simulator's value. The mean absolute error is written to the test report, beside that
of a naive estimate (the first estimate at each price an order rests at, never updated) to show what
following trades and cancels is worth.
"""

from __future__ import annotations

from typing import Any

import pytest

from lighter_bot.backtest.runner import run_backtest
from lighter_bot.config import BotConfig
from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import Event, Tick
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.strategy.queue_position import QueueEstimator
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.scenarios import make_scenario


class _Compare:
    """A DecisionCore that samples (true ahead, estimate, naive estimate) at each tick."""

    def __init__(self, core: EngineCore, ex: SimExchange) -> None:
        self.core, self.ex = core, ex
        self.first: dict[tuple[int, int], float] = {}
        self.samples: list[tuple[float, float, float]] = []

    def on_event(self, event: Event) -> list[Command]:
        cmds = self.core.on_event(event)
        if isinstance(event, Tick):
            for o in self.ex.resting_orders():
                est = self.core.queue.ahead(o.client_id)
                if est is None:
                    continue
                naive = self.first.setdefault((o.client_id, o.price), est)  # a new price: a new queue
                self.samples.append((o.queue.ahead, est, naive))
        return cmds

    def drain_fills(self) -> list[FillRecord]:
        return self.core.drain_fills()


# On the markets fitted to real recordings (docs/simulator.md) the estimate holds in calm (7 % of the true
# queue since calm's refit against the bar), thin_book (13 %) and vol_spike (15 %), but not in toxic
# (224 %; 39 % before that refit; its book lags twice as long as calm's): measured, not explained here, a
# finding for the queue estimate's owner (issue 13), held as a strict expected failure so it turns red
# when it holds.
TOXIC_MISS = pytest.mark.xfail(strict=True, reason="estimate error 224 % of the true queue on the fitted toxic")


@pytest.mark.parametrize("scenario", ["calm", "thin_book", pytest.param("toxic", marks=TOXIC_MISS), "vol_spike"])
def test_queue_estimate_against_the_simulators_queue(scenario: str, request: Any) -> None:
    clock = SimClock()
    ex = SimExchange(SOL_PERP, make_scenario(scenario, 1, 240.0), STANDARD, 1)
    core = EngineCore(BotConfig(), SOL_PERP, clock)
    core.queue = QueueEstimator()  # tracking on (maker.queue is off by default), the quoting as configured
    cmp = _Compare(core, ex)
    run_backtest(ex, cmp, clock, duration_s=240.0)
    s = cmp.samples
    assert len(s) > 1000
    mae = sum(abs(t - e) for t, e, _ in s) / len(s)
    naive = sum(abs(t - n) for t, _, n in s) / len(s)
    mean_true = sum(t for t, _, _ in s) / len(s)
    line = (f"queue estimate on {scenario} (240 s): {len(s)} samples, mean |error| {mae:.1f} lots = "
            f"{mae / mean_true:.1%} of the mean true queue ahead ({mean_true:.0f} lots); naive (never "
            f"updated) {naive:.1f} lots = {naive / mean_true:.1%}")
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        tr.write_line(line)
    request.node.user_properties.append(("queue_estimate_error", line))
    assert mae < 0.2 * mean_true, line
    assert mae < 0.5 * naive, line
