"""A running bot for telemetry tests: the real EngineCore, EngineRunner and BotServices (ledger,
telemetry, HTTP) on a scripted fake venue, in a background thread with its own event loop.

The fake venue random-walks a SOL-like book (seeded) on the wall clock, acks every command, fills
IOC orders at once (taker) and, with a fixed probability per step, a resting order of ours at its
price (maker). `freeze()` stops all fills so the numbers settle for exact comparisons.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lighter_bot.config import BotConfig, load_config
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    PositionSnapshot,
    VenueStatus,
)
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.engine.clock import LiveClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.runner import EngineRunner
from lighter_bot.telemetry.services import BotServices


@dataclass
class _Resting:
    cid: int
    side: Side
    price: int
    size: int


class FakeVenue:
    def __init__(self, clock: LiveClock, seed: int = 3, step_s: float = 0.05, fill_p: float = 0.06) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self.step_s = step_s
        self.fill_p = fill_p
        self.mid = 170_000
        self.orders: dict[int, _Resting] = {}
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.fills_enabled = True
        self.trade_seq = 0
        self.fills_sent = 0
        self._closed = False

    @property
    def market(self) -> MarketSpec:
        return SOL_PERP

    def book(self) -> BookView:
        return BookView(((self.mid - 5, 900), (self.mid - 15, 2000)), ((self.mid + 5, 900), (self.mid + 15, 2000)))

    async def start(self) -> list[Event]:
        now = self.clock.now()
        return [VenueStatus(now, True), PositionSnapshot(now, 0, None), BookUpdate(now, self.book())]

    def _fill(self, o: _Resting, role: Role) -> OrderFilled:
        self.trade_seq += 1
        self.fills_sent += 1
        fee = round(SOL_PERP.notional(o.price, o.size) * (0.00028 if role is Role.TAKER else 0.0), 8)
        return OrderFilled(self.clock.now(), o.cid, f"fake-{self.trade_seq}", o.side, o.price, o.size, fee, role, 0)

    async def events(self) -> AsyncIterator[Event]:
        next_step = self.clock.now()
        while not self._closed:
            timeout = max(0.0, next_step - self.clock.now())
            try:
                yield await asyncio.wait_for(self.queue.get(), timeout)
                continue
            except TimeoutError:
                pass
            next_step = self.clock.now() + self.step_s
            self.mid += self.rng.choice((-3, -2, -1, 0, 0, 1, 2, 3))
            yield BookUpdate(self.clock.now(), self.book())
            if self.fills_enabled and self.orders and self.rng.random() < self.fill_p:
                o = self.orders.pop(self.rng.choice(sorted(self.orders)))
                yield self._fill(o, Role.MAKER)

    async def submit(self, commands: Sequence[Command]) -> None:
        now = self.clock.now()
        for c in commands:
            if isinstance(c, PlaceOrder):
                o = _Resting(c.client_id, c.side, c.price, c.size)
                self.queue.put_nowait(OrderAccepted(now, c.client_id, str(c.client_id)))
                if c.tif is TimeInForce.IOC:
                    if self.fills_enabled:
                        self.queue.put_nowait(self._fill(o, Role.TAKER))
                    else:
                        self.queue.put_nowait(OrderCanceled(now, c.client_id, "canceled-ioc"))
                else:
                    self.orders[c.client_id] = o
            elif isinstance(c, ModifyOrder):
                o2 = self.orders.get(c.client_id)
                if o2 is not None:
                    o2.price, o2.size = c.price, c.size
                    self.queue.put_nowait(OrderModified(now, c.client_id, c.price, c.size))
            elif isinstance(c, CancelOrder):
                if self.orders.pop(c.client_id, None) is not None:
                    self.queue.put_nowait(OrderCanceled(now, c.client_id, "canceled"))
            elif isinstance(c, CancelAll):
                for cid in list(self.orders):
                    self.orders.pop(cid)
                    self.queue.put_nowait(OrderCanceled(now, cid, "canceled"))

    async def shutdown(self) -> int:
        self.orders.clear()
        self._closed = True
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str) -> tuple[int, str]:
    """GET a local URL: (status, body), also for error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


LEDGER = "data/metrics/fills.jsonl"  # the ledger of a write_config() bot, relative to its root


def write_config(root: Path, port: int, **overrides: Any) -> Path:
    """config.yaml in `root` (ledger under root/data/metrics, telemetry on `port`); `overrides` update
    whole top-level sections key by key, e.g. maker={"trend": {"enabled": False}}."""
    data: dict[str, Any] = {
        "metrics": {"ledger_path": str(root / LEDGER),
                    "archive_dir": str(root / "data/metrics/archive"),
                    "positions_path": str(root / "data/metrics/positions.jsonl")},
        "telemetry": {"host": "127.0.0.1", "port": port},
        "maker": {"volatility": {"enabled": False}},
    }
    for k, v in overrides.items():
        data.setdefault(k, {}).update(v)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class RunningBot:
    """`with RunningBot(config_path) as bot:` serves on bot.port until the block ends."""

    def __init__(self, config_path: Path, sample_seconds: float = 0.2) -> None:
        self.cfg: BotConfig = load_config(config_path)
        self.sample_seconds = sample_seconds
        self.port = self.cfg.telemetry.port
        self.clock = LiveClock()
        self.venue: FakeVenue | None = None
        self.services: BotServices | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: EngineRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="bot", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.venue = FakeVenue(self.clock)
        core = EngineCore(self.cfg, self.venue.market, self.clock)
        self.services = BotServices(self.cfg, core, self.venue, self.clock, "fake", tick_seconds=0.1)
        self.services.bridge.sample_seconds = self.sample_seconds
        self._runner = EngineRunner(core, self.services.venue, self.clock, sinks=self.services.sinks,
                                    observers=self.services.observers, ledger=self.services.records)
        await self.services.start(self.cfg.telemetry.host, self.port)
        self.port = self.services.port or self.port
        self._ready.set()
        try:
            await self._runner.run()
        finally:
            await self.services.close()

    def freeze(self) -> None:
        assert self.venue is not None
        self.venue.fills_enabled = False

    def set_connected(self, connected: bool) -> None:
        """The venue reports a lost (or restored) connection: the engine halts (or may resume)."""
        assert self._loop is not None and self.venue is not None
        self._loop.call_soon_threadsafe(self.venue.queue.put_nowait, VenueStatus(self.clock.now(), connected))

    def __enter__(self) -> RunningBot:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._runner is not None:
            self._loop.call_soon_threadsafe(self._runner.stop)
        self._thread.join(30)
