"""The live runner logs every change of the self-healing PnL guard (plan step 2: engagements are logged)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from structlog.testing import capture_logs

from lighter_bot.config import parse_config
from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import Event, Tick
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.runner import EngineRunner


class SilentVenue:
    """A venue that accepts commands and has no events (the test drives the runner's handler)."""

    def __init__(self) -> None:
        self.sent: list[Command] = []

    async def submit(self, cmds: list[Command]) -> None:
        self.sent.extend(cmds)

    async def events(self) -> AsyncIterator[Event]:
        if False:
            yield Tick(0.0)


def test_guard_engagement_and_release_reach_the_log() -> None:
    core = EngineCore(parse_config({}), SOL_PERP, SimClock())
    runner = EngineRunner(core, SilentVenue(), SimClock())  # type: ignore[arg-type]
    with capture_logs() as logs:
        asyncio.run(runner._handle(Tick(1.0)))
        assert not [e for e in logs if e["event"].startswith("pnl_guard")]  # nothing changed, nothing logged
        core.pnl_guard.level = 1  # as after two losing slices (the guard's own rule is tested elsewhere)
        asyncio.run(runner._handle(Tick(2.0)))
        core.pnl_guard.level = 0
        asyncio.run(runner._handle(Tick(3.0)))
    guard = [e for e in logs if e["event"].startswith("pnl_guard")]
    assert [(e["event"], e["level_from"], e["level_to"]) for e in guard] == [
        ("pnl_guard_engaged", 0, 1), ("pnl_guard_released", 1, 0)]
    assert guard[0]["engagements"] == 1 and guard[0]["extra_bps"] == core.config.maker.pnl_guard.widen_bps
    assert core.status().pnl_guard_engagements == 1  # the metric the telemetry exports
