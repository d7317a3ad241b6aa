"""Test helpers: small synthetic files in each collector's format (written to tmp_path by the tests)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import zstandard

from lighter_bot.marketdata import hyperliquid, lighter_csv, tardis


def write_gz(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write(",".join(header) + "\n")
        for r in rows:
            fh.write(",".join(str(x) for x in r) + "\n")
    return path


def hl_snapshot(ms: int, best_bid: float, best_ask: float, tick: float = 0.01, size: float = 1.0) -> list[Any]:
    row: list[Any] = [ms / 1000, ms, ms]
    for i in range(hyperliquid.LEVELS):
        row += [round(best_bid - i * tick, 2), size, round(best_ask + i * tick, 2), size]
    return row


def write_hl(d: Path, coin: str, books: list[list[Any]], prices: list[list[Any]], trades: list[list[Any]]) -> list[Path]:
    return [write_gz(d / f"hl_20250904_orderbooks_{coin}.csv.gz", hyperliquid.ORDERBOOKS, books),
            write_gz(d / f"hl_20250904_prices_{coin}.csv.gz", hyperliquid.PRICES, prices),
            write_gz(d / f"hl_20250904_trades_{coin}.csv.gz", hyperliquid.TRADES, trades)]


def write_lighter(d: Path, date: str, sym: str, prices: list[list[Any]], trades: list[list[Any]]) -> list[Path]:
    return [write_gz(d / f"lighter_{date}_prices_{sym}.csv.gz", lighter_csv.PRICES, prices),
            write_gz(d / f"lighter_{date}_trades_{sym}.csv.gz", lighter_csv.TRADES, trades)]


def write_tardis(d: Path, kind: str, header: list[str], rows: list[list[Any]], symbol: str = "BTCUSDT",
                 exchange: str = "deribit") -> Path:
    return write_gz(d / f"{exchange}_{kind}_2024-01-01_{symbol}.csv.gz", header,
                    [[exchange, symbol, *r] for r in rows])


def write_standx(d: Path, hour: str, snaps: list[tuple[int, list[float], list[float], list[float], list[float]]],
                 trades: list[tuple[int, float, float]], symbol: str = "BTC-USD") -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ts = pa.timestamp("ns", tz="UTC")
    book = pa.table({
        "timestamp": pa.array([s[0] for s in snaps], ts), "received_at": pa.array([s[0] for s in snaps], ts),
        "symbol": [symbol] * len(snaps),
        "bid_prices": [s[1] for s in snaps], "bid_quantities": [s[2] for s in snaps],
        "ask_prices": [s[3] for s in snaps], "ask_quantities": [s[4] for s in snaps],
    })
    tr = pa.table({
        "timestamp": pa.array([t[0] for t in trades], ts), "received_at": pa.array([t[0] for t in trades], ts),
        "symbol": [symbol] * len(trades), "price": [t[1] for t in trades], "quantity": [t[2] for t in trades],
        "side": ["SELL"] * len(trades), "is_buyer_taker": [False] * len(trades),
    })
    paths = [d / f"orderbook_{symbol}_2026-01-06_{hour}.parquet", d / f"trades_{symbol}_2026-01-06_{hour}.parquet"]
    pq.write_table(book, paths[0])
    pq.write_table(tr, paths[1])
    return paths


def write_bybit(path: Path, records: list[dict[str, Any]]) -> Path:
    header = {"t": "header", "format": 2, "exchange": "BYBIT", "config": {}}
    lines = [json.dumps(header)] + [json.dumps(r) for r in records]
    path.write_bytes(zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode()))
    return path


def bybit_recv(conn: str, ts: float, msg: dict[str, Any]) -> dict[str, Any]:
    return {"t": "recv", "conn": conn, "ts": ts, "data": json.dumps(msg)}


TARDIS_INCREMENTAL = tardis.INCREMENTAL
