"""The services around one running engine: the venue tap, the records (ledger writer, books,
position snapshots, the start's recovery of fills made while no bot ran), the telemetry bridge and
its tick task, and the HTTP server.

    services = BotServices(cfg, core, venue, clock, source)
    runner = EngineRunner(core, services.venue, clock, sinks=services.sinks, observers=services.observers,
                          ledger=services.records, on_started=services.on_started)
    await services.start(host, port)      # opens the ledger, serves /health /metrics /dashboard
    try: await runner.run(...)
    finally: await services.close()       # flushes the ledger (durability first)
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from aiohttp import web

from lighter_bot.config import BotConfig, MetricsConfig
from lighter_bot.engine.clock import Clock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.runner import EventObserver, FillSink
from lighter_bot.records.recovery import RecoveryReport, recover
from lighter_bot.records.report import window_label
from lighter_bot.records.service import RecordsService
from lighter_bot.telemetry.alert_watch import AlertWatcher
from lighter_bot.telemetry.alerts import AlertManager
from lighter_bot.telemetry.bridge import TelemetryBridge
from lighter_bot.telemetry.http import bound_port, start_server
from lighter_bot.telemetry.metrics import BotMetrics
from lighter_bot.telemetry.oplog import OperatorLog
from lighter_bot.telemetry.tap import VenueTap
from lighter_bot.venues.base import FillHistorySource, Venue

log = structlog.get_logger("telemetry")


class BotServices:
    def __init__(self, cfg: BotConfig, core: EngineCore, venue: Venue, clock: Clock, source: str,
                 tick_seconds: float = 1.0, metrics: MetricsConfig | None = None, clock_kind: str = "wall") -> None:
        """`metrics`: where the records go when not cfg.metrics (a simulator run's own folder);
        `clock_kind`: "wall" or "simulated", stamped on every ledger row."""
        self.cfg = cfg
        self.metrics = BotMetrics(window_label(cfg.metrics.rolling_window_seconds),
                                  window_label(cfg.metrics.short_window_seconds))
        self.tap = VenueTap(venue, clock, self.metrics)
        self.records = RecordsService(metrics or cfg.metrics, venue.market, cfg.config_hash(), source,
                                      purpose_of=self.tap.purpose_of, clock_kind=clock_kind)
        self.bridge = TelemetryBridge(core, clock, cfg, self.records, self.tap, metrics=self.metrics)
        self.alerts = AlertManager.from_config(cfg.alerts, clock.now)
        self.watcher = AlertWatcher(core, self.alerts)
        self.oplog = OperatorLog(core, self.tap.purpose_of, self._windows,
                                 (self.bridge.short_label, self.bridge.rolling_label), self.metrics,
                                 cfg.telemetry.status_log_seconds)
        self.bridge.oplog = self.oplog
        self.tick_seconds = tick_seconds
        self.http: web.AppRunner | None = None
        self.port: int | None = None
        self._tick: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[RecoveryReport | None] | None = None

    @property
    def venue(self) -> VenueTap:
        return self.tap

    @property
    def sinks(self) -> list[FillSink]:
        return [self.records.sink, self.bridge.on_fills, self.oplog.on_fills]

    @property
    def observers(self) -> list[EventObserver]:
        return [self.oplog.observe]

    def _windows(self, now: float) -> dict[str, dict[str, Any]]:
        return self.bridge.window_snapshots(now)

    def on_started(self) -> None:
        """The runner's hook once the venue is up: record the fills made while no bot was running."""
        if isinstance(self.tap.venue, FillHistorySource) and self.records.ledger is not None:
            self._recovery = asyncio.create_task(self.recover_fills(self.tap.venue), name="fill-recovery")

    async def recover_fills(self, venue: FillHistorySource) -> RecoveryReport | None:
        """records.recovery, then say what it found: log always, metric and alert on a mismatch."""
        try:
            r = await recover(self.records, venue.fills_since, self.tap.market)
        except Exception as exc:  # a bug here must not stop trading; it is loud instead
            log.error("fill_recovery_failed", error=f"{type(exc).__name__}: {exc}")
            self.alerts.ledger("fill recovery failed", error=f"{type(exc).__name__}: {exc}")
            return None
        self.metrics.ledger_recovered.inc(r.recorded)
        self.metrics.ledger_position_mismatch.set(float(r.mismatch))
        fields = {"since": r.since, "fetched": r.fetched, "recorded": r.recorded, "complete": r.complete,
                  "ledger_position": str(r.ledger_position), "venue_position": str(r.venue_position)}
        if r.mismatch != 0 or not r.complete:
            why = "position differs from the exchange's" if r.mismatch != 0 else "fill history incomplete"
            log.error("ledger_position_mismatch" if r.mismatch != 0 else "fill_recovery_incomplete",
                      **fields, note=r.note, difference=str(r.mismatch),
                      hint="compare with `lighter-bot ops fetch-trades` and import what is missing "
                           "(`lighter-bot metrics import-json`)")
            self.alerts.ledger(why, ledger=str(r.ledger_position), exchange=str(r.venue_position), note=r.note)
        else:
            log.info("fills_recovered", **fields)
        return r

    async def start(self, host: str, port: int, serve: bool = True) -> None:
        await self.records.start()
        await self.alerts.start()
        try:
            if serve:
                self.http = await start_server(self.bridge.app(), host, port)
                self.port = bound_port(self.http)
                log.info("http_listening", url=f"http://{host}:{self.port}",
                         endpoints=["/health", "/metrics", "/dashboard"])
        except BaseException:
            await self.alerts.close()
            await self.records.close()
            raise
        self._tick = asyncio.create_task(self._run_tick(), name="telemetry")

    async def _run_tick(self) -> None:
        while True:
            try:
                self.bridge.tick()
                self.watcher.check()
                self.oplog.tick(self.bridge.clock.now())
            except Exception as exc:  # telemetry must never take the bot down
                log.error("telemetry_tick_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.tick_seconds)

    async def close(self) -> None:
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
        if self._tick is not None:
            self._tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick
        with contextlib.suppress(Exception):
            self.records.snapshot_position(self.bridge.position_row(self.bridge.clock.now()))
        if self.http is not None:
            await self.http.cleanup()
        await self.records.close()
        await self.alerts.close()
