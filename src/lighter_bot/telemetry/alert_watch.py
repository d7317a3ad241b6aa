"""Turns changes in the engine's status into alerts: halts, guard blocks, hedge failures, stale feeds,
reconnect storms and model drift (our fills marking out worse than the edge model expects). Polled by the telemetry tick, so a flapping condition raises one alert, and
its end is reported as resolved."""

from __future__ import annotations

from typing import Protocol

from lighter_bot.engine.core import EngineCore, TradingState
from lighter_bot.telemetry.alerts import AlertKind


class AlertSink(Protocol):
    """The part of telemetry.alerts.AlertManager the watcher uses."""

    def guard_block(self, reason: str, **fields: object) -> bool: ...
    def hedger_failure(self, reason: str, **fields: object) -> bool: ...
    def halt(self, reason: str, **fields: object) -> bool: ...
    def stale_feed(self, feed: str, age_s: float, **fields: object) -> bool: ...
    def note_reconnect(self, feed: str) -> bool: ...
    def model_drift(self, side: str, gap_bps: float, fills: float, **fields: object) -> bool: ...
    def resolve(self, kind: AlertKind, key: str, message: str) -> bool: ...


class AlertWatcher:
    def __init__(self, core: EngineCore, alerts: AlertSink) -> None:
        self.core = core
        self.alerts = alerts
        self._halt_reasons: tuple[str, ...] = ()
        self._reducing = ""  # the REDUCING alert in force ("" while not reducing)
        self._blocked: tuple[str, ...] = ()
        self._abandoned = 0
        self._connected = True
        self._stale = False
        self._drift: set[str] = set()

    def check(self) -> None:
        st = self.core.status()
        s = self.core.state
        halted = st.reasons if st.trading_state is TradingState.HALTED else ()
        for reason in halted:
            if reason not in self._halt_reasons:
                self.alerts.halt(reason, position=self.core.market.sz(s.position_lots))
        for reason in self._halt_reasons:
            if reason not in halted:
                self.alerts.resolve(AlertKind.HALT, reason, f"trading resumed: {reason} cleared")
        self._halt_reasons = halted

        reducing = f"{', '.join(st.reasons)}: reducing only" if st.trading_state is TradingState.REDUCING else ""
        if reducing != self._reducing:
            if self._reducing:
                self.alerts.resolve(AlertKind.GUARD_BLOCK, self._reducing, "trading is no longer reducing only")
            if reducing:  # a cap breach, a ledger refusing writes, or both
                self.alerts.guard_block(reducing, position=self.core.market.sz(s.position_lots))
        self._reducing = reducing

        blocked = tuple(side.value for side in st.blocked_sides)
        for side in blocked:
            if side not in self._blocked:
                self.alerts.guard_block(f"{side} quote blocked by caps", position=self.core.market.sz(s.position_lots))
        self._blocked = blocked

        if st.hedges_abandoned > self._abandoned:
            self.alerts.hedger_failure(st.hedger_note or "cross abandoned", abandoned=st.hedges_abandoned)
        self._abandoned = st.hedges_abandoned

        age = s.book_age()
        stale = age is not None and age > self.core.config.guard.max_book_age_seconds
        if stale and not self._stale:
            self.alerts.stale_feed("order book", age or 0.0)
        elif self._stale and not stale:
            self.alerts.resolve(AlertKind.STALE_FEED, "order book", "order book fresh again")
        self._stale = stale

        ed = self.core.config.maker.edge
        for e in st.edge:
            side = e.side.value
            drift = e.live_fills >= ed.live_min_fills and e.live_gap_bps < -ed.live_gap_alert_bps
            if drift and side not in self._drift:
                self.alerts.model_drift(side, e.live_gap_bps, e.live_fills)
                self._drift.add(side)
            elif side in self._drift and not drift:
                self.alerts.resolve(AlertKind.MODEL_DRIFT, side, f"{side} fills back in line with the edge model")
                self._drift.discard(side)

        if s.venue_connected and not self._connected:
            self.alerts.note_reconnect("venue")
        self._connected = s.venue_connected
