"""The running bot's records: ledger writes off the event loop, in-memory books for the metrics,
and periodic position snapshots.

`sink` (the runner's fill sink) only converts and queues rows; a writer task appends each batch in
a worker thread (one write + fsync per batch, records.jsonl) so the event loop never blocks on disk.
Durability first: a batch that fails to write stays queued and is retried; `close()` flushes
everything before the bot exits, and saves what it still could not write (records.unrecorded) so the
exit can say where. The books are fed only rows the ledger actually wrote, so metrics and the ledger
can never disagree about duplicates.

The ledger is part of the trading loop: `ledger_status()` (writable, fills not yet durable, why) is
what the runner feeds the engine as a LedgerStatus event; while the ledger refuses writes the engine
only reduces risk, and halts once `guard.max_unrecorded_fills` fills wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog

from lighter_bot.config import MetricsConfig
from lighter_bot.domain.fills import FillRecord
from lighter_bot.domain.market import MarketSpec
from lighter_bot.records.accounting import Accountant, LedgerFill, parse_fill, parse_fills, suspicious_rows
from lighter_bot.records.ledger import Ledger, PositionsLog, PurposeOf, fill_row, normalize_ts
from lighter_bot.records.locations import check_paths
from lighter_bot.records.unrecorded import dump

log = structlog.get_logger("records")

RETRY_SECONDS = 1.0


class RecordsService:
    def __init__(
        self,
        cfg: MetricsConfig,
        market: MarketSpec,
        config_hash: str,
        source: str,
        purpose_of: PurposeOf | None = None,
        wall: Callable[[], float] = time.time,
        clock_kind: str = "wall",
    ) -> None:
        self.cfg = cfg
        self.clock_kind = clock_kind
        self.market = market
        self.config_hash = config_hash
        self.source = source
        self.purpose_of = purpose_of
        self.wall = wall
        self.books = Accountant(keep_seconds=max(cfg.rolling_window_seconds, cfg.short_window_seconds))
        self.ledger: Ledger | None = None
        self.positions: PositionsLog | None = None
        self.recent: list[LedgerFill] = []  # last fills, newest last (dashboard)
        self._pending: list[dict[str, Any]] = []
        self._writing = 0  # rows of the batch being written right now (not durable yet)
        self._pending_positions: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.write_errors = 0
        self.last_error: str | None = None  # the last write of fills or positions that failed
        self.last_fill_error: str | None = None  # ... of fills only (what trading depends on)
        self.write_seconds: list[float] = []  # drained by telemetry
        self.rows_written = 0
        self.on_written: list[Callable[[Sequence[LedgerFill]], None]] = []
        self.ledger_position: dict[str, Decimal] = {}  # market key -> sum of base_delta of written rows
        self.last_fill_ts: dict[str, float] = {}  # market key -> newest written fill (s)
        self.first_snapshot_ts: dict[str, float] = {}  # market key -> oldest position snapshot (s)
        self.unrecorded_at_exit = 0  # fills close() could not write (non-zero exit)
        self.unrecorded_path: Path | None = None  # where they were saved (None: stderr only)

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        """Open (repair) the ledger and seed the books from it. Blocking: call before the loop runs
        or through `await asyncio.to_thread(service.open)`."""
        if self.cfg.enabled:
            check_paths(self.cfg)
            self.ledger = Ledger.from_config(self.cfg, self.market, self.config_hash, self.source,
                                             purpose_of=self.purpose_of)
            self.positions = PositionsLog.from_config(self.cfg)
            rows = self.ledger.rows()
            self._note(rows)
            for r in self.positions.rows():  # when this ledger folder first ran a bot, per market
                try:
                    market, ts = str(r["market"]), normalize_ts(float(r["timestamp"]))
                except (KeyError, TypeError, ValueError):
                    continue
                self.first_snapshot_ts[market] = min(ts, self.first_snapshot_ts.get(market, ts))
            fills, bad = parse_fills(rows)
            self.books.extend(fills)
            self.books.prune(self.wall())
            self.recent = fills[-200:]
            log.info("ledger_opened", path=str(self.ledger.path), fills=len(fills), unreadable=bad,
                     repaired_bytes=self.ledger.repaired_bytes)
            odd = suspicious_rows(rows, self.wall())
            if odd:
                log.warning("ledger_suspicious_rows", path=str(self.ledger.path), counted=True, **{
                    k.replace(" ", "_"): n for k, n in odd.items()})

    async def start(self) -> None:
        await asyncio.to_thread(self.open)
        self._task = asyncio.create_task(self._writer(), name="ledger-writer")

    async def close(self) -> None:
        """Flush every queued row (retrying while the disk refuses, for a bounded time) and stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending_positions:
            log.warning("positions_rows_dropped_at_exit", positions=len(self._pending_positions), error=self.last_error)
        if self._pending:
            rows, self._pending = self._pending, []
            self.unrecorded_at_exit = len(rows)
            self.unrecorded_path = await asyncio.to_thread(dump, rows, self.cfg.ledger_path, self.wall)
            log.error("ledger_rows_unwritten_at_exit", fills=len(rows), error=self.last_error,
                      saved_to=str(self.unrecorded_path) if self.unrecorded_path else "stderr",
                      recover="lighter-bot metrics import-json --input <that file> (docs/ledger.md)")

    # -- inputs ----------------------------------------------------------------------------------
    def sink(self, records: Sequence[FillRecord]) -> None:
        """Runner fill sink: convert now (the purpose lookup is fresh), write later."""
        rows = [fill_row(r, self.market, self.config_hash, self.source,
                         self.purpose_of(r.fill.client_id) if self.purpose_of else None, self.clock_kind)
                for r in records]
        if self.ledger is None:
            self._book(rows)
            return
        self._pending.extend(rows)
        self._wake.set()

    def snapshot_position(self, row: dict[str, Any]) -> None:
        if self.positions is not None:
            self._pending_positions.append(row)
            self._wake.set()

    @property
    def queue_depth(self) -> int:
        return len(self._pending)

    def ledger_status(self) -> tuple[bool, int, str]:
        """(the ledger takes writes, fills not yet durable, why not): the engine's LedgerStatus."""
        if self.ledger is None:
            return True, 0, ""
        return self.last_fill_error is None, len(self._pending) + self._writing, self.last_fill_error or ""

    # -- writer ----------------------------------------------------------------------------------
    def _note(self, rows: Sequence[dict[str, Any]]) -> None:
        """Per market: the ledger's position (sum of base_delta, exact) and its newest fill time."""
        for r in rows:
            market = str(r.get("market") or "")
            try:
                delta, ts = Decimal(str(r["base_delta"])), normalize_ts(float(r["timestamp"]))
            except (KeyError, TypeError, ValueError, ArithmeticError):
                continue
            self.ledger_position[market] = self.ledger_position.get(market, Decimal(0)) + delta
            if ts > self.last_fill_ts.get(market, -1.0):
                self.last_fill_ts[market] = ts

    async def flush(self, timeout_s: float) -> bool:
        """Wait until every queued fill is written (True) or `timeout_s` passes (False)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while self._pending or self._writing:
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.02)
        return True

    def enqueue_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Prepared ledger rows (fills recovered from the exchange) go through the same writer and
        dedupe as the engine's fills."""
        if self.ledger is not None and rows:
            self._pending.extend(rows)
            self._wake.set()

    def _book(self, rows: Sequence[dict[str, Any]]) -> None:
        self._note(rows)
        fills = [f for f in (parse_fill(r) for r in rows) if f is not None]
        self.books.extend(fills)
        self.recent.extend(fills)
        del self.recent[:-200]
        for cb in self.on_written:
            cb(fills)

    async def _flush_once(self) -> bool:
        """Write what is queued; True when everything queued at the start got written."""
        ok = True
        if self._pending and self.ledger is not None:
            batch, self._pending = self._pending, []
            self._writing = len(batch)
            t0 = time.perf_counter()
            try:
                written = await asyncio.to_thread(self.ledger.write_new, batch)
            except Exception as exc:  # a disk error or anything else: the rows stay queued, never lost
                self._writing = 0
                self._pending = batch + self._pending  # keep order; retry
                self.write_errors += 1
                self.last_error = self.last_fill_error = f"{type(exc).__name__}: {exc}"
                log.error("ledger_write_failed", error=self.last_error, queued=len(self._pending))
                ok = False
            else:
                self._writing = 0
                self.write_seconds.append(time.perf_counter() - t0)
                self.rows_written += len(written)
                self.last_error = self.last_fill_error = None
                self._book(written)
        if self._pending_positions and self.positions is not None:
            prow, self._pending_positions = self._pending_positions, []
            try:
                await asyncio.to_thread(self.positions.append, prow)
            except OSError as exc:
                self._pending_positions = prow + self._pending_positions
                self.write_errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("positions_write_failed", error=self.last_error)
                ok = False
        return ok

    async def _writer(self) -> None:
        failures_at_close = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            ok = await self._flush_once()
            if self._closing and not self._pending and not self._pending_positions:
                return
            if not ok:
                if self._closing:
                    failures_at_close += 1
                    if failures_at_close >= 5:
                        return
                await asyncio.sleep(RETRY_SECONDS)
                self._wake.set()
            elif self._closing:
                self._wake.set()

    @property
    def healthy(self) -> bool:
        return self.last_error is None
