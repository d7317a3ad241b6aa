"""Prometheus: race fills counted by kind and marked out apart (telemetry/bridge.py, strategy/race.py)."""

from __future__ import annotations

from lighter_bot.config import BotConfig
from lighter_bot.domain.events import OrderFilled
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Role, Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.telemetry.bridge import TelemetryBridge


def value(bridge: TelemetryBridge, name: str, labels: dict[str, str]) -> float:
    v = bridge.metrics.registry.get_sample_value(name, labels)
    return 0.0 if v is None else v


def test_race_fills_have_their_own_counter_and_markouts() -> None:
    clock = SimClock(100.0)
    core = EngineCore(BotConfig(), SOL_PERP, clock)
    bridge = TelemetryBridge(core, clock, core.config)

    def rec(tid: str, side: Side, race: str | None) -> FillRecord:
        return FillRecord(OrderFilled(100.0, 1, tid, side, 170_000, 70, 0.0, Role.MAKER, 0), 170.0, 70, race)

    bridge.on_fills([rec("a", Side.BID, None), rec("b", Side.BID, "in_flight"), rec("c", Side.ASK, "fair_passed")])
    assert value(bridge, "maker_race_fills_total", {"kind": "in_flight"}) == 1
    assert value(bridge, "maker_race_fills_total", {"kind": "fair_passed"}) == 1
    assert value(bridge, "maker_fills_total", {}) == 3  # every quote fill, race or not
    bridge._update_markouts(106.0, 170.017)  # 5 s later the mid is 1 bps up: + for bids, - for the ask
    assert value(bridge, "markout_bps_count", {"horizon": "5s"}) == 3
    assert value(bridge, "markout_race_bps_count", {"horizon": "5s"}) == 2
    # (Histograms with negative buckets export no _sum: the buckets tell the groups apart.)
    assert value(bridge, "markout_race_bps_bucket", {"horizon": "5s", "le": "0.0"}) == 1  # the race ask: -1 bps
    assert value(bridge, "markout_race_bps_bucket", {"horizon": "5s", "le": "2.0"}) == 2  # + the race bid: +1
    assert value(bridge, "markout_bps_bucket", {"horizon": "5s", "le": "0.0"}) == 1
    assert value(bridge, "markout_bps_bucket", {"horizon": "5s", "le": "2.0"}) == 3  # + the normal bid
