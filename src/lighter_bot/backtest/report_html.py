"""The backtest report a trader reads (`lighter-bot backtest --report FILE`): one self-contained HTML
page (plotly.js embedded, works offline), every number with its unit.

Top to bottom: what was run; the caveats of the sample; a summary table with a baseline column (the
`baseline` variant of backtest/matrix.py on the same market events); where the PnL came from (spread
capture at the fill-time mid, inventory, fees); equity and drawdown; inventory against the caps;
price with our fills; the plan steps over time (quoted width, PnL guard level, edge first's floor,
the sides hit quality defends, hedge alpha's vetoes, the trading state) and their engagements as a
timeline; the regimes; markouts; the fills; the config used.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from lighter_bot.backtest import trader_stats
from lighter_bot.backtest.report import mid_at
from lighter_bot.config import BotConfig, describe_fields

if TYPE_CHECKING:
    from lighter_bot.backtest.session import RecordedRun

FILL_ROWS = 300  # fills listed in the table (the JSON has them all)
EVENT_ROWS = 300
KEY_SETTINGS = ("maker.spread_bps", "maker.volatility.min_spread_bps", "maker.volatility.max_spread_bps", "maker.size",
                "maker.size_min", "maker.size_max", "maker.inventory_soft_cap", "hedger.trigger_units",
                "hedger.target_units", "hedger.max_slippage_bps", "guard.max_position_units",
                "guard.max_inventory_notional", "maker.pnl_guard.enabled", "maker.edge_first.enabled",
                "maker.hit_quality.enabled", "hedger.alpha.enabled", "api.tier")
SECRET_KEYS = ("alerts.discord_webhook_url",)


@dataclass(frozen=True, slots=True)
class RunInfo:
    title: str  # e.g. "scenario sol_day"
    market: str
    tier: str
    seed: int
    config: BotConfig
    generated: str  # UTC time the report was made


def fmt(v: Any, digits: int = 4, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    if pct:
        return f"{100.0 * v:.1f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, float):
        out = f"{v:,.{digits}f}"
        return out[1:] if out.startswith("-") and not out.strip("-0.,") else out  # no "-0.0000"
    return html.escape(str(v))


Row = tuple[str, str, Callable[[dict[str, Any]], Any], int, bool]  # label, unit, value, digits, percent


def summary_rows(symbol: str) -> list[Row]:
    return [
        ("Total PnL (realized + unrealized, after fees)", "USD", lambda m: m["total_pnl"], 4, False),
        ("Realized PnL (average cost, after fees)", "USD", lambda m: m["realized_pnl"], 4, False),
        ("Unrealized PnL at the last mid", "USD", lambda m: m["unrealized_pnl"], 4, False),
        ("Fees paid (negative = rebates)", "USD", lambda m: m["fees"], 4, False),
        ("Traded volume", "USD", lambda m: m["volume_quote"], 2, False),
        ("PnL per traded volume", "bps", lambda m: m["pnl_per_volume_bps"], 2, False),
        ("Fills (maker / taker)", "count", lambda m: f"{m['fills']} ({m['maker_fills']} / {m['taker_fills']})", 0, False),
        ("Hedge fills", "count", lambda m: m["hedge_fills"], 0, False),
        ("Win rate of closing fills", "%", lambda m: m["closing"]["win_rate"], 1, True),
        ("Profit factor (gross gains / gross losses, closing fills)", "x", lambda m: m["closing"]["profit_factor"], 2,
         False),
        ("Max drawdown (equity below its running peak)", "USD", lambda m: m["max_drawdown"], 4, False),
        ("Sharpe ratio per minute (one-minute equity changes)", "ratio",
         lambda m: f"{fmt(m['sharpe']['per_minute'], 3)} (n={m['sharpe']['minutes']})", 0, False),
        ("Sharpe ratio annualised (only from a day of data)", "ratio", lambda m: m["sharpe"]["annualised"], 2, False),
        ("Mean |position|", symbol, lambda m: m["mean_abs_position"], 4, False),
        ("Max |position|", symbol, lambda m: m["max_abs_position"], 4, False),
        ("Max |position| x price", "USD", lambda m: m["max_abs_notional"], 2, False),
        ("Time at the caps", "% of time", lambda m: m["time_at_caps"], 1, True),
        ("Time REDUCING / HALTED", "% of time",
         lambda m: f"{fmt(m['time_reducing'], 1, True)} / {fmt(m['time_halted'], 1, True)}", 0, False),
        ("Two-sided quoting", "% of time", lambda m: m["two_sided_uptime"], 1, True),
        ("Quotes that got a fill", "% of quotes", lambda m: m["quote_fill_ratio"], 1, True),
        ("Transactions", "per minute", lambda m: m["tx_per_minute"], 1, False),
        ("Markout 5 s after our bids / asks (+ = in our favour)", "bps",
         lambda m: f"{fmt(m['markouts']['bid']['5']['mean_bps'], 2)} / {fmt(m['markouts']['ask']['5']['mean_bps'], 2)}",
         0, False),
    ]


def _cell(m: dict[str, Any] | None, get: Callable[[dict[str, Any]], Any], digits: int, pct: bool,
          signed: bool = True) -> str:
    """A table cell; `signed` colours gains green and losses red (PnL, not sizes or drawdowns)."""
    if m is None:
        return "<td>–</td>"
    v = get(m)
    cls = ""
    if signed and isinstance(v, int | float) and not isinstance(v, bool) and not pct:
        cls = " class='pos'" if v > 0 else (" class='neg'" if v < 0 else "")
    return f"<td{cls}>{fmt(v, digits, pct) if not isinstance(v, str) else v}</td>"


def table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "", id_: str = "") -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    attrs = (f" class='{cls}'" if cls else "") + (f" id='{id_}'" if id_ else "")
    return f"<table{attrs}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def td(v: Any, digits: int = 4) -> str:
    return f"<td>{fmt(v, digits)}</td>"


def html_report(info: RunInfo, run: RecordedRun, baseline: RecordedRun | None) -> str:
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs
    from plotly.subplots import make_subplots

    m, s, fills = run.metrics, run.series, run.fills
    bm = baseline.metrics if baseline is not None else None
    sym = info.market
    t0 = s.t[0] if s.t else 0.0
    minutes = m["sim_seconds"] / 60.0
    parts: list[str] = []
    add = parts.append
    add(f"<h1>Backtest: {html.escape(info.title)} · {html.escape(sym)} · {html.escape(info.tier)} tier · seed "
        f"{info.seed}</h1>")
    add(f"<p class='meta'>{minutes:,.0f} simulated minutes in {m['wall_seconds']:.1f} s · config "
        f"<code>{info.config.config_hash()}</code> · generated {html.escape(info.generated)} · PnL in USD, sizes in "
        f"{html.escape(sym)}, widths and markouts in bps (1 bp = 0.01 %)</p>")
    add("<section id='caveats'><h2>Read this first</h2><ul>" + "".join(
        f"<li>{html.escape(c)}</li>" for c in trader_stats.caveats(m)) + "</ul></section>")

    add("<h2>Summary</h2>")
    rows = [[f"<td>{html.escape(label)}</td>", f"<td class='unit'>{html.escape(unit)}</td>",
             _cell(m, get, d, p, "PnL" in label), _cell(bm, get, d, p, "PnL" in label)]
            for label, unit, get, d, p in summary_rows(sym)]
    add(table(["", "unit", "this config", "baseline"], rows, "summary", "summary"))
    add("<p class='note'>Baseline: fixed 12 bps quoting with no volatility band, trend filter, PnL guard, edge first, "
        "hit quality or hedger; the same caps; the same market events (backtest/matrix.py).</p>")

    add("<h2>Where the PnL came from</h2>")
    sp, bsp = m["pnl_split"], (bm["pnl_split"] if bm is not None else None)
    why = {"spread_capture": "each fill against the mid when it happened (what quoting earns)",
           "inventory": "holding the position while the mid moved",
           "fees": "paid to the exchange (subtracted)", "total": "spread capture + inventory - fees"}
    rows = [[f"<td>{name.replace('_', ' ')}</td>", "<td class='unit'>USD</td>", _cell(sp, itemgetter(name), 4, False),
             _cell(bsp, itemgetter(name), 4, False), f"<td class='why'>{why[name]}</td>"] for name in why]
    add(table(["component", "unit", "this config", "baseline", "meaning"], rows, "summary", "pnl-split"))

    k = max(1, len(s.t) // 4000)
    ts = [(t - t0) / 60.0 for t in s.t[::k]]
    figs: list[tuple[str, str, Any]] = []
    f1 = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06)
    f1.add_scatter(x=ts, y=s.equity[::k], name="equity: realized + unrealized (USD)", row=1, col=1)
    f1.add_scatter(x=ts, y=s.realized[::k], name="realized (USD)", row=1, col=1)
    if baseline is not None and baseline.series.t:
        kb = max(1, len(baseline.series.t) // 4000)
        f1.add_scatter(x=[(t - t0) / 60.0 for t in baseline.series.t[::kb]], y=baseline.series.equity[::kb],
                       name="baseline equity (USD)", line={"dash": "dot"}, row=1, col=1)
    dd = trader_stats.drawdown(s.equity)
    f1.add_scatter(x=ts, y=[-d for d in dd[::k]], name="drawdown (USD)", fill="tozeroy", line={"color": "#d62728"},
                   row=2, col=1)
    f1.update_yaxes(title_text="USD", row=1, col=1)
    f1.update_yaxes(title_text="drawdown USD", row=2, col=1)
    f1.update_xaxes(title_text="minutes since start", row=2, col=1)
    figs.append(("Equity and drawdown", "chart-equity", f1))

    c = m["caps"]
    f2 = go.Figure()
    f2.add_scatter(x=ts, y=s.position[::k], name=f"position ({sym})")
    for v, name, color in ((c["max_position_units"], "hard cap", "#d62728"), (c["hedge_trigger_units"], "hedge trigger",
                                                                                 "#ff7f0e"),
                           (c["inventory_soft_cap"], "soft cap (skew full)", "#9467bd")):
        for sign in (1, -1):
            f2.add_scatter(x=[ts[0] if ts else 0, ts[-1] if ts else 0], y=[sign * v, sign * v], mode="lines",
                           name=f"{'+' if sign > 0 else '-'}{name} ({v:g} {sym})", line={"dash": "dash", "color": color})
    f2.update_layout(xaxis_title="minutes since start", yaxis_title=sym)
    figs.append(("Inventory against the caps", "chart-inventory", f2))

    km = max(1, len(s.mid_t) // 4000)
    f3 = go.Figure()
    f3.add_scatter(x=[(t - t0) / 60.0 for t in s.mid_t[::km]], y=s.mid[::km], name="mid (USD)")
    for sign, color, sym_, name in ((1, "green", "triangle-up", "we bought"), (-1, "red", "triangle-down", "we sold")):
        pts = [f for f in fills if f.sign == sign]
        f3.add_scatter(x=[(f.t - t0) / 60.0 for f in pts], y=[f.price for f in pts], mode="markers", name=name,
                       marker={"color": color, "symbol": sym_, "size": 8})
    f3.update_layout(xaxis_title="minutes since start", yaxis_title="USD")
    figs.append(("Price with our fills", "chart-price", f3))
    figs.append(("Plan steps over time", "chart-plan", _plan_figure(s, t0)))

    f4 = go.Figure()
    for side, per in m["markouts"].items():
        hs = sorted(per, key=float)
        f4.add_scatter(x=[float(h) for h in hs], y=[per[h]["mean_bps"] for h in hs], mode="lines+markers",
                       name=f"{side} fills")
    f4.update_layout(xaxis_title="seconds after the fill", yaxis_title="mean markout (bps, + = in our favour)",
                     xaxis_type="log")
    figs.append(("Markouts", "chart-markouts", f4))

    for name, div, fig in figs:
        fig.update_layout(height=420 if div != "chart-equity" else 520, margin={"l": 70, "r": 70, "t": 30, "b": 50},
                          legend={"orientation": "h", "y": -0.18})
        add(f"<h2>{html.escape(name)}</h2>")
        add(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div))
        if div == "chart-plan":
            add(_timeline(s, t0))
    add(_regimes(m))
    add(_fills_table(run, t0, sym))
    add(_config(info.config))
    head = ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(info.title)} backtest</title><style>{CSS}</style>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>")
    return head + "\n".join(parts) + "</body></html>"


def _plan_figure(s: Any, t0: float) -> Any:
    from plotly.subplots import make_subplots

    f = make_subplots(specs=[[{"secondary_y": True}]])
    x = [(t - t0) / 60.0 for t in s.plan_t]
    f.add_scatter(x=x, y=s.plan_spread, name="quoted width (bps)", line={"color": "#1f77b4"}, secondary_y=False)
    f.add_scatter(x=x, y=s.plan_edge_floor, name="edge first: width added to hold the floor (bps)",
                  line={"color": "#17becf", "dash": "dot"}, secondary_y=False)
    f.add_scatter(x=x, y=s.plan_guard, name="PnL guard level (steps)", line={"color": "#ff7f0e", "shape": "hv"},
                  secondary_y=True)
    f.add_scatter(x=x, y=s.plan_vetoes, name="hedge alpha vetoes (cumulative count)",
                  line={"color": "#8c564b", "shape": "hv"}, secondary_y=True)
    f.add_scatter(x=x, y=s.plan_state, name="trading state (0 active, 1 reducing, 2 halted)",
                  line={"color": "#d62728", "shape": "hv", "width": 1}, secondary_y=True)
    for flags, name, color in ((s.plan_defend_bid, "hit quality defends the bid", "#2ca02c"),
                               (s.plan_defend_ask, "hit quality defends the ask", "#e377c2")):
        xs = [xi for xi, on in zip(x, flags, strict=True) if on]
        f.add_scatter(x=xs, y=[0.0] * len(xs), mode="markers", name=name, marker={"color": color, "symbol": "square"},
                      secondary_y=False)
    f.update_xaxes(title_text="minutes since start")
    f.update_yaxes(title_text="bps", secondary_y=False)
    top = max([3, *s.plan_guard, *s.plan_vetoes, *s.plan_state])
    f.update_yaxes(title_text="level / count / state", secondary_y=True, range=[-0.1, top + 0.5], tick0=0,
                   dtick=max(1, math.ceil(top / 6)), showgrid=False)
    return f


def _timeline(s: Any, t0: float) -> str:
    ev = [e for e in s.events if e.kind in ("plan", "state", "spread")]
    counts: dict[str, int] = {}
    for e in ev:
        counts[e.event] = counts.get(e.event, 0) + 1
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none"
    rows = [[f"<td>{(e.ts - t0) / 60.0:,.1f}</td>", f"<td>{html.escape(e.event)}</td>",
             f"<td>{html.escape(e.message)}</td>"] for e in ev[:EVENT_ROWS]]
    more = f"<p class='note'>First {EVENT_ROWS} of {len(ev)} shown.</p>" if len(ev) > EVENT_ROWS else ""
    return ("<h3>Plan-step engagements and why the spread changed</h3>"
            f"<p class='note'>Counts: {html.escape(summary)}. The same lines the live bot logs (docs/operations.md, "
            "Logs).</p>" + table(["minute", "event", "what happened"], rows, "events", "plan-events") + more)


def _regimes(m: dict[str, Any]) -> str:
    rows = []
    for name, r in sorted(m["regimes"].items()):
        vol = r["volume_quote"]
        rows.append([f"<td>{html.escape(name)}</td>", td(r["seconds"] / 60.0, 1), _cell(r, lambda d: d["pnl"], 4, False),
                     td(int(r["fills"])), td(vol, 2), td(r["pnl"] / vol * 1e4 if vol > 0 else None, 2)])
    return "<h2>By market regime</h2>" + table(
        ["regime", "minutes", "PnL (USD)", "fills", "volume (USD)", "PnL / volume (bps)"], rows, "summary", "regimes")


def _fills_table(run: RecordedRun, t0: float, sym: str) -> str:
    rows: list[list[str]] = []
    pos = 0.0
    for f in run.fills:
        pos = round(pos + f.sign * f.size, 9)
        if len(rows) >= FILL_ROWS:
            continue
        mid = mid_at(run.series, f.t)
        edge = None if mid is None else f.sign * (mid - f.price) / mid * 1e4
        rows.append([td((f.t - t0) / 60.0, 2), f"<td>{'buy' if f.sign > 0 else 'sell'}</td>", f"<td>{f.role}</td>",
                     f"<td>{html.escape(f.purpose)}</td>", td(f.price, 3), td(f.size, 4), td(f.price * f.size, 2),
                     td(f.fee, 6), td(mid, 3), _cell({"e": edge}, lambda d: d["e"], 2, False), td(pos, 4)])
    more = (f"<p class='note'>First {FILL_ROWS} of {len(run.fills)} fills shown.</p>"
            if len(run.fills) > FILL_ROWS else "")
    return f"<h2>Fills ({len(run.fills)})</h2>" + table(
        ["minute", "side", "role", "purpose", "price (USD)", f"size ({sym})", "notional (USD)", "fee (USD)",
         "mid at fill (USD)", "vs mid (bps)", f"position after ({sym})"], rows, "fills", "fills") + more


def _config(cfg: BotConfig) -> str:
    flat: dict[str, Any] = {}

    def walk(d: dict[str, Any], prefix: str = "") -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                flat[f"{prefix}{k}"] = "***" if f"{prefix}{k}" in SECRET_KEYS and v else v

    walk(cfg.model_dump(mode="json"))
    docs = dict(describe_fields())
    key = [[f"<td><code>{k}</code></td>", f"<td>{html.escape(json.dumps(flat[k]))}</td>",
            f"<td class='why'>{html.escape(docs.get(k, ''))}</td>"] for k in KEY_SETTINGS if k in flat]
    full = [[f"<td><code>{k}</code></td>", f"<td>{html.escape(json.dumps(v))}</td>",
             f"<td class='why'>{html.escape(docs.get(k, ''))}</td>"] for k, v in flat.items()]
    return (f"<h2>Config used (hash <code>{cfg.config_hash()}</code>)</h2>"
            + table(["setting", "value", "meaning (unit)"], key, "summary", "config-key")
            + f"<details><summary>All {len(flat)} settings</summary>"
            + table(["setting", "value", "meaning (unit)"], full, "summary", "config-all") + "</details>")


CSS = """
body{font-family:system-ui,sans-serif;margin:1.2em 2em;color:#1d2329;max-width:1400px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1em}
table{border-collapse:collapse;margin:.4em 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e3e6e8;padding:3px 10px;text-align:right;font-size:13px}
th:first-child,td:first-child{text-align:left}th{background:#f3f5f7}
td.unit{color:#666;text-align:left}td.why{color:#555;text-align:left;max-width:40em}
table.events td,table.events th{text-align:left}th{text-align:left}
.pos{color:#1a7f37}.neg{color:#c62828}.meta,.note{color:#555;font-size:13px}
#caveats{background:#fff8e1;border:1px solid #f0d98c;padding:.3em 1em;border-radius:4px}
code{font-size:12px}
"""
