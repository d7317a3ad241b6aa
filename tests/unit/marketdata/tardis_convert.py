"""Test helper: a Binance USD-M raw recording rewritten as Tardis.dev CSV (incremental_book_L2 + trades).

Written the way Tardis builds its files from the same feeds: the REST snapshot as `is_snapshot=true`
rows, then every depth diff from the one that bridges the snapshot on (`u >= lastUpdateId`) as
level rows, every trade with its aggressor side; `timestamp` = the exchange time (`T`, µs),
`local_timestamp` = the recorder's arrival stamp (µs). Price and size strings are copied verbatim.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from lighter_bot.marketdata.tardis import INCREMENTAL, TRADES


def binance_to_tardis(paths: list[Path], out_dir: Path, exchange: str = "binance-futures") -> list[Path]:
    lines = []
    for p in paths:
        with gzip.open(p, "rt") as fh:
            for line in fh:
                if "bookTicker" in line or not line.strip():
                    continue
                head, _, payload = line.partition(" ")
                lines.append((int(head) // 1000, json.loads(payload)))
    snap_local, snap = next((lo, o) for lo, o in lines if "lastUpdateId" in o)
    symbol = next(o["data"]["s"] for _, o in lines if "data" in o)
    day = "2024-07-18"
    book = out_dir / f"{exchange}_incremental_book_L2_{day}_{symbol}.csv.gz"
    trades = out_dir / f"{exchange}_trades_{day}_{symbol}.csv.gz"
    last_id = snap["lastUpdateId"]
    with gzip.open(book, "wt") as b, gzip.open(trades, "wt") as tr:
        b.write(",".join(INCREMENTAL) + "\n")
        tr.write(",".join(TRADES) + "\n")
        ts = snap["T"] * 1000
        for side, key in (("bid", "bids"), ("ask", "asks")):
            for px, qty in snap[key]:
                b.write(f"{exchange},{symbol},{ts},{snap_local},true,{side},{px},{qty}\n")
        for local, o in lines:
            d = o.get("data")
            if d is None:
                continue
            ts = d["T"] * 1000
            if d["e"] == "depthUpdate" and d["u"] >= last_id:
                for side, key in (("bid", "b"), ("ask", "a")):
                    for px, qty in d[key]:
                        b.write(f"{exchange},{symbol},{ts},{local},false,{side},{px},{qty}\n")
            elif d["e"] == "trade":
                tr.write(f"{exchange},{symbol},{ts},{local},{d['t']},{'sell' if d['m'] else 'buy'},{d['p']},{d['q']}\n")
    return [book, trades]
