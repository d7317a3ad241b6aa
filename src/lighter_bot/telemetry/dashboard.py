"""The data behind GET /dashboard: the 5-minute and 6-hour windows, PnL, inventory against the
caps, quotes and spread, fills, markouts, and the trading state with its reasons, as one JSON
document that the page (telemetry/static/dashboard.js) polls and draws with plotly.js."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lighter_bot.domain.orders import Side
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
    quotes = b.quotes()
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
            "spread_bps": st.spread_bps,
        },
        "windows": windows,
        "markouts": b.markout_averages(now),
        "series": b.series.export(now - b.rolling_s),
        "fills": fills,
    }
