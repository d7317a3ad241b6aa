"""Market statistics of real recordings, used to calibrate the synthetic markets (market_model.py).

`binance_stats` reads the Binance USD-M recordings through the replay loader; `bybit_sol_stats`
reads the Bybit SOLUSDT sample (the only SOL perp recording). All sizes are reported in quote
notional (USD) and distances in bps, so they transfer to a SOL-like market at another price and tick.
`python -m lighter_bot.venues.sim.calibrate ../shared/data` prints them.
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import math
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from lighter_bot.errors import DataError
from lighter_bot.marketdata.binance import BinanceRecording
from lighter_bot.marketdata.stream import rows_of
from lighter_bot.venues.sim.source import BID, CLEAR, DEPTH, TRADE, Row


def _log_sigma(xs: list[float]) -> float:
    logs = [math.log(x) for x in xs if x > 0]
    return statistics.pstdev(logs) if len(logs) > 1 else 0.0


def book_trade_stats(rows: Iterable[Row], price_scale: int, size_scale: int, depth: int = 20) -> dict[str, float]:
    """Spread, touch and level sizes, level spacing (sampled once a second over the top `depth`
    levels), trade rate and sizes, and the mid's volatility at 1 s and 30 s (bps per sqrt s; above
    the 1 s figure when moves run on, as they do after informed or one-sided flow)."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    spreads: list[float] = []
    touch: list[float] = []
    levels: list[float] = []
    gaps: list[float] = []
    trades: list[float] = []
    deep_levels: list[int] = []
    first = last = math.nan
    next_sample = -math.inf
    bb = ba = None  # best prices, kept as the rows go
    touch_changes = deeper_changes = 0
    live = 0.0  # seconds with a two-sided book (a recording's gaps have none)
    grid: list[float] = []  # log mid (bps) on a 1 s grid, carried forward; nan without a two-sided book
    next_grid = math.nan
    for t, kind, side, px, sz in rows:
        if first != first:
            first = next_grid = t
        two_sided = bb is not None and ba is not None
        if two_sided:
            live += t - last
        while next_grid <= t:
            grid.append(math.log((bb + ba) / 2) * 1e4 if bb is not None and ba is not None else math.nan)
            next_grid += 1.0
        last = t
        if kind == DEPTH:
            if side == BID:
                if px in bids and sz:
                    if px == bb:
                        touch_changes += 1
                    else:
                        deeper_changes += 1
                if sz:
                    bids[px] = sz
                    if bb is None or px > bb:
                        bb = px
                else:
                    bids.pop(px, None)
                    if px == bb:
                        bb = max(bids) if bids else None
            else:
                if px in asks and sz:
                    if px == ba:
                        touch_changes += 1
                    else:
                        deeper_changes += 1
                if sz:
                    asks[px] = sz
                    if ba is None or px < ba:
                        ba = px
                else:
                    asks.pop(px, None)
                    if px == ba:
                        ba = min(asks) if asks else None
        elif kind == CLEAR:
            (bids if side == BID else asks).clear()
            if side == BID:
                bb = None
            else:
                ba = None
        elif kind == TRADE and bb is not None and ba is not None:
            trades.append(px / price_scale * sz / size_scale)
        if t >= next_sample and bb is not None and ba is not None:
            next_sample = (t if next_sample == -math.inf else next_sample) + 1.0
            mid = (bb + ba) / 2
            deep_levels.append(min(len(bids), depth) + min(len(asks), depth) - 2)
            spreads.append((ba - bb) / mid * 1e4)
            touch.append((bb * bids[bb] + ba * asks[ba]) / 2 / price_scale / size_scale)
            top_b = heapq.nlargest(depth, bids)
            top_a = heapq.nsmallest(depth, asks)
            levels += [p / price_scale * bids[p] / size_scale for p in top_b[1:]]
            levels += [p / price_scale * asks[p] / size_scale for p in top_a[1:]]
            gaps += [abs(a - b) / mid * 1e4 for a, b in itertools.pairwise(top_b)]
            gaps += [abs(a - b) / mid * 1e4 for a, b in itertools.pairwise(top_a)]
    span = live
    # returns over 1 s and 30 s on the grid (nan where a gap in the data intervenes: left out)
    g = np.asarray(grid)
    rets = (g[1:] - g[:-1]) if len(g) > 1 else g[:0]
    rets30 = (g[30:] - g[:-30]) if len(g) > 30 else g[:0]
    if len(g) > 30:
        nan_before = np.cumsum(np.isnan(g))
        rets30 = rets30[nan_before[30:] == nan_before[:-30]]  # no gap inside the 30 s
    rets, rets30 = rets[~np.isnan(rets)], rets30[~np.isnan(rets30)]
    return {
        "seconds": span,
        "spread_bps_median": statistics.median(spreads) if spreads else 0.0,
        "touch_notional_median_usd": statistics.median(touch) if touch else 0.0,
        "level_notional_median_usd": statistics.median(levels) if levels else math.nan,
        "level_gap_bps_median": statistics.median(gaps) if gaps else math.nan,
        "touch_churn_per_s": touch_changes / span / 2 if span else 0.0,  # per side
        "level_churn_per_s": (deeper_changes / span / statistics.fmean(deep_levels)  # per level behind the best
                              if span and deep_levels and statistics.fmean(deep_levels) > 0 else math.nan),
        "trades_per_s": len(trades) / span if span else 0.0,
        "trade_notional_median_usd": statistics.median(trades) if trades else 0.0,
        "trade_log_sigma": _log_sigma(trades),
        "vol_bps_per_sqrt_s": float(np.std(rets)) if len(rets) > 1 else 0.0,
        "vol30_bps_per_sqrt_s": float(np.std(rets30)) / math.sqrt(30) if len(rets30) > 1 else math.nan,
    }


