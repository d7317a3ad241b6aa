"""Account trade history from `/api/v1/trades` and its PnL: realized by average cost (fees included,
`domain.position.apply_fill`), plus mark-to-market of what is left at a given mid.

Unlike the old script, cash flow is not reported as PnL, trades are deduplicated by trade id, and
the position the account already held before the first fetched trade is taken from the exchange's
`*_position_size_before` / `*_entry_quote_before` fields when present (else the window starts flat).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lighter_bot.domain.position import PositionState, apply_fill
from lighter_bot.errors import DataError
from lighter_bot.ops.rest import TRADES_PAGE_MAX, LighterRest

FEE_UNIT = 1e-6  # trade maker_fee/taker_fee are integers in 1e-6 of notional (196 = 0.0196 %)


@dataclass(frozen=True, slots=True)
class AccountTrade:
    """One fill of ours, as seen from our side of the trade."""

    trade_id: int
    ts: float  # seconds (Lighter sends ms)
    market_id: int
    side: str  # "buy" | "sell"
    role: str  # "maker" | "taker"
    size: float
    price: float
    notional: float
    fee: float  # quote paid (negative = rebate)
    position_before: float | None
    entry_quote_before: float | None

    @property
    def signed_size(self) -> float:
        return self.size if self.side == "buy" else -self.size


def _num(t: dict[str, Any], key: str) -> float | None:
    raw = t.get(key)
    if raw is None or raw == "":
        return None
    try:
        return float(Decimal(str(raw)))
    except InvalidOperation:
        raise DataError(f"trade {t.get('trade_id')}: {key}={raw!r} is not a number") from None


def our_fills(raw: dict[str, Any], account: int) -> list[AccountTrade]:
    """0, 1 or (self-trade) 2 fills of `account` in one Lighter trade."""
    try:
        trade_id = int(raw["trade_id"])
        size = float(Decimal(str(raw["size"])))
        price = float(Decimal(str(raw["price"])))
        ts_ms = float(raw["timestamp"])
        market_id = int(raw.get("market_id", -1))
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise DataError(f"a trade lacks or garbles {exc} (trade_id {raw.get('trade_id')!r})") from None
    notional = _num(raw, "usd_amount") or size * price
    maker_is_ask = bool(raw.get("is_maker_ask"))
    out: list[AccountTrade] = []
    for side, key in (("sell", "ask_account_id"), ("buy", "bid_account_id")):
        if raw.get(key) is None or int(raw[key]) != account:
            continue
        role = "maker" if (side == "sell") == maker_is_ask else "taker"
        fee_units = _num(raw, f"{role}_fee") or 0.0  # omitted when zero
        out.append(
            AccountTrade(
                trade_id=trade_id,
                ts=ts_ms / 1000.0,
                market_id=market_id,
                side=side,
                role=role,
                size=size,
                price=price,
                notional=notional,
                fee=notional * fee_units * FEE_UNIT,
                position_before=_num(raw, f"{role}_position_size_before"),
                entry_quote_before=_num(raw, f"{role}_entry_quote_before"),
            )
        )
    return out


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


def summarize(fills: list[AccountTrade], mark_mid: float | None, *, from_flat: bool = False) -> list[MarketSummary]:
    """Per-market PnL over the fills (any order; they are replayed oldest first)."""
    by_market: dict[int, list[AccountTrade]] = {}
    for f in sorted(fills, key=lambda f: (f.ts, f.trade_id, f.side)):
        by_market.setdefault(f.market_id, []).append(f)
    out: list[MarketSummary] = []
    for market_id, fs in sorted(by_market.items()):
        s = MarketSummary(market_id=market_id)
        first = fs[0]
        state = PositionState()
        if not from_flat and first.position_before is not None and abs(first.position_before) > 0:
            avg = abs(first.entry_quote_before or 0.0) / abs(first.position_before)
            state = PositionState(qty=first.position_before, avg_price=avg)
            s.opening_position, s.opening_avg_price = first.position_before, avg
            s.notes.append("opening position taken from the exchange's position before the first trade")
        elif not from_flat and first.position_before is None:
            s.notes.append("the exchange gave no opening position: the window is assumed to start flat")
        for f in fs:
            state = apply_fill(state, f.signed_size, f.price, f.fee)
            s.trades += 1
            if f.role == "maker":
                s.maker_count += 1
                s.maker_volume_quote += f.notional
                s.maker_fees += f.fee
            else:
                s.taker_count += 1
                s.taker_volume_quote += f.notional
                s.taker_fees += f.fee
            if f.side == "buy":
                s.bought += f.size
            else:
                s.sold += f.size
        s.fees = s.maker_fees + s.taker_fees
        s.first_ts, s.last_ts = fs[0].ts, fs[-1].ts
        s.position, s.avg_price, s.realized_pnl = state.qty, state.avg_price, state.realized
        if mark_mid is not None:
            s.mark_mid = mark_mid
            s.unrealized_pnl = state.unrealized(mark_mid)
            s.total_pnl = state.total(mark_mid)
        out.append(s)
    return out
