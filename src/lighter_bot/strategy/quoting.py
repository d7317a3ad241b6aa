"""Turning a fair price and a full width into exchange-valid quotes: tick snapping that never crosses
the touch, size clamps, the exchange minimum and the notional floor."""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.domain.book import BookView
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Side


@dataclass(frozen=True, slots=True)
class QuoteIntent:
    side: Side
    price: int  # ticks
    size: int  # lots


def bid_price(fair: float, half_width_bps: float, book: BookView, market: MarketSpec) -> int | None:
    """Bid `half_width_bps` below fair, snapped down, and never at or above the best ask (post-only)."""
    ticks = market.price_to_ticks_down(fair * (1 - half_width_bps / 1e4))
    if book.best_ask is not None:
        ticks = min(ticks, book.best_ask - 1)
    return ticks if ticks > 0 else None


def ask_price(fair: float, half_width_bps: float, book: BookView, market: MarketSpec) -> int | None:
    """Ask `half_width_bps` above fair, snapped up, and never at or below the best bid (post-only)."""
    ticks = market.price_to_ticks_up(fair * (1 + half_width_bps / 1e4))
    if book.best_bid is not None:
        ticks = max(ticks, book.best_bid + 1)
    return ticks if ticks > 0 else None


def quote_size(
    base_size: float,
    size_min: float,
    size_max: float,
    exchange_min_size: float,
    min_notional: float,
    price_ticks: int,
    market: MarketSpec,
) -> int:
    """Clamp to [size_min, size_max], then raise to the exchange minimum and the notional floor, in lots.

    The floors win over size_max: an order below the exchange minimum would only be rejected (21706).
    """
    size = min(max(base_size, size_min), size_max)
    lots = market.size_to_lots_down(size)
    lots = max(lots, market.size_to_lots_up(exchange_min_size), market.min_size_lots)
    lots = max(lots, market.lots_for_notional(min_notional, price_ticks))
    return lots
