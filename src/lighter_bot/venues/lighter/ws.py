"""Our own WebSocket supervisor for Lighter's `/stream` (the SDK's WsClient has no reconnect).

One connection carries every channel. The supervisor reconnects with exponential backoff and full
jitter, resubscribes everything on each connection (the subscription list is rebuilt each time, so
a renewed auth token is used), answers the server's `{"type":"ping"}`, treats a `shutdown` frame as
"reconnect now", and treats silence (no frame at all for `silence_s`) as a dead connection. WS-level
pings every 20 s keep the server's 2-minute idle rule satisfied. Frames go to a synchronous
callback in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog

from lighter_bot.engine.clock import Clock
from lighter_bot.venues.lighter.parse import Json, frame_type, iter_frames
from lighter_bot.venues.lighter.ratelimit import Backoff

log = structlog.get_logger("lighter.ws")


class _Reconnect(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WsSupervisor:
    def __init__(
        self,
        url: str,
        clock: Clock,
        subscriptions: Callable[[], list[dict[str, Any]]],
        on_frame: Callable[[Json], None],
        on_connection: Callable[[bool, str], None],
        silence_s: float = 10.0,
        backoff: Backoff | None = None,
        heartbeat_s: float = 20.0,
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self._clock = clock
        self._subscriptions = subscriptions
        self._on_frame = on_frame
        self._on_connection = on_connection
        self.silence_s = silence_s
        self.backoff = backoff or Backoff()
        self.heartbeat_s = heartbeat_s
        self._on_connect = on_connect  # reset per-connection state before the subscribes go out
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stop = asyncio.Event()
        self._reconnect_reason: str | None = None
        self.connected = False
        self.connects = 0
        self.last_frame_at: float | None = None
        self.last_reason = ""

    # -- control ------------------------------------------------------------------------------
    def request_reconnect(self, reason: str) -> None:
        """Drop the connection and start over (fresh snapshots on every channel)."""
        if self._ws is not None and not self._ws.closed:
            self._reconnect_reason = reason
            asyncio.get_running_loop().create_task(self._ws.close())

    async def send(self, msg: dict[str, Any]) -> bool:
        ws = self._ws
        if ws is None or ws.closed:
            return False
        try:
            await ws.send_str(json.dumps(msg))
            return True
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            return False

    async def resubscribe(self, channel: str) -> bool:
        """Unsubscribe and subscribe one channel again to get a fresh snapshot."""
        for sub in self._subscriptions():
            if sub.get("channel") == channel:
                await self.send({"type": "unsubscribe", "channel": channel})
                return await self.send(sub)
        return False

    async def stop(self) -> None:
        self._stop.set()
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- the loop -----------------------------------------------------------------------------
    async def run(self) -> None:
        self._session = aiohttp.ClientSession()
        while not self._stop.is_set():
            reason = "closed by server"
            try:
                await self._once()
            except _Reconnect as exc:
                reason = exc.reason
            except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
                reason = f"{type(exc).__name__}"
            except Exception as exc:  # a bug in a frame handler must not end the supervisor
                reason = f"internal error {type(exc).__name__}: {exc}"
                log.exception("ws_handler_failed")
            finally:
                self._ws = None
                if self.connected:
                    self.connected = False
                    self.last_reason = reason
                    self._on_connection(False, reason)
            self.last_reason = reason
            if self._stop.is_set():
                break
            delay = self.backoff.next_delay()
            log.warning("ws_down", reason=reason, reconnect_in_s=round(delay, 2))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def _once(self) -> None:
        assert self._session is not None
        async with self._session.ws_connect(self.url, heartbeat=self.heartbeat_s, autoping=True) as ws:
            self._ws = ws
            self._reconnect_reason = None
            if self._on_connect is not None:
                self._on_connect()
            for sub in self._subscriptions():
                await ws.send_str(json.dumps(sub))
            self.connects += 1
            got_data = False
            while True:
                try:
                    msg = await ws.receive(timeout=self.silence_s)
                except TimeoutError:
                    raise _Reconnect(f"no frame for {self.silence_s:.0f}s") from None
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    raise _Reconnect(self._reconnect_reason or f"closed by server ({ws.close_code})")
                if msg.type == aiohttp.WSMsgType.ERROR:
                    raise _Reconnect(self._reconnect_reason or "websocket error")
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                self.last_frame_at = self._clock.now()
                for frame in iter_frames(str(msg.data)):
                    typ = frame_type(frame)
                    if typ == "ping":
                        await ws.send_str('{"type":"pong"}')
                        continue
                    if typ == "connected":
                        continue
                    if typ == "shutdown":
                        # The server announced a close: reconnect at once rather than wait for it.
                        raise _Reconnect(f"server shutdown (close_in_ms={frame.get('close_in_ms')})")
                    if not self.connected and typ.startswith(("subscribed/", "update/")):
                        self.connected = True
                        self._on_connection(True, "")
                    if not got_data and typ.startswith(("subscribed/", "update/")):
                        got_data = True
                        self.backoff.reset()
                    self._on_frame(frame)
