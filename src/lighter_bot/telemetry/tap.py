"""A pass-through Venue that observes commands and events for telemetry: ack latency, rejects by
reason, reconnects, fills by order purpose. It changes nothing the engine sees."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence

from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    Event,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
    VenueStatus,
)
from lighter_bot.domain.market import MarketSpec
from lighter_bot.engine.clock import Clock
from lighter_bot.telemetry.metrics import BotMetrics
from lighter_bot.venues.base import Venue

_MAX_TRACKED = 20_000


class VenueTap:
    def __init__(self, venue: Venue, clock: Clock, metrics: BotMetrics) -> None:
        self.venue = venue
        self.clock = clock
        self.metrics = metrics
        self._purpose: OrderedDict[int, str] = OrderedDict()
        self._sent: dict[tuple[str, int], float] = {}
        self._connected: bool | None = None

    @property
    def market(self) -> MarketSpec:
        return self.venue.market

    @property
    def nonce_gaps(self) -> int | None:
        v = getattr(self.venue, "nonce_gaps", None)
        return v if isinstance(v, int) else None

    @property
    def request_stats(self) -> dict[str, int] | None:
        """The venue's request budget numbers (requests in the last minute, limit, 429s...), if it has any."""
        v = getattr(self.venue, "request_stats", None)
        return v if isinstance(v, dict) else None

    def purpose_of(self, client_id: int) -> str | None:
        return self._purpose.get(client_id)

    async def start(self) -> list[Event]:
        events = await self.venue.start()
        for e in events:
            self.observe(e)
        return events

    async def events(self) -> AsyncIterator[Event]:
        async for e in self.venue.events():
            self.observe(e)
            yield e

    async def submit(self, commands: Sequence[Command]) -> None:
        now = self.clock.now()
        for c in commands:
            self.note_sent(c, now)
        await self.venue.submit(commands)

    async def shutdown(self) -> int:
        return await self.venue.shutdown()

    # -- observation -----------------------------------------------------------------------------
    def note_sent(self, c: Command, now: float) -> None:
        m = self.metrics
        if isinstance(c, PlaceOrder):
            kind = "place"
            self._purpose[c.client_id] = c.purpose.value
            while len(self._purpose) > _MAX_TRACKED:
                self._purpose.popitem(last=False)
            if c.purpose.value.startswith("hedge"):
                m.hedger_orders.labels(c.purpose.value.removeprefix("hedge_")).inc()
        elif isinstance(c, ModifyOrder):
            kind = "modify"
        elif isinstance(c, CancelOrder):
            kind = "cancel"
        elif isinstance(c, CancelAll):
            m.commands.labels("cancel_all").inc()
            return
        else:
            return
        m.commands.labels(kind).inc()
        self._sent[(kind, c.client_id)] = now
        if len(self._sent) > _MAX_TRACKED:
            self._sent.clear()  # only latency samples are lost

    def _ack(self, kind: str, client_id: int, ts: float) -> None:
        sent = self._sent.pop((kind, client_id), None)
        if sent is not None:
            self.metrics.ack_latency.labels(kind).observe(max(0.0, self.clock.now() - sent))

    def observe(self, e: Event) -> None:
        m = self.metrics
        if isinstance(e, OrderAccepted):
            self._ack("place", e.client_id, e.ts)
        elif isinstance(e, OrderRejected):
            self._ack("place", e.client_id, e.ts)
            m.rejects.labels(str(e.code), e.reason[:48]).inc()
        elif isinstance(e, OrderModified):
            self._ack("modify", e.client_id, e.ts)
        elif isinstance(e, ModifyRejected):
            self._ack("modify", e.client_id, e.ts)
            self._ack("cancel", e.client_id, e.ts)
            m.rejects.labels(str(e.code), e.reason[:48]).inc()
        elif isinstance(e, OrderCanceled):
            self._ack("cancel", e.client_id, e.ts)
            self._sent.pop(("place", e.client_id), None)
        elif isinstance(e, OrderFilled):
            self._ack("place", e.client_id, e.ts)  # an IOC may fill before (or instead of) its ack
        elif isinstance(e, VenueStatus):
            if e.connected and self._connected is False:
                m.reconnects.inc()
            self._connected = e.connected
