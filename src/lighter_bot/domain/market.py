"""Market specification: tick and lot sizes, exchange minimums, and exact price/size conversion.

Inside the core every price is an integer number of ticks and every size an integer number of lots,
as on Lighter's wire (price and base amount are integers scaled by 10**decimals). Decimal is used
only at the edges (config, reports, venue payloads).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One perpetual market as the exchange defines it."""

    market_id: int
    symbol: str
    price_decimals: int
    size_decimals: int
    min_base_size: Decimal
    min_quote: Decimal

    def __post_init__(self) -> None:
        if self.price_decimals < 0 or self.size_decimals < 0:
            raise ValueError("decimals must be >= 0")

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.price_decimals)

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.size_decimals)

    @property
    def price_scale(self) -> int:
        return int(10**self.price_decimals)

    @property
    def size_scale(self) -> int:
        return int(10**self.size_decimals)

    @property
    def min_size_lots(self) -> int:
        return self.size_to_lots_up(self.min_base_size)

    # -- conversions (exact) -------------------------------------------------------------------
    def price_to_ticks_down(self, price: Decimal | float) -> int:
        return int((Decimal(str(price)) * self.price_scale).to_integral_value(ROUND_FLOOR))

    def price_to_ticks_up(self, price: Decimal | float) -> int:
        return int((Decimal(str(price)) * self.price_scale).to_integral_value(ROUND_CEILING))

    def size_to_lots_down(self, size: Decimal | float) -> int:
        return int((Decimal(str(size)) * self.size_scale).to_integral_value(ROUND_FLOOR))

    def size_to_lots_up(self, size: Decimal | float) -> int:
        return int((Decimal(str(size)) * self.size_scale).to_integral_value(ROUND_CEILING))

    def ticks_to_price(self, ticks: int) -> Decimal:
        return Decimal(ticks).scaleb(-self.price_decimals)

    def lots_to_size(self, lots: int) -> Decimal:
        return Decimal(lots).scaleb(-self.size_decimals)

    # Float views for the hot path (signals, PnL); exact enough for reporting in quote currency.
    def px(self, ticks: int) -> float:
        return ticks / self.price_scale

    def sz(self, lots: int) -> float:
        return lots / self.size_scale

    def notional(self, ticks: int, lots: int) -> float:
        """Quote value of `lots` at `ticks`."""
        return (ticks * lots) / (self.price_scale * self.size_scale)

    def meets_minimums(self, ticks: int, lots: int) -> bool:
        """Lighter's rule (error 21706): base >= min_base_amount and base*price >= min_quote_amount."""
        if lots < self.min_size_lots:
            return False
        return Decimal(ticks * lots).scaleb(-(self.price_decimals + self.size_decimals)) >= self.min_quote

    def lots_for_notional(self, notional: Decimal | float, ticks: int) -> int:
        """Smallest lot count whose value at `ticks` is >= notional."""
        if ticks <= 0:
            raise ValueError("price must be positive")
        need = Decimal(str(notional)) * self.price_scale * self.size_scale / ticks
        return int(need.to_integral_value(ROUND_CEILING))


SOL_PERP = MarketSpec(
    market_id=2,
    symbol="SOL",
    price_decimals=3,
    size_decimals=3,
    min_base_size=Decimal("0.061"),
    min_quote=Decimal("10"),
)
"""Lighter's SOL perp (market 2): prices and sizes in 3 decimals, minimum 0.061 SOL and 10 USDC."""
