"""Small builders for simulator tests: hand-written market rows and a quiet rule set."""

from __future__ import annotations

from lighter_bot.domain.commands import PlaceOrder
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import STANDARD, VenueRules
from lighter_bot.venues.sim.source import ASK, BID, DEPTH, TRADE, Row

# Exact, jitter-free timing so tests can assert event times.
QUIET = STANDARD.with_(md_jitter_s=0.0, md_latency_s=0.01, account_latency_s=0.01, book_interval_s=0.0)
PX = 170_000  # 170.000 in ticks


def book_rows(t: float = 0.0, bid: int = PX - 10, ask: int = PX + 10, size: int = 1000, levels: int = 3) -> list[Row]:
    rows: list[Row] = []
    for i in range(levels):
        rows.append((t, DEPTH, BID, bid - i * 10, size))
        rows.append((t, DEPTH, ASK, ask + i * 10, size))
    return rows


def trade(t: float, taker: int, price: int, size: int) -> Row:
    return (t, TRADE, taker, price, size)


def depth(t: float, side: int, price: int, size: int) -> Row:
    return (t, DEPTH, side, price, size)


def exchange(rows: list[Row], rules: VenueRules = QUIET, seed: int = 1) -> SimExchange:
    ex = SimExchange(SOL_PERP, iter(rows), rules, seed)
    ex.advance(0.0)
    return ex


def post(cid: int, side: Side, price: int, size: int = 100, tif: TimeInForce = TimeInForce.POST_ONLY,
         reduce_only: bool = False) -> PlaceOrder:
    return PlaceOrder(cid, side, price, size, tif, reduce_only=reduce_only)


__all__ = ["ASK", "BID", "PX", "QUIET", "book_rows", "depth", "exchange", "post", "trade"]
