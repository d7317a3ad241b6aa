"""Venue rules of the simulator: per-tier order-entry delays, fees, request budget, data latency, queue model.

Numbers are Lighter's (docs "Account Types" and "Rate Limits", see docs/simulator.md): Standard has
200 ms maker/cancel and 300 ms taker delays, no fees and 60 requests per rolling minute shared by
every REST call and sendTx/sendTxBatch (a batch is one request); Premium has 0 ms maker/cancel, 200 ms
taker, 0.4 bps maker and 2.8 bps taker fees, 4000 sendTx/sendTxBatch requests per minute (0 staked LIT)
and the volume quota. The budgets come from domain/request_budget.py, the one definition the live
adapter and the emulator use too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from lighter_bot.domain.request_budget import PREMIUM as PREMIUM_LIMITS
from lighter_bot.domain.request_budget import QUOTA_START
from lighter_bot.domain.request_budget import STANDARD as STANDARD_LIMITS

TIERS = ("standard", "premium")


@dataclass(frozen=True, slots=True)
class VenueRules:
    name: str = "standard"
    maker_delay_s: float = 0.200  # post-only / resting-order placement and modify
    cancel_delay_s: float = 0.200
    taker_delay_s: float = 0.300  # IOC, and GTC orders that cross at submit
    maker_fee_rate: float = 0.0  # fraction of notional
    taker_fee_rate: float = 0.0
    # sendTx/sendTxBatch requests over a rolling 60 s window (one submit() is one request, a batch of up
    # to 50 commands); beyond it: 429 code 23000 for every command of the request.
    tx_per_minute: int = STANDARD_LIMITS.tx_per_minute
    # What the live adapter spends from the same bucket on its own (dead-man switch, position checks),
    # charged here at an even cadence so a backtest's window holds what mainnet's would.
    background_requests_per_min: float = STANDARD_LIMITS.adapter_overhead_per_minute()
    volume_quota: int | None = None  # Premium: the starting volume quota (creates and modifies consume it)
    response_latency_s: float = 0.030  # sendTx round trip: how late an immediate reject (21706, 23000) arrives
    md_latency_s: float = 0.050  # exchange -> bot delay of market data
    md_jitter_s: float = 0.020  # + uniform [0, jitter) (order of the feed is preserved)
    account_latency_s: float = 0.050  # exchange -> bot delay of acks, cancels and fills
    book_interval_s: float = 0.050  # Lighter batches order-book updates every 50 ms (0 = every change)
    book_depth: int = 20  # levels per side in a BookUpdate
    queue_model: str = "power"  # "power" (hftbacktest PowerProbQueueModel) or "risk_averse"
    queue_power: float = 2.0  # exponent n of the power-law probability f(x) = x**n
    fill_on_cross: bool = True  # a resting order fills when the market's opposite best crosses it

    def __post_init__(self) -> None:
        for name in ("maker_delay_s", "cancel_delay_s", "taker_delay_s", "response_latency_s", "md_latency_s",
                     "md_jitter_s", "account_latency_s", "book_interval_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.tx_per_minute <= 0:
            raise ValueError("tx_per_minute must be > 0")
        if self.background_requests_per_min < 0:
            raise ValueError("background_requests_per_min must be >= 0")
        if self.queue_model not in ("power", "risk_averse"):
            raise ValueError("queue_model must be 'power' or 'risk_averse'")
        if self.book_depth <= 0:
            raise ValueError("book_depth must be > 0")

    def core_requests_per_minute(self) -> int:
        """What a decision loop may spend per minute here: the bucket minus the adapter's background share
        (the same rule as `TierLimits.core_requests_per_minute`, on these rules' own numbers)."""
        return max(1, self.tx_per_minute - math.ceil(self.background_requests_per_min))

    def with_(self, **changes: object) -> VenueRules:
        return replace(self, **changes)  # type: ignore[arg-type]


STANDARD = VenueRules()
PREMIUM = VenueRules(
    name="premium",
    maker_delay_s=0.0,
    cancel_delay_s=0.0,
    taker_delay_s=0.200,
    maker_fee_rate=0.00004,
    taker_fee_rate=0.00028,
    tx_per_minute=PREMIUM_LIMITS.tx_per_minute,
    background_requests_per_min=PREMIUM_LIMITS.adapter_overhead_per_minute(),
    volume_quota=QUOTA_START,
)


def tier_rules(name: str) -> VenueRules:
    """The preset of a tier name ("standard" or "premium")."""
    key = name.strip().lower()
    if key == "standard":
        return STANDARD
    if key == "premium":
        return PREMIUM
    raise ValueError(f"unknown tier {name!r} (use one of: {', '.join(TIERS)})")
