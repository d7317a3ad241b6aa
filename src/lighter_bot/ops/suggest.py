"""Rank Lighter's perp markets for this bot: a score in [0, 1] made of five explained parts.

| part        | weight | 1.0 when                                   | why it matters to a small post-only maker      |
|-------------|--------|--------------------------------------------|------------------------------------------------|
| volume      | 0.30   | >= $1B quote volume a day ($100k -> 0)     | fills need flow                                |
| spread      | 0.25   | natural top-of-book spread 2..12 bps       | tighter: we are never at the touch with 7-13 bps |
|             |        |                                            | quotes; wider: thin, toxic books               |
| volatility  | 0.20   | daily range 150..600 bps                   | calm enough not to be run over, lively enough   |
|             |        |                                            | to cross our quotes (2000 bps -> 0)            |
| min order   | 0.15   | the minimum clip is a small part of half   | a clip above half the balance is untradeable   |
|             |        | the balance                                | (score 0, flagged)                             |
| activity    | 0.10   | >= 1M trades a day (1k -> 0)               | many small trades = steady flow                |

Spreads come from `orderBookOrders` (one request per market, so only for the best candidates);
an unmeasured spread counts 0.5 and says so.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

from lighter_bot.errors import DataError
from lighter_bot.ops.markets import min_clip, min_clip_value
from lighter_bot.ops.rest import LighterRest
from lighter_bot.ops.sizing import CLIP_BALANCE_FRACTION
from lighter_bot.venues.lighter.parse import order_book_touch
from lighter_bot.venues.lighter.parse_markets import MarketInfo

WEIGHTS = {"volume": 0.30, "spread": 0.25, "volatility": 0.20, "min_order": 0.15, "activity": 0.10}
SPREAD_FETCH_CONCURRENCY = 4


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _plateau(x: float, lo: float, hi: float, zero: float) -> float:
    """1 on [lo, hi]; below lo rising linearly from 0 at x = 0; above hi falling to 0 at x = zero."""
    if x < lo:
        return x / lo
    if x <= hi:
        return 1.0
    return _clamp(1 - (x - hi) / (zero - hi))


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    value: float | None
    score: float
    why: str

    @property
    def weight(self) -> float:
        return WEIGHTS[self.name]


@dataclass(slots=True)
class Suggestion:
    market: MarketInfo
    parts: list[Part]
    spread_bps: float | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        if any(f.startswith("untradeable") for f in self.flags):
            return 0.0
        return round(sum(p.weight * p.score for p in self.parts), 4)

    def as_dict(self, rank: int) -> dict[str, Any]:
        m = self.market
        return {
            "rank": rank,
            "market_id": m.market_id,
            "symbol": m.symbol,
            "score": self.score,
            "last_price": float(m.last_trade_price),
            "daily_quote_volume": float(m.daily_quote_volume),
            "daily_range_bps": None if m.daily_range_bps is None else round(float(m.daily_range_bps), 1),
            "spread_bps": None if self.spread_bps is None else round(self.spread_bps, 2),
            "min_clip": float(min_clip(m)) if m.last_trade_price > 0 else None,
            "min_clip_usd": round(float(min_clip_value(m)), 2) if m.last_trade_price > 0 else None,
            "parts": {p.name: {"value": p.value, "score": round(p.score, 3), "weight": p.weight, "why": p.why} for p in self.parts},
            "flags": list(self.flags),
        }


def volume_part(usd: float) -> Part:
    s = _clamp((math.log10(usd) - 5) / 4) if usd > 0 else 0.0
    return Part("volume", usd, s, f"${usd:,.0f} traded in 24 h (log scale: $100k -> 0, $1B -> 1)")


def spread_part(bps: float | None) -> Part:
    if bps is None:
        return Part("spread", None, 0.5, "spread not measured (counts 0.5)")
    if bps < 2:
        why = "tighter than 2 bps: our 7-13 bps quotes would rarely be at the touch"
    elif bps <= 12:
        why = "within 2..12 bps: room for our quotes near the touch"
    else:
        why = "wider than 12 bps: a thin book (40 bps -> 0)"
    return Part("spread", round(bps, 2), _plateau(bps, 2, 12, 40), f"{bps:.2f} bps at the top of the book; {why}")


def volatility_part(range_bps: float | None) -> Part:
    if range_bps is None:
        return Part("volatility", None, 0.0, "no daily high/low: unknown volatility")
    if range_bps < 150:
        why = "quiet: few crossings of our quotes"
    elif range_bps <= 600:
        why = "within 150..600 bps"
    else:
        why = "wild: adverse selection and hedging costs (2000 bps -> 0)"
    score = _plateau(range_bps, 150, 600, 2000)
    return Part("volatility", round(range_bps, 1), score, f"daily range {range_bps:.0f} bps of the price; {why}")


def min_order_part(m: MarketInfo, balance_usd: float) -> Part:
    if m.last_trade_price <= 0:
        return Part("min_order", None, 0.0, "no last price: cannot size an order")
    value = float(min_clip_value(m))
    budget = balance_usd * float(CLIP_BALANCE_FRACTION)
    ratio = value / budget
    return Part(
        "min_order",
        round(value, 2),
        _clamp(1 - ratio),
        f"minimum clip {min_clip(m)} {m.symbol} = ${value:.2f}, {ratio:.0%} of half the ${balance_usd:g} balance",
    )


def activity_part(n: int) -> Part:
    s = _clamp((math.log10(n) - 3) / 3) if n > 0 else 0.0
    return Part("activity", n, s, f"{n:,} trades in 24 h (log scale: 1k -> 0, 1M -> 1)")


def assess(m: MarketInfo, balance_usd: float, spread_bps: float | None = None) -> Suggestion:
    rng = m.daily_range_bps
    parts = [
        volume_part(float(m.daily_quote_volume)),
        spread_part(spread_bps),
        volatility_part(None if rng is None else float(rng)),
        min_order_part(m, balance_usd),
        activity_part(m.daily_trades_count),
    ]
    sug = Suggestion(market=m, parts=parts, spread_bps=spread_bps)
    mo = parts[3]
    if mo.value is None or mo.value > balance_usd * float(CLIP_BALANCE_FRACTION):
        sug.flags.append(f"untradeable with ${balance_usd:g}: minimum clip above half the balance")
    return sug


def top_of_book_spread_bps(payload: dict[str, Any]) -> float | None:
    """(best ask - best bid) / mid in bps from an orderBookOrders answer."""
    touch = order_book_touch(payload)
    if touch is None:
        return None
    bid, ask = touch
    mid = (ask + bid) / 2
    if mid <= 0 or ask < bid:
        return None
    return float((ask - bid) / mid * 10_000)


def eligible(markets: list[MarketInfo]) -> list[MarketInfo]:
    return [m for m in markets if m.market_type == "perp" and m.status == "active" and not m.hidden]


async def measure_spreads(rest: LighterRest, market_ids: list[int]) -> dict[int, float | None]:
    sem = asyncio.Semaphore(SPREAD_FETCH_CONCURRENCY)

    async def one(mid: int) -> tuple[int, float | None]:
        async with sem:
            payload = await rest.get("/api/v1/orderBookOrders", {"market_id": mid, "limit": 20})
        return mid, top_of_book_spread_bps(payload)

    return dict(await asyncio.gather(*(one(i) for i in market_ids)))


def rank(markets: list[MarketInfo], balance_usd: float, spreads: dict[int, float | None]) -> list[Suggestion]:
    ranked = [assess(m, balance_usd, spreads.get(m.market_id)) for m in eligible(markets)]
    ranked.sort(key=lambda s: (-s.score, -float(s.market.daily_quote_volume), s.market.market_id))
    return ranked


async def suggest(
    rest: LighterRest | None, markets: list[MarketInfo], balance_usd: float, top: int, target_symbol: str | None
) -> list[Suggestion]:
    """Rank everything, measure the spread of the best candidates (and the target), rank again."""
    if balance_usd <= 0:
        raise DataError(f"--balance-usd must be > 0 (got {balance_usd})")
    if not eligible(markets):
        raise DataError("no active perp market in the answer")
    spreads: dict[int, float | None] = {}
    if rest is not None:
        first = rank(markets, balance_usd, {})
        ids = [s.market.market_id for s in first[: min(max(2 * top, 10), 40)]]
        if target_symbol:
            ids += [s.market.market_id for s in first if s.market.symbol.upper() == target_symbol.upper()]
        spreads = await measure_spreads(rest, sorted(set(ids)))
    return rank(markets, balance_usd, spreads)
