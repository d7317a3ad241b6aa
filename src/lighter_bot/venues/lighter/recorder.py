"""Record Lighter's public market frames (book, trades, market stats) to zstd-compressed JSONL.

Each line is {"ts": receive time (epoch s), "frame": <the frame as received>}; the simulator's
replay loader (venues/sim/replay.py) reads it back. The WebSocket supervisor reconnects on drops;
every reconnect writes fresh `subscribed/...` snapshots, which the replay treats as a book reset.
The file is flushed to a complete zstd block every second, so a killed recorder loses at most a
second of data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import IO, Any

import structlog
import zstandard

from lighter_bot.engine.clock import Clock
from lighter_bot.venues.lighter.parse import Json, frame_type
from lighter_bot.venues.lighter.ws import WsSupervisor

log = structlog.get_logger("lighter.record")
RECORDED = ("order_book", "trade", "market_stats")


class Recorder:
    def __init__(self, ws_url: str, market_id: int, out: Path, clock: Clock) -> None:
        self.market_id = market_id
        self.out = out
        self._clock = clock
        self.frames = 0
        self.reconnects = 0
        self._raw: IO[bytes] | None = None
        self._zw: Any = None
        self.ws = WsSupervisor(ws_url, clock, self._subscriptions, self._on_frame, self._on_connection)

    def _subscriptions(self) -> list[dict[str, Any]]:
        return [{"type": "subscribe", "channel": f"{name}/{self.market_id}"} for name in RECORDED]

    def _on_connection(self, up: bool, reason: str) -> None:
        if not up:
            self.reconnects += 1
            log.warning("record_ws_down", reason=reason)

    def _on_frame(self, frame: Json) -> None:
        name = frame_type(frame).partition("/")[2]
        if name not in RECORDED or self._zw is None:
            return
        line = json.dumps({"ts": self._clock.now(), "frame": frame}, separators=(",", ":")) + "\n"
        self._zw.write(line.encode())
        self.frames += 1

    async def run(self, duration_s: float | None, stop: asyncio.Event) -> int:
        """Record until `duration_s` passes or `stop` is set; return the number of frames written."""
        self._raw = self.out.open("wb")
        self._zw = zstandard.ZstdCompressor(level=6).stream_writer(self._raw)
        task = asyncio.create_task(self.ws.run(), name="record-ws")
        loop = asyncio.get_running_loop()
        end = None if duration_s is None else loop.time() + duration_s
        try:
            while not stop.is_set() and (end is None or loop.time() < end):
                await asyncio.sleep(1.0 if end is None else max(0.0, min(1.0, end - loop.time())))
                self._zw.flush(zstandard.FLUSH_BLOCK)
                if task.done():
                    break
        finally:
            await self.ws.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # the stream is over either way
                await task
            self._zw.flush(zstandard.FLUSH_FRAME)
            self._zw.close()
            self._zw = None
        return self.frames
