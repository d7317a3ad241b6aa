"""The operator's log: what a human tailing `railway logs` needs to follow the bot.

One line per fill, per hedge step (each hedge order sent, moved, cancelled, abandoned), per quote
side going up or down (with why), per trading-state change, per plan-step engagement (PnL guard,
edge first, hit quality, hedge alpha) and per spread change of 1 bps or more (with what the width is
made of); a `status` line every minute (position, PnL over the short and the rolling window, spread,
state, transactions per minute). Lines carry a human `msg` and the same facts as fields
(telemetry/logs.py renders JSON off a terminal, `time level event msg` on one).

No flood: each kind of line has a budget on the bot's clock (`LIMITS`: lines a minute, burst); lines
over it are dropped and counted, the count goes into the next status line and the
`log_lines_suppressed_total{kind}` metric. The engine is only read (engine/plan_view.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import Event, MarketTrade
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.plan_view import PlanChange, PlanWatch, plan_view
from lighter_bot.telemetry.metrics import BotMetrics

log = structlog.get_logger("bot")

# kind -> (lines per minute, burst)
LIMITS: dict[str, tuple[float, float]] = {
    "fill": (120.0, 60.0), "hedge": (60.0, 30.0), "state": (30.0, 10.0), "plan": (30.0, 15.0),
    "quote": (20.0, 10.0), "spread": (6.0, 3.0), "error": (1.0, 1.0),
}
RECENT = 200  # notable lines kept for the dashboard


@dataclass
class LineBudget:
    """A token bucket per kind of line, on the bot's clock."""

    limits: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(LIMITS))
    _tokens: dict[str, float] = field(default_factory=dict)
    _at: dict[str, float] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)  # since the last status line
    suppressed_total: dict[str, int] = field(default_factory=dict)

    def allow(self, kind: str, now: float) -> bool:
        per_min, burst = self.limits.get(kind, (60.0, 20.0))
        last = self._at.get(kind)
        tokens = burst if last is None else min(burst, self._tokens[kind] + max(0.0, now - last) * per_min / 60.0)
        self._at[kind] = now
        if tokens >= 1.0:
            self._tokens[kind] = tokens - 1.0
            return True
        self._tokens[kind] = tokens
        self.suppressed[kind] = self.suppressed.get(kind, 0) + 1
        self.suppressed_total[kind] = self.suppressed_total.get(kind, 0) + 1
        return False

    def take_suppressed(self) -> dict[str, int]:
        out, self.suppressed = self.suppressed, {}
        return out


Windows = Callable[[float], dict[str, dict[str, Any]]]  # now -> {"short": snapshot, "rolling": snapshot}


