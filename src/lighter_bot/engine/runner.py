"""The live shell: connects a Venue to the EngineCore on asyncio.

It feeds venue events and periodic Ticks into the (synchronous) core, sends the commands back,
hands new fills to the sinks (ledger, metrics), tells the core whenever the ledger's health changes
(a LedgerStatus event: the core stays pure, the shell does the I/O), and on stop (signal,
--duration, venue end, or a crashed task) cancels every order through the venue before returning a
summary. A crashed task is in the summary's `error`: the command exits non-zero on it, so a
supervisor (Railway's ON_FAILURE) restarts the bot instead of believing it finished.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import Event, LedgerStatus, Tick
from lighter_bot.domain.fills import FillRecord
from lighter_bot.engine.clock import Clock
from lighter_bot.engine.core import EngineCore
from lighter_bot.venues.base import SHUTDOWN_BUDGET_S, UNCHECKED, Venue

log = structlog.get_logger("runner")

FillSink = Callable[[Sequence[FillRecord]], object]
EventObserver = Callable[[Event, Sequence[Command]], object]  # after the core handled an event (telemetry/oplog.py)


class LedgerHealth(Protocol):
    def ledger_status(self) -> tuple[bool, int, str]:
        """(takes writes, fills not yet durable, why not)."""
        ...


@dataclass(frozen=True, slots=True)
class RunSummary:
    fills: int
    volume_base: float
    volume_quote: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float
    max_abs_position: float
    position: float
    resting_orders_left: int
    error: str | None = None  # an engine task crashed (orders were cancelled): exit non-zero

    def lines(self) -> list[str]:
        return [
            f"fills={self.fills} volume_base={self.volume_base:.3f} volume_quote={self.volume_quote:.2f}",
            f"realized_pnl={self.realized_pnl:.4f} unrealized_pnl={self.unrealized_pnl:.4f} fees={self.fees:.4f}",
            f"position={self.position:.3f} max_abs_position={self.max_abs_position:.3f} "
            f"resting_orders_left={'unknown' if self.resting_orders_left < 0 else self.resting_orders_left}",
        ]


class EngineRunner:
    def __init__(
        self,
        core: EngineCore,
        venue: Venue,
        clock: Clock,
        sinks: Sequence[FillSink] = (),
        tick_seconds: float = 0.05,
        observers: Sequence[EventObserver] = (),
        ledger: LedgerHealth | None = None,
        on_started: Callable[[], object] | None = None,
    ) -> None:
        """`on_started`: called once the venue's start events are in the core (the shell's fill
        recovery starts there: it needs the position the venue adopted)."""
        self.core = core
        self.venue = venue
        self.clock = clock
        self.sinks = list(sinks)
        self.observers = list(observers)
        self.ledger = ledger
        self.on_started = on_started
        self._ledger_seen: tuple[bool, int, str] = (True, 0, "")
        self.tick_seconds = tick_seconds
        self.max_abs_position_lots = 0
        self.started_at: float | None = None
        self._stop = asyncio.Event()
        self.last_error: str | None = None
        self.crash: str | None = None  # the first engine task that failed, and how
        self.resting_after_shutdown: int | None = None

    def stop(self) -> None:
        self._stop.set()

    async def _handle(self, event: Event) -> None:
        cmds = self._record(event)
        if cmds:
            await self._submit(cmds)

    def _record(self, event: Event) -> list[Command]:
        """The core takes the event; its fills go to the sinks; its commands come back (not sent here)."""
        cmds = self.core.on_event(event)
        pos = abs(self.core.state.position_lots)
        if pos > self.max_abs_position_lots:
            self.max_abs_position_lots = pos
        fills = self.core.drain_fills()
        if fills:
            for sink in self.sinks:
                sink(fills)
        for obs in self.observers:
            obs(event, cmds)
        ledger = self._ledger_change()
        if ledger is not None:
            cmds += self._record(ledger)
        return cmds

    def _ledger_change(self) -> LedgerStatus | None:
        """A LedgerStatus for the core when the ledger's health changed since it last heard."""
        if self.ledger is None:
            return None
        st = self.ledger.ledger_status()
        if st == self._ledger_seen:
            return None
        if st[0] != self._ledger_seen[0]:
            if st[0]:
                log.warning("ledger_writable_again", unrecorded=st[1])
            else:
                log.error("ledger_unwritable_reducing_risk", error=st[2], unrecorded=st[1],
                          action="only risk-reducing orders until the ledger takes writes; halt when "
                                 f"{self.core.config.guard.max_unrecorded_fills} fills wait")
        self._ledger_seen = st
        return LedgerStatus(self.clock.now(), *st)

    async def _submit(self, cmds: list[Command]) -> None:
        try:
            await self.venue.submit(cmds)
        except Exception as exc:  # venue errors must not kill the loop; the core sees rejects as events
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("submit_failed", error=self.last_error, commands=len(cmds))

    async def _pump(self) -> None:
        async for event in self.venue.events():
            await self._handle(event)
            if self._stop.is_set():
                return

    async def _ticker(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self.tick_seconds)
            await self._handle(Tick(self.clock.now()))

    async def run(self, duration: float | None = None) -> RunSummary:
        """Run until stop(), the venue's stream ends, or `duration` seconds of clock time pass."""
        self.started_at = self.clock.now()
        for e in await self.venue.start():
            await self._handle(e)
        if self.on_started is not None:
            self.on_started()
        tasks = [asyncio.create_task(self._pump(), name="pump"), asyncio.create_task(self._ticker(), name="ticker")]
        if duration is not None:
            tasks.append(asyncio.create_task(self._deadline(duration), name="deadline"))
        stopper = asyncio.create_task(self._stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is not stopper and not t.cancelled() and t.exception() is not None:
                    self.last_error = repr(t.exception())
                    self.crash = self.crash or f"{t.get_name()}: {self.last_error}"
                    log.error("engine_task_failed", task=t.get_name(), error=self.last_error,
                              action="cancelling every order, then exiting non-zero")
        finally:
            self._stop.set()
            for t in [*tasks, stopper]:
                t.cancel()
            for t in [*tasks, stopper]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            await self._shutdown()
        return self.summary()

    async def _deadline(self, duration: float) -> None:
        assert self.started_at is not None
        while self.clock.now() - self.started_at < duration:
            await asyncio.sleep(self.tick_seconds)
        log.info("duration_reached", seconds=duration)

    async def _shutdown(self) -> None:
        cmds = self.core.shutdown_commands()
        try:
            if cmds:
                await self.venue.submit(cmds)
            # The venue bounds its own steps; this is the backstop that keeps us inside Railway's drain.
            self.resting_after_shutdown = await asyncio.wait_for(self.venue.shutdown(), SHUTDOWN_BUDGET_S + 1.0)
            await self._drain_after_shutdown()
        except TimeoutError:
            self.resting_after_shutdown = UNCHECKED
            self.last_error = f"shutdown: the venue did not finish within {SHUTDOWN_BUDGET_S:g} s"
            log.error("shutdown_budget_exceeded", seconds=SHUTDOWN_BUDGET_S)
        except Exception as exc:
            self.last_error = f"shutdown: {type(exc).__name__}: {exc}"
            log.error("shutdown_failed", error=self.last_error)

    async def _drain_after_shutdown(self, timeout_s: float = 2.0) -> None:
        """Events the venue produced while we cancelled still reach the core and the sinks: a quote
        that filled before its cancel landed is a real fill the ledger must have. Nothing is sent."""

        async def drain() -> None:
            async for event in self.venue.events():  # ends once the venue is closed
                self._record(event)  # its commands are dropped: we are stopping

        try:
            await asyncio.wait_for(drain(), timeout_s)
        except TimeoutError:
            log.warning("shutdown_drain_timeout", seconds=timeout_s)

    def summary(self) -> RunSummary:
        s = self.core.state
        mk = self.core.market
        mid = s.mid or (mk.px(s.mark) if s.mark else 0.0)
        return RunSummary(
            fills=s.fills_count,
            volume_base=s.pnl.volume_base,
            volume_quote=s.pnl.volume_quote,
            realized_pnl=s.pnl.realized,
            unrealized_pnl=s.pnl.unrealized(mid) if mid else 0.0,
            fees=s.pnl.fees,
            max_abs_position=mk.sz(self.max_abs_position_lots),
            position=mk.sz(s.position_lots),
            resting_orders_left=len(s.orders) if self.resting_after_shutdown is None else self.resting_after_shutdown,
            error=self.crash,
        )
