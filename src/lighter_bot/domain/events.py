"""Events the engine core consumes. Every event carries `ts`: the time (s, UTC epoch or sim time)
at which the bot learns of it. Prices are ticks, sizes lots."""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.domain.book import BookView
from lighter_bot.domain.orders import Role, Side


@dataclass(frozen=True, slots=True)
class BookUpdate:
    ts: float
    book: BookView


@dataclass(frozen=True, slots=True)
class MarketTrade:
    """A public trade; `taker_side` is the aggressor (BID = someone bought)."""

    ts: float
    price: int
    size: int
    taker_side: Side


@dataclass(frozen=True, slots=True)
class MarkPrice:
    ts: float
    price: int


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    ts: float
    client_id: int
    venue_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """The venue refused the transaction (e.g. 21706 below minimum, 23000 rate limited)."""

    ts: float
    client_id: int
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    """The order left the book unfilled (rest of it): our cancel, canceled-post-only, IOC remainder,
    expiry, self-trade prevention, reduce-only. `reason` is Lighter's status string."""

    ts: float
    client_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderModified:
    ts: float
    client_id: int
    price: int
    size: int


@dataclass(frozen=True, slots=True)
class ModifyRejected:
    """A modify or cancel did not apply (order already gone, rate limited...); the order is as before."""

    ts: float
    client_id: int
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """One fill of one of our orders. `trade_id` is unique per venue and deduplicates replays."""

    ts: float
    client_id: int
    trade_id: str
    side: Side
    price: int
    size: int
    fee: float  # quote currency paid (negative = rebate)
    role: Role
    remaining: int  # lots still open on the order after this fill


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """Authoritative position from the venue (startup reconcile or account stream)."""

    ts: float
    position: int  # lots, signed
    avg_entry_price: float | None = None


@dataclass(frozen=True, slots=True)
class VenueStatus:
    """Connectivity and data-health report from the venue adapter."""

    ts: float
    connected: bool
    account_stream_ok: bool = True
    detail: str = ""
    other_instance: bool = False  # another bot is trading this account and market: halt


@dataclass(frozen=True, slots=True)
class LedgerStatus:
    """The fills ledger as the shell reports it: may the bot make fills it has to record?

    `writable`: the last write reached the disk; `unrecorded`: fills made but not yet durable."""

    ts: float
    writable: bool
    unrecorded: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Tick:
    """Timer: lets time-based rules (timeouts, staleness, backoff) fire without market data."""

    ts: float


Event = (
    BookUpdate
    | MarketTrade
    | MarkPrice
    | OrderAccepted
    | OrderRejected
    | OrderCanceled
    | OrderModified
    | ModifyRejected
    | OrderFilled
    | PositionSnapshot
    | VenueStatus
    | LedgerStatus
    | Tick
)
