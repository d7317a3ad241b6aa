"""The data behind GET /dashboard: the 5-minute and 6-hour windows, PnL, inventory against the
caps, quotes and spread (none while HALTED: nothing is quoted), fills, markouts, the trading state
with its reasons, the plan steps now (engine/plan_view.py) and what the bot did lately (the operator
log's notable lines), as one JSON document that the page (telemetry/static/dashboard.js) polls and
draws with plotly.js."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lighter_bot.domain.orders import Side
from lighter_bot.engine.core import TradingState
from lighter_bot.engine.plan_view import plan_view, spread_why
from lighter_bot.records.ledger import market_key

if TYPE_CHECKING:
    from lighter_bot.telemetry.bridge import TelemetryBridge


def build_data(b: TelemetryBridge) -> dict[str, Any]:
    core, cfg = b.core, b.config
    s, mk = core.state, core.market
    now = b.clock.now()
    mid = s.mid
    mkey = market_key(mk.market_id)
    snaps = b.window_snapshots(now)
    report = b.health()
    st = core.status()
    v = plan_view(core)
    halted = v.trading_state == TradingState.HALTED.value
    quotes = {} if halted else b.quotes()
    windows = {"total": snaps["total"], b.rolling_label: snaps["rolling"], b.short_label: snaps["short"]}
    fills = [
        {"ts": f.ts, "side": f.side, "role": f.role, "price": f.price, "size": f.size, "purpose": f.purpose,
         "fee": f.fee, "trade_id": f.trade_id}
        for f in b.records.recent if f.ts > now - b.rolling_s
    ][-150:]
    return {
        "now": now,
        "market": {"key": mkey, "symbol": mk.symbol},
        "config_hash": b.config_hash,
        "uptime_seconds": now - b.started_at,
        "windows_order": [b.short_label, b.rolling_label, "total"],
        "state": {
            "trading_state": st.trading_state.value,
            "reasons": list(st.reasons),
            "notes": b.notes(),
            "healthy": report.healthy,
            "failing": list(report.failing),
            "checks": report.body["checks"],
        },
        "position": {
            "units": mk.sz(s.position_lots),
            "notional": abs(mk.sz(s.position_lots)) * (mid or 0.0),
            "mid": mid,
        },
        "caps": {
            "max_position_units": cfg.guard.max_position_units,
            "max_inventory_notional": cfg.guard.max_inventory_notional,
            "inventory_soft_cap": cfg.maker.inventory_soft_cap,
            "hedge_trigger_units": cfg.hedger.trigger_units,
        },
        "quotes": {
            "bid": quotes.get(Side.BID),
            "ask": quotes.get(Side.ASK),
            "spread_bps": v.spread_bps,
            "halted": halted,
        },
        "plan": {**v.as_dict(), "spread_why": spread_why(v)},
        "events": list(reversed(b.oplog.recent))[:60] if b.oplog is not None else [],
        "windows": windows,
        "markouts": b.markout_averages(now),
        "series": b.series.export(now - b.rolling_s),
        "fills": fills,
    }
