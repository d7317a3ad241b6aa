"""`lighter-bot data info`: a quick look at a recording, from one streaming pass over its rows.

The book is sampled once a second of exchange time while it is known (two-sided): spread in bps of
the mid, and the 1 s mid log-returns that give the volatility in bps/√s (returns over a gap or a
longer silence are left out, each return is scaled by 1/√Δt). Trades per minute: the trades printed
while the book was known, over that time (the window minus its gaps); trade sizes (all trades) are
in base units and in quote (USD).
"""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime
from typing import Any

import numpy as np

from lighter_bot.marketdata.stream import Recording
from lighter_bot.venues.sim.source import BID, CLEAR, DEPTH, TRADE

SAMPLE_S = 1.0


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def recording_info(rec: Recording) -> dict[str, Any]:
    m = rec.market
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    spreads: list[float] = []
    rets: list[float] = []
    crossed = 0
    prev_mid: float | None = None
    prev_at = 0.0
    next_sample = -math.inf
    first = last = None
    known_trades = 0
    trade_base: list[np.ndarray] = []
    trade_usd: list[np.ndarray] = []
    for c in rec.chunks():
        if first is None:
            first = float(c["t"][0])
        last = float(c["t"][-1])
        tr = c[c["kind"] == TRADE]
        if len(tr):
            base = tr["size"] / m.size_scale
            trade_base.append(base)
            trade_usd.append(base * tr["price"] / m.price_scale)
        for t, kind, side, px, sz in zip(c["t"].tolist(), c["kind"].tolist(), c["side"].tolist(),
                                         c["price"].tolist(), c["size"].tolist(), strict=True):
            if t >= next_sample and bids and asks:
                bb, ba = max(bids), min(asks)
                if bb >= ba:
                    crossed += 1
                    prev_mid = None
                else:
                    mid = (bb + ba) / 2
                    spreads.append((ba - bb) / mid * 1e4)
                    if prev_mid is not None and t - prev_at <= 2 * SAMPLE_S:
                        rets.append(math.log(mid / prev_mid) * 1e4 / math.sqrt(t - prev_at))
                    prev_mid, prev_at = mid, t
                next_sample = t + SAMPLE_S
            if kind == DEPTH:
                book = bids if side == BID else asks
                if sz:
                    book[px] = sz
                else:
                    book.pop(px, None)
            elif kind == CLEAR:
                (bids if side == BID else asks).clear()
                prev_mid = None
            elif kind == TRADE and bids and asks:
                known_trades += 1
    s = rec.summary
    duration = (last - first) if first is not None and last is not None else 0.0
    gap_s = sum(b - a for a, b in s.gaps)
    covered = max(duration - gap_s, 0.0)
    base = np.concatenate(trade_base) if trade_base else np.zeros(0)
    usd = np.concatenate(trade_usd) if trade_usd else np.zeros(0)
    return {
        "format": s.format,
        "instrument": m.symbol,
        "tick": str(m.tick), "lot": str(m.lot), "min_base": str(m.min_base_size), "min_quote": str(m.min_quote),
        "files": [str(f) for f in s.files],
        "start": _iso(first) if first is not None else None,
        "end": _iso(last) if last is not None else None,
        "duration_s": round(duration, 3),
        "gaps": len(s.gaps), "gap_seconds": round(gap_s, 1), "longest_gap_s": round(max((b - a for a, b in s.gaps), default=0.0), 1),
        "book_known_s": round(covered, 1),
        "rows": dict(s.counts),
        "median_spread_bps": round(statistics.median(spreads), 3) if spreads else None,
        "crossed_book_samples": crossed,
        "volatility_bps_per_sqrt_s": round(statistics.pstdev(rets), 3) if len(rets) > 1 else None,
        "trades": len(base),
        "trades_while_book_known": known_trades,
        "trades_per_minute": round(known_trades / (covered / 60), 2) if covered > 0 else None,
        "median_trade_base": float(np.median(base)) if len(base) else None,
        "median_trade_usd": round(float(np.median(usd)), 2) if len(usd) else None,
        "dropped": dict(s.dropped),
        "notes": list(s.notes),
    }


def format_info(d: dict[str, Any]) -> str:
    def num(x: Any, fmt: str) -> str:
        return "n/a" if x is None else format(x, fmt)

    kinds = ("depth", "trade", "clear", "mark")
    rows = ", ".join(f"{k} {d['rows'][k]:,}" for k in kinds if k in d["rows"])
    loader = {k: v for k, v in d["rows"].items() if k not in kinds}
    lines = [
        f"{d['instrument']} ({d['format']}): tick {d['tick']}, lot {d['lot']}, minimum {d['min_base']} / {d['min_quote']} quote",
        f"  files     {', '.join(f.rsplit('/', 1)[-1] for f in d['files'])}",
        f"  window    {d['start']} .. {d['end']} UTC ({d['duration_s']:,.1f} s)",
        f"  gaps      {d['gaps']} ({d['gap_seconds']:,.1f} s, longest {d['longest_gap_s']:,.1f} s); book known {d['book_known_s']:,.1f} s",
        f"  rows      {rows}",
        f"  spread    median {num(d['median_spread_bps'], '.3f')} bps; volatility {num(d['volatility_bps_per_sqrt_s'], '.3f')} bps/sqrt(s)",
        f"  trades    {d['trades']:,} ({num(d['trades_per_minute'], '.1f')}/min); median size {num(d['median_trade_base'], '.6g')} "
        f"base = {num(d['median_trade_usd'], ',.2f')} quote",
    ]
    for k, v in loader.items():
        lines.append(f"  loader    {k}: {v:,}")
    for k, v in d["dropped"].items():
        lines.append(f"  dropped   {k}: {v:,}")
    lines += [f"  note      {n}" for n in d["notes"]]
    return "\n".join(lines)
