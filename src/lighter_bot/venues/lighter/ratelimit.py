"""The adapter's request budget (Lighter's, domain/request_budget.py) with priorities, plus backoff.

ONE gate meters everything the adapter sends: every REST call (RestClient) and every sendTx /
sendTxBatch (the sender; a batch is one request), over Lighter's rolling minute, counted exactly
and kept CLIENT_MARGIN_S longer than the exchange keeps it (a request arrives later than it leaves).
On Standard REST and transactions share one bucket of 60; on Premium REST is weighted (24,000 per
minute) and transactions have their own bucket, and creates/modifies also need volume quota, which
the gate learns from every send's answer.

Priorities keep the important requests possible when the budget runs low: cancels may spend it
all, hedges leave a small reserve, reads that resolve our orders a little more, quotes more, and
optional reads (periodic safety checks) the most. After a 429 the bucket is treated as full
(`RollingWindow.saturate`) and only cancels go out until a cooldown (1 s doubling to 10 s) passes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum

from lighter_bot.domain.request_budget import (
    CLIENT_WINDOW_S,
    QUOTA_FREE_EVERY_S,
    RollingWindow,
    TierLimits,
    tier_limits,
)
from lighter_bot.engine.clock import Clock


class TxPriority(IntEnum):
    CANCEL = 0  # cancels, the dead-man switch: may spend the whole budget
    HEDGE = 1  # reduce-only hedges
    READ = 2  # reads that resolve our orders (reconcile, nonce) or confirm a shutdown
    QUOTE = 3  # new quotes and requotes
    OPTIONAL = 4  # periodic safety reads that the stream normally makes unnecessary


# Requests each priority leaves free (REST on Premium: that many typical, 300-weight, calls). Small and
# absolute: the engine core keeps its own, larger reserves (engine/txbudget.py); this gate only has to
# keep the adapter's own requests and a late cancel possible, and never second-guess the core.
_FLOORS = {TxPriority.CANCEL: 0, TxPriority.HEDGE: 2, TxPriority.READ: 3, TxPriority.QUOTE: 4, TxPriority.OPTIONAL: 6}


class RequestGate:
    """Lighter's request budget as the adapter spends it (one per venue)."""

    def __init__(self, limits: TierLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self.rest = RollingWindow(limits.rest_per_minute, CLIENT_WINDOW_S)
        self.tx = self.rest if limits.shared else RollingWindow(limits.tx_per_minute, CLIENT_WINDOW_S)
        self.cooldown = CooldownGate(clock, base_s=1.0, cap_s=10.0)
        self.quota_remaining: int | None = None  # Premium: last reported volume quota
        self._quota_request_at = -1e18  # last request that carried quota-consuming txs
        self.requests = 0
        self.rate_limited = 0
        self.refused = 0  # requests refused here, before a certain 429

    @classmethod
    def for_tier(cls, tier: str, clock: Clock, tx_per_minute: int | None = None) -> RequestGate:
        return cls(tier_limits(tier, tx_per_minute), clock)

    @staticmethod
    def _floor(priority: TxPriority, unit: int = 1) -> float:
        return float(_FLOORS[priority] * unit)

    # -- REST ------------------------------------------------------------------------------------
    def rest_wait(self, endpoint: str, priority: TxPriority = TxPriority.READ) -> float:
        """Seconds until a REST call may go (0 = now)."""
        now = self._clock.now()
        cost = self.limits.rest_cost(endpoint)
        unit = self.limits.rest_cost("account")
        at = self.rest.frees_at(now, cost, self._floor(priority, unit))
        wait = max(0.0, at - now)
        if priority is not TxPriority.CANCEL:
            wait = max(wait, self.cooldown.remaining())
        return wait

    def take_rest(self, endpoint: str) -> None:
        self.rest.spend(self._clock.now(), self.limits.rest_cost(endpoint))
        self.requests += 1

    def spare(self, endpoint: str, priority: TxPriority = TxPriority.OPTIONAL) -> bool:
        """True when a REST call of this priority could go now (for calls that may wait)."""
        return self.rest_wait(endpoint, priority) == 0.0

    # -- sends -----------------------------------------------------------------------------------
    def cooling(self) -> float:
        return self.cooldown.remaining()

    def quota_short(self, units: int) -> bool:
        """Premium: the last answer said the volume quota cannot pay for `units`, and the free request
        of this 15 s is (as far as we know) used."""
        if units <= 0 or self.quota_remaining is None or self.quota_remaining >= units:
            return False
        return self._clock.now() - self._quota_request_at < QUOTA_FREE_EVERY_S

    def try_send(self, priority: TxPriority, quota_units: int = 0) -> bool:
        """Count one sendTx / sendTxBatch of this priority if the budget above its reserve allows it."""
        now = self._clock.now()
        if not self.tx.fits(now, 1, self._floor(priority)) or self.quota_short(quota_units):
            self.refused += 1
            return False
        self.tx.spend(now, 1)
        self.requests += 1
        if quota_units > 0:
            self._quota_request_at = now
        return True

    def on_answer(self, quota_remaining: int | None) -> None:
        """A send was answered 200: the cooldown eases; Premium learns its volume quota."""
        self.cooldown.ok()
        if self.limits.volume_quota and quota_remaining is not None:
            self.quota_remaining = quota_remaining

    def on_rate_limited(self, rest: bool) -> float:
        """The exchange said 429: whatever we counted, that bucket is full. Returns the cooldown."""
        self.rate_limited += 1
        (self.rest if rest else self.tx).saturate(self._clock.now())
        return self.cooldown.hit()

    # -- reporting -------------------------------------------------------------------------------
    def used_last_minute(self) -> int:
        """Requests (Standard) sent within the last minute, for /metrics."""
        return self.tx.used(self._clock.now())

    def per_minute(self) -> int:
        return self.limits.tx_per_minute


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
