"""Backtest report: metrics from a recorded run (backtest.recorder) and a self-contained HTML page.

Metrics: realized / unrealized / fee PnL, PnL per traded volume (bps), Sharpe on 1-minute equity
changes, max drawdown, inventory (mean and max |q|, time at the caps), fills and fill ratio,
two-sided quote uptime, transactions per minute, markout curves per side, fills placed-to-filled
within a second per side, and a per-regime breakdown. Charts (plotly, with plotly.js embedded so
the page works offline): equity, inventory, price with our fills, markouts.
"""

from __future__ import annotations

import bisect
import html
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lighter_bot.backtest.recorder import Series
from lighter_bot.backtest.runner import BacktestResult
from lighter_bot.config import BotConfig
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Side

MARKOUT_HORIZONS_S = (1.0, 5.0, 30.0, 60.0)
IMMEDIATE_S = 1.0  # a fill this soon after we sent the order counts as "traded almost immediately"
MINUTES_PER_YEAR = 525_600.0


@dataclass(frozen=True, slots=True)
class FillPoint:
    t: float
    side: Side
    price: float  # USD
    size: float  # base units
    client_id: int


def fill_points(fills: Sequence[Any], market: MarketSpec) -> list[FillPoint]:
    return [FillPoint(f.t, f.side, market.px(f.price), market.sz(f.size), f.client_id) for f in fills]


def mid_at(series: Series, t: float) -> float | None:
    """The mid that held at time t (last tick sample at or before t); None past the end of the run."""
    if not series.mid_t or t > series.mid_t[-1]:
        return None
    i = bisect.bisect_right(series.mid_t, t) - 1
    return series.mid[max(i, 0)]


