"""The fills ledger `data/metrics/fills.jsonl` and the position snapshots `positions.jsonl`.

One JSON object per fill, timestamps in seconds (float, UTC). Appends are durable and crash-safe
(records.jsonl), fills are deduplicated by trade id across the live file and its archives, and the
file rotates at `metrics.max_bytes` into `metrics.archive_dir`. Format and policy: docs/ledger.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from lighter_bot.config import MetricsConfig
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import MarketSpec
from lighter_bot.records.jsonl import JsonlFile, encode_line, log, read_jsonl

# Old ledgers (and Lighter's API) carry millisecond timestamps; no fill in seconds is this large.
_MS_THRESHOLD = 1e11

PurposeOf = Callable[[int], str | None]


def market_key(market_id: int) -> str:
    return f"market:{market_id}"


def _dec(x: float) -> str:
    return str(Decimal(repr(x))) if x else "0"


def fill_row(
    rec: FillRecord, market: MarketSpec, config_hash: str | None, source: str, purpose: str | None = None,
    clock: str = "wall",
) -> dict[str, Any]:
    """The ledger row of one fill: sizes and prices as exact decimal strings, deltas signed; `clock`
    says what `timestamp` is: "wall" (live: the wall clock) or "simulated" (a simulator run's clock)."""
    f = rec.fill
    size = market.lots_to_size(f.size)
    price = market.ticks_to_price(f.price)
    base_delta = size * f.side.sign
    return {
        "timestamp": round(f.ts, 6),
        "market": market_key(market.market_id),
        "symbol": market.symbol,
        "role": f.role.value,
        "side": f.side.value,
        "size": str(size),
        "price": str(price),
        "notional": str(size * price),
        "base_delta": str(base_delta),
        "quote_delta": str(-base_delta * price),
        "fee_paid": _dec(f.fee),
        "fee_currency": "quote",
        "mid_price": None if rec.mid is None else f"{rec.mid:.6f}",
        "trade_id": f.trade_id,
        "client_order_id": f.client_id,
        "order_id": None,
        "purpose": purpose,
        "position_after": str(market.lots_to_size(rec.position_after)),
        "source": source,
        "config_hash": config_hash,
        "clock": clock,
    }


def normalize_ts(ts: float) -> float:
    """Seconds since the epoch; millisecond values (old ledgers, Lighter payloads) are converted."""
    return ts / 1000.0 if ts > _MS_THRESHOLD else ts


# Ledger `source` values of fills that never happened on the exchange.
SIMULATED_SOURCES = frozenset({"sim", "backtest", "memory", "fake"})


def is_live_row(row: dict[str, Any]) -> bool:
    """A fill made on the exchange (live trading, recovery, an import of the exchange's history), not
    by the simulator: simulated rows say `clock: simulated`, come from a simulated source, or carry a
    simulator trade id (`sim-...`, also in ledgers written before the clock column existed)."""
    return (row.get("clock") != "simulated" and str(row.get("source") or "") not in SIMULATED_SOURCES
            and not str(row.get("trade_id") or "").startswith("sim-"))


def trade_key(row: dict[str, Any]) -> str | None:
    tid = row.get("trade_id")
    return None if tid is None or tid == "" else str(tid)


class Ledger:
    """Append-only, deduplicated, rotating fills ledger. `append` returns only once rows are durable."""

    def __init__(
        self,
        path: str | Path,
        market: MarketSpec | None = None,
        config_hash: str = "",
        source: str = "bot",
        *,
        archive_dir: str | Path | None = None,
        max_bytes: int | None = 5 * 1024 * 1024,
        fsync: bool = True,
        purpose_of: PurposeOf | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.file = JsonlFile(path, archive_dir, max_bytes, prefix="fills", fsync=fsync, wall=wall)
        self.market = market
        self.config_hash = config_hash
        self.source = source
        self.purpose_of = purpose_of
        self.repaired_bytes = self.file.repair()
        self._seen: set[str] = set()
        self.bad_lines = 0
        self.rows_written = 0
        self.duplicates_skipped = 0
        self._load_seen()

    @classmethod
    def from_config(cls, cfg: MetricsConfig, market: MarketSpec | None = None, config_hash: str = "",
                    source: str = "bot", **kw: Any) -> Ledger:
        return cls(cfg.ledger_path, market, config_hash, source, archive_dir=cfg.archive_dir,
                   max_bytes=cfg.max_bytes, **kw)

    @property
    def path(self) -> Path:
        return self.file.path

    def _load_seen(self) -> None:
        rows, bad = read_jsonl(self.file.files())
        self.bad_lines = bad
        if bad:
            log.warning("ledger_unreadable_lines", file=str(self.path), lines=bad)
        for r in rows:
            k = trade_key(r)
            if k is not None:
                self._seen.add(k)

    def seen(self, trade_id: str) -> bool:
        return trade_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def append(self, records: Sequence[FillRecord]) -> int:
        """Convert and append new fills (the runner's sink). Returns how many rows were written."""
        if not records:
            return 0
        if self.market is None:
            raise ValueError("Ledger.append needs the MarketSpec (use append_rows for prepared rows)")
        rows = [
            fill_row(r, self.market, self.config_hash, self.source,
                     self.purpose_of(r.fill.client_id) if self.purpose_of else None)
            for r in records
        ]
        return self.append_rows(rows)

    def append_rows(self, rows: Iterable[dict[str, Any]]) -> int:
        """Append prepared rows, skipping any trade id already in the ledger (or twice in `rows`)."""
        return len(self.write_new(rows))

    def write_new(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append the rows not yet in the ledger; return exactly those (durable when this returns)."""
        lines: list[bytes] = []
        new: list[dict[str, Any]] = []
        keys: list[str] = []
        batch: set[str] = set()
        for row in rows:
            k = trade_key(row)
            if k is not None:
                if k in self._seen or k in batch:
                    self.duplicates_skipped += 1
                    continue
                batch.add(k)
                keys.append(k)
            lines.append(encode_line(row))
            new.append(row)
        if not lines:
            return []
        self.file.append_lines(lines)
        self._seen.update(keys)
        self.rows_written += len(lines)
        return new

    def rows(self) -> list[dict[str, Any]]:
        """Every row of the current generation (archives, then the live file)."""
        rows, _ = read_jsonl(self.file.files())
        return rows

    def reset(self) -> Path | None:
        out = self.file.reset()
        self._seen.clear()
        return out


class PositionsLog:
    """`positions.jsonl`: periodic snapshots of position and PnL, rotated like the ledger."""

    def __init__(self, path: str | Path, archive_dir: str | Path | None = None, max_bytes: int | None = None,
                 fsync: bool = True) -> None:
        self.file = JsonlFile(path, archive_dir, max_bytes, prefix="positions", fsync=fsync)
        self.file.repair()

    @classmethod
    def from_config(cls, cfg: MetricsConfig) -> PositionsLog:
        return cls(cfg.positions_path, cfg.archive_dir, cfg.max_bytes)

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        self.file.append_lines([encode_line(r) for r in rows])

    def rows(self) -> list[dict[str, Any]]:
        rows, _ = read_jsonl(self.file.files())
        return rows
