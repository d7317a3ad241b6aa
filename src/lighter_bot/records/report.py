"""Ledger reports for the operator: snapshots over windows, CSV export, backfill import, reset."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from lighter_bot.config import MetricsConfig
from lighter_bot.errors import DataError
from lighter_bot.records.accounting import Accountant, build, parse_fill
from lighter_bot.records.backfill import FillsOf, ImportResult, convert, load_trades_file, needs_account
from lighter_bot.records.ledger import Ledger, PositionsLog, normalize_ts

CSV_COLUMNS = (
    "timestamp", "market", "role", "side", "size", "price", "notional", "base_delta", "quote_delta", "fee_paid",
    "mid_price", "trade_id", "source", "client_order_id", "order_id", "purpose", "config_hash",
)


def window_label(seconds: float) -> str:
    """21600 -> "6h", 300 -> "5m", 90 -> "90s" (metric and JSON key suffixes)."""
    s = round(seconds)
    if s % 3600 == 0:
        return f"{s // 3600}h"
    if s % 60 == 0:
        return f"{s // 60}m"
    return f"{s}s"


def latest_marks(cfg: MetricsConfig) -> dict[str, tuple[float, float]]:
    """Latest mid per market from positions.jsonl as (ts, mid)."""
    p = Path(cfg.positions_path)
    if not p.exists() and not Path(cfg.archive_dir).is_dir():
        return {}
    out: dict[str, tuple[float, float]] = {}
    for r in PositionsLog(p, cfg.archive_dir).rows():
        try:
            ts, mid, m = normalize_ts(float(r["timestamp"])), r.get("mid"), str(r["market"])
        except (KeyError, TypeError, ValueError):
            continue
        if mid is None:
            continue
        if m not in out or ts >= out[m][0]:
            out[m] = (ts, float(mid))
    return out


class LedgerReport:
    """The ledger of one config, loaded once, with the books built over all of it."""

    def __init__(self, cfg: MetricsConfig) -> None:
        self.cfg = cfg
        self.ledger = Ledger.from_config(cfg)
        self.rows = self.ledger.rows()
        self.books: Accountant
        self.books, self.bad_rows = build(self.rows)
        self.marks: dict[str, float] = {}
        for m, (ts, mid) in latest_marks(cfg).items():
            last_fill = self.books.totals.last_ts or 0.0
            if ts >= last_fill:  # a fresher mark than the last fill's mid
                self.marks[m] = mid

    def window_end(self, now: float | None = None) -> float:
        """Now, or the last fill if the ledger runs ahead of the wall clock (a sped-up simulation)."""
        end = time.time() if now is None else now
        return max(end, self.books.totals.last_ts or end)

    def snapshot(self, seconds: float | None = None, now: float | None = None) -> dict[str, Any]:
        if seconds is None:
            return self.books.snapshot(self.marks)
        end = self.window_end(now)
        return {**self.books.snapshot(self.marks, end - seconds, end), "window_seconds": seconds}

    def dump(self, now: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"total": self.snapshot()}
        for secs in (self.cfg.rolling_window_seconds, self.cfg.short_window_seconds):
            out[f"last_{window_label(secs)}"] = self.snapshot(secs, now)
        return out

    def export_csv(self, output: Path, seconds: float | None = None, now: float | None = None) -> int:
        since = None if seconds is None else self.window_end(now) - seconds
        rows = sorted(self.rows, key=lambda r: normalize_ts(float(r.get("timestamp") or 0)))
        n = 0
        try:
            fh = output.open("w", newline="")
        except OSError as exc:
            raise DataError(f"--output {output}: cannot write ({exc.strerror})") from None
        with fh:
            w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                f = parse_fill(r)
                if f is None or (since is not None and f.ts <= since):
                    continue
                w.writerow({**r, "timestamp": f.ts})
                n += 1
        return n


def import_file(cfg: MetricsConfig, path: Path, fills_of: FillsOf | None) -> tuple[ImportResult, int]:
    """Convert a backfill file and append the new fills; returns (conversion result, rows written).

    `fills_of` reads our side of a venue trade (None when no account index was given)."""
    trades = load_trades_file(path)
    if fills_of is None and needs_account(trades):
        raise DataError("--input holds Lighter trades: pass --account-index N (or set LIGHTER_ACCOUNT_INDEX) "
                        "so that our side of each trade is known")
    res = convert(trades, fills_of)
    written = Ledger.from_config(cfg).append_rows(res.rows) if res.rows else 0
    return res, written


def reset(cfg: MetricsConfig) -> Path | None:
    return Ledger.from_config(cfg).reset()
