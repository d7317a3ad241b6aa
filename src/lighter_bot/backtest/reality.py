"""The reality check: the statistics that decide a maker's PnL, measured the same way on any market.

For one market (a recording or a synthetic scenario) `measure` runs the fixed probe quoter
(backtest/probe.py) at each distance of `DISTANCES` under the bot's venue rules and reports, per
distance, the fills per hour and the fill-conditional markouts at `HORIZONS` (the adverse-selection
curve: how far the mid runs against a fill within 1/5/30/60 s), beside the market's own statistics:
spread, volatility, trade rate and sizes. A real recording and a synthetic scenario measured this way
can be compared line by line (`format_table`, `html`), which is what `calibrate` fits against.

Markout of a fill = side x (mid at fill time + h - fill price) / fill price, in bps, with the mid as
the probe saw it; positive = the fill made money at that horizon. Horizons past the end of the data
are left out of that horizon's mean.

Only time with a two-sided book counts: a recording's gaps (the loaders empty the book there) are not
quiet hours. Fill and trade rates are per hour (minute) with a book, returns for the volatility and
markout horizons never span a gap.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lighter_bot.backtest.probe import TOUCH, ProbeCore
from lighter_bot.backtest.runner import run_backtest
from lighter_bot.domain.market import MarketSpec
from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import VenueRules

DISTANCES: tuple[float, ...] = (TOUCH, 1.0, 2.0, 3.5, 6.5, 10.0)
HORIZONS: tuple[float, ...] = (1.0, 5.0, 30.0, 60.0)
VOL_SAMPLE_S = 1.0


@dataclass(frozen=True)
class Curve:
    """One probe distance: fill rate and markouts (mean and standard error per horizon, bps)."""

    distance_bps: float  # 0 = at the touch
    fills: int
    fills_per_hour: float
    edge_bps: float  # markout at the fill itself (fill price vs the mid then)
    markout_bps: dict[float, float]
    markout_se_bps: dict[float, float]


@dataclass(frozen=True)
class MarketStats:
    seconds: float
    spread_median_bps: float
    spread_p90_bps: float
    vol_bps_per_sqrt_s: float  # std-dev of 1 s mid log-returns
    trades_per_min: float
    trade_median_usd: float
    trade_p90_usd: float
    trade_median_base: float


@dataclass(frozen=True)
class Reality:
    name: str
    market: MarketStats
    curves: tuple[Curve, ...] = field(default_factory=tuple)

    def curve(self, distance: float) -> Curve:
        return next(c for c in self.curves if c.distance_bps == distance)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else math.nan


def _segment(dead: Sequence[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    """Index of the live stretch each time falls in (dead stretches split the data); -1 inside one."""
    if not dead:
        return np.zeros(len(t), dtype=np.int64)
    starts = np.array([a for a, _ in dead])
    ends = np.array([b for _, b in dead])
    k = np.searchsorted(ends, t, side="right")  # dead stretches wholly before t
    inside = (k < len(dead)) & (t >= starts[np.minimum(k, len(dead) - 1)])
    return np.where(inside, -1, k)


def market_stats(core: ProbeCore, seconds: float) -> MarketStats:
    seen = core.seen
    t, mid = seen.arrays()
    vol = math.nan
    if len(t) > 2 and t[-1] - t[0] > 10 * VOL_SAMPLE_S:
        grid = np.arange(t[0], t[-1], VOL_SAMPLE_S)
        sampled = mid[np.searchsorted(t, grid, side="right") - 1]
        seg = _segment(seen.dead, grid)
        same = (seg[1:] == seg[:-1]) & (seg[1:] >= 0)  # returns within one live stretch only
        rets = np.diff(np.log(sampled))[same] * 1e4
        vol = float(np.std(rets)) / math.sqrt(VOL_SAMPLE_S) if len(rets) > 1 else math.nan
    minutes = seconds / 60 if seconds > 0 else math.nan
    return MarketStats(
        seconds=seconds,
        spread_median_bps=_pct(seen.spread_bps, 50),
        spread_p90_bps=_pct(seen.spread_bps, 90),
        vol_bps_per_sqrt_s=vol,
        trades_per_min=len(seen.trade_t) / minutes,
        trade_median_usd=_pct(seen.trade_usd, 50),
        trade_p90_usd=_pct(seen.trade_usd, 90),
        trade_median_base=_pct(seen.trade_base, 50),
    )


def markouts(fills: Sequence[tuple[float, int, float]], mid_t: np.ndarray, mid: np.ndarray,
             horizons: Sequence[float] = HORIZONS,
             dead: Sequence[tuple[float, float]] = ()) -> tuple[list[float], dict[float, list[float]]]:
    """(edges at fill, markouts per horizon) of fills (t, side sign, price); mids as (times, values).
    A horizon that reaches into a `dead` stretch (a recording's gap: no book) is left out."""
    edges: list[float] = []
    out: dict[float, list[float]] = {h: [] for h in horizons}
    if not len(mid_t):
        return edges, out
    end = mid_t[-1]
    for t, sign, px in fills:
        i = int(np.searchsorted(mid_t, t, side="right")) - 1
        if i < 0:
            continue
        edges.append(sign * (mid[i] - px) / px * 1e4)
        for h in horizons:
            if t + h > end or any(a < t + h and b > t for a, b in dead):
                continue
            j = int(np.searchsorted(mid_t, t + h, side="right")) - 1
            out[h].append(sign * (mid[j] - px) / px * 1e4)
    return edges, out


def _mean_se(xs: Sequence[float]) -> tuple[float, float]:
    if not xs:
        return math.nan, math.nan
    m = statistics.fmean(xs)
    return m, (statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else math.nan)


def probe_size(market: MarketSpec, price: float) -> int:
    """The smallest order the venue accepts at `price` (plus 5 %, as the bot's smallest clip)."""
    return max(market.min_size_lots,
               market.lots_for_notional(float(market.min_quote) * 1.05, market.price_to_ticks_up(price)))


ExchangeFactory = Callable[[], SimExchange]


def measure(name: str, market: MarketSpec, exchange_for: ExchangeFactory, rules: VenueRules, price: float,
            distances: Sequence[float] = DISTANCES) -> Reality:
    """Run the probe at each distance on a fresh exchange (`exchange_for()`: same market every time)."""
    curves: list[Curve] = []
    stats: MarketStats | None = None
    size = probe_size(market, price)
    for d in distances:
        ex = exchange_for()
        clock = SimClock()
        # The venue's request budget less what the live adapter spends itself (charged by the simulator).
        core = ProbeCore(market, d, size, rules.core_requests_per_minute())
        run_backtest(ex, core, clock)
        seconds = max(core.seen.live_s, 1e-9)  # time with a book: a recording's gaps are not quiet hours
        if stats is None:
            stats = market_stats(core, seconds)
        fills = [(f.t, f.side.sign, market.px(f.price)) for f in ex.fills]
        t, mid = core.seen.arrays()
        edges, mo = markouts(fills, t, mid, HORIZONS, core.seen.dead)
        mean_se = {h: _mean_se(v) for h, v in mo.items()}
        curves.append(Curve(d, len(fills), len(fills) / seconds * 3600, _mean_se(edges)[0],
                            {h: m for h, (m, _) in mean_se.items()}, {h: s for h, (_, s) in mean_se.items()}))
    assert stats is not None
    return Reality(name, stats, tuple(curves))


def _fmt(x: float, spec: str = "+.2f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def format_table(realities: Sequence[Reality]) -> str:
    """One block of market statistics, then one adverse-selection table with a column per market."""
    lines = ["market statistics", f"{'':28}" + "".join(f"{r.name[:22]:>24}" for r in realities)]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"{label:28}" + "".join(f"{c:>24}" for c in cells))

    ms = [r.market for r in realities]
    row("duration (min)", [_fmt(m.seconds / 60, ".1f") for m in ms])
    row("spread median / p90 (bps)", [f"{_fmt(m.spread_median_bps, '.2f')} / {_fmt(m.spread_p90_bps, '.2f')}" for m in ms])
    row("volatility (bps/sqrt s)", [_fmt(m.vol_bps_per_sqrt_s, ".3f") for m in ms])
    row("trades per min", [_fmt(m.trades_per_min, ".1f") for m in ms])
    row("trade median / p90 (USD)", [f"{_fmt(m.trade_median_usd, '.0f')} / {_fmt(m.trade_p90_usd, '.0f')}" for m in ms])
    lines.append("")
    lines.append("probe quoter: fills per hour | markout (bps, + = the fill made money) at the fill and h s later")
    for d in sorted({c.distance_bps for r in realities for c in r.curves}):
        lines.append(f"  {'touch' if d == TOUCH else f'{d:g} bps from mid'}")
        cs = [r.curve(d) for r in realities]
        row("    fills/h", [_fmt(c.fills_per_hour, ".1f") for c in cs])
        row("    edge at fill", [_fmt(c.edge_bps) for c in cs])
        for h in HORIZONS:
            row(f"    markout {h:g} s", [f"{_fmt(c.markout_bps.get(h, math.nan))} ± "
                                        f"{_fmt(c.markout_se_bps.get(h, math.nan), '.2f')}" for c in cs])
    return "\n".join(lines)


def html(title: str, realities: Sequence[Reality]) -> str:
    """The table and two charts (markout vs horizon per distance; fill rate vs distance), one line per
    market, so a recording and a scenario read side by side. plotly.js is embedded (no CDN)."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs
    from plotly.subplots import make_subplots

    dists = sorted({c.distance_bps for r in realities for c in r.curves})
    fig = make_subplots(rows=1, cols=len(dists), shared_yaxes=True,
                        subplot_titles=[("touch" if d == TOUCH else f"{d:g} bps") for d in dists])
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    for k, r in enumerate(realities):
        color = palette[k % len(palette)]
        for col, d in enumerate(dists, 1):
            c = r.curve(d)
            xs = [0.0, *HORIZONS]
            ys = [c.edge_bps, *(c.markout_bps.get(h, math.nan) for h in HORIZONS)]
            es = [0.0, *(c.markout_se_bps.get(h, math.nan) for h in HORIZONS)]
            fig.add_trace(go.Scatter(x=xs, y=ys, error_y={"type": "data", "array": es}, mode="lines+markers",
                                     name=r.name, legendgroup=r.name, showlegend=col == 1,
                                     line={"color": color}), row=1, col=col)
    fig.update_xaxes(title_text="seconds after the fill", type="log")
    fig.update_yaxes(title_text="markout (bps, + = fill made money)", row=1, col=1)
    fig.update_layout(title="Adverse-selection curves of the probe quoter", height=420)
    rate = go.Figure()
    for k, r in enumerate(realities):
        rate.add_trace(go.Bar(x=[("touch" if c.distance_bps == TOUCH else f"{c.distance_bps:g} bps") for c in r.curves],
                              y=[c.fills_per_hour for c in r.curves], name=r.name,
                              marker={"color": palette[k % len(palette)]}))
    rate.update_layout(title="Probe fills per hour by distance from the mid", yaxis_title="fills per hour",
                       barmode="group", height=360)
    table = format_table(realities).replace("&", "&amp;").replace("<", "&lt;")
    return "".join([
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<h1>{title}</h1><pre>{table}</pre>",
        fig.to_html(full_html=False, include_plotlyjs=False),
        rate.to_html(full_html=False, include_plotlyjs=False),
        "</body></html>",
    ])
