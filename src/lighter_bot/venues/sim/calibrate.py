"""Market statistics of real recordings, used to calibrate the synthetic scenarios (scenarios.py).

`binance_stats` reads the Binance USD-M recordings through the replay loader; `bybit_sol_stats`
reads the Bybit SOLUSDT sample (the only SOL perp recording). All sizes are reported in quote
notional (USD) and distances in bps, so they transfer to a SOL-like market at another price and tick.
`python -m lighter_bot.venues.sim.calibrate ../shared/data` prints them.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

from lighter_bot.errors import DataError
from lighter_bot.marketdata.binance import BinanceRecording
from lighter_bot.marketdata.stream import rows_of
from lighter_bot.venues.sim.source import BID, CLEAR, DEPTH, TRADE, Row


def _log_sigma(xs: list[float]) -> float:
    logs = [math.log(x) for x in xs if x > 0]
    return statistics.pstdev(logs) if len(logs) > 1 else 0.0


def book_trade_stats(rows: list[Row], price_scale: int, size_scale: int, depth: int = 20) -> dict[str, float]:
    """Spread, level size and spacing (sampled once a second), trade rate and size, 1 s mid volatility."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    spreads: list[float] = []
    levels: list[float] = []
    gaps: list[float] = []
    mids: list[float] = []
    trades: list[float] = []
    next_sample = rows[0][0] if rows else 0.0
    for t, kind, side, px, sz in rows:
        if kind == DEPTH:
            book = bids if side == BID else asks
            if sz:
                book[px] = sz
            else:
                book.pop(px, None)
        elif kind == CLEAR:
            (bids if side == BID else asks).clear()
        elif kind == TRADE:
            trades.append(px / price_scale * sz / size_scale)
        if t >= next_sample and bids and asks:
            next_sample = t + 1.0
            bb, ba = max(bids), min(asks)
            mid = (bb + ba) / 2
            mids.append(mid)
            spreads.append((ba - bb) / mid * 1e4)
            top_b = sorted(bids, reverse=True)[:depth]
            top_a = sorted(asks)[:depth]
            levels += [p / price_scale * bids[p] / size_scale for p in top_b]
            levels += [p / price_scale * asks[p] / size_scale for p in top_a]
            gaps += [abs(a - b) / mid * 1e4 for a, b in itertools.pairwise(top_b)]
            gaps += [abs(a - b) / mid * 1e4 for a, b in itertools.pairwise(top_a)]
    span = rows[-1][0] - rows[0][0] if rows else 0.0
    rets = [math.log(b / a) * 1e4 for a, b in itertools.pairwise(mids)]
    return {
        "seconds": span,
        "spread_bps_median": statistics.median(spreads) if spreads else 0.0,
        "level_notional_median_usd": statistics.median(levels) if levels else 0.0,
        "level_gap_bps_median": statistics.median(gaps) if gaps else 0.0,
        "trades_per_s": len(trades) / span if span else 0.0,
        "trade_notional_median_usd": statistics.median(trades) if trades else 0.0,
        "trade_log_sigma": _log_sigma(trades),
        "vol_bps_per_sqrt_s": statistics.pstdev(rets) if len(rets) > 1 else 0.0,
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
