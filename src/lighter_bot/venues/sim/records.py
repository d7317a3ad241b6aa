"""What the simulated exchange records: our orders on it, its fills, the public tape, its counters, and
the Lighter error codes and order statuses it answers with."""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.domain.commands import Command
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.venues.sim.queue import QueuePos

# Lighter error codes and order statuses the simulator produces.
CODE_RATE_LIMIT = 23000
CODE_BELOW_MIN = 21706
CODE_INVALID_SIZE = 21701
CODE_INVALID_PRICE = 21702
CODE_DUPLICATE_CLIENT_ID = 21728
CODE_NOT_ACTIVE = 21600
CANCELED = "canceled"
CANCELED_POST_ONLY = "canceled-post-only"
CANCELED_IOC = "canceled-not-enough-liquidity"  # IOC remainder; Lighter's status for unfilled taker size
CANCELED_EXPIRED = "canceled-expired"
CANCELED_REDUCE_ONLY = "canceled-reduce-only"
CANCELED_SELF_TRADE = "canceled-self-trade"

ORDER_INDEX_BASE = 1 << 48  # Lighter exchange order indexes are >= 2**48
_INF = float("inf")

@dataclass(slots=True)
class SimOrder:
    """One of our orders on the simulated exchange."""

    client_id: int
    order_index: int
    side: Side
    price: int
    size: int  # remaining lots
    initial_size: int
    tif: TimeInForce
    reduce_only: bool
    placed_at: float  # when it landed
    queue: QueuePos
    filled: int = 0
    filled_quote: float = 0.0

    @property
    def is_bid(self) -> bool:
        return self.side is Side.BID


@dataclass(frozen=True, slots=True)
class SimFill:
    """A fill as the exchange records it (`t` = when it happened; the bot learns it later)."""

    t: float
    client_id: int
    trade_id: str
    side: Side
    price: int
    size: int
    fee: float
    role: Role
    remaining: int
    cause: str  # "trade" (a public trade reached us), "cross" (the book crossed us), "take" (we took)


@dataclass(frozen=True, slots=True)
class TapeTrade:
    """A public trade of the market (ours are not on the tape: we have no market impact)."""

    t: float
    trade_id: str
    price: int
    size: int
    taker_side: Side


@dataclass
class PendingCommand:
    """A command on its way to the exchange (for lookups and the self-trade / client-id checks)."""

    cmd: Command
    lands_at: float


@dataclass
class SimStats:
    market_rows: int = 0
    tx_sent: int = 0
    tx_rejected: int = 0
    fills: int = 0
    volume_base_lots: int = 0
    volume_quote: float = 0.0
    fees: float = 0.0
    requests: int = 0  # sendTx/sendTxBatch requests the bot made (a batch counts once)
    background_requests: int = 0  # the live adapter's own requests, charged at their cadence
    requests_refused: int = 0  # requests answered 429 / 23000 (the budget or the volume quota)
