"""A tiny deterministic in-memory exchange backend for protocol tests and quick manual runs.

A symmetric book of `levels` levels of `level_size` lots around a mid that moves on a seeded random
walk; market trades at the touch on a fixed cadence; our orders rest, fill when a market trade or a
book move reaches them (no queue model), and obey post-only, IOC and reduce-only the Lighter way.
Tests can also drive it directly (`move_to`, `market_trade`). The simulator replaces it for real runs.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass

from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    MarketTrade,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
)
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side, TimeInForce


@dataclass
class _Resting:
    client_id: int
    side: Side
    price: int
    size: int
    reduce_only: bool


class MemoryBackend:
    def __init__(
        self,
        market: MarketSpec,
        mid: int,
        *,
        seed: int = 1,
        start: float = 0.0,
        levels: int = 10,
        level_size: int = 1000,
        entry_delay_s: float = 0.0,
        trade_every_s: float | None = None,
        walk_every_s: float | None = None,
        maker_fee: float = 0.0,
        taker_fee: float = 0.0,
    ) -> None:
        self._market = market
        self._rng = random.Random(seed)
        self._t = start
        self._bid0 = mid - 1
        self._levels = levels
        self._level_size = level_size
        self._delay = entry_delay_s
        self._trade_every = trade_every_s
        self._walk_every = walk_every_s
        self._maker_fee = maker_fee
        self._taker_fee = taker_fee
        self._queue: list[tuple[float, int, Command | str]] = []
        self._seq = 0
        self._resting: dict[int, _Resting] = {}
        self._known: set[int] = set()
        self._trade_no = 0
        self.position = 0
        self._out: list[Event] = [BookUpdate(start, self.book())]
        if trade_every_s:
            self._push(start + trade_every_s, "trade")
        if walk_every_s:
            self._push(start + walk_every_s, "walk")

    @property
    def market(self) -> MarketSpec:
        return self._market

    def _push(self, t: float, item: Command | str) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (t, self._seq, item))

    # -- market -----------------------------------------------------------------------------------
    @property
    def best_bid(self) -> int:
        return self._bid0

    @property
    def best_ask(self) -> int:
        return self._bid0 + 2

    def book(self) -> BookView:
        bids = tuple((self._bid0 - i, self._level_size) for i in range(self._levels))
        asks = tuple((self.best_ask + i, self._level_size) for i in range(self._levels))
        return BookView(bids, asks)

    def resting(self) -> dict[int, tuple[Side, int, int]]:
        """Our resting orders: client id -> (side, price, remaining)."""
        return {cid: (r.side, r.price, r.size) for cid, r in self._resting.items()}

    def move_to(self, now: float, best_bid: int) -> None:
        """Shift the book (test hook); our orders the new book crosses fill as makers."""
        self._t = max(self._t, now)
        self._bid0 = best_bid
        self._out.append(BookUpdate(self._t, self.book()))
        self._cross_resting()

    def market_trade(self, now: float, taker_side: Side, size: int) -> None:
        """A market trade at the touch (test hook); fills our orders at or through the touch."""
        self._t = max(self._t, now)
        price = self.best_ask if taker_side is Side.BID else self._bid0
        self._out.append(MarketTrade(self._t, price, size, taker_side))
        left = size
        for r in sorted(self._resting.values(), key=lambda r: -r.price if r.side is Side.BID else r.price):
            if left <= 0:
                break
            if r.side is taker_side:
                continue
            if (r.side is Side.BID and r.price >= price) or (r.side is Side.ASK and r.price <= price):
                left -= self._fill(r, min(left, r.size), r.price, Role.MAKER)

    def _cross_resting(self) -> None:
        for r in list(self._resting.values()):
            if (r.side is Side.BID and r.price >= self.best_ask) or (r.side is Side.ASK and r.price <= self._bid0):
                self._fill(r, r.size, r.price, Role.MAKER)

    # -- our orders -------------------------------------------------------------------------------
    def _fill(self, r: _Resting, size: int, price: int, role: Role) -> int:
        self._trade_no += 1
        r.size -= size
        self.position += size * r.side.sign
        rate = self._maker_fee if role is Role.MAKER else self._taker_fee
        fee = self._market.notional(price, size) * rate
        self._out.append(
            OrderFilled(self._t, r.client_id, f"m{self._trade_no}", r.side, price, size, fee, role, r.size)
        )
        if r.size <= 0:
            self._resting.pop(r.client_id, None)
        return size

    def _place(self, cmd: PlaceOrder) -> None:
        r = _Resting(cmd.client_id, cmd.side, cmd.price, cmd.size, cmd.reduce_only)
        self._known.add(cmd.client_id)
        if cmd.reduce_only:
            reducing = Side.reducing(self.position)
            if reducing is not cmd.side:
                self._out.append(OrderCanceled(self._t, cmd.client_id, "canceled-reduce-only"))
                return
            r.size = min(r.size, abs(self.position))
        crosses = (cmd.side is Side.BID and cmd.price >= self.best_ask) or (
            cmd.side is Side.ASK and cmd.price <= self._bid0
        )
        if cmd.tif is TimeInForce.POST_ONLY and crosses:
            self._out.append(OrderCanceled(self._t, cmd.client_id, "canceled-post-only"))
            return
        self._out.append(OrderAccepted(self._t, cmd.client_id))
        if crosses:
            for px, size in self.book().asks if cmd.side is Side.BID else self.book().bids:
                if r.size <= 0 or (px > cmd.price if cmd.side is Side.BID else px < cmd.price):
                    break
                self._fill(r, min(size, r.size), px, Role.TAKER)
        if r.size <= 0:
            return
        if cmd.tif is TimeInForce.IOC:
            self._out.append(OrderCanceled(self._t, cmd.client_id, "canceled"))
            return
        self._resting[cmd.client_id] = r

    def _apply(self, cmd: Command) -> None:
        if isinstance(cmd, PlaceOrder):
            self._place(cmd)
        elif isinstance(cmd, CancelOrder):
            if self._resting.pop(cmd.client_id, None) is not None:
                self._out.append(OrderCanceled(self._t, cmd.client_id, "canceled"))
            else:  # landed after its order was gone (as the simulator reports it)
                self._out.append(ModifyRejected(self._t, cmd.client_id, 21600, "order not active"))
        elif isinstance(cmd, CancelAll):
            for cid in sorted(self._resting):
                self._out.append(OrderCanceled(self._t, cid, "canceled"))
            self._resting.clear()
        elif isinstance(cmd, ModifyOrder):
            r = self._resting.get(cmd.client_id)
            if r is None:
                self._out.append(ModifyRejected(self._t, cmd.client_id, 21715, "order is not active"))
                return
            r.price, r.size = cmd.price, cmd.size
            self._out.append(OrderModified(self._t, cmd.client_id, cmd.price, cmd.size))
            self._cross_resting()

    def submit(self, now: float, commands: Sequence[Command]) -> None:
        for cmd in commands:
            self._push(max(now, self._t) + self._delay, cmd)

    # -- time -------------------------------------------------------------------------------------
    def next_time(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def advance(self, until: float) -> list[Event]:
        while self._queue and self._queue[0][0] <= until:
            t, _, item = heapq.heappop(self._queue)
            self._t = max(self._t, t)
            if item == "trade":
                side = Side.BID if self._rng.random() < 0.5 else Side.ASK
                self.market_trade(self._t, side, max(1, self._level_size // 4))
                if self._trade_every:
                    self._push(self._t + self._trade_every, "trade")
            elif item == "walk":
                self.move_to(self._t, self._bid0 + (1 if self._rng.random() < 0.5 else -1))
                if self._walk_every:
                    self._push(self._t + self._walk_every, "walk")
            elif not isinstance(item, str):
                self._apply(item)
        self._t = max(self._t, until)
        out, self._out = self._out, []
        return out
