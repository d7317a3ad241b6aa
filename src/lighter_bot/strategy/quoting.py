"""Turning prices and sizes into exchange-valid orders: tick snapping that never crosses the touch
(post-only), size clamps, the exchange minimums and the notional floor, all in integer ticks and lots.

The old bot priced quotes without looking at the book or the tick (seed-system.md 3.1.6); here a bid
is snapped down and an ask up, and neither may reach the opposite best price.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from lighter_bot.domain.book import BookView
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Side


class QuoteIntent(NamedTuple):
    """A quote the maker wants resting: price in ticks, size in lots."""

    side: Side
    price: int
    size: int
    reduce_only: bool = False


def bid_ticks(price_ticks: float, book: BookView) -> int | None:
    """Snap a bid down to the tick and keep it strictly below the best ask; None if not positive."""
    t = math.floor(price_ticks)
    ba = book.best_ask
    if ba is not None and t >= ba:
        t = ba - 1
    return t if t > 0 else None


def ask_ticks(price_ticks: float, book: BookView) -> int | None:
    """Snap an ask up to the tick and keep it strictly above the best bid; None if not positive."""
    t = math.ceil(price_ticks)
    bb = book.best_bid
    if bb is not None and t <= bb:
        t = bb + 1
    return t if t > 0 else None


def snap(side: Side, price_ticks: float, book: BookView) -> int | None:
    return bid_ticks(price_ticks, book) if side is Side.BID else ask_ticks(price_ticks, book)


class SizeRules:
    """Exchange-valid sizes for one market: the larger of the configured and exchange minimum size, and
    a notional floor (size x price >= floor, and >= the exchange's min quote amount), exact in integers."""

    __slots__ = ("min_lots", "min_value", "scale")

    def __init__(self, market: MarketSpec, min_size: float, min_notional: float) -> None:
        self.scale = market.size_scale
        self.min_lots = max(market.min_size_lots, market.size_to_lots_up(min_size), 1)
        floor = max(Decimal(str(min_notional)), market.min_quote)
        # ticks * lots >= min_value  <=>  notional >= floor
        self.min_value = int((floor * market.price_scale * market.size_scale).to_integral_value(ROUND_CEILING))

    def floor_lots(self, price_ticks: int) -> int:
        """Smallest valid size at this price (lots)."""
        need = -(-self.min_value // price_ticks) if price_ticks > 0 else self.min_lots
        return need if need > self.min_lots else self.min_lots

    def valid(self, price_ticks: int, lots: int) -> bool:
        return lots >= self.min_lots and price_ticks * lots >= self.min_value

    def lots_down(self, size_units: float) -> int:
        return math.floor(size_units * self.scale + 1e-9)

    def quote_lots(self, size_units: float, size_min: float, size_max: float, price_ticks: int) -> int:
        """Clamp to [size_min, size_max], round down to the lot, then raise to the floors.

        The floors win over size_max: an order below the exchange minimum would only be rejected (21706).
        """
        size = size_min if size_units < size_min else (size_max if size_units > size_max else size_units)
        lots = self.lots_down(size)
        floor = self.floor_lots(price_ticks)
        return lots if lots > floor else floor
