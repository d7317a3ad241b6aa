"""The emulator's aiohttp server: Lighter's REST paths and the `/stream` WebSocket on one port,
a pacing task that drives the exchange in (scaled) real time, and the network-level faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from lighter_bot.venues.emulator import payloads as P
from lighter_bot.venues.emulator.auth import check_token, parse_token
from lighter_bot.venues.emulator.exchange import EmulatedExchange, channel_account
from lighter_bot.venues.emulator.records import OrderRecord
from lighter_bot.venues.emulator.txinfo import ApiError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[dict[str, Any]]]
QUEUE_MAX = 20_000  # frames buffered per connection before it counts as a slow reader


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":")))


def _qint(req: web.Request, name: str, default: int | None = None) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise ApiError(20001, f"invalid param: {name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(20001, f"invalid param: {name} must be an integer") from None


def _account_of(request: web.Request, endpoint: str) -> int | None:
    """The account a REST request is about (what Lighter meters it against): `account_index`, the
    `account` lookup by index, or the auth token's account; None for public market data."""
    q = request.query
    by_index = endpoint == "account" and q.get("by", "index") == "index"
    for raw in (q.get("account_index"), q.get("value") if by_index else None):
        if raw is not None and raw.isdigit():
            return int(raw)
    token = request.headers.get("authorization") or q.get("auth")
    if token:
        with contextlib.suppress(ApiError):
            return parse_token(token).account_index
    return None


