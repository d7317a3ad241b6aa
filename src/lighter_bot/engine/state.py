"""The engine's state and its reducer: `apply(state, event)` folds one venue event in.

Owned by the core, mutated only here. Deterministic: it reads no clock except the events' `ts`.
Fills are deduplicated by trade id (reconnects replay them); the position moves only on fills or an
authoritative PositionSnapshot, never on a partial account frame.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace

from lighter_bot.domain.book import EMPTY_BOOK, BookView
from lighter_bot.domain.commands import CancelAll, CancelOrder, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    LedgerStatus,
    MarketTrade,
    MarkPrice,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
    PositionSnapshot,
    Tick,
    VenueStatus,
)
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import OrderStatus, WorkingOrder
from lighter_bot.domain.position import PositionState, apply_fill

SEEN_TRADES_MAX = 200_000
# 23000: refused for the tx budget or a 429 (by the venue or its client-side budget). Flow control the
# venue already backs off from, not the exchange refusing our orders: after one 429 a venue refuses
# every quote until its budget refills (12 s), which would otherwise halt 30 s as a "reject storm".
RATE_LIMITED = 23000
# 29500/29501: Lighter's "internal error" / "timeout" (the live venue also uses 29500 for a send that got
# no answer: 5xx, timeout, connection reset). The tx may or may not have landed; the venue reconciles it
# and reports order entry as failing if such answers persist. Like 23000 it says nothing about our
# orders being wrong, so neither counts toward the reject storm.
TRANSIENT_CODES = frozenset({RATE_LIMITED, 29500, 29501})


@dataclass
class EngineState:
    market: MarketSpec
    now: float = 0.0
    book: BookView = EMPTY_BOOK
    book_ts: float | None = None
    mark: int | None = None
    last_trade_ts: float | None = None
    position_lots: int = 0
    pnl: PositionState = field(default_factory=PositionState)
    orders: dict[int, WorkingOrder] = field(default_factory=dict)
    seen_trades: OrderedDict[str, None] = field(default_factory=OrderedDict)
    venue_connected: bool = True
    account_ok: bool = True
    account_ts: float | None = None
    venue_detail: str = ""
    other_instance: bool = False  # the venue sees another bot trading this account and market
    ledger_writable: bool = True  # the shell's ledger took its last write (LedgerStatus)
    unrecorded_fills: int = 0  # fills made but not yet durable in the ledger
    ledger_detail: str = ""
    rejects: deque[float] = field(default_factory=deque)
    last_reject_code: int | None = None
    fills_count: int = 0
    duplicate_fills: int = 0

    def copy(self) -> EngineState:
        """An independent copy: the containers are copied, what they hold is immutable."""
        return replace(self, orders=dict(self.orders), seen_trades=OrderedDict(self.seen_trades),
                       rejects=deque(self.rejects))

    @property
    def mid2(self) -> int | None:
        return self.book.mid2

    @property
    def mid(self) -> float | None:
        m2 = self.book.mid2
        return None if m2 is None else self.market.px(m2) / 2

    def book_age(self) -> float | None:
        return None if self.book_ts is None else self.now - self.book_ts


@dataclass(frozen=True, slots=True)
class Applied:
    """What an event changed that the core's policies care about."""

    new_fill: OrderFilled | None = None
    order_gone: int | None = None  # client id whose order left the book
    rejected: OrderRejected | None = None


NOTHING = Applied()


