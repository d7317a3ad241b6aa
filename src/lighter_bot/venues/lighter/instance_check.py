"""Another bot on our account and market, seen from the exchange (the ledger-folder lock,
records/instance_lock.py, only guards one machine).

Every run's client_order_index values are `base + id` with a base taken from the clock at start
(orders.client_index_base), so an order in our market whose index is outside our range belongs to
someone else: an earlier run of ours (orphans of a kill -9: they never change) or a bot that is
alive (its orders appear and move). Two rules:

* At start, before we cancel anything: when foreign orders rest, list the market twice a moment
  apart. A foreign order that appeared, or changed price, in between is a live bot: refuse to start
  (InstanceConflict, exit 2) and touch nothing of it.
* While running: a live foreign order that was not listed at start, from a run older than ours
  (index below our base), appearing once the start grace has passed, means we are the second bot
  (the quiet first one did not move during the start probe): halt (the venue reports the
  conflict; the engine cancels ours and sends nothing else) and leave its orders alone, until none
  has appeared for `hold_s`. A newer bot's orders (index above our range) are cancelled like any
  orphan: that bot is the second one and stops itself by the same rule.

Pure bookkeeping (times passed in), unit-tested in tests/unit/test_lighter_instances.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lighter_bot.venues.lighter.orders import CLIENT_SPAN
from lighter_bot.venues.lighter.parse_account import OrderInfo

START_GRACE_S = 2.0  # an earlier run's in-flight placement may land this soon after our start
HOLD_S = 30.0  # halted this long after the last sign of the other bot


def _describe(o: OrderInfo) -> str:
    return f"order {o.order_index} (client_order_index {o.client_order_index})"


@dataclass
class ForeignOrders:
    base: int  # our client_order_index base
    started_at: float
    grace_s: float = START_GRACE_S
    hold_s: float = HOLD_S
    known: set[int] = field(default_factory=set)  # order indexes listed at start: earlier runs' orphans
    last_seen_at: float | None = None  # the last sign of an older bot alive
    detail: str = ""
    newer_warned: bool = False

    def foreign(self, coi: int) -> bool:
        return not self.base <= coi < self.base + CLIENT_SPAN

    def older(self, coi: int) -> bool:
        return coi < self.base

    def at_start(self, first: list[OrderInfo], second: list[OrderInfo]) -> str | None:
        """Two listings of the market's live orders, a moment apart, before we touch anything: why
        another bot is alive, or None."""
        before = {o.order_index: o for o in first if o.live and self.foreign(o.client_order_index)}
        self.known |= set(before)
        for o in second:
            if not o.live or not self.foreign(o.client_order_index):
                continue
            self.known.add(o.order_index)
            was = before.get(o.order_index)
            if was is None:
                return f"{_describe(o)} was placed while we were starting"
            if was.price != o.price:
                return f"{_describe(o)} moved from {was.price} to {o.price} ticks while we were starting"
        return None

    def note_listed(self, orders: list[OrderInfo]) -> None:
        """Orders listed (and cancelled) by the start: earlier runs' orphans, not a live bot."""
        self.known |= {o.order_index for o in orders}

    def on_orphan(self, info: OrderInfo, now: float) -> bool:
        """A live order in our market nobody of this run tracks. True: it is an older live bot's,
        leave it alone (we are halted by `active`); False: cancel it like any orphan."""
        coi = info.client_order_index
        if not self.foreign(coi) or info.order_index in self.known or now - self.started_at < self.grace_s:
            return False
        if not self.older(coi):
            self.newer_warned = True
            return False
        if self.last_seen_at is None or now - self.last_seen_at >= self.hold_s:
            self.detail = (f"another bot is trading this account and market ({_describe(info)} appeared after "
                           "our start, from a run older than ours): halted, leaving its orders alone")
        self.last_seen_at = now
        return True

    def active(self, now: float) -> bool:
        return self.last_seen_at is not None and now - self.last_seen_at < self.hold_s
