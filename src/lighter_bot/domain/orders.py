"""Order vocabulary: sides, order kinds, working-order states."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Side(Enum):
    BID = "bid"
    ASK = "ask"

    # Members are singletons compared by identity; hash them by identity too (Enum's own __hash__ is
    # Python code hashing the name: a measurable cost where sides key the strategy's per-side state).
    __hash__ = object.__hash__

    @property
    def sign(self) -> int:
        """+1 for a bid (buying adds base), -1 for an ask."""
        return 1 if self is Side.BID else -1

    @property
    def opposite(self) -> Side:
        return Side.ASK if self is Side.BID else Side.BID

    @staticmethod
    def reducing(position_lots: int) -> Side | None:
        """The side that brings `position_lots` toward zero (None when flat)."""
        if position_lots > 0:
            return Side.ASK
        if position_lots < 0:
            return Side.BID
        return None


class TimeInForce(Enum):
    POST_ONLY = "post_only"  # rests or is cancelled (canceled-post-only); never takes
    GTC = "gtc"
    IOC = "ioc"  # takes what it can up to its limit price, the rest is cancelled


class Role(Enum):
    MAKER = "maker"
    TAKER = "taker"


class OrderStatus(Enum):
    PENDING_NEW = "pending_new"  # sent, not yet acknowledged
    OPEN = "open"
    PENDING_MODIFY = "pending_modify"
    PENDING_CANCEL = "pending_cancel"


class Purpose(Enum):
    """Why an order exists; the planner and risk guard treat each differently."""

    QUOTE = "quote"
    HEDGE_PASSIVE = "hedge_passive"
    HEDGE_CROSS = "hedge_cross"


@dataclass(frozen=True, slots=True)
class WorkingOrder:
    """An order of ours the engine believes is live or in flight."""

    client_id: int
    side: Side
    price: int  # ticks
    size: int  # remaining lots
    tif: TimeInForce
    reduce_only: bool
    purpose: Purpose
    status: OrderStatus
    sent_at: float
    # While a modify is in flight the old price/size can still fill (Lighter semantics).
    pending_price: int | None = None
    pending_size: int | None = None
    venue_order_id: str | None = None
