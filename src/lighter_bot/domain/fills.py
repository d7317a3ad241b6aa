"""Fills as the ledger and reports see them: the engine's fill plus its context, and our side of an
exchange trade read back from the exchange (trade history, imports)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lighter_bot.domain.events import OrderFilled
from lighter_bot.domain.orders import Role, Side


@dataclass(frozen=True, slots=True)
class FillRecord:
    """A new (deduplicated) fill with the mid and our position right after it."""

    fill: OrderFilled
    mid: float | None
    position_after: int  # lots
    # strategy/race.py: "in_flight" (a cancel or modify of the order was in flight), "fair_passed" (the
    # fair value had passed the order's price); None = a normal fill.
    race: str | None = None


@dataclass(frozen=True, slots=True)
class AccountFill:
    """Our side of one exchange trade in the exchange's decimal units (trade history, ledger imports).

    Produced from venue payloads by the venue's parser (venues/lighter/parse.py `account_fills`), so
    the tools below the engine (records, ops) never interpret raw payloads themselves.
    """

    trade_id: str  # the exchange's id (both halves of a self-trade carry the same id)
    ts: float  # seconds
    market_id: int
    side: Side
    role: Role
    size: Decimal  # base units, > 0
    price: Decimal
    notional: Decimal  # quote units
    fee: Decimal  # quote paid (negative = rebate)
    client_order_id: int | None
    order_id: str | None
    position_before: Decimal | None  # our signed position just before the trade, when the exchange says
    entry_quote_before: Decimal | None

    @property
    def signed_size(self) -> Decimal:
        return self.size * self.side.sign


@dataclass(frozen=True, slots=True)
class FillHistory:
    """Our fills in one market since a time, read back from the exchange's trade history, oldest
    first, with the exchange's position (lots) read right after them. `complete`: the history
    reached back to the time asked for (False: stopped at its page limit or on an unreadable trade)."""

    fills: tuple[AccountFill, ...]
    complete: bool
    position_lots: int
    note: str = ""