class _Conn:
    """One WebSocket client: its subscriptions and an ordered outbound queue."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, now: float, cid: int) -> None:
        self.ws = ws
        self.request = request
        self.id = cid
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=QUEUE_MAX)
        self.subs: set[str] = set()
        self.auth_expiry: dict[str, int] = {}  # private channel -> expiry of the token it was subscribed with
        self.expired_drops = 0  # account frames withheld because that token had expired
        self.last_rx = now
        self.last_ping = now
        self.ping_pending_since: float | None = None
        self.closing = False
        self.slow = False

    def send(self, msg: dict[str, Any]) -> None:
        if self.closing:
            return
        try:
            self.queue.put_nowait(msg)
        except asyncio.QueueFull:
            self.closing = self.slow = True  # slow reader: Lighter drops those; closed by the pacer

    async def writer(self) -> None:
        while True:
            msg = await self.queue.get()
            if msg is None:
                return
            try:
                await self.ws.send_str(json.dumps(msg))
            except (ConnectionError, RuntimeError):
                return


class EmulatorServer:
    def __init__(self, exchange: EmulatedExchange) -> None:
        self.exchange = exchange
        self.config = exchange.config
        self.conns: set[_Conn] = set()
        self._conn_seq = 0
        self._pacer: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0
        self.ws_connections_total = 0
        self.app = self._build_app()
        exchange.publish = self.publish

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> int:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.config.port
        self._pacer = asyncio.create_task(self._pace())
        return self.port

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
        for conn in list(self.conns):
            conn.closing = True
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server stopping")
        for t in list(self._tasks):
            t.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                self.exchange.step()
                self._ws_timers()
            except Exception:  # keep serving; a bug in one step must not kill the emulator
                log.exception("emulator step failed")
            await asyncio.sleep(max(0.0, self.config.tick_s - (loop.time() - started)))

    # -- WebSocket --------------------------------------------------------------------------------
    def publish(self, channel: str, msg: dict[str, Any]) -> None:
        now = self.exchange.now()
        for conn in self.conns:
            if channel in conn.subs:
                expiry = conn.auth_expiry.get(channel)
                if expiry is not None and expiry <= now:
                    # An expired token gets no more account data; the subscription stays until the
                    # client re-authenticates it (unsubscribe, subscribe with a fresh token).
                    conn.expired_drops += 1
                    continue
                conn.send(msg)

    def drop_ws(self) -> int:
        """Abort every WebSocket at the TCP level (no close frame); returns how many."""
        n = 0
        for conn in list(self.conns):
            conn.closing = True
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
                n += 1
        return n

    def shutdown_ws(self, close_in_ms: int) -> int:
        """Send {"type":"shutdown"} to every connection and close them close_in_ms later."""
        conns = [c for c in self.conns if not c.closing]
        for conn in conns:
            conn.send({"type": "shutdown", "close_in_ms": close_in_ms})
            self._spawn(self._close_later(conn, close_in_ms / 1000.0, 1001, "shutdown"))
        return len(conns)

    async def _close_later(self, conn: _Conn, delay: float, code: int, reason: str) -> None:
        await asyncio.sleep(delay)
        conn.closing = True
        with contextlib.suppress(Exception):
            await conn.ws.close(code=code, message=reason.encode())

    def _ws_timers(self) -> None:
        ex = self.exchange
        t = ex.elapsed()
        now = ex.now()
        faults = ex.faults
        if faults.fired("ws_drop", t) is not None:
            self.drop_ws()
        shutdown = faults.fired("shutdown", t)
        if shutdown is not None:
            self.shutdown_ws(shutdown.close_in_ms)
        interval = self.config.ws_ping_interval_s
        for conn in list(self.conns):
            if conn.slow:
                conn.slow = False
                self._spawn(self._close_later(conn, 0, 1008, "slow reader"))
            if conn.closing:
                continue
            if now - conn.last_rx > self.config.ws_idle_timeout_s:
                self._spawn(self._close_later(conn, 0, 1008, "idle"))
                conn.closing = True
                continue
            if interval <= 0:
                continue
            if conn.ping_pending_since is not None:
                if now - conn.ping_pending_since > self.config.ws_pong_timeout_s:
                    conn.closing = True
                    self._spawn(self._close_later(conn, 0, 1008, "no pong"))
            elif now - conn.last_ping >= interval:
                conn.last_ping = now
                conn.ping_pending_since = now
                conn.send({"type": "ping"})

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        ex = self.exchange
        self._conn_seq += 1
        self.ws_connections_total += 1
        conn = _Conn(ws, request, ex.now(), self._conn_seq)
        self.conns.add(conn)
        writer = asyncio.create_task(conn.writer())
        conn.send({"type": "connected", "session_id": f"emu-{conn.id}"})
        try:
            async for msg in ws:
                conn.last_rx = ex.now()
                no_pong = ex.faults.active("no_pong", ex.elapsed())
                if msg.type == WSMsgType.PING:
                    if not no_pong:
                        await ws.pong(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    await self._on_text(conn, msg.data, no_pong)
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            self.conns.discard(conn)
            conn.closing = True
            with contextlib.suppress(asyncio.QueueFull):
                conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 1.0)
            writer.cancel()
        return ws

    def _ws_error(self, conn: _Conn, err: ApiError, channel: str | None = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": err.code, "message": err.message}
        if channel is not None:
            frame["channel"] = channel.replace("/", ":")
        conn.send(frame)

    async def _on_text(self, conn: _Conn, data: str, no_pong: bool) -> None:
        ex = self.exchange
        try:
            msg = json.loads(data)
        except json.JSONDecodeError:
            self._ws_error(conn, ApiError(30001, "invalid json"))
            return
        if not isinstance(msg, dict):
            self._ws_error(conn, ApiError(30001, "invalid message"))
            return
        typ = msg.get("type")
        if typ == "pong":
            conn.ping_pending_since = None
        elif typ == "ping":
            if not no_pong:
                conn.send({"type": "pong"})
        elif typ == "subscribe":
            self._subscribe(conn, msg)
        elif typ == "unsubscribe":
            channel = str(msg.get("channel", ""))
            if channel in conn.subs:
                conn.subs.discard(channel)
                conn.auth_expiry.pop(channel, None)
                conn.send({"type": "unsubscribed", "channel": channel.replace("/", ":")})
            else:
                self._ws_error(conn, ApiError(30004, "not subscribed"), channel)
        elif typ in ("jsonapi/sendtx", "jsonapi/sendtxbatch"):
            await self._ws_sendtx(conn, typ, msg.get("data"))
        else:
            self._ws_error(conn, ApiError(30002, f"unknown message type {typ!r}"))
        _ = ex

    def _subscribe(self, conn: _Conn, msg: dict[str, Any]) -> None:
        ex = self.exchange
        channel = msg.get("channel")
        if not isinstance(channel, str) or not channel:
            self._ws_error(conn, ApiError(30012, "failed to subscribe: missing channel"))
            return
        if channel in conn.subs:
            self._ws_error(conn, ApiError(30003, "Already Subscribed"), channel)
            return
        expiry: int | None = None
        try:
            account = channel_account(channel)
            if account is not None:
                token = msg.get("auth")
                expiry = check_token(
                    token if isinstance(token, str) else None,
                    account,
                    ex.now(),
                    self.config.max_auth_expiry_s,
                    ex.key_registered,
                ).expiry
            snapshot = ex.snapshot(channel)
        except ApiError as err:
            self._ws_error(conn, ApiError(30012 if err.code != 20013 else 20013, err.message), channel)
            return
        # Snapshot first, then subscribe, with no await between: the next diff continues it.
        conn.send(snapshot)
        conn.subs.add(channel)
        if expiry is not None:
            conn.auth_expiry[channel] = expiry

    async def _ws_sendtx(self, conn: _Conn, typ: str, data: Any) -> None:
        ex = self.exchange
        ident = data.get("id") if isinstance(data, dict) else None
        try:
            if not isinstance(data, dict):
                raise ApiError(20001, "invalid param: data")
            if typ == "jsonapi/sendtx":
                info = data.get("tx_info")
                info_s = json.dumps(info) if isinstance(info, dict) else str(info)
                resp = ex.send_tx(int(data.get("tx_type", 0)), info_s)
            else:
                types = json.loads(data["tx_types"]) if isinstance(data.get("tx_types"), str) else data.get("tx_types")
                infos = json.loads(data["tx_infos"]) if isinstance(data.get("tx_infos"), str) else data.get("tx_infos")
                if not isinstance(types, list) or not isinstance(infos, list):
                    raise ApiError(20001, "invalid param: tx_types/tx_infos")
                resp = ex.send_tx_batch(
                    [int(t) for t in types], [i if isinstance(i, str) else json.dumps(i) for i in infos]
                )
        except ApiError as err:
            conn.send({"type": typ, "data": {"id": ident, **err.body()}})
            return
        except (ValueError, KeyError, TypeError):
            conn.send({"type": typ, "data": {"id": ident, "code": 20001, "message": "invalid param"}})
            return
        delay = ex.faults.ack_delay(ex.elapsed())
        if delay:
            await asyncio.sleep(delay)
        conn.send({"type": typ, "data": {"id": ident, **resp}})

    # -- REST -------------------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get("/", self._wrap(self._root, faults=False))
        r.add_get("/info", self._wrap(self._info, faults=False))
        r.add_get("/stream", self._ws)
        routes: dict[str, Handler] = {
            "orderBookDetails": self._order_book_details,
            "orderBooks": self._order_books,
            "orderBookOrders": self._order_book_orders,
            "recentTrades": self._recent_trades,
            "trades": self._trades,
            "account": self._account,
            "accountsByL1Address": self._accounts_by_l1,
            "accountActiveOrders": self._active_orders,
            "accountInactiveOrders": self._inactive_orders,
            "accountOrders": self._account_orders,
            "accountLimits": self._account_limits,
            "apikeys": self._apikeys,
            "nextNonce": self._next_nonce,
            "tx": self._tx,
            "candles": self._candles,
            "fundings": self._fundings,
            "funding-rates": self._funding_rates,
            "currentHeight": self._current_height,
            "tokens": self._tokens,
        }
        for name, fn in routes.items():
            r.add_get(f"/api/v1/{name}", self._wrap(fn, endpoint=name))
        r.add_post("/api/v1/sendTx", self._wrap(self._send_tx, endpoint="sendTx"))
        r.add_post("/api/v1/sendTxBatch", self._wrap(self._send_tx_batch, endpoint="sendTxBatch"))
        return app

    def _wrap(
        self, fn: Handler, faults: bool = True, endpoint: str = ""
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            ex = self.exchange
            if faults:
                injected = ex.faults.http_fault(ex.elapsed())
                if injected is not None:
                    return _json(injected[1], injected[0])
            try:
                if endpoint and endpoint not in ("sendTx", "sendTxBatch"):  # those are charged once decoded
                    ex.charge_rest(_account_of(request, endpoint), endpoint)
                body = await fn(request)
            except ApiError as err:
                return _json(err.body(), err.status)
            return _json(body)

        return handler

    def _auth(self, request: web.Request, account_index: int) -> None:
        token = request.headers.get("authorization") or request.query.get("auth")
        ex = self.exchange
        check_token(token, account_index, ex.now(), self.config.max_auth_expiry_s, ex.key_registered)

    def _check_market(self, request: web.Request, required: bool) -> int | None:
        m = self.exchange.market
        if "market_id" not in request.query and not required:
            return None
        mid = _qint(request, "market_id", None if required else m.market_id)
        if mid not in (m.market_id, 255) and not (mid == -1 and not required):
            raise ApiError(21605, f"invalid market id {mid}")
        return mid

    async def _root(self, request: web.Request) -> dict[str, Any]:
        return {"status": 1, "network_id": 304, "timestamp": int(self.exchange.now())}

    async def _info(self, request: web.Request) -> dict[str, Any]:
        return {"contract_address": "0x3b4d794a66304f130a4db8f2551b0070dfcf5ca7"}

    def _fees(self) -> tuple[str, str]:
        if self.config.tier == "premium":
            return "0.0280", "0.0040"
        return "0.0000", "0.0000"

    async def _order_book_details(self, request: web.Request) -> dict[str, Any]:
        self._check_market(request, False)
        ex = self.exchange
        taker, maker = self._fees()
        return {
            "code": 200,
            "order_book_details": [P.market_detail_full_json(ex.market, ex.order_book_stats(), taker, maker)],
            "spot_order_book_details": [],
        }

    async def _order_books(self, request: web.Request) -> dict[str, Any]:
        self._check_market(request, False)
        ex = self.exchange
        taker, maker = self._fees()
        return {"code": 200, "order_books": [P.market_detail_json(ex.market, ex.order_book_stats(), taker, maker)]}

    async def _order_book_orders(self, request: web.Request) -> dict[str, Any]:
        self._check_market(request, True)
        limit = _qint(request, "limit", 100)
        if not 1 <= limit <= 250:
            raise ApiError(20001, "invalid param: limit must be 1..250")
        ex = self.exchange
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

    async def _recent_trades(self, request: web.Request) -> dict[str, Any]:
        self._check_market(request, True)
        limit = _qint(request, "limit", 100)
        if not 1 <= limit <= 100:
            raise ApiError(20001, "invalid param: limit must be 1..100")
        ex = self.exchange
        trades = list(reversed(ex.public_trades[-limit:]))
        return {"code": 200, "trades": [P.trade_json(ex.market, t, with_before=True) for t in trades]}

    async def _trades(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        limit = _qint(request, "limit", 100)
        if not 1 <= limit <= 100:
            raise ApiError(20001, "invalid param: limit must be 1..100")
        market = self._check_market(request, False)
        if "account_index" in request.query:
            account = _qint(request, "account_index")
            self._auth(request, account)
            ex.account(account)
            pool = list(ex.fills.get(account, []))
        else:
            pool = list(ex.public_trades)
        if market is not None and market != ex.market.market_id:
            pool = []
        if "order_index" in request.query:
            oi = _qint(request, "order_index")
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

    def _account_by(self, request: web.Request) -> int:
        ex = self.exchange
        by = request.query.get("by", "index")
        value = request.query.get("value", "")
        if by == "index":
            if not value.isdigit():
                raise ApiError(20001, "invalid param: value")
            return ex.account(int(value)).index
        if by == "l1_address":
            for acc in ex.accounts.values():
                if acc.l1_address.lower() == value.lower():
                    return acc.index
            raise ApiError(21100, "account not found")
        raise ApiError(20001, "invalid param: by must be index or l1_address")

    async def _account(self, request: web.Request) -> dict[str, Any]:
        idx = self._account_by(request)
        return {"code": 200, "total": 1, "accounts": [self.exchange.account_json(idx)]}

    async def _accounts_by_l1(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        addr = request.query.get("l1_address", "")
        subs = []
        for acc in ex.accounts.values():
            if acc.l1_address.lower() == addr.lower():
                full = ex.account_json(acc.index)
                subs.append(
                    {
                        k: full[k]
                        for k in (
                            "code",
                            "account_type",
                            "index",
                            "l1_address",
                            "cancel_all_time",
                            "total_order_count",
                            "total_isolated_order_count",
                            "pending_order_count",
                            "available_balance",
                            "status",
                            "collateral",
                        )
                    }
                )
        if not subs:
            raise ApiError(21100, "account not found")
        return {"code": 200, "l1_address": addr, "sub_accounts": subs}

    async def _active_orders(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        account = _qint(request, "account_index")
        self._auth(request, account)
        market = self._check_market(request, False)
        ex.account(account)
        orders = ex.account_orders(account, True, market)
        orders.sort(key=lambda r: r.order_index)
        return {"code": 200, "next_cursor": None, "orders": [P.order_json(ex.market, r) for r in orders]}

    async def _inactive_orders(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        account = _qint(request, "account_index")
        self._auth(request, account)
        limit = _qint(request, "limit")
        if not 1 <= limit <= 100:
            raise ApiError(20001, "invalid param: limit must be 1..100")
        market = self._check_market(request, False)
        ex.account(account)
        orders = sorted(ex.account_orders(account, False, market), key=lambda r: (-r.updated_ms, -r.order_index))
        if "ask_filter" in request.query:
            want_ask = _qint(request, "ask_filter") == 1
            orders = [r for r in orders if r.is_ask == want_ask]
        start = 0
        if request.query.get("cursor"):
            try:
                start = int(request.query["cursor"])
            except ValueError:
                raise ApiError(20001, "invalid param: cursor") from None
        page = orders[start : start + limit]
        next_cursor = str(start + limit) if len(orders) > start + limit else None
        return {"code": 200, "next_cursor": next_cursor, "orders": [P.order_json(ex.market, r) for r in page]}

    async def _account_orders(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        account = _qint(request, "account_index")
        self._auth(request, account)
        raw = request.query.get("client_order_indexes", "")
        try:
            wanted = {int(x) for x in raw.split(",") if x.strip()}
        except ValueError:
            raise ApiError(20001, "invalid param: client_order_indexes") from None
        if not wanted or len(wanted) > 20:
            raise ApiError(20001, "invalid param: 1..20 client_order_indexes")
        ex.account(account)
        orders = [
            r
            for r in ex.orders.values()
            if r.account_index == account and r.visible and r.status != "rejected" and r.client_order_index in wanted
        ]
        return {"code": 200, "next_cursor": None, "orders": [P.order_json(ex.market, r) for r in orders]}

    async def _account_limits(self, request: web.Request) -> dict[str, Any]:
        account = _qint(request, "account_index")
        self._auth(request, account)
        self.exchange.account(account)
        return {
            "code": 200,
            "max_llp_percentage": 25,
            "user_tier": self.config.tier,
            "can_create_public_pool": False,
            "current_maker_fee_tick": 0 if self.config.tier == "standard" else 40,
            "current_taker_fee_tick": 0 if self.config.tier == "standard" else 280,
        }

    async def _apikeys(self, request: web.Request) -> dict[str, Any]:
        account = _qint(request, "account_index")
        key = _qint(request, "api_key_index", 255)
        return {"code": 200, "api_keys": self.exchange.api_keys(account, key)}

    async def _next_nonce(self, request: web.Request) -> dict[str, Any]:
        account = _qint(request, "account_index")
        key = _qint(request, "api_key_index")
        return {"code": 200, "nonce": self.exchange.next_nonce(account, key)}

    async def _tx(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        if request.query.get("by", "hash") != "hash":
            raise ApiError(20001, "invalid param: by must be hash")
        tx = ex.txs.get(request.query.get("value", ""))
        if tx is None:
            raise ApiError(21500, "transaction not found")
        return {
            "code": 200,
            "hash": tx.hash,
            "type": tx.tx_type,
            "info": tx.info,
            "event_info": tx.event_info,
            "status": tx.status,
            "transaction_index": 0,
            "l1_address": ex.accounts[tx.account_index].l1_address,
            "account_index": tx.account_index,
            "nonce": tx.nonce,
            "expire_at": tx.expire_at,
            "block_height": tx.block_height,
            "queued_at": tx.queued_ms,
            "executed_at": tx.executed_ms,
            "sequence_index": 0,
            "parent_hash": "",
            "api_key_index": tx.api_key_index,
            "transaction_time": tx.queued_ms * 1000,
            "committed_at": tx.executed_ms,
            "verified_at": tx.executed_ms,
        }

    async def _candles(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        self._check_market(request, True)
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
        start = _qint(request, "start_timestamp", 0)
        end = _qint(request, "end_timestamp", ex.now_ms() + 1)
        count_back = _qint(request, "count_back", 500)
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

    async def _fundings(self, request: web.Request) -> dict[str, Any]:
        ex = self.exchange
        self._check_market(request, True)
        res = request.query.get("resolution", "1h")
        if res not in ("1h", "1d"):
            raise ApiError(22402, "unsupported resolution")
        step = 3600 if res == "1h" else 86400
        now_s = int(ex.now())
        start = _qint(request, "start_timestamp", now_s - 24 * 3600)
        end = _qint(request, "end_timestamp", now_s)
        count_back = _qint(request, "count_back", 24)
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

    async def _funding_rates(self, request: web.Request) -> dict[str, Any]:
        m = self.exchange.market
        return {
            "code": 200,
            "funding_rates": [{"market_id": m.market_id, "exchange": "lighter", "symbol": m.symbol, "rate": 0.0}],
        }

    async def _current_height(self, request: web.Request) -> dict[str, Any]:
        return {"code": 200, "height": self.exchange.height}

    async def _tokens(self, request: web.Request) -> dict[str, Any]:
        account = _qint(request, "account_index")
        self._auth(request, account)
        return {"code": 200, "api_tokens": []}

    async def _send_tx(self, request: web.Request) -> dict[str, Any]:
        form = await request.post()
        ex = self.exchange
        try:
            tx_type = int(str(form.get("tx_type", "")))
        except ValueError:
            raise ApiError(20001, "invalid param: tx_type") from None
        info = form.get("tx_info")
        if not isinstance(info, str):
            raise ApiError(20001, "invalid param: tx_info")
        resp = ex.send_tx(tx_type, info)
        delay = ex.faults.ack_delay(ex.elapsed())
        if delay:
            await asyncio.sleep(delay)
        return resp

    async def _send_tx_batch(self, request: web.Request) -> dict[str, Any]:
        form = await request.post()
        ex = self.exchange
        try:
            types = json.loads(str(form.get("tx_types", "")))
            infos = json.loads(str(form.get("tx_infos", "")))
        except json.JSONDecodeError:
            raise ApiError(20001, "invalid param: tx_types and tx_infos must be JSON lists") from None
        if not isinstance(types, list) or not isinstance(infos, list) or not all(isinstance(i, str) for i in infos):
            raise ApiError(20001, "invalid param: tx_types and tx_infos must be JSON lists")
        try:
            tx_types = [int(t) for t in types]
        except (TypeError, ValueError):
            raise ApiError(20001, "invalid param: tx_types") from None
        resp = ex.send_tx_batch(tx_types, infos)
        delay = ex.faults.ack_delay(ex.elapsed())
        if delay:
            await asyncio.sleep(delay)
        return resp
