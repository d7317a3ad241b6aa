"""Backtest metrics from a recorded run (backtest.recorder); the page is backtest/report_html.py.

Metrics: realized / unrealized / fee PnL and its split (spread capture vs inventory vs fees,
backtest/trader_stats.py), PnL per traded volume (bps), win rate and profit factor of closing fills,
Sharpe on 1-minute equity changes (annualised only past a day), max drawdown, inventory (mean and max
|q|, time at the caps), fills and fill ratio, two-sided quote uptime, transactions per minute,
markout curves per side, race fills apart from normal fills (count, share, markouts of each group:
strategy/race.py), fills placed-to-filled within a second per side, and a per-regime breakdown.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lighter_bot.backtest import trader_stats
from lighter_bot.backtest.recorder import Series
from lighter_bot.backtest.runner import BacktestResult
from lighter_bot.config import BotConfig
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Side

MARKOUT_HORIZONS_S = (1.0, 5.0, 30.0, 60.0)
IMMEDIATE_S = 1.0  # a fill this soon after we sent the order counts as "traded almost immediately"


@dataclass(frozen=True, slots=True)
class FillPoint:
    t: float
    side: Side
    price: float  # USD
    size: float  # base units
    client_id: int
    fee: float = 0.0  # USD paid
    role: str = "maker"
    purpose: str = "quote"  # quote / hedge_passive / hedge_cross
    race: str | None = None  # the core's race kind (strategy/race.py), None = a normal fill

    @property
    def sign(self) -> int:
        return self.side.sign


def fill_points(fills: Sequence[Any], market: MarketSpec, purposes: dict[int, str] | None = None,
                race: Mapping[str, str] | None = None) -> list[FillPoint]:
    """The exchange's fills; `race`: trade id -> race kind of the fills the core counted as race fills."""
    p, r = purposes or {}, race or {}
    return [FillPoint(f.t, f.side, market.px(f.price), market.sz(f.size), f.client_id, f.fee, f.role.value,
                      p.get(f.client_id, "quote" if f.role.value == "maker" else "?"), r.get(f.trade_id))
            for f in fills]


def race_metrics(series: Series, fills: Sequence[FillPoint]) -> dict[str, Any]:
    """Race fills apart from normal fills: counts, share and each group's markouts."""
    race = [f for f in fills if f.race is not None]
    return {"fills": len(race), "share": len(race) / len(fills) if fills else 0.0,
            "in_flight": sum(1 for f in race if f.race == "in_flight"),
            "fair_passed": sum(1 for f in race if f.race == "fair_passed"),
            "markouts": markouts(series, race), "normal_markouts": markouts(series, [f for f in fills if f.race is None])}


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
    sh = trader_stats.sharpe(series.t, series.equity, result.sim_seconds)
    mids = [mid_at(series, f.t) for f in fills]
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
        "sharpe_1m": sh["per_minute"] or 0.0,
        "sharpe_annualized": sh["annualised"],  # None below a day of data
        "sharpe": sh,
        "pnl_split": trader_stats.pnl_split(fills, mids, total),
        "closing": trader_stats.closing_trades(fills),
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
        "race": race_metrics(series, fills),
        "regimes": regime_breakdown(series, fills),
        "sim_seconds": result.sim_seconds,
        "wall_seconds": result.wall_seconds,
        "final_position": result.final_position,
        "caps": {"max_position_units": cfg.guard.max_position_units,
                 "max_inventory_notional": cfg.guard.max_inventory_notional,
                 "inventory_soft_cap": cfg.maker.inventory_soft_cap,
                 "hedge_trigger_units": cfg.hedger.trigger_units},
        "maker_fills": sum(1 for f in fills if f.role == "maker"),
        "taker_fills": sum(1 for f in fills if f.role != "maker"),
        "hedge_fills": sum(1 for f in fills if f.purpose.startswith("hedge")),
        "plan_engagements": _engagements(series),
        "time_reducing": series.plan_state.count(1) / len(series.plan_state) if series.plan_state else 0.0,
        "time_halted": series.plan_state.count(2) / len(series.plan_state) if series.plan_state else 0.0,
    }


def _engagements(series: Series) -> dict[str, int]:
    """How often each plan step engaged (and the trading state changed) over the run."""
    out: dict[str, int] = {}
    for e in series.events:
        if e.kind in ("plan", "state"):
            out[e.event] = out.get(e.event, 0) + 1
    return out


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def _downsample(n: int, limit: int = 4000) -> int:
    return max(1, n // limit)
