"""Client-side limits: Lighter's per-tier transaction budget and REST weights, plus backoff.

Lighter counts transactions (sendTx and every tx of a sendTxBatch) per L1 address per rolling
minute (standard 60, premium 4000+) and REST requests per minute (standard 60 unweighted, premium
24000 weighted). Spending them blindly ends in 429s, so we meter them here with token buckets on an
injected clock. Transactions have priorities: cancels may use the whole budget, hedges all but a
small reserve, quotes and requotes only what is left above a larger reserve, so that a burst of
requotes can never lock us out of cancelling.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum

from lighter_bot.engine.clock import Clock

# Lighter's published REST weights (lighter-api.md section 4.2); anything else weighs 300.
REST_WEIGHTS: dict[str, int] = {
    "sendTx": 6,
    "sendTxBatch": 6,
    "nextNonce": 6,
    "accountInactiveOrders": 100,
    "apikeys": 150,
    "trades": 600,
    "recentTrades": 600,
}
DEFAULT_WEIGHT = 300
TIER_TX_PER_MINUTE = {"standard": 60, "premium": 4000}
TIER_REST_PER_MINUTE = {"standard": 60, "premium": 24000}


class TokenBucket:
    """`capacity` tokens refilled continuously at `capacity / period_s` per second."""

    def __init__(self, capacity: float, period_s: float, clock: Clock) -> None:
        if capacity <= 0 or period_s <= 0:
            raise ValueError("capacity and period must be > 0")
        self.capacity = float(capacity)
        self.rate = capacity / period_s
        self._clock = clock
        self._tokens = float(capacity)
        self._t = clock.now()

    def _refill(self) -> None:
        now = self._clock.now()
        if now > self._t:
            self._tokens = min(self.capacity, self._tokens + (now - self._t) * self.rate)
            self._t = now

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def try_take(self, n: float, floor: float = 0.0) -> bool:
        """Take n tokens if at least `floor` would remain afterwards."""
        self._refill()
        if self._tokens - n < floor - 1e-9:
            return False
        self._tokens -= n
        return True

    def wait_time(self, n: float, floor: float = 0.0) -> float:
        """Seconds until `try_take(n, floor)` would succeed (0 if now)."""
        self._refill()
        missing = n + floor - self._tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def drain(self) -> None:
        """Spend everything (the server said 429: we are out whatever we counted)."""
        self._refill()
        self._tokens = 0.0


class TxPriority(IntEnum):
    CANCEL = 0  # cancels, the dead-man switch: may spend the whole budget
    HEDGE = 1  # reduce-only hedges: all but the cancel reserve
    QUOTE = 2  # new quotes and requotes: only above the quote reserve


class TxBudget:
    """The per-tier transaction budget with priority reserves."""

    def __init__(self, per_minute: int, clock: Clock) -> None:
        self.per_minute = per_minute
        self.bucket = TokenBucket(per_minute, 60.0, clock)
        # Reserves scale with the budget: on standard (60/min) quotes keep 12 back, hedges 4.
        self.floors = {
            TxPriority.CANCEL: 0.0,
            TxPriority.HEDGE: float(max(2, round(per_minute * 0.07))),
            TxPriority.QUOTE: float(max(6, round(per_minute * 0.2))),
        }

    @classmethod
    def for_tier(cls, tier: str, clock: Clock, override: int | None = None) -> TxBudget:
        return cls(override or TIER_TX_PER_MINUTE.get(tier, 60), clock)

    def try_take(self, priority: TxPriority, n: int = 1) -> bool:
        return self.bucket.try_take(n, self.floors[priority])

    def available(self, priority: TxPriority) -> int:
        return max(0, int(self.bucket.tokens - self.floors[priority] + 1e-9))


class RestBudget:
    """REST request budget: standard counts requests, premium counts weights."""

    def __init__(self, tier: str, clock: Clock) -> None:
        self.weighted = tier == "premium"
        self.bucket = TokenBucket(TIER_REST_PER_MINUTE.get(tier, 60), 60.0, clock)

    def cost(self, endpoint: str) -> int:
        return REST_WEIGHTS.get(endpoint, DEFAULT_WEIGHT) if self.weighted else 1

    def wait_time(self, endpoint: str) -> float:
        return self.bucket.wait_time(self.cost(endpoint))

    def take(self, endpoint: str) -> bool:
        return self.bucket.try_take(self.cost(endpoint))


@dataclass
class Backoff:
    """Exponential backoff with full jitter: delay n is uniform in [base, min(cap, base*2**n)]."""

    base_s: float = 0.25
    cap_s: float = 3.0
    rng: random.Random | None = None
    attempts: int = 0

    def next_delay(self) -> float:
        rng = self.rng or random.Random()
        hi = min(self.cap_s, self.base_s * (2.0**self.attempts))
        self.attempts += 1
        return rng.uniform(self.base_s, max(self.base_s, hi))

    def reset(self) -> None:
        self.attempts = 0


class CooldownGate:
    """After a 429, no request of the kind goes out until the cooldown passes (doubling, capped)."""

    def __init__(self, clock: Clock, base_s: float = 1.0, cap_s: float = 30.0) -> None:
        self._clock = clock
        self.base_s = base_s
        self.cap_s = cap_s
        self.until = 0.0
        self.strikes = 0

    def hit(self) -> float:
        """Record a 429; return the cooldown in seconds (doubling while 429s keep coming)."""
        if self._clock.now() - self.until > 4 * self.cap_s:
            self.strikes = 0  # a quiet spell since the last cooldown: start small again
        delay = float(min(self.cap_s, self.base_s * (2.0**self.strikes)))
        self.strikes += 1
        self.until = self._clock.now() + delay
        return delay

    def ok(self) -> None:
        self.strikes = 0

    def remaining(self) -> float:
        return max(0.0, self.until - self._clock.now())
