"""Position and notional caps that count the worst case of every working and in-flight order."""

from __future__ import annotations

from collections.abc import Iterable

from lighter_bot.domain.orders import Side, WorkingOrder


def worst_case(position: int, orders: Iterable[WorkingOrder]) -> tuple[int, int]:
    """(max long, max short) position in lots if every buy (resp. sell) order filled completely.

    An order with a modify in flight counts at the larger of its old and new size.
    """
    buys = sells = 0
    for o in orders:
        size = max(o.size, o.pending_size or 0)
        if o.side is Side.BID:
            buys += size
        else:
            sells += size
    return position + buys, position - sells


def allows(
    position: int,
    orders: Iterable[WorkingOrder],
    side: Side,
    size: int,
    max_lots: int,
    max_notional: float,
    price_for_notional: float,
    lot_value: float,
) -> bool:
    """Would adding `size` lots on `side` keep the worst case within both caps?

    `lot_value` is the quote value of one lot at `price_for_notional` (market.sz(1) * price).
    Orders that reduce |position| within the caps are always allowed.
    """
    long_wc, short_wc = worst_case(position, orders)
    extreme = long_wc + size if side is Side.BID else short_wc - size
    if abs(extreme) <= max_lots and abs(extreme) * lot_value <= max_notional:
        return True
    # Still allow an order that strictly shrinks the worst-case exposure on its side.
    before = long_wc if side is Side.BID else short_wc
    return abs(extreme) < abs(before)
