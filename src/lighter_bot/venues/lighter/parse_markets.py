"""Market metadata: `orderBookDetails` / `orderBooks` entries as MarketInfo and MarketSpec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lighter_bot.domain.market import MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.venues.lighter.parse import Json, _dec, _int, _list

# -- market metadata ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MarketInfo:
    """One market as `orderBookDetails` (or `orderBooks`) describes it (Decimal amounts, 1e-4 margin units)."""

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
    maker_fee: Decimal  # percent of notional: "0.0040" = 0.004 %
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
    def daily_range_bps(self) -> Decimal | None:
        if self.last_trade_price <= 0 or self.daily_price_high <= 0 or self.daily_price_low <= 0:
            return None
        return (self.daily_price_high - self.daily_price_low) / self.last_trade_price * 10_000


def market_info(entry: Json) -> MarketInfo:
    """One `orderBookDetails` / `orderBooks` entry; a missing or garbled field names the entry and field."""
    where = f"orderBookDetails entry {entry.get('symbol', '?')!r}"

    def dec(key: str, default: Any = None) -> Decimal:
        return _dec(entry.get(key, default), f"{where} {key}")

    def integer(key: str, default: Any = None) -> int:
        return _int(entry.get(key, default), f"{where} {key}")

    config = entry.get("market_config")
    market_id = integer("market_id")
    return MarketInfo(
        market_id=market_id,
        symbol=str(entry.get("symbol") or f"market_{market_id}"),
        status=str(entry.get("status") or "unknown"),
        market_type=str(entry.get("market_type") or "perp"),
        min_base_amount=dec("min_base_amount"),
        min_quote_amount=dec("min_quote_amount"),
        size_decimals=integer("size_decimals", entry.get("supported_size_decimals")),
        price_decimals=integer("price_decimals", entry.get("supported_price_decimals")),
        last_trade_price=dec("last_trade_price", "0"),
        default_initial_margin_fraction=integer("default_initial_margin_fraction", 10_000),
        maintenance_margin_fraction=integer("maintenance_margin_fraction", 0),
        maker_fee=dec("maker_fee", "0"),
        taker_fee=dec("taker_fee", "0"),
        daily_quote_volume=dec("daily_quote_token_volume", "0"),
        daily_trades_count=integer("daily_trades_count", 0),
        daily_price_low=dec("daily_price_low", "0"),
        daily_price_high=dec("daily_price_high", "0"),
        open_interest=dec("open_interest", "0"),
        hidden=isinstance(config, Mapping) and bool(config.get("hidden", False)),
    )


def perp_markets(body: Json) -> list[MarketInfo]:
    """The perp markets of an `orderBookDetails` answer (spot markets are not for this bot)."""
    entries = body.get("order_book_details")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise DataError("orderBookDetails: order_book_details is not a list")
    return [market_info(e) for e in entries if isinstance(e, Mapping)]


def market_spec(body: Json, market_id: int) -> MarketSpec:
    """`orderBookDetails` (or `orderBooks`) response -> MarketSpec of `market_id`."""
    rows = _list(body.get("order_book_details")) or _list(body.get("order_books"))
    rows += _list(body.get("spot_order_book_details"))
    for row in rows:
        if isinstance(row, Mapping) and _int(row.get("market_id"), "market_id") == market_id:
            return market_info(row).spec
    known = sorted(_int(r.get("market_id"), "market_id") for r in rows if isinstance(r, Mapping))
    raise DataError(f"market {market_id} not listed by orderBookDetails (markets: {known[:20]})")