def apply(state: EngineState, event: Event) -> Applied:
    if event.ts > state.now:
        state.now = event.ts
    if isinstance(event, BookUpdate):
        state.book = event.book
        state.book_ts = event.ts
        return NOTHING
    if isinstance(event, Tick):
        return NOTHING
    if isinstance(event, MarketTrade):
        state.last_trade_ts = event.ts
        return NOTHING
    if isinstance(event, MarkPrice):
        state.mark = event.price
        return NOTHING
    if isinstance(event, OrderFilled):
        return _fill(state, event)
    if isinstance(event, OrderAccepted):
        o = state.orders.get(event.client_id)
        if o is not None and o.status is OrderStatus.PENDING_NEW:
            state.orders[event.client_id] = replace(o, status=OrderStatus.OPEN, venue_order_id=event.venue_order_id)
        return NOTHING
    if isinstance(event, OrderModified):
        o = state.orders.get(event.client_id)
        if o is not None:
            state.orders[event.client_id] = replace(
                o, price=event.price, size=event.size, status=OrderStatus.OPEN, pending_price=None, pending_size=None
            )
        return NOTHING
    if isinstance(event, ModifyRejected):
        o = state.orders.get(event.client_id)
        if o is not None and o.status in (OrderStatus.PENDING_MODIFY, OrderStatus.PENDING_CANCEL):
            state.orders[event.client_id] = replace(o, status=OrderStatus.OPEN, pending_price=None, pending_size=None)
        if event.code not in TRANSIENT_CODES:
            _note_reject(state, event.ts, event.code)
        return NOTHING
    if isinstance(event, OrderCanceled):
        gone = state.orders.pop(event.client_id, None)
        return Applied(order_gone=event.client_id) if gone is not None else NOTHING
    if isinstance(event, OrderRejected):
        state.orders.pop(event.client_id, None)
        if event.code not in TRANSIENT_CODES:
            _note_reject(state, event.ts, event.code)
        return Applied(order_gone=event.client_id, rejected=event)
    if isinstance(event, PositionSnapshot):
        state.account_ts = event.ts
        if event.position != state.position_lots:
            # Adopt the venue's truth; re-base the average cost on its entry price when given.
            qty = state.market.sz(event.position)
            avg = event.avg_entry_price if event.avg_entry_price is not None else (state.mid or 0.0)
            state.pnl = replace(state.pnl, qty=qty, avg_price=avg if qty else 0.0)
            state.position_lots = event.position
        return NOTHING
    if isinstance(event, LedgerStatus):
        state.ledger_writable = event.writable
        state.unrecorded_fills = event.unrecorded
        state.ledger_detail = event.detail
        return NOTHING
    if isinstance(event, VenueStatus):
        state.venue_connected = event.connected
        state.account_ok = event.account_stream_ok
        state.venue_detail = event.detail
        state.other_instance = event.other_instance
        if event.account_stream_ok:
            state.account_ts = event.ts
        return NOTHING
    raise TypeError(f"unknown event {type(event).__name__}")


def _note_reject(state: EngineState, ts: float, code: int) -> None:
    state.rejects.append(ts)
    state.last_reject_code = code
    while len(state.rejects) > 1000:
        state.rejects.popleft()


def _fill(state: EngineState, f: OrderFilled) -> Applied:
    if f.trade_id in state.seen_trades:
        state.duplicate_fills += 1
        return NOTHING
    state.seen_trades[f.trade_id] = None
    if len(state.seen_trades) > SEEN_TRADES_MAX:
        state.seen_trades.popitem(last=False)
    state.fills_count += 1
    state.account_ts = f.ts
    signed = f.side.sign * f.size
    state.position_lots += signed
    state.pnl = apply_fill(state.pnl, state.market.sz(signed), state.market.px(f.price), f.fee)
    o = state.orders.get(f.client_id)
    gone: int | None = None
    if o is not None:
        if f.remaining <= 0:
            del state.orders[f.client_id]
            gone = f.client_id
        else:
            state.orders[f.client_id] = replace(o, size=f.remaining)
    return Applied(new_fill=f, order_gone=gone)


def register_sent(state: EngineState, cmd: object, now: float) -> None:
    """Record a command we are about to send, so caps and the planner count it while in flight."""
    if isinstance(cmd, PlaceOrder):
        state.orders[cmd.client_id] = WorkingOrder(
            client_id=cmd.client_id,
            side=cmd.side,
            price=cmd.price,
            size=cmd.size,
            tif=cmd.tif,
            reduce_only=cmd.reduce_only,
            purpose=cmd.purpose,
            status=OrderStatus.PENDING_NEW,
            sent_at=now,
        )
    elif isinstance(cmd, ModifyOrder):
        o = state.orders.get(cmd.client_id)
        if o is not None:
            state.orders[cmd.client_id] = replace(
                o, status=OrderStatus.PENDING_MODIFY, pending_price=cmd.price, pending_size=cmd.size, sent_at=now
            )
    elif isinstance(cmd, CancelOrder):
        o = state.orders.get(cmd.client_id)
        if o is not None:
            state.orders[cmd.client_id] = replace(o, status=OrderStatus.PENDING_CANCEL, sent_at=now)
    elif isinstance(cmd, CancelAll):
        for cid, o in list(state.orders.items()):
            state.orders[cid] = replace(o, status=OrderStatus.PENDING_CANCEL, sent_at=now)
