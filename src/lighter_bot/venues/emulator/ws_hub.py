"""The emulator's `/stream` WebSocket: connections with ordered outbound queues, subscriptions (auth
checked at subscribe; no account data once that token expired), publications to subscribers,
sendTx / sendTxBatch over the socket, keepalive (pings, no pong, idle, slow readers), and the
network faults (`ws_drop`, `shutdown`, `no_pong`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from lighter_bot.venues.emulator.account_feed import channel_account
from lighter_bot.venues.emulator.auth import check_token
from lighter_bot.venues.emulator.txinfo import ApiError

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange

QUEUE_MAX = 20_000  # frames buffered per connection before it counts as a slow reader


class Conn:
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



class WsHub:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex
        self.conns: set[Conn] = set()
        self._conn_seq = 0
        self.connections_total = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close_all(self) -> None:
        for conn in list(self.conns):
            conn.closing = True
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server stopping")
        for t in list(self._tasks):
            t.cancel()

    def publish(self, channel: str, msg: dict[str, Any]) -> None:
        now = self.ex.now()
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

    async def _close_later(self, conn: Conn, delay: float, code: int, reason: str) -> None:
        await asyncio.sleep(delay)
        conn.closing = True
        with contextlib.suppress(Exception):
            await conn.ws.close(code=code, message=reason.encode())

    def timers(self) -> None:
        ex = self.ex
        t = ex.elapsed()
        now = ex.now()
        faults = ex.faults
        if faults.fired("ws_drop", t) is not None:
            self.drop_ws()
        shutdown = faults.fired("shutdown", t)
        if shutdown is not None:
            self.shutdown_ws(shutdown.close_in_ms)
        interval = self.ex.config.ws_ping_interval_s
        for conn in list(self.conns):
            if conn.slow:
                conn.slow = False
                self._spawn(self._close_later(conn, 0, 1008, "slow reader"))
            if conn.closing:
                continue
            if now - conn.last_rx > self.ex.config.ws_idle_timeout_s:
                self._spawn(self._close_later(conn, 0, 1008, "idle"))
                conn.closing = True
                continue
            if interval <= 0:
                continue
            if conn.ping_pending_since is not None:
                if now - conn.ping_pending_since > self.ex.config.ws_pong_timeout_s:
                    conn.closing = True
                    self._spawn(self._close_later(conn, 0, 1008, "no pong"))
            elif now - conn.last_ping >= interval:
                conn.last_ping = now
                conn.ping_pending_since = now
                conn.send({"type": "ping"})

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        ex = self.ex
        self._conn_seq += 1
        self.connections_total += 1
        conn = Conn(ws, request, ex.now(), self._conn_seq)
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

    def _ws_error(self, conn: Conn, err: ApiError, channel: str | None = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": err.code, "message": err.message}
        if channel is not None:
            frame["channel"] = channel.replace("/", ":")
        conn.send(frame)

    async def _on_text(self, conn: Conn, data: str, no_pong: bool) -> None:
        ex = self.ex
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

    def _subscribe(self, conn: Conn, msg: dict[str, Any]) -> None:
        ex = self.ex
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
                    self.ex.config.max_auth_expiry_s,
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

    async def _ws_sendtx(self, conn: Conn, typ: str, data: Any) -> None:
        ex = self.ex
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
