"""Instrument specs (tick, lot, exchange minimums) for the recordings: a known table, else the data's decimals."""

from __future__ import annotations

from decimal import Decimal

from lighter_bot.domain.market import MarketSpec

# Binance USD-M symbols and Lighter's SOL (the names the Binance and .npz loaders look up):
# (price decimals, size decimals, min base, min quote).
KNOWN_SPECS: dict[str, tuple[int, int, str, str]] = {
    "BTCUSDT": (1, 3, "0.001", "100"),  # Binance USD-M
    "ETHUSDT": (2, 3, "0.001", "20"),
    "SOLUSDT": (2, 0, "1", "5"),
    "SOL": (3, 3, "0.061", "10"),  # Lighter market 2
}

# Lighter markets by id (orderBooks: supported decimals, min base/quote), where we know them.
LIGHTER_MARKETS: dict[int, MarketSpec] = {
    0: MarketSpec(0, "ETH", 2, 4, Decimal("0.0050"), Decimal("10")),
    2: MarketSpec(2, "SOL", 3, 3, Decimal("0.061"), Decimal("10")),
}
LIGHTER_IDS = {m.symbol: i for i, m in LIGHTER_MARKETS.items()} | {"BTC": 1}

DEFAULT_MIN_QUOTE = "10"  # Lighter's minimum order value; used where the venue's is unknown


def spec_for(symbol: str, market_id: int = 0, seen_price_decimals: int = 0, seen_size_decimals: int = 0) -> MarketSpec:
    """The instrument's spec from the known table, else from the decimals seen in the data."""
    if symbol in KNOWN_SPECS:
        pd, sd, mb, mq = KNOWN_SPECS[symbol]
        return MarketSpec(market_id, symbol, pd, sd, Decimal(mb), Decimal(mq))
    return inferred_spec(symbol, seen_price_decimals, seen_size_decimals, market_id)


def inferred_spec(symbol: str, price_decimals: int, size_decimals: int, market_id: int = 0,
                  min_quote: str = DEFAULT_MIN_QUOTE) -> MarketSpec:
    """Tick and lot from the data's decimals; the minimum size is one lot."""
    return MarketSpec(market_id, symbol, price_decimals, size_decimals, Decimal(1).scaleb(-size_decimals), Decimal(min_quote))
