"""The public market-data feed: the published L2 book (our resting orders in it, as on Lighter),
nonce-chained diffs every tick, ticker, public trades, market stats and height, their subscribe
snapshots, and the `frozen_book` / `book_gap` faults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lighter_bot.domain.book import BookView
from lighter_bot.venues.emulator import payloads as P
from lighter_bot.venues.emulator.records import TradeRecord
from lighter_bot.venues.emulator.txinfo import ApiError

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange


@dataclass(frozen=True, slots=True)
class ChannelArgs:
    """A subscribe-form channel split into its parts (`account_orders/2/100`), with its checks."""

    channel: str
    parts: list[str]
    market_id: int
    accounts: frozenset[int]

    def market(self, i: int) -> None:
        if len(self.parts) <= i or self.parts[i] != str(self.market_id):
            raise ApiError(30012, f"failed to subscribe: unknown market in {self.channel}")

    def account(self, i: int) -> int:
        if len(self.parts) <= i or not self.parts[i].isdigit() or int(self.parts[i]) not in self.accounts:
            raise ApiError(30012, f"failed to subscribe: unknown account in {self.channel}")
        return int(self.parts[i])


class MarketFeed:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex
        # published order book state (what subscribers have been told)
        self.ob_levels: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self.ob_nonce = 0
        self.ob_offset = 0
        self.ob_updated_us = 0
        self._last_top: tuple[int | None, int | None] = (None, None)
        self._last_stats_at = -1e18
        self._last_height_pub = 0
        self.new_trades: list[TradeRecord] = []  # public trades not yet published
        self.book_gaps = 0
        self.book_frozen = False

    def visible_levels(self) -> tuple[dict[int, int], dict[int, int]]:
        """Current L2 levels (bids, asks): the market's book plus our resting orders."""
        ex = self.ex
        bids = dict(ex.market_book.bids)
        asks = dict(ex.market_book.asks)
        if ex.config.show_own_orders:
            for r in ex.active.values():
                if r.status == "open" and r.visible and r.remaining > 0 and r.tif != 0:
                    side = asks if r.is_ask else bids
                    side[r.price] = side.get(r.price, 0) + r.remaining
        return bids, asks

    def book(self) -> BookView:
        bids, asks = self.visible_levels()
        return BookView(tuple(sorted(bids.items(), reverse=True)), tuple(sorted(asks.items())))

    def levels_json(self, levels: dict[int, int], descending: bool) -> list[dict[str, str]]:
        ex = self.ex
        m = ex.market
        return [{"price": P.px(m, p), "size": P.sz(m, s)} for p, s in sorted(levels.items(), reverse=descending)]

    def publish(self, wall: float) -> None:
        ex = self.ex
        m = ex.market
        t = wall - ex.wall0
        now_ms = int(wall * 1000)
        self.book_frozen = ex.faults.active("frozen_book", t)
        if not self.book_frozen:
            bids, asks = self.visible_levels()
            diff: list[dict[int, int]] = []
            changes = 0
            for new, old in ((bids, self.ob_levels[0]), (asks, self.ob_levels[1])):
                d = {p: s for p, s in new.items() if old.get(p) != s}
                d.update({p: 0 for p in old if p not in new})
                diff.append(d)
                changes += len(d)
            if changes:
                begin = self.ob_nonce
                self.ob_nonce += changes
                self.ob_offset += 1 + changes % 3
                self.ob_updated_us = now_ms * 1000
                self.ob_levels = (bids, asks)
                gap = ex.faults.chance("book_gap", t) or ex.faults.fired("book_gap", t) is not None
                if gap:
                    self.book_gaps += 1
                else:
                    ob = {
                        "code": 0,
                        "asks": self.levels_json(diff[1], False),
                        "bids": self.levels_json(diff[0], True),
                        "offset": self.ob_offset,
                        "nonce": self.ob_nonce,
                        "last_updated_at": self.ob_updated_us,
                        "begin_nonce": begin,
                    }
                    ex.publish(
                        f"order_book/{m.market_id}",
                        {
                            "channel": f"order_book:{m.market_id}",
                            "last_updated_at": self.ob_updated_us,
                            "offset": self.ob_offset,
                            "order_book": ob,
                            "timestamp": now_ms,
                            "type": "update/order_book",
                        },
                    )
                top = (max(bids) if bids else None, min(asks) if asks else None)
                if top != self._last_top:
                    self._last_top = top
                    ex.publish(f"ticker/{m.market_id}", self.ticker("update/ticker", now_ms))
        if self.new_trades:
            ex.publish(
                f"trade/{m.market_id}",
                {
                    "channel": f"trade:{m.market_id}",
                    "liquidation_trades": [],
                    "nonce": self.ob_nonce,
                    "trades": [P.trade_json(m, tr) for tr in self.new_trades],
                    "type": "update/trade",
                },
            )
            self.new_trades = []
        if wall - self._last_stats_at >= ex.config.market_stats_interval_s:
            self._last_stats_at = wall
            stats = self.market_stats_json()
            ex.publish(
                f"market_stats/{m.market_id}",
                {
                    "channel": f"market_stats:{m.market_id}",
                    "market_stats": stats,
                    "timestamp": now_ms,
                    "type": "update/market_stats",
                },
            )
            ex.publish(
                "market_stats/all",
                {
                    "channel": "market_stats:all",
                    "market_stats": {str(m.market_id): stats},
                    "timestamp": now_ms,
                    "type": "update/market_stats",
                },
            )
            if ex.height != self._last_height_pub:
                self._last_height_pub = ex.height
                ex.publish(
                    "height", {"channel": "height", "height": ex.height, "timestamp": now_ms, "type": "update/height"}
                )

    def ticker(self, typ: str, now_ms: int) -> dict[str, Any]:
        ex = self.ex
        m = ex.market
        bids, asks = self.ob_levels
        bb = max(bids) if bids else None
        ba = min(asks) if asks else None

        def lvl(p: int | None, side: dict[int, int]) -> dict[str, str]:
            return {"price": P.px(m, p), "size": P.sz(m, side[p])} if p is not None else {"price": "", "size": ""}

        return {
            "channel": f"ticker:{m.market_id}",
            "last_updated_at": self.ob_updated_us,
            "nonce": self.ob_nonce,
            "ticker": {"s": m.symbol, "a": lvl(ba, asks), "b": lvl(bb, bids), "last_updated_at": self.ob_updated_us},
            "timestamp": now_ms,
            "type": typ,
        }

    def order_book_snapshot(self) -> dict[str, Any]:
        ex = self.ex
        m = ex.market
        bids, asks = self.ob_levels
        return {
            "channel": f"order_book:{m.market_id}",
            "last_updated_at": self.ob_updated_us,
            "offset": self.ob_offset,
            "order_book": {
                "code": 0,
                "asks": self.levels_json(asks, False),
                "bids": self.levels_json(bids, True),
                "offset": self.ob_offset,
                "nonce": self.ob_nonce,
                "last_updated_at": self.ob_updated_us,
                "begin_nonce": 0,
            },
            "timestamp": ex.now_ms(),
            "type": "subscribed/order_book",
        }

    def mid(self) -> int | None:
        ex = self.ex
        b = ex.market_book
        if b.best_bid is not None and b.best_ask is not None:
            return (b.best_bid + b.best_ask) // 2
        return None

    def market_stats_json(self) -> dict[str, Any]:
        ex = self.ex
        m = ex.market
        mid = self.mid()
        mark = ex.mark if ex.mark is not None else mid
        last = ex.public_trades[-1].price if ex.public_trades else mid
        day_ago = ex.now_ms() - 86_400_000
        day = [t for t in ex.public_trades if t.ts_ms >= day_ago]
        prices = [m.px(t.price) for t in day]
        first = prices[0] if prices else (m.px(last) if last else 0.0)
        oi = sum(abs(a.position) for a in ex.accounts.values())
        return {
            "symbol": m.symbol,
            "market_id": m.market_id,
            "index_price": P.px(m, mark) if mark is not None else "0",
            "mark_price": P.px(m, mark) if mark is not None else "0",
            "mid_price": P.px(m, mid) if mid is not None else "0",
            "open_interest": P.quote(m.sz(oi) * (m.px(mark) if mark else 0.0)),
            "open_interest_limit": "72057594037927936.000000",
            "funding_clamp_small": "0.0500",
            "funding_clamp_big": "4.0000",
            "last_trade_price": P.px(m, last) if last is not None else "0",
            "current_funding_rate": "0.0000",
            "funding_rate": "0.0000",
            "funding_timestamp": (ex.now_ms() // 3_600_000) * 3_600_000,
            "daily_base_token_volume": sum(m.sz(t.size) for t in day),
            "daily_quote_token_volume": sum(m.notional(t.price, t.size) for t in day),
            "daily_price_low": min(prices) if prices else first,
            "daily_price_high": max(prices) if prices else first,
            "daily_price_change": ((prices[-1] / first - 1) * 100) if prices and first else 0.0,
        }

    def order_book_stats(self) -> dict[str, Any]:
        ex = self.ex
        s = self.market_stats_json()
        return {
            "last_trade_price": float(s["last_trade_price"]),
            "daily_trades_count": len([t for t in ex.public_trades if t.ts_ms >= ex.now_ms() - 86_400_000]),
            "daily_base_token_volume": s["daily_base_token_volume"],
            "daily_quote_token_volume": s["daily_quote_token_volume"],
            "daily_price_low": s["daily_price_low"],
            "daily_price_high": s["daily_price_high"],
            "daily_price_change": s["daily_price_change"],
            "open_interest": float(s["open_interest"]),
        }

    def snapshot(self, ch: ChannelArgs) -> dict[str, Any] | None:
        """The `subscribed/...` reply of a public channel (None: not a public channel)."""
        ex = self.ex
        m, parts, mk = ex.market, ch.parts, str(ex.market.market_id)
        name = parts[0]
        now_ms = ex.now_ms()
        if name == "order_book" and len(parts) == 2:
            ch.market(1)
            return self.order_book_snapshot()
        if name == "ticker" and len(parts) == 2:
            ch.market(1)
            return self.ticker("subscribed/ticker", now_ms)
        if name == "trade" and len(parts) == 2:
            ch.market(1)
            return {
                "channel": f"trade:{mk}",
                "liquidation_trades": [],
                "nonce": self.ob_nonce,
                "trades": [P.trade_json(m, t) for t in ex.public_trades[-50:]],
                "type": "subscribed/trade",
            }
        if name == "market_stats" and len(parts) == 2:
            stats = self.market_stats_json()
            if parts[1] == "all":
                return {
                    "channel": "market_stats:all",
                    "market_stats": {mk: stats},
                    "timestamp": now_ms,
                    "type": "subscribed/market_stats",
                }
            ch.market(1)
            stats["base_interest_rate"] = "0.0100"  # only the subscribe snapshot carries it
            return {
                "channel": f"market_stats:{mk}",
                "market_stats": stats,
                "timestamp": now_ms,
                "type": "subscribed/market_stats",
            }
        if name == "height" and len(parts) == 1:
            return {"channel": "height", "height": ex.height, "timestamp": now_ms, "type": "subscribed/height"}
        return None
