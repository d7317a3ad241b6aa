"""Our orders as the adapter knows them: sent-but-unseen, live, modifying, cancelling; fills and position.

Pure bookkeeping (no I/O, time passed in), so every rule is unit-tested:

* client ids: the engine's integer ids map to Lighter client_order_index = base + id, where the
  base comes from the clock at start, so indexes stay unique per account across restarts; an
  index below the base belongs to an earlier run (stale) and is never adopted.
* an order we sent is PENDING until the exchange shows it (account_orders, a fill, a cancel) or the
  grace window passes; then it is reconciled by client order index over REST. The same holds for a
  cancel or modify: Lighter accepts one whose order is already gone and it does nothing (an "acked
  no-op"); its outcome is the order's fill or cancel on the stream, or else what REST says. An order
  REST could not resolve is asked about again with a growing delay, never in a loop.
* modifies carry an increasing `order_version`, so a late or resent modify cannot overwrite a newer one.
* fills are deduplicated by trade id (reconnect snapshots replay them) and carry the order's
  remaining size.
* the exchange position is trusted over our fill sum only when they disagree for longer than a
  grace window: position frames and trade frames race, and adopting a position that already
  includes a fill we have not yet seen would count that fill twice.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from lighter_bot.domain.commands import PlaceOrder
from lighter_bot.domain.events import (
    Event,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
    PositionSnapshot,
)
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.venues.lighter.parse import CLIENT_INDEX_LIMIT
from lighter_bot.venues.lighter.parse_account import OrderInfo
from lighter_bot.venues.lighter.parse_trades import OurFill

# Cancel/modify refused because the target is not an active order (lighter-api.md: "harmless on
# cancel races"): the order is gone (filled, cancelled, expired, or never landed), not still open.
ORDER_GONE_CODES = frozenset({21600, 21700, 21709, 21715})
UNKNOWN_CLIENT = -1  # fills of orders that are not ours-this-run still move the position
CLIENT_SPAN = 10**9  # ids per run; the base advances 100 per ms, so runs never overlap
SEEN_MAX = 100_000
PROBE_BACKOFF_CAP_S = 30.0


def client_index_base(now_s: float) -> int:
    """Per-run base of client_order_index: 100 indexes per millisecond since the epoch (< 2**48)."""
    base = int(now_s * 1000) * 100
    if base + CLIENT_SPAN >= CLIENT_INDEX_LIMIT:
        base %= CLIENT_INDEX_LIMIT - CLIENT_SPAN
    return base


@dataclass
class Tracked:
    client_id: int
    side: Side
    price: int
    size: int  # lots still open, as far as fills tell us
    tif: TimeInForce
    reduce_only: bool
    sent_at: float
    seen: bool = False
    order_index: int | None = None
    modify: tuple[int, int, float] | None = None  # (price, size, sent_at)
    cancel_sent_at: float | None = None
    exchange_done_at: float | None = None  # exchange said "filled" before we saw all the fills
    version: int = 0  # order_version of the last modify we signed (Lighter applies only higher ones)
    verify_at: float | None = None  # an account snapshot left it out: ask REST what became of it
    probes: int = 0  # REST probes that did not resolve it
    probe_after: float = 0.0  # ...so the next one waits until then


@dataclass
class OrderBook:
    """Tracker of our orders, our fills and our position (lots)."""

    base: int
    account_index: int
    grace_s: float = 5.0
    position_grace_s: float = 3.0
    orders: dict[int, Tracked] = field(default_factory=dict)
    position: int = 0
    seen_trades: OrderedDict[str, None] = field(default_factory=OrderedDict)
    abandoned: set[int] = field(default_factory=set)  # client ids we gave up on (may still appear)
    duplicate_fills: int = 0
    mismatch_since: float | None = None  # the exchange's position has disagreed with ours since

    # -- ids ----------------------------------------------------------------------------------
    def coi(self, client_id: int) -> int:
        if not 0 <= client_id < CLIENT_SPAN:
            raise ValueError(f"client id {client_id} outside 0..{CLIENT_SPAN - 1}")
        return self.base + client_id

    def client_of(self, coi: int | None) -> int | None:
        if coi is None or not self.base <= coi < self.base + CLIENT_SPAN:
            return None
        return coi - self.base

    def ours(self, coi: int) -> bool:
        return self.client_of(coi) is not None

    # -- what we sent -------------------------------------------------------------------------
    def on_place_sent(self, cmd: PlaceOrder, now: float) -> None:
        self.orders[cmd.client_id] = Tracked(
            cmd.client_id, cmd.side, cmd.price, cmd.size, cmd.tif, cmd.reduce_only, sent_at=now
        )

    def on_place_failed(self, client_id: int, code: int, reason: str, now: float) -> list[Event]:
        self.orders.pop(client_id, None)
        return [OrderRejected(now, client_id, code, reason)]

    def next_version(self, client_id: int) -> int:
        """The order_version for the next modify of this order (0 if we do not track it)."""
        t = self.orders.get(client_id)
        if t is None:
            return 0
        t.version += 1
        return t.version

    def verify_missing(self, present: set[int], now: float) -> None:
        """An account snapshot listed the open orders `present` (client order indexes): ours that are
        acknowledged, absent and not already being resolved are asked about over REST."""
        for t in self.orders.values():
            if t.seen and self.coi(t.client_id) not in present and t.verify_at is None:
                t.verify_at = now

    def on_probed(self, client_id: int, now: float) -> None:
        """REST was asked about this order and it is still unresolved: wait longer before asking again."""
        t = self.orders.get(client_id)
        if t is not None:
            t.probes += 1
            t.probe_after = now + min(PROBE_BACKOFF_CAP_S, self.grace_s * (2.0**t.probes))

    def on_modify_sent(self, client_id: int, price: int, size: int, now: float) -> bool:
        t = self.orders.get(client_id)
        if t is None:
            return False
        t.modify = (price, size, now)
        return True

    def on_modify_failed(self, client_id: int, code: int, reason: str, now: float) -> list[Event]:
        if code in ORDER_GONE_CODES:
            return self._gone(client_id, code, now)
        t = self.orders.get(client_id)
        if t is not None:
            t.modify = None
        return [ModifyRejected(now, client_id, code, reason)]

    def on_cancel_sent(self, client_id: int, now: float) -> None:
        t = self.orders.get(client_id)
        if t is not None:
            t.cancel_sent_at = now

    def on_cancel_failed(self, client_id: int, code: int, reason: str, now: float) -> list[Event]:
        if code in ORDER_GONE_CODES:
            return self._gone(client_id, code, now)
        t = self.orders.get(client_id)
        if t is not None:
            t.cancel_sent_at = None
        return [ModifyRejected(now, client_id, code, reason)]

    def _gone(self, client_id: int, code: int, now: float) -> list[Event]:
        """The exchange has no active order with this index. Reporting "still open" (ModifyRejected)
        made the engine cancel it again at once, rejected again: a loop into a reject-storm halt.
        Its fills, if any, still arrive by trade id; if an unseen placement lands after all, it is
        an orphan and gets cancelled."""
        t = self.orders.pop(client_id, None)
        if t is not None and not t.seen:
            self.abandoned.add(client_id)
        return [OrderCanceled(now, client_id, f"not active on the exchange ({code})")]

    # -- what the exchange tells us -----------------------------------------------------------
    def on_order(self, info: OrderInfo, now: float) -> tuple[list[Event], bool]:
        """Fold one order update in. Returns (events, orphan): orphan = a live order of ours in this
        market that nobody tracks (an earlier run's, or one we gave up on): cancel it."""
        client = self.client_of(info.client_order_index)
        t = self.orders.get(client) if client is not None else None
        if t is None:
            return [], info.live
        out: list[Event] = []
        t.order_index = info.order_index
        t.verify_at = None  # the exchange just told us about it
        if info.canceled:
            self.orders.pop(t.client_id, None)
            return [OrderCanceled(now, t.client_id, info.status)], False
        if info.status == "filled":
            if t.size <= 0:
                self.orders.pop(t.client_id, None)
            elif t.exchange_done_at is None:
                t.exchange_done_at = now  # the fills are on their way; reconcile if they never come
            if not t.seen:
                t.seen = True
                out.append(OrderAccepted(now, t.client_id, str(info.order_index)))
            return out, False
        if not info.live:
            return [], False
        if not t.seen:
            t.seen = True
            out.append(OrderAccepted(now, t.client_id, str(info.order_index)))
        if t.modify is not None:
            mp, _, _ = t.modify
            if info.price == mp:  # the size may already be smaller by a fill: report the exchange's
                t.modify = None
                t.price, t.size = mp, info.remaining
                out.append(OrderModified(now, t.client_id, mp, info.remaining))
        return out, False

    def mark_history(self, trade_ids: list[str]) -> None:
        """Trades already reflected in the position we adopted at start: never count them."""
        for tid in trade_ids:
            self._remember(tid)

    def _remember(self, tid: str) -> None:
        self.seen_trades[tid] = None
        if len(self.seen_trades) > SEEN_MAX:
            self.seen_trades.popitem(last=False)

    def on_fill(self, f: OurFill, now: float) -> list[Event]:
        if f.trade_id in self.seen_trades:
            self.duplicate_fills += 1
            return []
        self._remember(f.trade_id)
        client = self.client_of(f.client_order_index)
        t = self.orders.get(client) if client is not None else None
        out: list[Event] = []
        remaining = 0
        if t is not None:
            if not t.seen:
                t.seen = True
                out.append(OrderAccepted(now, t.client_id, str(f.order_index) if f.order_index else None))
            t.size = max(0, t.size - f.size)
            remaining = t.size
            if remaining == 0:
                self.orders.pop(t.client_id, None)
        self.position += f.side.sign * f.size
        out.append(
            OrderFilled(
                now,
                client if client is not None else UNKNOWN_CLIENT,
                f.trade_id,
                f.side,
                f.price,
                f.size,
                f.fee,
                f.role,
                remaining,
            )
        )
        return out

    def on_exchange_position(self, lots: int, avg: float | None, now: float) -> list[Event]:
        """An authoritative position from the exchange (REST account or positions channel)."""
        if lots == self.position:
            self.mismatch_since = None
            return [PositionSnapshot(now, lots, avg)]
        if self.mismatch_since is None:
            self.mismatch_since = now
            return []
        if now - self.mismatch_since < self.position_grace_s:
            return []
        self.mismatch_since = None
        self.position = lots
        return [PositionSnapshot(now, lots, avg)]

    # -- reconciliation -----------------------------------------------------------------------
    def overdue(self, now: float, lost_before: float | None = None) -> list[Tracked]:
        """Orders whose placement, modify or cancel has not been confirmed within the grace window,
        or was started before `lost_before` (a reconnect: its confirmation may have been lost)."""
        out = []
        for t in self.orders.values():
            if t.probe_after > now:
                continue  # asked recently without an answer: backing off
            ops = [x for x in (t.modify[2] if t.modify else None, t.cancel_sent_at, t.exchange_done_at, t.verify_at)
                   if x is not None]
            started = ops if t.seen else [t.sent_at, *ops]
            # A placement is left to its grace window: sent just before, it may not have executed
            # yet, and REST not knowing it would give it up as rejected.
            lost = lost_before is not None and any(x < lost_before for x in ops)
            if started and (lost or now - min(started) >= self.grace_s):
                out.append(t)
        return out

    def on_reconciled(self, client_id: int, info: OrderInfo | None, now: float) -> tuple[list[Event], bool]:
        """The exchange's answer for an overdue order (None: it does not know the index)."""
        t = self.orders.get(client_id)
        if t is None:
            return [], False
        if info is None:
            if not t.seen:
                self.orders.pop(client_id, None)
                self.abandoned.add(client_id)
                return [OrderRejected(now, client_id, 0, "not seen on the exchange within the grace window")], False
            self.orders.pop(client_id, None)
            return [OrderCanceled(now, client_id, "gone (not found on the exchange)")], False
        events, orphan = self.on_order(info, now)
        t2 = self.orders.get(client_id)
        if t2 is None:
            return events, orphan
        if info.status == "filled" and t2.exchange_done_at is not None and now - t2.exchange_done_at >= self.grace_s:
            # The exchange says filled but the fills never reached us: the order is gone; the
            # position check adopts the exchange's position.
            self.orders.pop(client_id, None)
            return [*events, OrderCanceled(now, client_id, "filled (fills not received)")], orphan
        if t2.modify is not None and now - t2.modify[2] >= self.grace_s:
            t2.modify = None
            events.append(ModifyRejected(now, client_id, 0, "modify not applied within the grace window"))
        if t2.cancel_sent_at is not None and now - t2.cancel_sent_at >= self.grace_s:
            t2.cancel_sent_at = None
            events.append(ModifyRejected(now, client_id, 0, "cancel not applied within the grace window"))
        return events, orphan

    def live_client_ids(self) -> list[int]:
        return sorted(self.orders)
