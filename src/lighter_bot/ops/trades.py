"""Account trade history from `/api/v1/trades` and its PnL: realized by average cost (fees included,
`domain.position.apply_fill`), plus mark-to-market of what is left at a given mid. Our side, role and
fee of each trade come from venues/lighter/parse.py (`account_fills`).

Unlike the old script, cash flow is not reported as PnL, trades are deduplicated by trade id, and
the position the account already held before the first fetched trade is taken from the exchange's
`*_position_size_before` / `*_entry_quote_before` fields when present (else the window starts flat).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lighter_bot.domain.fills import AccountFill
from lighter_bot.domain.orders import Role, Side
from lighter_bot.domain.position import PositionState, apply_fill
from lighter_bot.errors import DataError
from lighter_bot.ops.rest import TRADES_PAGE_MAX, LighterRest


async def fetch_trades(rest: LighterRest, account: int, market_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Newest `limit` trades of the account (paged by 100 via next_cursor), deduplicated by trade_id."""
    seen: dict[int, dict[str, Any]] = {}
    cursor: str | None = None
    while len(seen) < limit:
        params: dict[str, Any] = {
            "account_index": account,
            "market_id": market_id,
            "sort_by": "timestamp",
            "sort_dir": "desc",
            "limit": min(TRADES_PAGE_MAX, limit - len(seen)),
            "cursor": cursor,
        }
        payload = await rest.get("/api/v1/trades", params, auth=True)
        page = payload.get("trades") or []
        if not isinstance(page, list):
            raise DataError("/api/v1/trades: trades is not a list")
        before = len(seen)
        for t in page:
            if isinstance(t, dict) and t.get("trade_id") is not None:
                seen.setdefault(int(t["trade_id"]), t)
        cursor = payload.get("next_cursor") or None
        if not page or cursor is None or len(seen) == before:
            break
    newest_first = sorted(seen.values(), key=lambda t: (float(t.get("timestamp") or 0), int(t["trade_id"])), reverse=True)
    return newest_first[:limit]


@dataclass(slots=True)
class MarketSummary:
    market_id: int
    trades: int = 0
    maker_count: int = 0
    taker_count: int = 0
    bought: float = 0.0
    sold: float = 0.0
    maker_volume_quote: float = 0.0
    taker_volume_quote: float = 0.0
    fees: float = 0.0
    maker_fees: float = 0.0
    taker_fees: float = 0.0
    first_ts: float | None = None
    last_ts: float | None = None
    opening_position: float = 0.0
    opening_avg_price: float = 0.0
    position: float = 0.0
    avg_price: float = 0.0
    realized_pnl: float = 0.0  # average cost, net of fees, this window only
    mark_mid: float | None = None
    unrealized_pnl: float | None = None
    total_pnl: float | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def replay_order(f: AccountFill) -> tuple[float, int, bool]:
    """Oldest first; within a timestamp by trade id; the bid half of a self-trade first."""
    return f.ts, int(f.trade_id) if f.trade_id.isdigit() else 0, f.side is not Side.BID


def summarize(fills: list[AccountFill], mark_mid: float | None, *, from_flat: bool = False) -> list[MarketSummary]:
    """Per-market PnL over the fills (any order; they are replayed oldest first)."""
    by_market: dict[int, list[AccountFill]] = {}
    for f in sorted(fills, key=replay_order):
        by_market.setdefault(f.market_id, []).append(f)
    out: list[MarketSummary] = []
    for market_id, fs in sorted(by_market.items()):
        s = MarketSummary(market_id=market_id)
        first = fs[0]
        state = PositionState()
        before = None if first.position_before is None else float(first.position_before)
        if not from_flat and before is not None and abs(before) > 0:
            avg = abs(float(first.entry_quote_before or 0)) / abs(before)
            state = PositionState(qty=before, avg_price=avg)
            s.opening_position, s.opening_avg_price = before, avg
            s.notes.append("opening position taken from the exchange's position before the first trade")
        elif not from_flat and before is None:
            s.notes.append("the exchange gave no opening position: the window is assumed to start flat")
        for f in fs:
            fee, notional = float(f.fee), float(f.notional)
            state = apply_fill(state, float(f.signed_size), float(f.price), fee)
            s.trades += 1
            if f.role is Role.MAKER:
                s.maker_count += 1
                s.maker_volume_quote += notional
                s.maker_fees += fee
            else:
                s.taker_count += 1
                s.taker_volume_quote += notional
                s.taker_fees += fee
            if f.side is Side.BID:
                s.bought += float(f.size)
            else:
                s.sold += float(f.size)
        s.fees = s.maker_fees + s.taker_fees
        s.first_ts, s.last_ts = fs[0].ts, fs[-1].ts
        s.position, s.avg_price, s.realized_pnl = state.qty, state.avg_price, state.realized
        if mark_mid is not None:
            s.mark_mid = mark_mid
            s.unrealized_pnl = state.unrealized(mark_mid)
            s.total_pnl = state.total(mark_mid)
        out.append(s)
    return out
