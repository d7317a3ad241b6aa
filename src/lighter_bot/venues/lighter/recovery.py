"""Our fills from Lighter's trade history: what the account traded in our market while no bot was
recording it (a restart gap, a kill -9, a ledger that failed), for the shell to record at start.

`GET /api/v1/trades?account_index=A&market_id=M&sort_by=timestamp&sort_dir=desc&limit=100` (auth),
paged with `cursor=<next_cursor>`, newest first, until a page reaches back before the time asked
for (lighter-api.md section 2; weight 600, so the pages are capped). Our side of each trade is read
by parse_trades.account_fills; the two halves of a self-trade get the `/bid`, `/ask` ids the live stream
gives them (parse_trades.our_fills), so the ledger's dedupe by trade id holds across both paths.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import structlog

from lighter_bot.domain.fills import AccountFill
from lighter_bot.errors import DataError
from lighter_bot.venues.lighter import parse_trades
from lighter_bot.venues.lighter.rest import RestClient

log = structlog.get_logger("lighter.recovery")

PAGE = 100  # Lighter's maximum
MAX_PAGES = 10  # 1,000 fills: far more than a restart gap holds; beyond it the history is an import job


async def fills_since(rest: RestClient, account_index: int, market_id: int, token: str | None, since_ts: float,
                      max_pages: int = MAX_PAGES) -> tuple[list[AccountFill], bool, str]:
    """(our fills at or after `since_ts`, oldest first; reached `since_ts`?; why not)."""
    found: dict[str, AccountFill] = {}
    cursor: str | None = None
    for _ in range(max_pages):
        params: dict[str, Any] = {"account_index": account_index, "market_id": market_id, "sort_by": "timestamp",
                                  "sort_dir": "desc", "limit": PAGE, "cursor": cursor}
        body = await rest.get("trades", params, token)
        page = body.get("trades") or []
        if not isinstance(page, list):
            return sorted(found.values(), key=_order), False, "trades is not a list"
        oldest = None
        for row in page:
            if not isinstance(row, dict):
                continue
            try:
                fills = parse_trades.account_fills(row, account_index)
            except DataError as exc:
                log.error("recovery_unreadable_trade", error=str(exc))
                return sorted(found.values(), key=_order), False, f"unreadable trade: {exc}"
            if len(fills) == 2:  # a self-trade: the live stream names the halves <id>/bid, <id>/ask
                fills = [dataclasses.replace(f, trade_id=f"{f.trade_id}/{f.side.value}") for f in fills]
            for f in fills:
                oldest = f.ts if oldest is None else min(oldest, f.ts)
                if f.market_id == market_id and f.ts >= since_ts:
                    found[f.trade_id] = f
            if not fills:
                ts = row.get("timestamp")
                if isinstance(ts, int | float):
                    oldest = ts / 1000.0 if oldest is None else min(oldest, ts / 1000.0)
        cursor = body.get("next_cursor") or None
        if not page or cursor is None or (oldest is not None and oldest < since_ts):
            return sorted(found.values(), key=_order), True, ""
    return sorted(found.values(), key=_order), False, f"stopped after {max_pages} pages of {PAGE} trades"


def _order(f: AccountFill) -> tuple[float, str]:
    return f.ts, f.trade_id
