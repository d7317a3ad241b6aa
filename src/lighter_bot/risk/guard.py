"""Trading state: ACTIVE -> REDUCING (only exposure-reducing orders) -> HALTED (cancels only), with reasons.

HALTED when the data we would trade on cannot be trusted: venue disconnected, account stream lost
(stale account data: fills may be missed), no/stale/crossed book, or a reject storm; and when the
fills ledger holds `guard.max_unrecorded_fills` fills it could not record (nothing the bot cannot
record may be traded), and while the venue sees another bot trading our account and market. REDUCING when the position itself is beyond a cap (it cannot get there
through our own orders, whose worst case is capped, but a venue position snapshot or a price move
can put it there), or while the ledger refuses writes: risk may only come down, and the few fills
that takes wait in the shell's bounded queue until the disk takes them or the queue is full. The old guard's
"kill switch" only changed log text (seed-system.md 3.3); here the state decides what may be sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import NamedTuple

from lighter_bot.config import GuardConfig
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.orders import Side, WorkingOrder
from lighter_bot.risk.caps import Caps, exposure_if_modified, worst_case


class TradingState(Enum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"  # only exposure-reducing orders
    HALTED = "HALTED"  # cancels only


# Reason strings (stable: they appear in /health, metrics labels and logs).
VENUE_DISCONNECTED = "venue disconnected"
STALE_ACCOUNT = "stale account data"
NO_BOOK = "no book yet"
STALE_BOOK = "stale book"
CROSSED_BOOK = "crossed book"
REJECT_STORM = "reject storm"
CAP_BREACH = "cap breach"
OTHER_INSTANCE = "another bot on this account"
LEDGER_UNWRITABLE = "ledger not writable"
LEDGER_FULL = "unrecorded fills queue full"


class GuardInputs(NamedTuple):
    now: float
    venue_connected: bool
    account_ok: bool
    book_ts: float | None
    has_two_sided_book: bool
    crossed: bool
    rejects_in_window: int
    position_lots: int
    mid_ticks: int  # 0 when unknown
    ledger_writable: bool = True
    unrecorded_fills: int = 0
    other_instance: bool = False


def evaluate(cfg: GuardConfig, caps: Caps, x: GuardInputs) -> tuple[TradingState, tuple[str, ...]]:
    reasons: list[str] = []
    if not x.venue_connected:
        reasons.append(VENUE_DISCONNECTED)
    if not x.account_ok:
        reasons.append(STALE_ACCOUNT)
    if x.book_ts is None or not x.has_two_sided_book:
        reasons.append(NO_BOOK)
    elif x.now - x.book_ts > cfg.max_book_age_seconds:
        reasons.append(STALE_BOOK)
    elif x.crossed:
        reasons.append(CROSSED_BOOK)
    if x.rejects_in_window >= cfg.reject_storm_count:
        reasons.append(REJECT_STORM)
    if x.unrecorded_fills >= cfg.max_unrecorded_fills:
        reasons.append(LEDGER_FULL)
    if x.other_instance:
        reasons.append(OTHER_INSTANCE)
    if reasons:
        return TradingState.HALTED, tuple(reasons)
    if not caps.within(x.position_lots, x.mid_ticks):
        reasons.append(CAP_BREACH)
    if not x.ledger_writable:
        reasons.append(LEDGER_UNWRITABLE)
    if reasons:
        return TradingState.REDUCING, tuple(reasons)
    return TradingState.ACTIVE, ()


def increases_exposure(cmd: Command, position: int, orders: dict[int, WorkingOrder]) -> bool:
    """Could this command make |position| larger than now, in the worst case? Cancels never do.

    A reduce-only order cannot; an order on the reducing side cannot unless it and the other orders on
    that side could overshoot flat by more than the position; a modify is judged like a new order of
    its current exposure plus the new size (the old remaining can fill before the modify lands).
    """
    if isinstance(cmd, (CancelOrder, CancelAll)):
        return False
    if isinstance(cmd, PlaceOrder):
        side, size, ro, skip = cmd.side, cmd.size, cmd.reduce_only, None
    elif isinstance(cmd, ModifyOrder):
        o = orders.get(cmd.client_id)
        if o is None:
            return False  # the venue will reject it: nothing can fill
        side, size, ro, skip = o.side, exposure_if_modified(o, cmd.size), o.reduce_only, o.client_id
    else:  # pragma: no cover - exhaustive over Command
        return True
    if ro:
        return False
    if Side.reducing(position) is not side:
        return True
    long_wc, short_wc = worst_case(position, _without(orders.values(), skip))
    extreme = long_wc + size if side is Side.BID else short_wc - size
    return abs(extreme) > abs(position)


def _without(orders: Iterable[WorkingOrder], skip: int | None) -> list[WorkingOrder]:
    return [o for o in orders if o.client_id != skip]
