"""Market metadata from Lighter's `orderBookDetails`: parsing, lookup by symbol or id, and the
minimum clip (the smallest order that clears both exchange minimums at the current price)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.ops.rest import LighterRest

# Lighter rejects orders below min_quote_amount (error 21706); quoting at exactly the minimum gets
# rejected as soon as the price ticks down, so we keep this margin above it (10 USD -> 10.5 USD,
# the operator's notional floor).
MIN_NOTIONAL_BUFFER = Decimal("0.05")
# The minimum clip is sized for a price this much below the last trade, so it stays legal while
# the price drifts down between two profile refreshes.
PRICE_DRIFT_BUFFER = Decimal("0.02")


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """One perpetual market as `orderBookDetails` describes it (Decimal amounts, 1e-4 margin units)."""

    market_id: int
    symbol: str
    status: str
    market_type: str
    min_base_amount: Decimal
    min_quote_amount: Decimal
    size_decimals: int
    price_decimals: int
    last_trade_price: Decimal
    default_initial_margin_fraction: int  # 1e-4 units: 500 = 5 % = 20x
    maintenance_margin_fraction: int
    maker_fee: Decimal
    taker_fee: Decimal
    daily_quote_volume: Decimal
    daily_trades_count: int
    daily_price_low: Decimal
    daily_price_high: Decimal
    open_interest: Decimal
    hidden: bool = False

    @property
    def spec(self) -> MarketSpec:
        return MarketSpec(
            market_id=self.market_id,
            symbol=self.symbol,
            price_decimals=self.price_decimals,
            size_decimals=self.size_decimals,
            min_base_size=self.min_base_amount,
            min_quote=self.min_quote_amount,
        )

    @property
    def initial_margin(self) -> Decimal:
        """Initial margin as a fraction (0.05 for 20x)."""
        return Decimal(self.default_initial_margin_fraction) / Decimal(10_000)

    @property
    def exchange_min_notional(self) -> Decimal:
        """Our notional floor: the exchange minimum plus MIN_NOTIONAL_BUFFER, to the cent."""
        return (self.min_quote_amount * (1 + MIN_NOTIONAL_BUFFER)).quantize(Decimal("0.01"), ROUND_CEILING)

    @property
    def daily_range_bps(self) -> Decimal | None:
        if self.last_trade_price <= 0 or self.daily_price_high <= 0 or self.daily_price_low <= 0:
            return None
        return (self.daily_price_high - self.daily_price_low) / self.last_trade_price * 10_000

    def min_clip(self) -> Decimal:
        """Smallest size (in base units, on the lot grid) that clears min_base_amount and our notional
        floor even if the price falls PRICE_DRIFT_BUFFER below the last trade."""
        if self.last_trade_price <= 0:
            raise DataError(f"{self.symbol} (market {self.market_id}) has no last_trade_price: cannot size orders")
        low_price = self.last_trade_price * (1 - PRICE_DRIFT_BUFFER)
        by_notional = self.exchange_min_notional / low_price
        lot = Decimal(1).scaleb(-self.size_decimals)
        clip = max(self.min_base_amount, by_notional)
        return (clip / lot).to_integral_value(ROUND_CEILING) * lot

    def min_clip_value(self) -> Decimal:
        return self.min_clip() * self.last_trade_price


def _dec(entry: dict[str, Any], key: str, default: str | None = None) -> Decimal:
    raw = entry.get(key, default)
    if raw is None:
        raise DataError(f"orderBookDetails entry {entry.get('symbol', '?')!r} lacks {key}")
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise DataError(f"orderBookDetails entry {entry.get('symbol', '?')!r}: {key}={raw!r} is not a number") from None


def _int(entry: dict[str, Any], key: str, default: int | None = None) -> int:
    raw = entry.get(key, default)
    if raw is None:
        raise DataError(f"orderBookDetails entry {entry.get('symbol', '?')!r} lacks {key}")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DataError(f"orderBookDetails entry {entry.get('symbol', '?')!r}: {key}={raw!r} is not an integer") from None


def parse_market(entry: dict[str, Any]) -> MarketInfo:
    return MarketInfo(
        market_id=_int(entry, "market_id"),
        symbol=str(entry.get("symbol") or f"market_{entry.get('market_id')}"),
        status=str(entry.get("status") or "unknown"),
        market_type=str(entry.get("market_type") or "perp"),
        min_base_amount=_dec(entry, "min_base_amount"),
        min_quote_amount=_dec(entry, "min_quote_amount"),
        size_decimals=_int(entry, "size_decimals", entry.get("supported_size_decimals")),
        price_decimals=_int(entry, "price_decimals", entry.get("supported_price_decimals")),
        last_trade_price=_dec(entry, "last_trade_price", "0"),
        default_initial_margin_fraction=_int(entry, "default_initial_margin_fraction", 10_000),
        maintenance_margin_fraction=_int(entry, "maintenance_margin_fraction", 0),
        maker_fee=_dec(entry, "maker_fee", "0"),
        taker_fee=_dec(entry, "taker_fee", "0"),
        daily_quote_volume=_dec(entry, "daily_quote_token_volume", "0"),
        daily_trades_count=_int(entry, "daily_trades_count", 0),
        daily_price_low=_dec(entry, "daily_price_low", "0"),
        daily_price_high=_dec(entry, "daily_price_high", "0"),
        open_interest=_dec(entry, "open_interest", "0"),
        hidden=bool((entry.get("market_config") or {}).get("hidden", False)),
    )


def parse_order_book_details(payload: dict[str, Any]) -> list[MarketInfo]:
    """Perp markets of an `orderBookDetails` answer (spot markets are not for this bot)."""
    entries = payload.get("order_book_details")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise DataError("orderBookDetails: order_book_details is not a list")
    return [parse_market(e) for e in entries if isinstance(e, dict)]


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
    return parse_order_book_details(payload)
