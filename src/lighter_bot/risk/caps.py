"""Position and notional caps that count the worst case of every working and in-flight order.

The old guard looked at the position only (seed-system.md 8.A.10), so a burst of resting orders
could all fill past the cap. Here the worst case is the position after every buy (resp. every sell)
of ours filled completely: an order with a modify in flight counts at its remaining size plus its new
size (a partial fill, then the modify resets the remaining), a reduce-only order
can at most bring the position to zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lighter_bot.domain.orders import Side, WorkingOrder


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
