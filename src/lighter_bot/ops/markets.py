"""Market lookup and sizing floors over Lighter's `orderBookDetails` (parsed by venues/lighter/parse.py):
find a market by symbol or id, and the minimum clip (the smallest order that clears both exchange
minimums at the current price)."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from lighter_bot.errors import DataError
from lighter_bot.ops.rest import LighterRest
from lighter_bot.venues.lighter.parse_markets import MarketInfo, perp_markets

# Lighter rejects orders below min_quote_amount (error 21706); quoting at exactly the minimum gets
# rejected as soon as the price ticks down, so we keep this margin above it (10 USD -> 10.5 USD,
# the operator's notional floor).
MIN_NOTIONAL_BUFFER = Decimal("0.05")
# The minimum clip is sized for a price this much below the last trade, so it stays legal while
# the price drifts down between two profile refreshes.
PRICE_DRIFT_BUFFER = Decimal("0.02")


def exchange_min_notional(m: MarketInfo) -> Decimal:
    """Our notional floor: the exchange minimum plus MIN_NOTIONAL_BUFFER, to the cent."""
    return (m.min_quote_amount * (1 + MIN_NOTIONAL_BUFFER)).quantize(Decimal("0.01"), ROUND_CEILING)


def min_clip(m: MarketInfo) -> Decimal:
    """Smallest size (in base units, on the lot grid) that clears min_base_amount and our notional
    floor even if the price falls PRICE_DRIFT_BUFFER below the last trade."""
    if m.last_trade_price <= 0:
        raise DataError(f"{m.symbol} (market {m.market_id}) has no last_trade_price: cannot size orders")
    low_price = m.last_trade_price * (1 - PRICE_DRIFT_BUFFER)
    by_notional = exchange_min_notional(m) / low_price
    lot = Decimal(1).scaleb(-m.size_decimals)
    clip = max(m.min_base_amount, by_notional)
    return (clip / lot).to_integral_value(ROUND_CEILING) * lot


def min_clip_value(m: MarketInfo) -> Decimal:
    return min_clip(m) * m.last_trade_price


def find_market(markets: list[MarketInfo], *, symbol: str | None = None, market_id: int | None = None) -> MarketInfo:
    if symbol is not None:
        hits = [m for m in markets if m.symbol.upper() == symbol.strip().upper()]
        if not hits:
            known = ", ".join(sorted(m.symbol for m in markets)[:30])
            raise DataError(f"no perp market with symbol {symbol!r} (known: {known})")
        return hits[0]
    hits = [m for m in markets if m.market_id == market_id]
    if not hits:
        raise DataError(f"no perp market with id {market_id}")
    return hits[0]


async def fetch_markets(rest: LighterRest, market_id: int | None = None) -> list[MarketInfo]:
    payload = await rest.get("/api/v1/orderBookDetails", {"market_id": market_id} if market_id is not None else None)
    return perp_markets(payload)
