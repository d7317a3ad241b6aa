"""The order planner: desired quotes vs our working quote orders -> the fewest commands, most urgent first.

* A working quote within `tolerance` of the desired price (and size within the size tolerance, still
  valid for the exchange) is left alone: no transaction.
* A quote that must change is MODIFIED (one transaction; the order rests at its old price until the
  modify lands) rather than cancelled and re-placed: the book is never empty on a side that still
  wants a quote. Cancel + place only when a modify cannot express the change (reduce-only flag).
* A side that should not be quoted is cancelled; extra orders on a side are cancelled.
* Orders in flight (new, modify, cancel) are not touched again until acknowledged, unless they have
  been in flight for longer than `stuck_after_s` (a lost response).
* Queue awareness (`queue_aware`): an order with a good place in its level's queue (at most
  `keep_ahead_fraction` of the level ahead of it) is kept for a price change of up to `keep_bps` when
  the new price would put it behind more than it has ahead now (a new price sends it to the back of
  that level; moving to an empty price loses nothing); and when only the size is off, only the size is
  modified (a smaller size keeps the place on Lighter). A quote the fair value crossed is pulled regardless
  (strategy/race.py).

Urgency (the budget may not allow everything): cancels first (separate list), then quotes that sit
too aggressively (the market moved toward them: adverse selection risk), then missing sides, then
quotes that merely lag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.strategy.quoting import QuoteIntent, SizeRules


@dataclass(frozen=True, slots=True)
class PlannerSettings:
    tolerance_bps: float
    size_tolerance: float  # fraction of the desired size
    expiry_s: float | None
    stuck_after_s: float
    # Queue awareness (maker.queue): keep a quote within keep_bps of the desired price while at most
    # keep_ahead_fraction of its level is ahead of it and the new price has more ahead; change only the
    # size when only the size is off.
    queue_aware: bool = False
    keep_bps: float = 0.0
    keep_ahead_fraction: float = 0.0


@dataclass(frozen=True, slots=True)
class Plan:
    cancels: list[Command]
    quotes: list[Command]  # places and modifies, most urgent first


_URGENT, _MISSING, _LAGGING = 0, 1, 2


def plan_quotes(
    bid: QuoteIntent | None,
    ask: QuoteIntent | None,
    orders: Iterable[WorkingOrder],
    now: float,
    mid2: int,
    settings: PlannerSettings,
    sizes: SizeRules,
    new_cid: Callable[[], int],
    queue_place: Callable[[int, int], tuple[float, float, float] | None] | None = None,
) -> Plan:
    """`queue_place(client_id, new_price)`: (share of its level ahead of a working order, 0 = front; lots
    ahead of it; lots it would have ahead at new_price), None = unknown (strategy/queue_position.py).
    Used only with `settings.queue_aware`."""
    stuck_before = now - settings.stuck_after_s
    cancels: list[Command] = []
    bids: list[WorkingOrder] = []
    asks: list[WorkingOrder] = []
    quote, pending_cancel, pending_new = Purpose.QUOTE, OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_NEW
    for o in orders:
        if o.purpose is not quote:
            continue
        if o.status is pending_cancel:
            if o.sent_at < stuck_before:
                cancels.append(CancelOrder(o.client_id))  # the cancel's answer was lost: ask again
            continue
        (bids if o.side is Side.BID else asks).append(o)
    ranked: list[tuple[int, float, Command]] = []
    tol_ticks = settings.tolerance_bps * mid2 / 2e4
    keep_ticks = settings.keep_bps * mid2 / 2e4
    for q, live in ((bid, bids), (ask, asks)):
        if q is None:
            for o in live:
                if o.status is not pending_new or o.sent_at < stuck_before:
                    cancels.append(CancelOrder(o.client_id))
            continue
        if not live:
            ranked.append((_MISSING, 0.0, _place(q, new_cid, settings)))
            continue
        # Keep the order that is acknowledged (prefer OPEN), cancel the others.
        if len(live) > 1:
            live.sort(key=lambda o: (o.status is not OrderStatus.OPEN, -o.sent_at))
        keep, extra = live[0], live[1:]
        for o in extra:
            if o.status is not pending_new:
                cancels.append(CancelOrder(o.client_id))
        if keep.status is not OrderStatus.OPEN and keep.sent_at >= stuck_before:
            continue  # wait for the ack before touching it again
        if keep.reduce_only != q.reduce_only:
            cancels.append(CancelOrder(keep.client_id))
            ranked.append((_MISSING, 0.0, _place(q, new_cid, settings)))
            continue
        price = keep.pending_price if keep.pending_price is not None else keep.price
        size = keep.pending_size if keep.pending_size is not None else keep.size
        off = price - q.price
        size_ok = abs(size - q.size) <= settings.size_tolerance * q.size and sizes.valid(price, size)
        if -tol_ticks <= off <= tol_ticks and size_ok:
            continue
        if settings.queue_aware and _keep_price(keep, q.price, off, tol_ticks, keep_ticks, settings, queue_place):
            if size_ok:
                continue  # a small price change is not worth the place in the queue
            if sizes.valid(price, q.size):
                # Only the size is off: a size-only modify (a smaller size keeps the place on Lighter).
                ranked.append((_LAGGING, 0.0, ModifyOrder(keep.client_id, price, q.size)))
                continue
        aggressive = off > tol_ticks if q.side is Side.BID else -off > tol_ticks
        ranked.append((_URGENT if aggressive else _LAGGING, -abs(off), ModifyOrder(keep.client_id, q.price, q.size)))
    if len(ranked) > 1:
        ranked.sort(key=lambda r: (r[0], r[1]))
    return Plan(cancels, [r[2] for r in ranked])


def _keep_price(o: WorkingOrder, new_price: int, off: float, tol_ticks: float, keep_ticks: float,
                settings: PlannerSettings,
                queue_place: Callable[[int, int], tuple[float, float, float] | None] | None) -> bool:
    """The working price may stay: within the tolerance, or within keep_bps with a queue place worth more
    than the one the new price would give."""
    if -tol_ticks <= off <= tol_ticks:
        return True
    if not -keep_ticks <= off <= keep_ticks or queue_place is None or o.status is not OrderStatus.OPEN:
        return False
    place = queue_place(o.client_id, new_price)
    if place is None:
        return False
    frac, ahead, ahead_there = place
    return frac <= settings.keep_ahead_fraction and ahead_there > ahead


def _place(q: QuoteIntent, new_cid: Callable[[], int], s: PlannerSettings) -> PlaceOrder:
    return PlaceOrder(new_cid(), q.side, q.price, q.size, TimeInForce.POST_ONLY, q.reduce_only, Purpose.QUOTE,
                      s.expiry_s)