class OperatorLog:
    def __init__(
        self,
        core: EngineCore,
        purpose_of: Callable[[int], str | None],
        windows: Windows | None = None,
        labels: tuple[str, str] = ("5m", "6h"),
        metrics: BotMetrics | None = None,
        status_every_s: float = 60.0,
    ) -> None:
        self.core = core
        self.purpose_of = purpose_of
        self.windows = windows
        self.labels = labels
        self.metrics = metrics
        self.status_every_s = status_every_s
        self.budget = LineBudget()
        self.watch = PlanWatch()
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self._next_status: float | None = None
        self._fills_since_status = 0
        self._abandoned = 0

    # -- inputs --------------------------------------------------------------------------------
    def on_fills(self, records: Sequence[FillRecord]) -> None:
        """Fill sink: one line per fill."""
        mk = self.core.market
        for r in records:
            f = r.fill
            self._fills_since_status += 1
            price, size = mk.px(f.price), mk.sz(f.size)
            purpose = self.purpose_of(f.client_id) or ("quote" if f.role.value == "maker" else "unknown")
            edge = None if r.mid is None or r.mid <= 0 else f.side.sign * (r.mid - price) / r.mid * 1e4  # mid in USD
            pos = mk.sz(r.position_after)
            verb = "bought" if f.side is Side.BID else "sold"
            msg = (f"{verb} {size:g} {mk.symbol} @ {price:.4f} {f.role.value} ({purpose}), fee {f.fee:.6f} USD"
                   + ("" if edge is None else f", {edge:+.1f} bps vs mid") + f"; position {pos:+g} {mk.symbol}")
            self._emit("fill", "fill", msg, f.ts, side=f.side.value, role=f.role.value, purpose=purpose, size=size,
                       price=price, fee=f.fee, edge_bps=None if edge is None else round(edge, 2), position=pos,
                       trade_id=f.trade_id)

    def observe(self, event: Event, commands: Sequence[Command]) -> None:
        """Runner observer: called after the core handled `event` (and chose `commands`)."""
        if isinstance(event, MarketTrade):
            return  # the core decides nothing on public trades
        try:
            self._observe(event, commands)
        except Exception as exc:  # the log must never take the bot down; say so once a minute at most
            if self.budget.allow("error", event.ts):
                log.error("oplog_failed", error=f"{type(exc).__name__}: {exc}")

    def _observe(self, event: Event, commands: Sequence[Command]) -> None:
        for c in commands:
            self._hedge_command(c, event.ts)
        v = plan_view(self.core)
        for ch in self.watch.update(v):
            self._change(ch)
        st_abandoned = self.core.hedger.stats.abandoned
        if st_abandoned > self._abandoned:
            self._emit("hedge", "hedge_abandoned", f"hedge abandoned: {self.core.hedger.last_note}", event.ts,
                       warn=True, abandoned=st_abandoned)
        self._abandoned = st_abandoned

    def tick(self, now: float) -> None:
        """From the telemetry tick: the status line once a minute (bot clock)."""
        if self._next_status is None:
            self._next_status = now + self.status_every_s
            return
        if now >= self._next_status:
            self._next_status = now + self.status_every_s
            self.status(now)

    # -- lines ---------------------------------------------------------------------------------
    def _hedge_command(self, c: Command, ts: float) -> None:
        mk, orders = self.core.market, self.core.state.orders
        if not isinstance(c, (PlaceOrder, ModifyOrder, CancelOrder)):
            return
        o = orders.get(c.client_id)
        if o is None or not o.purpose.value.startswith("hedge"):
            return
        pos = mk.sz(self.core.state.position_lots)
        target = self.core.config.hedger.target_units
        verb = "buy" if o.side is Side.BID else "sell"
        if isinstance(c, PlaceOrder):
            kind = "cross (IOC)" if c.tif is TimeInForce.IOC else "passive"
            msg = (f"hedge {kind}: {verb} {mk.sz(c.size):g} {mk.symbol} @ {mk.px(c.price):.4f}; position "
                   f"{pos:+g}, target |position| {target:g}")
            step = "cross" if c.tif is TimeInForce.IOC else "passive"
        elif isinstance(c, ModifyOrder):
            msg = f"hedge passive moved: {verb} {mk.sz(c.size):g} @ {mk.px(c.price):.4f}"
            step = "modify"
        else:
            h = self.core.hedger
            why = h.phase.value + (f", {h.last_note}" if h.last_note else "")
            msg = f"hedge {o.purpose.value.removeprefix('hedge_')} order cancelled (hedger {why})"
            step = "cancel"
        self._emit("hedge", "hedge_step", msg, ts, step=step, side=o.side.value, client_id=c.client_id,
                   position=pos)

    def _change(self, ch: PlanChange) -> None:
        self._emit(ch.kind, ch.event, ch.message, ch.ts, warn=ch.warn, **ch.fields)

    def status(self, now: float) -> None:
        core, mk = self.core, self.core.market
        st = core.status()
        s = core.state
        pos = mk.sz(s.position_lots)
        mid = s.mid
        short_l, roll_l = self.labels
        fields: dict[str, Any] = {"state": st.trading_state.value, "position": pos,
                                  "position_usd": round(abs(pos) * mid, 2) if mid else None}
        parts = [st.trading_state.value + (f" ({', '.join(st.reasons)})" if st.reasons else ""),
                 f"position {pos:+g} {mk.symbol}" + (f" ({abs(pos) * mid:.2f} USD)" if mid else "")]
        if self.windows is not None:
            w = self.windows(now)
            short, roll = w["short"], w["rolling"]
            fields.update({f"pnl_{short_l}": round(short["total_quote"], 6), f"pnl_{roll_l}": round(roll["total_quote"], 6),
                           f"realized_{roll_l}": round(roll["realized_quote"], 6)})
            parts.append(f"PnL {short_l} {short['total_quote']:+.4f} USD, {roll_l} {roll['total_quote']:+.4f} USD "
                         f"(realized {roll['realized_quote']:+.4f})")
        v = plan_view(core)
        spread = "not quoting" if v.spread_bps is None else f"spread {v.spread_bps:.1f} bps"
        parts.append(f"{spread}, quoting {'+'.join(v.quoted) or 'nothing'}")
        tx, budget = st.tx_used_last_minute, core.budget.per_minute
        parts.append(f"{self._fills_since_status} fill(s) this minute, {tx} tx/min of {budget}")
        fields.update({"spread_bps": v.spread_bps, "quoted": list(v.quoted), "fills_last_minute": self._fills_since_status,
                       "tx_per_minute": tx, "tx_budget_per_minute": budget, "pnl_guard_level": v.guard_level,
                       "defended": list(v.defended)})
        dropped = self.budget.take_suppressed()
        if dropped:
            parts.append("log lines suppressed: " + ", ".join(f"{k} {n}" for k, n in sorted(dropped.items())))
            fields["suppressed"] = dropped
        self._fills_since_status = 0
        log.info("status", msg=" | ".join(parts), **fields)

    def _emit(self, kind: str, event: str, msg: str, ts: float, warn: bool = False, **fields: Any) -> None:
        if kind != "fill":
            self.recent.append({"ts": ts, "kind": kind, "event": event, "message": msg})
        if not self.budget.allow(kind, ts):
            if self.metrics is not None:
                self.metrics.log_lines_suppressed.labels(kind).inc()
            return
        (log.warning if warn else log.info)(event, msg=msg, **fields)