def binance_stats(paths: list[Path]) -> dict[str, float]:
    rec = BinanceRecording(paths)
    return book_trade_stats(list(rows_of(rec.chunks())), rec.market.price_scale, rec.market.size_scale)


def bybit_sol_stats(path: Path, symbol: str = "SOLUSDT") -> dict[str, float]:
    """Rows from the cryptofeed Bybit capture (orderbook.200 snapshot/deltas, publicTrade)."""
    import zstandard

    ps, ss = 1000, 10  # Bybit SOLUSDT: tick 0.01 (3 decimals on the wire), lot 0.1
    rows: list[Row] = []
    try:
        with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as zr:
            for line in io.TextIOWrapper(zr, encoding="utf-8"):
                rec = json.loads(line)
                if rec.get("t") != "recv" or symbol not in rec.get("data", "")[:80]:
                    continue
                msg: dict[str, Any] = json.loads(rec["data"])
                topic = msg.get("topic", "")
                t = float(rec["ts"])
                if topic == f"orderbook.200.{symbol}":
                    d = msg["data"]
                    if msg.get("type") == "snapshot":
                        rows += [(t, CLEAR, BID, 0, 0), (t, CLEAR, 0, 0, 0)]
                    rows += [(t, DEPTH, BID, round(float(p) * ps), round(float(q) * ss)) for p, q in d.get("b", [])]
                    rows += [(t, DEPTH, 0, round(float(p) * ps), round(float(q) * ss)) for p, q in d.get("a", [])]
                elif topic == f"publicTrade.{symbol}":
                    for tr in msg["data"]:
                        rows.append((t, TRADE, BID if tr["S"] == "Buy" else 0, round(float(tr["p"]) * ps),
                                     round(float(tr["v"]) * ss)))
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: cannot read the Bybit capture ({exc})") from None
    return book_trade_stats(rows, ps, ss)


def main(argv: list[str]) -> None:
    root = Path(argv[0] if argv else "../shared/data")
    bp = root / "binance_perp"
    out = {
        "binance_btcusdt": binance_stats([bp / "usdm_btcusdt_20240718.gz", bp / "usdm_btcusdt_20240719.gz"]),
        "binance_ethusdt": binance_stats([bp / "usdm_ethusdt_20240718.gz", bp / "usdm_ethusdt_20240719.gz"]),
        "bybit_solusdt": bybit_sol_stats(root / "bybit_perp" / "BYBIT_2026-08-09_linear_BTC-ETH-SOL-DOGE.jsonl.zst"),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
