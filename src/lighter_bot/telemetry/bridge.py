"""Connects the running engine to telemetry: refreshes the gauges from core state and the ledger's
books, measures markouts, samples the dashboard's time series, writes position snapshots, and
answers /health, /metrics and /dashboard.

Read-only towards the engine: it reads `core.state`, `core.status()` and `core.budget`; optional
CoreStatus fields (volatility, trend, PnL guard, markouts) are exported when present.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from lighter_bot.config import BotConfig
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.orders import Purpose, Side
from lighter_bot.engine.clock import Clock
from lighter_bot.engine.core import EngineCore, TradingState
from lighter_bot.engine.plan_view import plan_view
from lighter_bot.records.accounting import market_slug
from lighter_bot.records.ledger import market_key
from lighter_bot.records.report import window_label
from lighter_bot.records.service import RecordsService
from lighter_bot.telemetry.health import HealthReport, evaluate
from lighter_bot.telemetry.http import make_app
from lighter_bot.telemetry.metrics import MARKOUT_HORIZONS, STATUS_GAUGES, TREND_CODE, BotMetrics
from lighter_bot.telemetry.oplog import OperatorLog
from lighter_bot.telemetry.tap import VenueTap

log = structlog.get_logger("telemetry")

_STATE_CODE = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}
SERIES_FIELDS = ("realized", "unrealized", "total", "inventory", "mid", "bid", "ask", "spread_bps", "fills",
                 "state", "guard_level", "edge_floor_bps", "defend_bid", "defend_ask", "hedge_vetoes")


@dataclass
class _PendingMarkout:
    ts: float
    sign: int
    price: float
    next_idx: int = 0
    race: bool = False  # a race fill (strategy/race.py): also marked out apart


@dataclass
class _Series:
    maxlen: int
    ts: deque[float] = field(init=False)
    cols: dict[str, deque[float | None]] = field(init=False)

    def __post_init__(self) -> None:
        self.ts = deque(maxlen=self.maxlen)
        self.cols = {k: deque(maxlen=self.maxlen) for k in SERIES_FIELDS}

    def add(self, ts: float, values: dict[str, float | None]) -> None:
        self.ts.append(ts)
        for k, col in self.cols.items():
            v = values.get(k)
            col.append(None if v is None or not math.isfinite(v) else v)

    def export(self, since: float) -> dict[str, list[Any]]:
        idx = [i for i, t in enumerate(self.ts) if t >= since]
        out: dict[str, list[Any]] = {"ts": [self.ts[i] for i in idx]}
        for k, col in self.cols.items():
            out[k] = [col[i] for i in idx]
        return out


class TelemetryBridge:
    def __init__(
        self,
        core: EngineCore,
        clock: Clock,
        config: BotConfig,
        records: RecordsService | None = None,
        tap: VenueTap | None = None,
        *,
        sample_seconds: float = 5.0,
        position_snapshot_seconds: float = 60.0,
        metrics: BotMetrics | None = None,
    ) -> None:
        self.core, self.clock, self.config = core, clock, config
        mc = config.metrics
        self.rolling_s, self.short_s = mc.rolling_window_seconds, mc.short_window_seconds
        self.rolling_label, self.short_label = window_label(self.rolling_s), window_label(self.short_s)
        self.metrics = metrics or (tap.metrics if tap is not None else BotMetrics(self.rolling_label, self.short_label))
        self.records = records or RecordsService(mc.model_copy(update={"enabled": False}), core.market,
                                                 config.config_hash(), "memory")
        self.tap = tap
        self.oplog: OperatorLog | None = None  # set by BotServices: its recent lines feed the dashboard
        self.started_at = clock.now()
        self.sample_seconds = sample_seconds
        self.position_snapshot_seconds = position_snapshot_seconds
        self.series = _Series(int(self.rolling_s / sample_seconds) + 2)
        self._last_sample = -math.inf
        self._last_position = -math.inf
        self._markouts_pending: deque[_PendingMarkout] = deque()
        self.markouts: deque[tuple[float, float, float]] = deque()  # (fill ts, horizon, bps)
        self._rows_seen = 0
        self._errors_seen = 0
        self.config_hash = config.config_hash()
        m = self.metrics
        m.start_ts.set(self.started_at)
        m.info.labels(market_key(core.market.market_id), self.config_hash, self.records.source).set(1)
        m.guard_max_position.set(config.guard.max_position_units)
        m.guard_max_notional.set(config.guard.max_inventory_notional)
        m.tx_budget_per_minute.set(core.budget.per_minute)

    # -- inputs ----------------------------------------------------------------------------------
    def on_fills(self, records: Sequence[FillRecord]) -> None:
        """Runner fill sink (fills already deduplicated by the engine)."""
        mk, m = self.core.market, self.metrics
        for r in records:
            f = r.fill
            notional = mk.notional(f.price, f.size)
            purpose = self.tap.purpose_of(f.client_id) if self.tap is not None else None
            if purpose is not None and purpose.startswith("hedge"):
                kind = purpose.removeprefix("hedge_")
                m.hedger_fills.labels(kind).inc()
                m.hedger_volume.labels(kind).inc(notional)
            elif purpose == Purpose.QUOTE.value or (purpose is None and f.role.value == "maker"):
                m.maker_fills.inc()
                m.maker_volume.inc(notional)
            else:
                m.hedger_fills.labels("cross").inc()
                m.hedger_volume.labels("cross").inc(notional)
            if r.race is not None:
                m.maker_race_fills.labels(r.race).inc()
            self._markouts_pending.append(_PendingMarkout(f.ts, f.side.sign, mk.px(f.price), race=r.race is not None))

    # -- periodic work ---------------------------------------------------------------------------
    def _update_markouts(self, now: float, mid: float | None) -> None:
        if mid is not None:
            keep: deque[_PendingMarkout] = deque()
            for p in self._markouts_pending:
                while p.next_idx < len(MARKOUT_HORIZONS) and now >= p.ts + MARKOUT_HORIZONS[p.next_idx]:
                    h = MARKOUT_HORIZONS[p.next_idx]
                    bps = p.sign * (mid - p.price) / p.price * 1e4
                    self.metrics.markout.labels(f"{h:g}s").observe(bps)
                    if p.race:
                        self.metrics.markout_race.labels(f"{h:g}s").observe(bps)
                    self.markouts.append((p.ts, h, bps))
                    p.next_idx += 1
                if p.next_idx < len(MARKOUT_HORIZONS):
                    keep.append(p)
            self._markouts_pending = keep
        while self.markouts and self.markouts[0][0] < now - self.rolling_s - max(MARKOUT_HORIZONS):
            self.markouts.popleft()

    def markout_averages(self, now: float) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for label, secs in ((self.short_label, self.short_s), (self.rolling_label, self.rolling_s)):
            row: dict[str, float | None] = {}
            for h in MARKOUT_HORIZONS:
                xs = [bps for ts, hh, bps in self.markouts if hh == h and ts > now - secs]
                row[f"{h:g}s"] = sum(xs) / len(xs) if xs else None
            out[label] = row
        return out

    def quotes(self) -> dict[Side, float]:
        mk = self.core.market
        out: dict[Side, float] = {}
        for o in self.core.state.orders.values():
            if o.purpose is Purpose.QUOTE:
                px = mk.px(o.price)
                if o.side not in out or (px > out[o.side] if o.side is Side.BID else px < out[o.side]):
                    out[o.side] = px
        return out

    def marks(self) -> dict[str, float]:
        """The live mid keyed as the ledger books key our market (empty while there is no mid)."""
        mid = self.core.state.mid
        return {market_key(self.core.market.market_id): mid} if mid is not None else {}

    def window_snapshots(self, now: float) -> dict[str, dict[str, Any]]:
        """The ledger books over all time ("total"), the rolling and the short window, marked at the live mid."""
        marks, books = self.marks(), self.records.books
        books.prune(now)
        return {"total": books.snapshot(marks),
                "rolling": books.snapshot(marks, now - self.rolling_s, now),
                "short": books.snapshot(marks, now - self.short_s, now)}

    def refresh(self) -> None:
        """Set every gauge from the current state (also called on each /metrics scrape)."""
        core, s, m, mk, cfg = self.core, self.core.state, self.metrics, self.core.market, self.config
        now = self.clock.now()
        mid = s.mid
        mkey = market_key(mk.market_id)
        books = self.records.books
        snaps = self.window_snapshots(now)
        # portfolio: ledger all-time books, marked at the live mid
        snap_total = snaps["total"]
        pos_units = mk.sz(s.position_lots)
        m.portfolio_realized.set(snap_total["realized_quote"])
        m.portfolio_unrealized.set(snap_total["unrealized_quote"])
        m.portfolio_total.set(snap_total["total_quote"])
        m.portfolio_fees.set(snap_total["fees_paid"])
        m.portfolio_inventory.set(pos_units)
        m.portfolio_inventory_notional.set(abs(pos_units) * (mid or 0.0))
        m.portfolio_avg_entry.set(snap_total.get(f"avg_entry_{market_slug(mkey)}") or 0.0)
        m.portfolio_mid.set(mid or 0.0)
        # windows
        for key, snap in snaps.items():
            for k, gauge in m.windows[key].items():
                v = snap.get(k)
                gauge.set(float(v) if v is not None else 0.0)
            for mname, p in books.positions.items():
                m.window_inventory[key].labels(mname).set(p.qty)
        # session
        m.session_realized.set(s.pnl.realized)
        m.session_fills.set(s.fills_count)
        m.session_duplicate_fills.set(s.duplicate_fills)
        # maker
        st = core.status()
        m.maker_spread.set(st.spread_bps or 0.0)
        m.maker_quoted_sides.set(len(st.quoted_sides))
        m.maker_quote_age.set(-1 if st.last_quote_ts is None else now - st.last_quote_ts)
        quotes = self.quotes()
        for side in (Side.BID, Side.ASK):
            px = quotes.get(side)
            m.maker_quote_price.labels(side.value).set(px or 0.0)
            dist = abs(px - mid) / mid * 1e4 if px is not None and mid else 0.0
            m.maker_quote_distance.labels(side.value).set(dist)
        m.maker_working_orders.set(sum(1 for o in s.orders.values() if o.purpose is Purpose.QUOTE))
        self._status_extras(st)
        # hedger
        m.hedger_working_orders.set(sum(1 for o in s.orders.values() if o.purpose is not Purpose.QUOTE))
        m.hedger_excess_units.set(abs(pos_units) - cfg.hedger.trigger_units)
        # guard
        m.guard_state.set(_STATE_CODE[st.trading_state])
        for ts_ in TradingState:
            m.guard_state_flag.labels(ts_.value).set(1 if ts_ is st.trading_state else 0)
        m.guard_reason.clear()
        for reason in st.reasons:
            m.guard_reason.labels(reason).set(1)
        util = abs(pos_units) / cfg.guard.max_position_units
        if mid:
            util = max(util, abs(pos_units) * mid / cfg.guard.max_inventory_notional)
        m.guard_utilization.set(util)
        m.guard_rejects_recent.set(sum(1 for t in s.rejects if t > now - cfg.guard.reject_storm_window_seconds))
        # venue
        m.venue_connected.set(1 if s.venue_connected else 0)
        m.venue_account_ok.set(1 if s.account_ok else 0)
        age = s.book_age()
        m.book_age.set(age if age is not None else -1)
        m.account_age.set(-1 if s.account_ts is None else now - s.account_ts)
        m.tx_budget_left.set(core.budget.left(now))
        if self.tap is not None and self.tap.nonce_gaps is not None:
            m.nonce_gaps.set(self.tap.nonce_gaps)
        req = self.tap.request_stats if self.tap is not None else None
        if req is not None:
            m.requests_last_minute.set(req.get("requests_last_minute", 0))
            m.request_limit.set(req.get("request_limit_per_minute", 0))
            m.rate_limited.set(req.get("rate_limited", 0))
            m.requests_refused.set(req.get("refused_locally", 0))
            m.bad_rows.set(req.get("bad_rows", 0))
        # markouts
        for wlabel, row in self.markout_averages(now).items():
            for h, v in row.items():
                m.markout_avg.labels(h, wlabel).set(v if v is not None else 0.0)
        # ledger
        rec = self.records
        if rec.rows_written > self._rows_seen:
            m.ledger_rows.inc(rec.rows_written - self._rows_seen)
            self._rows_seen = rec.rows_written
        m.ledger_errors.set(rec.write_errors)
        m.ledger_queue.set(rec.queue_depth)
        while rec.write_seconds:
            m.ledger_write_seconds.observe(rec.write_seconds.pop())
        m.uptime.set(now - self.started_at)
        report = self.health()
        m.health_ok.set(1 if report.healthy else 0)
        for k, ok in report.body["checks"].items():
            m.health_check.labels(k).set(1 if ok else 0)

    def _status_extras(self, st: object) -> None:
        """Optional CoreStatus fields (volatility, trend, PnL guard, hedger, markouts), read by name."""
        m = self.metrics
        for name, (_, attrs) in STATUS_GAUGES.items():
            for a in attrs:
                v = getattr(st, a, None)
                if isinstance(v, bool | int | float):
                    m.status_gauges[name].set(float(v))
                    break
        trend = getattr(st, "trend", None)
        trend = getattr(trend, "value", trend)
        if isinstance(trend, str):
            m.maker_trend.set(TREND_CODE.get(trend.lower(), 0.0))
        phase = getattr(st, "hedger_phase", None)
        if isinstance(phase, str):
            m.hedger_phase.clear()
            m.hedger_phase.labels(phase).set(1)
        for e in getattr(st, "edge", ()) or ():
            side = e.side.value
            m.edge_distance.labels(side).set(-1.0 if e.distance_bps is None else e.distance_bps)
            m.edge_expected.labels(side).set(0.0 if e.expected_bps is None else e.expected_bps)
            m.edge_live_gap.labels(side).set(e.live_gap_bps)
            m.edge_live_fills.labels(side).set(e.live_fills)
        for mo in getattr(st, "markouts", ()) or ():
            h, mean = getattr(mo, "horizon_s", None), getattr(mo, "mean_bps", None)
            if isinstance(h, int | float) and isinstance(mean, int | float) and getattr(mo, "count", None) != 0:
                m.maker_core_markout.labels(f"{h:g}s").set(mean)

    def notes(self) -> list[str]:
        """Why the bot is quoting the way it is: the engine's maker and hedger notes, when reported."""
        st = self.core.status()
        out = [str(n) for n in getattr(st, "maker_notes", ()) or ()]
        hn = getattr(st, "hedger_note", "")
        if hn:
            out.append(f"hedger: {hn}")
        return out

    def tick(self) -> None:
        """One telemetry step: markouts, gauges, a dashboard sample, maybe a position snapshot."""
        now = self.clock.now()
        self._update_markouts(now, self.core.state.mid)
        self.refresh()
        if now - self._last_sample >= self.sample_seconds:
            self._last_sample = now
            self.sample(now)
        if now - self._last_position >= self.position_snapshot_seconds:
            self._last_position = now
            self.records.snapshot_position(self.position_row(now))

    def sample(self, now: float) -> None:
        v = plan_view(self.core)
        q = {} if v.trading_state == TradingState.HALTED.value else self.quotes()  # halted: nothing is quoted
        snap = self.records.books.snapshot(self.marks())
        self.series.add(now, {
            "realized": snap["realized_quote"],
            "unrealized": snap["unrealized_quote"],
            "total": snap["total_quote"],
            "inventory": self.core.market.sz(self.core.state.position_lots),
            "mid": self.core.state.mid,
            "bid": q.get(Side.BID),
            "ask": q.get(Side.ASK),
            "spread_bps": v.spread_bps,
            "fills": float(self.records.books.totals.fills),
            "state": float(_STATE_CODE[TradingState(v.trading_state)]),
            "guard_level": float(v.guard_level),
            "edge_floor_bps": v.edge_floor_bps,
            "defend_bid": 1.0 if "bid" in v.defended else 0.0,
            "defend_ask": 1.0 if "ask" in v.defended else 0.0,
            "hedge_vetoes": float(v.hedge_vetoes),
        })

    def position_row(self, now: float) -> dict[str, Any]:
        s, mk = self.core.state, self.core.market
        mid = s.mid
        mkey = market_key(mk.market_id)
        snap = self.records.books.snapshot(self.marks())
        return {
            "timestamp": round(now, 6),
            "market": mkey,
            "position": str(mk.lots_to_size(s.position_lots)),
            "avg_entry_price": snap.get(f"avg_entry_{market_slug(mkey)}"),
            "mid": mid,
            "realized_pnl": snap["realized_quote"],
            "unrealized_pnl": snap["unrealized_quote"],
            "total_pnl": snap["total_quote"],
            "fees_paid": snap["fees_paid"],
            "trading_state": self.core.status().trading_state.value,
            "config_hash": self.config_hash,
        }

    async def run(self, interval: float = 1.0) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # telemetry must never take the bot down
                log.error("telemetry_tick_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(interval)

    # -- outputs ---------------------------------------------------------------------------------
    def health(self) -> HealthReport:
        return evaluate(self.core, self.clock.now(), self.started_at, self.config_hash,
                        self.config.telemetry.quote_stale_seconds, {"ledger_writable": self.records.healthy})

    def dashboard_data(self) -> dict[str, Any]:
        from lighter_bot.telemetry.dashboard import build_data

        return build_data(self)

    def app(self) -> web.Application:
        return make_app(self.health, self.metrics, self.refresh, self.dashboard_data)
