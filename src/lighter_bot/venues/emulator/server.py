"""The emulator's aiohttp server: Lighter's REST paths and the `/stream` WebSocket on one port, and
a pacing task that drives the exchange in (scaled) real time. The handlers are rest_market.py,
rest_account.py and ws_hub.py; every REST request is counted in its account's request budget here
(sendTx / sendTxBatch once decoded) and may meet an injected HTTP fault (`http429`, `http5xx`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from lighter_bot.venues.emulator.exchange import EmulatedExchange
from lighter_bot.venues.emulator.http_util import Handler, account_of, json_response
from lighter_bot.venues.emulator.rest_account import AccountRoutes
from lighter_bot.venues.emulator.rest_market import MarketRoutes
from lighter_bot.venues.emulator.txinfo import ApiError
from lighter_bot.venues.emulator.ws_hub import Conn, WsHub

log = logging.getLogger(__name__)


class EmulatorServer:
    def __init__(self, exchange: EmulatedExchange) -> None:
        self.exchange = exchange
        self.config = exchange.config
        self.hub = WsHub(exchange)
        self.market_routes = MarketRoutes(exchange)
        self.account_routes = AccountRoutes(exchange)
        self._pacer: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.app = self._build_app()
        exchange.publish = self.hub.publish

    # -- the WebSocket side, for tests and the harness -------------------------------------------
    @property
    def conns(self) -> set[Conn]:
        return self.hub.conns

    @property
    def ws_connections_total(self) -> int:
        return self.hub.connections_total

    def publish(self, channel: str, msg: dict[str, Any]) -> None:
        self.hub.publish(channel, msg)

    def drop_ws(self) -> int:
        """Abort every WebSocket at the TCP level (no close frame); returns how many."""
        return self.hub.drop_ws()

    def shutdown_ws(self, close_in_ms: int) -> int:
        """Send {"type":"shutdown"} to every connection and close them close_in_ms later."""
        return self.hub.shutdown_ws(close_in_ms)

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
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                self.exchange.step()
                self.hub.timers()
            except Exception:  # keep serving; a bug in one step must not kill the emulator
                log.exception("emulator step failed")
            await asyncio.sleep(max(0.0, self.config.tick_s - (loop.time() - started)))

    # -- REST -------------------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get("/", self._wrap(self.market_routes.root, faults=False))
        r.add_get("/info", self._wrap(self.market_routes.info, faults=False))
        r.add_get("/stream", self.hub.handle)
        routes: dict[str, Handler] = {**self.market_routes.routes(), **self.account_routes.routes()}
        for name, fn in routes.items():
            r.add_get(f"/api/v1/{name}", self._wrap(fn, endpoint=name))
        r.add_post("/api/v1/sendTx", self._wrap(self.account_routes.send_tx, endpoint="sendTx"))
        r.add_post("/api/v1/sendTxBatch", self._wrap(self.account_routes.send_tx_batch, endpoint="sendTxBatch"))
        return app

    def _wrap(
        self, fn: Handler, faults: bool = True, endpoint: str = ""
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            ex = self.exchange
            if faults:
                injected = ex.faults.http_fault(ex.elapsed())
                if injected is not None:
                    return json_response(injected[1], injected[0])
            try:
                if endpoint and endpoint not in ("sendTx", "sendTxBatch"):  # those are charged once decoded
                    ex.charge_rest(account_of(request, endpoint), endpoint)
                body = await fn(request)
            except ApiError as err:
                return json_response(err.body(), err.status)
            return json_response(body)

        return handler
