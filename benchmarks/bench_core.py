"""Engine-core benchmark: decision latency per market event, and tx/min + two-sided uptime in `calm`.

Latency is the wall time (and, separately, the thread CPU time) of `EngineCore.on_event` for each BookUpdate (state reducer + signals +
maker + hedger + risk guard + planner + tx budget), measured inside a fast-forward backtest of the
simulator's `calm` scenario at Standard tier. The same run gives the transactions per minute the
core sends and the share of 0.1-s ticks at which both a bid and an ask quote of ours rest on the
simulated exchange. Targets: p99 <= 50 us (issue 15), tx/min <= 60, both sides >= 90 %.

`python -m benchmarks.bench_core [seconds]` prints the JSON; `make bench` calls `run()`.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any

from lighter_bot.backtest.runner import run_backtest
from lighter_bot.config import BotConfig
from lighter_bot.domain.commands import Command, PlaceOrder
from lighter_bot.domain.events import BookUpdate, Event, Tick
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Purpose, Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import STANDARD
from lighter_bot.venues.sim.scenarios import make_scenario

TARGET_P99_US = 50.0
TARGET_TX_PER_MIN = 60.0
TARGET_UPTIME = 0.90


class _Timed:
    def __init__(self, core: EngineCore, ex: SimExchange) -> None:
        self.core, self.ex = core, ex
        self.market_ns: list[int] = []
        self.market_cpu_ns: list[int] = []
        self.all_ns: list[int] = []
        self.quote_ids: set[int] = set()
        self.ticks = 0
        self.both = 0

    def on_event(self, event: Event) -> list[Command]:
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        cmds = self.core.on_event(event)
        dt = time.perf_counter_ns() - t0
        dc = time.thread_time_ns() - c0
        self.all_ns.append(dt)
        if isinstance(event, BookUpdate):
            self.market_ns.append(dt)
            self.market_cpu_ns.append(dc)
        for c in cmds:
            if isinstance(c, PlaceOrder) and c.purpose is Purpose.QUOTE:
                self.quote_ids.add(c.client_id)
        if isinstance(event, Tick):
            self.ticks += 1
            sides = {o.side for o in self.ex.resting_orders() if o.client_id in self.quote_ids}
            if sides == {Side.BID, Side.ASK}:
                self.both += 1
        return cmds

    def drain_fills(self) -> list[FillRecord]:
        return self.core.drain_fills()


def _pct(sorted_ns: list[int], q: float) -> float:
    if not sorted_ns:
        return 0.0
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000.0


def run(seconds: float = 1800.0, seed: int = 1) -> dict[str, Any]:
    clock = SimClock()
    ex = SimExchange(SOL_PERP, make_scenario("calm", seed, seconds), STANDARD, seed)
    probe = _Timed(EngineCore(BotConfig(), SOL_PERP, clock), ex)
    gc.collect()
    wall0 = time.perf_counter()
    res = run_backtest(ex, probe, clock, tick_s=0.1)
    wall = time.perf_counter() - wall0
    lat = sorted(probe.market_ns)
    all_lat = sorted(probe.all_ns)
    cpu = sorted(probe.market_cpu_ns)
    tx_per_min = res.tx_sent / (res.sim_seconds / 60.0) if res.sim_seconds > 0 else 0.0
    uptime = probe.both / probe.ticks if probe.ticks else 0.0
    p99 = _pct(lat, 0.99)
    return {
        "benchmark": "core",
        "scenario": "calm",
        "tier": "standard",
        "sim_seconds": round(res.sim_seconds, 1),
        "wall_seconds": round(wall, 2),
        "market_events": len(lat),
        "decision_latency_us": {
            "p50": round(_pct(lat, 0.50), 1),
            "p90": round(_pct(lat, 0.90), 1),
            "p99": round(p99, 1),
            "max": round(lat[-1] / 1000.0, 1) if lat else 0.0,
        },
        # CPU time of the same calls: excludes preemption by other processes on a shared machine.
        "decision_cpu_us": {"p50": round(_pct(cpu, 0.50), 1), "p99": round(_pct(cpu, 0.99), 1)},
        "all_events_latency_us": {"p50": round(_pct(all_lat, 0.50), 1), "p99": round(_pct(all_lat, 0.99), 1)},
        "tx_sent": res.tx_sent,
        "tx_rejected": res.tx_rejected,
        "tx_per_minute": round(tx_per_min, 2),
        "two_sided_uptime": round(uptime, 4),
        "fills": res.fills,
        "realized_pnl": round(res.realized_pnl, 4),
        "targets": {"p99_us": TARGET_P99_US, "tx_per_minute": TARGET_TX_PER_MIN, "two_sided_uptime": TARGET_UPTIME},
        "pass": {
            "p99": p99 <= TARGET_P99_US,
            "tx_per_minute": tx_per_min <= TARGET_TX_PER_MIN,
            "two_sided_uptime": uptime >= TARGET_UPTIME,
        },
    }


if __name__ == "__main__":
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 1800.0
    print(json.dumps(run(secs), indent=2))
