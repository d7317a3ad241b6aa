"""Fills made while no bot was recording them, put into the ledger at start (issue 17 item 2).

A restart gap, a kill -9 with fills still queued, a ledger that refused writes: the exchange kept
trading our resting orders and its trade history has every fill. At start the shell asks the venue
for our fills since the ledger's newest fill of this market (or, with none yet, its first position
snapshot), minus a margin (the ledger stamps a fill when the bot learned of it, the exchange when
it traded), records those the ledger lacks
(deduplicated by trade id, `source: recovery`, no config hash: which config made them is not
known), and compares the ledger's position then with the exchange's. A difference it cannot explain
(a fill history that is incomplete, trades the account made elsewhere) is reported: log, metric,
alert. The position the engine trades on is the exchange's either way (adopted at start).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog

from lighter_bot.domain.fills import FillHistory
from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import LighterBotError
from lighter_bot.records.backfill import from_account_fill
from lighter_bot.records.ledger import market_key
from lighter_bot.records.service import RecordsService

log = structlog.get_logger("records")

MARGIN_S = 600.0
RECHECK_S = 2.0  # a fill landing between the history and the position read: look once more

FetchHistory = Callable[[float], Awaitable[FillHistory]]


@dataclass
class RecoveryReport:
    since: float | None
    fetched: int = 0
    recorded: int = 0
    complete: bool = True
    ledger_position: Decimal = Decimal(0)  # after the recovered fills (base units)
    venue_position: Decimal = Decimal(0)
    note: str = ""

    @property
    def mismatch(self) -> Decimal:
        return self.venue_position - self.ledger_position


def recovery_rows(history: FillHistory, known: Callable[[str], bool], market: MarketSpec,
                  ledger_position: Decimal) -> tuple[list[dict[str, Any]], Decimal]:
    """Ledger rows of the fills the ledger lacks, oldest first, and the ledger's position after them."""
    rows: list[dict[str, Any]] = []
    pos = ledger_position
    for f in history.fills:
        if f.market_id != market.market_id or known(f.trade_id):
            continue
        pos += f.signed_size
        row = from_account_fill(f)
        row.update(symbol=market.symbol, source="recovery", position_after=str(pos))
        rows.append(row)
    return rows, pos


async def recover(records: RecordsService, fetch: FetchHistory, market: MarketSpec,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> RecoveryReport:
    """Record the fills the ledger lacks, let the writer take them, and compare positions (twice,
    RECHECK_S apart, before calling a difference a mismatch)."""
    key = market_key(market.market_id)
    # From the ledger's newest fill; a ledger without one from the first position snapshot (the
    # first run in this folder: it may have been killed before its first fill was written).
    last = records.last_fill_ts.get(key, records.first_snapshot_ts.get(key))
    since = (last - MARGIN_S) if last is not None else None
    report = RecoveryReport(since)
    ledger = records.ledger
    assert ledger is not None
    recorded: set[str] = set()
    for attempt in range(2):
        try:
            # An empty ledger has no history to fetch (importing it is `metrics import-json`), but
            # the exchange's position is still compared with the ledger's (zero).
            hist = await fetch(since if since is not None else float("inf"))
        except LighterBotError as exc:
            report.complete, report.note = False, f"trade history unavailable: {exc}"
            break
        rows, _ = recovery_rows(hist, ledger.seen, market, records.ledger_position.get(key, Decimal(0)))
        records.enqueue_rows(rows)
        recorded |= {str(r["trade_id"]) for r in rows}
        report.fetched = max(report.fetched, len(hist.fills))
        report.complete, report.note = hist.complete, hist.note
        report.venue_position = market.lots_to_size(hist.position_lots)
        if not await records.flush(RECHECK_S * 5):
            report.note = f"the ledger did not take the recovered fills: {records.last_error}"
            break
        report.ledger_position = records.ledger_position.get(key, Decimal(0))
        if report.mismatch == 0 or attempt == 1:
            break
        await sleep(RECHECK_S)
    report.recorded = len(recorded)
    report.ledger_position = records.ledger_position.get(key, Decimal(0))
    return report
