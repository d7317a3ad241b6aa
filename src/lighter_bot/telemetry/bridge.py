"""Connects the running engine to telemetry: refreshes gauges from core state, builds the HTTP app."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from lighter_bot.config import BotConfig
from lighter_bot.domain.fills import FillRecord
from lighter_bot.engine.clock import Clock
from lighter_bot.engine.core import EngineCore, TradingState
from lighter_bot.engine.runner import EngineRunner
from lighter_bot.telemetry.health import HealthReport, evaluate
from lighter_bot.telemetry.http import make_app
from lighter_bot.telemetry.metrics import BotMetrics

_STATE_CODE = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


class TelemetryBridge:
    def __init__(self, core: EngineCore, runner: EngineRunner, clock: Clock, config: BotConfig) -> None:
        self.core, self.runner, self.clock, self.config = core, runner, clock, config
        self.metrics = BotMetrics()
        self.started_at = clock.now()

    def on_fills(self, records: Sequence[FillRecord]) -> None:
        mk = self.core.market
        for r in records:
            self.metrics.fills_total.inc()
            self.metrics.volume_total.inc(mk.notional(r.fill.price, r.fill.size))

    def refresh(self) -> None:
        s, m, mk = self.core.state, self.metrics, self.core.market
        mid = s.mid or 0.0
        m.portfolio_realized.set(s.pnl.realized)
        m.portfolio_unrealized.set(s.pnl.unrealized(mid) if mid else 0.0)
        m.portfolio_total.set(s.pnl.total(mid) if mid else s.pnl.realized)
        m.portfolio_fees.set(s.pnl.fees)
        m.portfolio_inventory.set(mk.sz(s.position_lots))
        st = self.core.status()
        m.maker_spread.set(st.spread_bps or 0.0)
        m.maker_quoting.set(len(st.quoted_sides))
        m.trading_state.set(_STATE_CODE[st.trading_state])
        age = s.book_age()
        m.book_age.set(age if age is not None else -1)
        m.venue_connected.set(1 if s.venue_connected else 0)
        m.tx_budget_left.set(self.core.budget.left(s.now))
        m.uptime.set(self.clock.now() - self.started_at)

    def health(self) -> HealthReport:
        return evaluate(self.core, self.clock.now(), self.started_at, self.config.config_hash(),
                        self.config.telemetry.quote_stale_seconds)

    def app(self) -> web.Application:
        return make_app(self.health, self.metrics, self.refresh)
