"""Position and notional caps that count the worst case of every working and in-flight order.

The old guard looked at the position only (seed-system.md 8.A.10), so a burst of resting orders
could all fill past the cap. Here the worst case is the position after every buy (resp. every sell)
of ours filled completely: an order with a modify in flight counts at its remaining size plus its new
size (a partial fill, then the modify resets the remaining), a reduce-only order
can at most bring the position to zero.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from lighter_bot.domain.commands import Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, WorkingOrder
from lighter_bot.strategy.quoting import QuoteIntent


def exposure_size(o: WorkingOrder) -> int:
    """Lots this order could still fill.

    With a modify in flight the old remaining can fill first and the modify then lands and resets
    the order to its new size (the simulator's and emulator's semantics; Lighter's docs do not rule
    it out), so both count: size + pending size.
    """
    p = o.pending_size
    return o.size if p is None else o.size + p


def exposure_if_modified(o: WorkingOrder, new_size: int) -> int:
    """Lots this order could fill if a modify to `new_size` were sent now (see exposure_size)."""
    return exposure_size(o) + new_size


def worst_case(position: int, orders: Iterable[WorkingOrder], skip: int | None = None) -> tuple[int, int]:
    """(max long, max short) position in lots if every buy (resp. sell) order filled completely.

    `skip` leaves one order out (the one about to be replaced by a modify).
    """
    buys = sells = ro_buys = ro_sells = 0
    for o in orders:
        if o.client_id == skip:
            continue
        s = exposure_size(o)
        if o.side is Side.BID:
            if o.reduce_only:
                ro_buys += s
            else:
                buys += s
        elif o.reduce_only:
            ro_sells += s
        else:
            sells += s
    # Reduce-only fills first is the worst ordering: they can take a short position up to flat only.
    long_wc = position + (min(ro_buys, -position) if position < 0 else 0) + buys
    short_wc = position - (min(ro_sells, position) if position > 0 else 0) - sells
    return long_wc, short_wc


@dataclass(frozen=True, slots=True)
class Caps:
    """The guard's two caps in core units: lots, and USD at a price (ticks) via lots x ticks."""

    max_lots: int
    max_value: float  # max |lots| x ticks, i.e. max notional x price_scale x size_scale

    def within(self, lots: int, price_ticks: int) -> bool:
        a = abs(lots)
        return a <= self.max_lots and a * price_ticks <= self.max_value

    def allows(
        self,
        position: int,
        orders: Iterable[WorkingOrder],
        side: Side,
        size: int,
        price_ticks: int,
        reduce_only: bool = False,
        replacing: int | None = None,
    ) -> bool:
        """Would one more order (or `replacing`'s modify to this size) keep the worst case within the caps?

        Every order counts at its worst case: a modify in flight at remaining + new size, so a modify
        of order `replacing` is judged with that order at its current exposure + `size`. An order that
        does not make its side's worst case larger in absolute value is always allowed (it reduces).
        """
        ords = list(orders)
        long0, short0 = worst_case(position, ords)
        if replacing is not None:
            cur = next((o for o in ords if o.client_id == replacing), None)
            long_wc, short_wc = worst_case(position, ords, skip=replacing)
            if cur is not None:
                size = exposure_if_modified(cur, size)
        else:
            long_wc, short_wc = long0, short0
        if side is Side.BID:
            add = min(size, -position) if reduce_only and position < 0 else (0 if reduce_only else size)
            after, before = long_wc + add, long0
        else:
            add = min(size, position) if reduce_only and position > 0 else (0 if reduce_only else size)
            after, before = short_wc - add, short0
        if self.within(after, price_ticks):
            return True
        return abs(after) <= abs(before)

    def allows_command(self, position: int, orders: Mapping[int, WorkingOrder], c: Command, mid_ticks: int) -> bool:
        """`allows` for a command about to be sent (a cancel always fits), valued at the mid or its price."""
        if isinstance(c, PlaceOrder):
            return self.allows(position, orders.values(), c.side, c.size, max(mid_ticks, c.price), c.reduce_only)
        if isinstance(c, ModifyOrder):
            o = orders.get(c.client_id)
            return o is not None and self.allows(position, orders.values(), o.side, c.size, max(mid_ticks, c.price),
                                                 o.reduce_only, replacing=c.client_id)
        return True


def gate_quotes(
    caps: Caps, orders: Collection[WorkingOrder], bid: QuoteIntent | None, ask: QuoteIntent | None, pos: int,
    mid_ticks: int, now: float, blocked_until: list[float], backoff_s: float,
) -> tuple[QuoteIntent | None, QuoteIntent | None]:
    """Drop a quote whose worst case (every working and in-flight order filled, a modify counted at
    remaining + new size) would break a cap; a blocked side then backs off for `backoff_s`
    (`blocked_until` is the per-side (bid, ask) end of that backoff, updated in place)."""
    long_wc, short_wc = worst_case(pos, orders)
    cur_bid = cur_ask = None
    quote, pending_cancel = Purpose.QUOTE, OrderStatus.PENDING_CANCEL
    for o in orders:
        if o.purpose is quote and o.status is not pending_cancel and not o.reduce_only:
            if o.side is Side.BID:
                cur_bid = o
            else:
                cur_ask = o
    bu = blocked_until
    if bid is not None and not bid.reduce_only:
        held = exposure_size(cur_bid) if cur_bid is not None else 0
        # A working quote may be modified to this one: count what it could fill then.
        after = long_wc - held + (exposure_if_modified(cur_bid, bid.size) if cur_bid is not None else bid.size)
        price = mid_ticks if mid_ticks > bid.price else bid.price
        if now < bu[0] or not (caps.within(after, price) or abs(after) <= abs(long_wc)):
            if now >= bu[0]:
                bu[0] = now + backoff_s
            bid = None
    if ask is not None and not ask.reduce_only:
        held = exposure_size(cur_ask) if cur_ask is not None else 0
        after = short_wc + held - (exposure_if_modified(cur_ask, ask.size) if cur_ask is not None else ask.size)
        price = mid_ticks if mid_ticks > ask.price else ask.price
        if now < bu[1] or not (caps.within(after, price) or abs(after) <= abs(short_wc)):
            if now >= bu[1]:
                bu[1] = now + backoff_s
            ask = None
    return bid, ask
