"""The emulator's public REST paths: status, market metadata, the L3 book, trades, candles, funding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from lighter_bot.venues.emulator import payloads as P
from lighter_bot.venues.emulator.http_util import Handler, auth, check_market, qint
from lighter_bot.venues.emulator.records import OrderRecord
from lighter_bot.venues.emulator.txinfo import ApiError

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange

TRADE_SORTS = ("block_height", "timestamp", "trade_id")  # one order here: trade ids rise with time


class MarketRoutes:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex

    def routes(self) -> dict[str, Handler]:
        return {
            "orderBookDetails": self.order_book_details,
            "orderBooks": self.order_books,
            "orderBookOrders": self.order_book_orders,
            "recentTrades": self.recent_trades,
            "trades": self.trades,
            "candles": self.candles,
            "fundings": self.fundings,
            "funding-rates": self.funding_rates,
            "currentHeight": self.current_height,
        }

    async def root(self, request: web.Request) -> dict[str, Any]:
        return {"status": 1, "network_id": 304, "timestamp": int(self.ex.now())}

    async def info(self, request: web.Request) -> dict[str, Any]:
        return {"contract_address": "0x3b4d794a66304f130a4db8f2551b0070dfcf5ca7"}

    def fees(self) -> tuple[str, str]:
        if self.ex.config.tier == "premium":
            return "0.0280", "0.0040"
        return "0.0000", "0.0000"

    async def order_book_details(self, request: web.Request) -> dict[str, Any]:
        check_market(self.ex, request, False)
        ex = self.ex
        taker, maker = self.fees()
        return {
            "code": 200,
            "order_book_details": [P.market_detail_full_json(ex.market, ex.order_book_stats(), taker, maker)],
            "spot_order_book_details": [],
        }

    async def order_books(self, request: web.Request) -> dict[str, Any]:
        check_market(self.ex, request, False)
        ex = self.ex
        taker, maker = self.fees()
        return {"code": 200, "order_books": [P.market_detail_json(ex.market, ex.order_book_stats(), taker, maker)]}

    async def order_book_orders(self, request: web.Request) -> dict[str, Any]:
        check_market(self.ex, request, True)
        limit = qint(request, "limit", 100)
        if not 1 <= limit <= 250:
            raise ApiError(20001, "invalid param: limit must be 1..250")
        ex = self.ex
        m = ex.market
        expiry = ex.now_ms() + 28 * 86_400_000
        mine: list[OrderRecord] = [
            r for r in ex.orders.values() if r.status == "open" and r.visible and r.tif != 0 and r.remaining > 0
        ]

        def simple(idx: int, owner: int, initial: int, remaining: int, price: int) -> dict[str, Any]:
            return {
                "order_index": idx,
                "order_id": str(idx),
                "owner_account_index": owner,
                "initial_base_amount": P.sz(m, initial),
                "remaining_base_amount": P.sz(m, remaining),
                "price": P.px(m, price),
                "order_expiry": expiry,
                "transaction_time": 0,
            }

        sides: dict[bool, list[tuple[int, dict[str, Any]]]] = {True: [], False: []}
        for is_ask, levels in ((False, ex.market_book.bids), (True, ex.market_book.asks)):
            base = 2**48 if is_ask else 2**49
            for price, size in levels:
                sides[is_ask].append(
                    (price, simple(base + 900_000_000 + price, 281474976600000 + price % 1000, size, size, price))
                )
        for r in mine:
            sides[r.is_ask].append((r.price, simple(r.order_index, r.account_index, r.initial, r.remaining, r.price)))
        asks = [d for _, d in sorted(sides[True], key=lambda x: x[0])][:limit]
        bids = [d for _, d in sorted(sides[False], key=lambda x: -x[0])][:limit]
        return {"code": 200, "total_asks": len(asks), "asks": asks, "total_bids": len(bids), "bids": bids}

    async def recent_trades(self, request: web.Request) -> dict[str, Any]:
        check_market(self.ex, request, True)
        limit = qint(request, "limit", 100)
        if not 1 <= limit <= 100:
            raise ApiError(20001, "invalid param: limit must be 1..100")
        ex = self.ex
        trades = list(reversed(ex.public_trades[-limit:]))
        return {"code": 200, "trades": [P.trade_json(ex.market, t, with_before=True) for t in trades]}

    async def trades(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        if request.query.get("sort_by") not in TRADE_SORTS:  # required by Lighter (the SDK's sort_by)
            raise ApiError(20001, f"invalid param: sort_by must be one of {', '.join(TRADE_SORTS)}")
        limit = qint(request, "limit", 100)
        if not 1 <= limit <= 100:
            raise ApiError(20001, "invalid param: limit must be 1..100")
        market = check_market(self.ex, request, False)
        if "account_index" in request.query:
            account = qint(request, "account_index")
            auth(self.ex, request, account)
            ex.account(account)
            pool = list(ex.fills.get(account, []))
        else:
            pool = list(ex.public_trades)
        if market is not None and market != ex.market.market_id:
            pool = []
        if "order_index" in request.query:
            oi = qint(request, "order_index")
            pool = [t for t in pool if oi in (t.ask_id, t.bid_id)]
        desc = request.query.get("sort_dir", "desc") != "asc"
        pool.sort(key=lambda t: t.trade_id, reverse=desc)
        cursor = request.query.get("cursor")
        if cursor:
            try:
                c = int(cursor)
            except ValueError:
                raise ApiError(20001, "invalid param: cursor") from None
            pool = [t for t in pool if (t.trade_id < c if desc else t.trade_id > c)]
        page = pool[:limit]
        next_cursor = str(page[-1].trade_id) if len(pool) > limit else None
        return {
            "code": 200,
            "next_cursor": next_cursor,
            "trades": [P.trade_json(ex.market, t, with_before=True) for t in page],
        }

    async def candles(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        check_market(self.ex, request, True)
        res = request.query.get("resolution", "1m")
        seconds = {
            "1m": 60,
            "5m": 300,
            "15m": 900,
            "30m": 1800,
            "1h": 3600,
            "4h": 14400,
            "12h": 43200,
            "1d": 86400,
            "1w": 604800,
        }
        if res not in seconds:
            raise ApiError(22402, "unsupported resolution")
        start = qint(request, "start_timestamp", 0)
        end = qint(request, "end_timestamp", ex.now_ms() + 1)
        count_back = qint(request, "count_back", 500)
        step = seconds[res] * 1000
        m = ex.market
        buckets: dict[int, list[Any]] = {}
        for t in ex.public_trades:
            if start <= t.ts_ms <= end:
                buckets.setdefault(t.ts_ms // step * step, []).append(t)
        out = []
        for b in sorted(buckets)[-count_back:]:
            ts = buckets[b]
            prices = [m.px(t.price) for t in ts]
            out.append(
                {
                    "t": b,
                    "o": prices[0],
                    "h": max(prices),
                    "l": min(prices),
                    "c": prices[-1],
                    "v": sum(m.sz(t.size) for t in ts),
                    "V": sum(m.notional(t.price, t.size) for t in ts),
                    "i": ts[-1].trade_id,
                }
            )
        return {"code": 200, "r": res, "c": out}

    async def fundings(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        check_market(self.ex, request, True)
        res = request.query.get("resolution", "1h")
        if res not in ("1h", "1d"):
            raise ApiError(22402, "unsupported resolution")
        step = 3600 if res == "1h" else 86400
        now_s = int(ex.now())
        start = qint(request, "start_timestamp", now_s - 24 * 3600)
        end = qint(request, "end_timestamp", now_s)
        count_back = qint(request, "count_back", 24)
        if start > 10**11:  # accept ms like the SDK examples
            start //= 1000
        if end > 10**11:
            end //= 1000
        first = max(start, int(ex.wall0)) // step * step + step
        stamps = list(range(first, end + 1, step))[-count_back:]
        return {
            "code": 200,
            "resolution": res,
            "fundings": [
                {"timestamp": s, "value": "0.00000000", "rate": "0.0000", "direction": "long"} for s in stamps
            ],
        }

    async def funding_rates(self, request: web.Request) -> dict[str, Any]:
        m = self.ex.market
        return {
            "code": 200,
            "funding_rates": [{"market_id": m.market_id, "exchange": "lighter", "symbol": m.symbol, "rate": 0.0}],
        }

    async def current_height(self, request: web.Request) -> dict[str, Any]:
        return {"code": 200, "height": self.ex.height}