def markouts(series: Series, fills: Sequence[FillPoint], horizons: Sequence[float] = MARKOUT_HORIZONS_S
             ) -> dict[str, dict[str, dict[str, float]]]:
    """{side: {horizon: {"mean_bps", "count"}}}; + means the mid moved our way after the fill."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for side in (Side.BID, Side.ASK):
        per: dict[str, dict[str, float]] = {}
        for h in horizons:
            vals = []
            for f in fills:
                if f.side is not side:
                    continue
                m = mid_at(series, f.t + h)
                if m is not None and f.price > 0:
                    vals.append(side.sign * (m - f.price) / f.price * 1e4)
            per[f"{h:g}"] = {"mean_bps": sum(vals) / len(vals) if vals else 0.0, "count": float(len(vals))}
        out[side.value] = per
    return out


def max_drawdown(equity: Sequence[float]) -> float:
    peak, dd = -math.inf, 0.0
    for e in equity:
        peak = max(peak, e)
        dd = max(dd, peak - e)
    return dd


def sharpe_1m(series: Series) -> tuple[float, float]:
    """(per-minute ratio mean/std of 1-minute equity changes, the same annualized by sqrt(minutes/year))."""
    if not series.t:
        return 0.0, 0.0
    marks: list[float] = []
    nxt = series.t[0]
    for t, e in zip(series.t, series.equity, strict=True):
        if t >= nxt:
            marks.append(e)
            nxt = t + 60.0 - 1e-9
    rets = [b - a for a, b in itertools.pairwise(marks)]
    if len(rets) < 2:
        return 0.0, 0.0
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    if var <= 1e-18:
        return 0.0, 0.0
    s = mean / math.sqrt(var)
    return s, s * math.sqrt(MINUTES_PER_YEAR)


def at_caps(q: float, notional: float, cfg: BotConfig) -> bool:
    """No further minimum clip could be added without passing a hard cap."""
    g, mk = cfg.guard, cfg.maker
    return (abs(q) + mk.exchange_min_size > g.max_position_units + 1e-12
            or notional + mk.exchange_min_notional > g.max_inventory_notional + 1e-9)


def regime_breakdown(series: Series, fills: Sequence[FillPoint]) -> dict[str, dict[str, float]]:
    """Per regime label: seconds, PnL (sum of equity changes inside it), fills, volume (USD)."""
    out: dict[str, dict[str, float]] = {}
    for i, label in enumerate(series.regime):
        r = out.setdefault(label, {"seconds": 0.0, "pnl": 0.0, "fills": 0.0, "volume_quote": 0.0})
        if i > 0:
            r["seconds"] += series.t[i] - series.t[i - 1]
            r["pnl"] += series.equity[i] - series.equity[i - 1]
    for f in fills:
        i = bisect.bisect_right(series.t, f.t)  # the sample that first includes this fill
        if not series.regime:
            break
        label = series.regime[min(i, len(series.regime) - 1)]
        r = out.setdefault(label, {"seconds": 0.0, "pnl": 0.0, "fills": 0.0, "volume_quote": 0.0})
        r["fills"] += 1
        r["volume_quote"] += f.price * f.size
    return out


def compute_metrics(result: BacktestResult, series: Series, fills: Sequence[FillPoint], cfg: BotConfig
                    ) -> dict[str, Any]:
    total = result.realized_pnl + result.unrealized_pnl
    vol = result.volume_quote
    n = len(series.t)
    absq = [abs(q) for q in series.position]
    caps = sum(1 for q, no in zip(series.position, series.notional, strict=True) if at_caps(q, no, cfg))
    two = sum(1 for b, a in zip(series.bid_quoted, series.ask_quoted, strict=True) if b and a)
    anyq = sum(1 for b, a in zip(series.bid_quoted, series.ask_quoted, strict=True) if b or a)
    s1, s_ann = sharpe_1m(series)
    placed = sum(series.places.values())
    quote_fill_ids = {f.client_id for f in fills if f.client_id in series.quote_ids}
    immediate: dict[str, float] = {}
    for side in (Side.BID, Side.ASK):
        side_fills = [f for f in fills if f.side is side and f.client_id in series.placed_at]
        quick = sum(1 for f in side_fills if f.t - series.placed_at[f.client_id] <= IMMEDIATE_S)
        immediate[side.value] = quick / len(side_fills) if side_fills else 0.0
    minutes = result.sim_seconds / 60.0 if result.sim_seconds > 0 else 0.0
    return {
        "realized_pnl": result.realized_pnl,
        "unrealized_pnl": result.unrealized_pnl,
        "fees": result.fees,
        "total_pnl": total,
        "volume_quote": vol,
        "pnl_per_volume_bps": total / vol * 1e4 if vol > 0 else 0.0,
        "sharpe_1m": s1,
        "sharpe_annualized": s_ann,
        "max_drawdown": max_drawdown(series.equity),
        "mean_abs_position": sum(absq) / n if n else 0.0,
        "max_abs_position": result.max_abs_position,
        "max_abs_notional": result.max_abs_notional,
        "time_at_caps": caps / n if n else 0.0,
        "fills": result.fills,
        "orders_placed": placed,
        "places_by_purpose": dict(series.places),
        "fill_ratio": result.fills / placed if placed else 0.0,
        "quote_fill_ratio": len(quote_fill_ids) / len(series.quote_ids) if series.quote_ids else 0.0,
        "immediate_fill_share": immediate,
        "two_sided_uptime": two / n if n else 0.0,
        "any_side_uptime": anyq / n if n else 0.0,
        "tx_sent": result.tx_sent,
        "tx_rejected": result.tx_rejected,
        "tx_per_minute": result.tx_sent / minutes if minutes else 0.0,
        "requests": result.requests,
        "requests_refused": result.requests_refused,
        # what the exchange's window held on average: ours plus the live adapter's own (charged)
        "requests_per_minute": (result.requests + result.background_requests) / minutes if minutes else 0.0,
        "modifies": series.modifies,
        "cancels": series.cancels,
        "markouts": markouts(series, fills),
        "regimes": regime_breakdown(series, fills),
        "sim_seconds": result.sim_seconds,
        "wall_seconds": result.wall_seconds,
        "final_position": result.final_position,
        "caps": {"max_position_units": cfg.guard.max_position_units,
                 "max_inventory_notional": cfg.guard.max_inventory_notional},
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def _downsample(n: int, limit: int = 4000) -> int:
    return max(1, n // limit)


def html_report(title: str, metrics: dict[str, Any], series: Series, fills: Sequence[FillPoint]) -> str:
    """A single HTML page with the metrics table and four charts; plotly.js is embedded (no CDN)."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    t0 = series.t[0] if series.t else 0.0
    k = _downsample(len(series.t))
    ts = [(t - t0) / 60.0 for t in series.t[::k]]
    figs: list[tuple[str, Any]] = []
    f1 = go.Figure()
    f1.add_scatter(x=ts, y=series.equity[::k], name="equity (realized + unrealized)")
    f1.add_scatter(x=ts, y=series.realized[::k], name="realized")
    f1.update_layout(xaxis_title="minutes", yaxis_title="USD")
    figs.append(("Equity", f1))
    f2 = go.Figure()
    f2.add_scatter(x=ts, y=series.position[::k], name="position")
    f2.update_layout(xaxis_title="minutes", yaxis_title="base units")
    figs.append(("Inventory", f2))
    km = _downsample(len(series.mid_t))
    f3 = go.Figure()
    f3.add_scatter(x=[(t - t0) / 60.0 for t in series.mid_t[::km]], y=series.mid[::km], name="mid")
    for side, colour, sym in ((Side.BID, "green", "triangle-up"), (Side.ASK, "red", "triangle-down")):
        pts = [f for f in fills if f.side is side]
        f3.add_scatter(x=[(f.t - t0) / 60.0 for f in pts], y=[f.price for f in pts], mode="markers",
                       marker={"color": colour, "symbol": sym, "size": 8},
                       name="our buys" if side is Side.BID else "our sells")
    f3.update_layout(xaxis_title="minutes", yaxis_title="USD")
    figs.append(("Price with our fills", f3))
    f4 = go.Figure()
    for side, per in metrics["markouts"].items():
        hs = sorted(per, key=float)
        f4.add_scatter(x=[float(h) for h in hs], y=[per[h]["mean_bps"] for h in hs], mode="lines+markers",
                       name=f"{side} fills")
    f4.update_layout(xaxis_title="horizon (s)", yaxis_title="mean markout (bps, + = in our favour)", xaxis_type="log")
    figs.append(("Markouts", f4))

    rows = []
    for key, val in metrics.items():
        if isinstance(val, dict):
            val = json.dumps(val, sort_keys=True, default=str)
        elif isinstance(val, float):
            val = f"{val:.6g}"
        rows.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(val))}</td></tr>")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<h1>{html.escape(title)}</h1><table>{''.join(rows)}</table>",
    ]
    for name, fig in figs:
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=False))
    parts.append("</body></html>")
    return "\n".join(parts)
