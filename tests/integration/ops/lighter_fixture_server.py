"""A small real Lighter REST server on 127.0.0.1 for the operator-tool tests, serving the real
payloads of ../shared/lighter-fixtures (plus markets derived from them by changing a few fields).

It runs in its own thread and event loop, so both in-process CLI calls (which call asyncio.run)
and `python scripts/X.py` subprocesses can talk to it. It records every request it answers.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

ACCOUNT = 366110
TOKEN = "1795660093:366110:4:" + "ab" * 80


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FixtureLighter:
    fixtures: Path
    markets: list[dict[str, Any]] = field(default_factory=list)
    books: dict[int, dict[str, Any]] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    page_size_cap: int = 100  # larger limits are refused, as Lighter does
    serve_at_most: int = 100  # rows per page actually returned (forces next_cursor paging)

    def load(self) -> FixtureLighter:
        details = json.loads((self.fixtures / "http_order_book_details.json").read_text())
        eth = details["order_book_details"][0]
        self.markets = [eth, *derived_markets(eth)]
        self.books[eth["market_id"]] = json.loads((self.fixtures / "http_order_book_orders.json").read_text())
        for m in self.markets[1:]:
            self.books[m["market_id"]] = synthetic_book(m)
        self.trades = account_trades(json.loads((self.fixtures / "http_recent_trades.json").read_text())["trades"][0])
        return self

    # -- handlers ----------------------------------------------------------------------------
    def _record(self, request: web.Request) -> None:
        self.requests.append(Recorded(request.path, dict(request.query), {k.lower(): v for k, v in request.headers.items()}))

    async def details(self, request: web.Request) -> web.Response:
        self._record(request)
        mid = request.query.get("market_id")
        items = [m for m in self.markets if mid is None or str(m["market_id"]) == mid]
        return web.json_response({"code": 200, "order_book_details": items, "spot_order_book_details": []})

    async def orders(self, request: web.Request) -> web.Response:
        self._record(request)
        try:
            mid = int(request.query["market_id"])
        except (KeyError, ValueError):
            return web.json_response({"code": 20001, "message": "invalid param: market_id"}, status=400)
        if mid not in self.books:
            return web.json_response({"code": 21100, "message": "market not found"}, status=400)
        return web.json_response(self.books[mid])

    async def account_trades(self, request: web.Request) -> web.Response:
        self._record(request)
        if request.headers.get("authorization") != TOKEN:
            return web.json_response({"code": 20013, "message": "invalid auth token"}, status=401)
        q = request.query
        acct = int(q["account_index"])
        limit = int(q["limit"])
        if not 1 <= limit <= self.page_size_cap:
            return web.json_response({"code": 20001, "message": "invalid param: limit"}, status=400)
        rows = [t for t in self.trades if acct in (t["ask_account_id"], t["bid_account_id"])]
        if "market_id" in q:
            rows = [t for t in rows if str(t["market_id"]) == q["market_id"]]
        rows.sort(key=lambda t: (t["timestamp"], t["trade_id"]), reverse=q.get("sort_dir") == "desc")
        start = int(q.get("cursor") or 0)
        n = min(limit, self.serve_at_most)
        page = rows[start : start + n]
        nxt = str(start + n) if start + n < len(rows) else None
        return web.json_response({"code": 200, "trades": page, "next_cursor": nxt})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/orderBookDetails", self.details)
        app.router.add_get("/api/v1/orderBookOrders", self.orders)
        app.router.add_get("/api/v1/trades", self.account_trades)
        return app


def derived_markets(eth: dict[str, Any]) -> list[dict[str, Any]]:
    """Other markets in the real payload's shape: a SOL-like market 2, a thin one, a hidden one."""

    def variant(**over: Any) -> dict[str, Any]:
        m = copy.deepcopy(eth)
        m.update(over)
        return m

    return [
        variant(symbol="SOL", market_id=2, min_base_amount="0.061", min_quote_amount="10.000000", size_decimals=3,
                price_decimals=3, supported_size_decimals=3, supported_price_decimals=3, last_trade_price=168.0,
                daily_quote_token_volume=120_000_000.0, daily_trades_count=250_000, daily_price_low=163.0,
                daily_price_high=171.0, default_initial_margin_fraction=500),
        variant(symbol="THIN", market_id=77, min_base_amount="10", min_quote_amount="10.000000", size_decimals=0,
                price_decimals=5, last_trade_price=0.5, daily_quote_token_volume=40_000.0, daily_trades_count=900,
                daily_price_low=0.40, daily_price_high=0.55),
        variant(symbol="BIG", market_id=1, min_base_amount="0.00020", min_quote_amount="10.000000", size_decimals=5,
                price_decimals=1, last_trade_price=95_000.0, daily_quote_token_volume=900_000_000.0,
                daily_trades_count=600_000, daily_price_low=93_500.0, daily_price_high=96_000.0),
        variant(symbol="HIDDEN", market_id=99, market_config={**eth["market_config"], "hidden": True}),
    ]


def synthetic_book(m: dict[str, Any]) -> dict[str, Any]:
    """One level a side, 6 bps apart, in the real orderBookOrders shape."""
    px = float(m["last_trade_price"])
    d = int(m["price_decimals"])
    level = {"order_index": 281476929689581, "order_id": "281476929689581", "owner_account_index": 1,
             "initial_base_amount": "1", "remaining_base_amount": "1", "order_expiry": 1780364303894, "transaction_time": 0}
    return {"code": 200, "total_asks": 1, "total_bids": 1,
            "asks": [{**level, "price": f"{px * 1.0003:.{d}f}"}], "bids": [{**level, "price": f"{px * 0.9997:.{d}f}"}]}


def account_trades(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Our account's trades in the real Trade shape: buy 3 (maker), sell 2 (taker), buy 1, sell 1 (maker) on ETH."""
    rows = []
    spec = [  # (side of ours, we are maker, size, price)
        ("buy", True, "0.0100", "2360.00"),
        ("buy", True, "0.0200", "2362.00"),
        ("sell", False, "0.0200", "2365.00"),
        ("buy", True, "0.0100", "2358.00"),
        ("sell", True, "0.0100", "2361.00"),
    ]
    for i, (side, maker, size, price) in enumerate(spec):
        t = copy.deepcopy(template)
        we_ask = side == "sell"
        t.update(
            trade_id=19211490300 + i, trade_id_str=str(19211490300 + i), size=size, price=price,
            usd_amount=f"{float(size) * float(price):.6f}", timestamp=1777945103092 + 1000 * i,
            ask_account_id=ACCOUNT if we_ask else 719347, bid_account_id=719347 if we_ask else ACCOUNT,
            is_maker_ask=(we_ask == maker), maker_fee=28, taker_fee=196,
        )
        for k in list(t):
            if k.endswith(("_position_size_before", "_entry_quote_before")):
                del t[k]
        rows.append(t)
    return rows


class ServerThread:
    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(self._app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fixture server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
