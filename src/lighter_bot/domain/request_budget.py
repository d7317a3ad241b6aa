"""Lighter's request budget per account tier: the ONE definition that the live adapter, the emulator,
the simulator and the engine core all meter against (Lighter's docs "Rate Limits" and "Volume Quota";
../shared/docs/lighter-api.md section 4.2).

* **Standard**: one bucket of 60 requests per rolling minute for everything: every REST call and
  every sendTx / sendTxBatch, over HTTP or the WebSocket. A sendTxBatch is ONE request, however many
  transactions (up to 50) it carries. REST is not weighted.
* **Premium**: REST reads share 24,000 weight units per rolling minute (sendTx, sendTxBatch,
  nextNonce weigh 6, trades 600, most others 300); sendTx / sendTxBatch have their own bucket
  (4,000 requests per minute with no staked LIT; more with staked LIT, `api.tx_per_minute`) and
  creates and modifies consume the volume quota, which every sendTx answer reports
  (`volume_quota_remaining`).

The budget is a rolling window, counted exactly (a token bucket refilling continuously lets through
nearly twice the limit in the first minute, which the exchange answers with 429 / code 23000).

Besides the engine's own commands, the live adapter spends requests of its own in steady state (the
dead-man switch's abort + re-arm, a periodic position check over REST). Their cadence is defined
here too, so the engine core can leave room for them and the simulator can charge them: backtests
pay what mainnet charges.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass, replace

WINDOW_S = 60.0  # the exchange's rolling window
# A client counts a request when it sends it, the exchange when it arrives (later, by a varying
# delay): a client that forgot a request exactly WINDOW_S after sending could be early by that
# jitter and be answered 429. Clients keep every request this much longer.
CLIENT_MARGIN_S = 1.0
CLIENT_WINDOW_S = WINDOW_S + CLIENT_MARGIN_S
MAX_BATCH = 50  # transactions per sendTxBatch (error 21514 beyond)
RATE_LIMIT_CODE = 23000  # HTTP 429 {"code": 23000, "message": "Too Many Requests!"}
RATE_LIMIT_MESSAGE = "Too Many Requests!"

# Lighter's REST weights (docs "Rate Limits"); every other endpoint weighs DEFAULT_WEIGHT.
REST_WEIGHTS: dict[str, int] = {
    "sendTx": 6,
    "sendTxBatch": 6,
    "nextNonce": 6,
    "publicPools": 50,
    "txFromL1TxHash": 50,
    "accountInactiveOrders": 100,
    "apikeys": 150,
    "transferFeeInfo": 500,
    "trades": 600,
    "recentTrades": 600,
    "changeAccountTier": 3000,
    "tokens": 3000,
}
DEFAULT_WEIGHT = 300

# Volume quota (Premium): transaction types that consume it (L2 transfer, create, modify, grouped
# create; a grouped create counts once, cancels never).
QUOTA_TX_TYPES = frozenset({12, 14, 17, 28})
QUOTA_START = 1000  # a new account's quota
QUOTA_MAX = 5_000_000
QUOTA_USD_PER_UNIT = 10.0  # +1 quota per this much traded notional (USDC)
QUOTA_FREE_EVERY_S = 15.0  # one sendTx / sendTxBatch per this interval consumes no quota

# The live adapter's own steady-state spending (venues/lighter): the dead-man switch is aborted and
# re-armed (two requests: an abort and a new scheduled cancel-all cannot share a batch) every
# DEADMAN_REARM_S, and the position is checked over REST every POSITION_CHECK_S while the account
# stream is healthy (the stream carries positions; REST is the fallback and a safety net).
DEADMAN_REARM_S = 120.0
DEADMAN_REQUESTS = 2
POSITION_CHECK_S = 120.0


@dataclass(frozen=True, slots=True)
class TierLimits:
    name: str
    tx_per_minute: int  # sendTx / sendTxBatch requests per rolling minute
    rest_per_minute: int  # REST per rolling minute: requests (Standard) or weight units (Premium)
    shared: bool  # REST and transactions share one bucket (Standard)
    weighted: bool  # REST requests cost their endpoint's weight (Premium)
    volume_quota: bool  # creates and modifies consume the volume quota (Premium)

    def rest_cost(self, endpoint: str) -> int:
        """What one REST call to `endpoint` costs in the REST bucket (sendTx / sendTxBatch included)."""
        if not self.weighted:
            return 1
        return REST_WEIGHTS.get(endpoint, DEFAULT_WEIGHT)

    def with_tx_per_minute(self, per_minute: int | None) -> TierLimits:
        """An override of the transaction bucket (staked LIT on Premium; tests). On Standard the bucket is
        shared, so the override sets both."""
        if per_minute is None:
            return self
        if per_minute <= 0:
            raise ValueError("requests per minute must be > 0")
        if self.shared:
            return replace(self, tx_per_minute=per_minute, rest_per_minute=per_minute)
        return replace(self, tx_per_minute=per_minute)

    def adapter_overhead_per_minute(self) -> float:
        """Requests per minute the live adapter spends on its own from the transaction bucket."""
        n = DEADMAN_REQUESTS * WINDOW_S / DEADMAN_REARM_S
        if self.shared:
            n += WINDOW_S / POSITION_CHECK_S
        return n

    def core_requests_per_minute(self) -> int:
        """What the engine core may spend per minute: the transaction bucket minus the adapter's share."""
        return max(1, self.tx_per_minute - math.ceil(self.adapter_overhead_per_minute()))


STANDARD = TierLimits("standard", tx_per_minute=60, rest_per_minute=60, shared=True, weighted=False,
                      volume_quota=False)
PREMIUM = TierLimits("premium", tx_per_minute=4000, rest_per_minute=24000, shared=False, weighted=True,
                     volume_quota=True)
TIERS: dict[str, TierLimits] = {"standard": STANDARD, "premium": PREMIUM}


def tier_limits(tier: str, tx_per_minute: int | None = None) -> TierLimits:
    """The limits of a tier name, with an optional override of its transaction bucket."""
    try:
        base = TIERS[tier.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown tier {tier!r} (use one of: {', '.join(TIERS)})") from None
    return base.with_tx_per_minute(tx_per_minute)


class RollingWindow:
    """Costs spent over a rolling window of `window_s`: what the exchange counts, exactly.

    `floor` arguments keep that much capacity free (priorities: cancels may spend everything, quotes
    only what is left above a reserve). Times must not go backwards between calls that spend.
    """

    def __init__(self, capacity: int, window_s: float = WINDOW_S) -> None:
        if capacity <= 0 or window_s <= 0:
            raise ValueError("capacity and window must be > 0")
        self.capacity = capacity
        self.window_s = window_s
        self._hits: deque[tuple[float, int]] = deque()
        self._used = 0

    def copy(self) -> RollingWindow:
        """An independent copy (reading a window expires its entries: a copy looks ahead)."""
        out = RollingWindow(self.capacity, self.window_s)
        out._hits, out._used = deque(self._hits), self._used
        return out

    def _expire(self, now: float) -> None:
        hits, cutoff = self._hits, now - self.window_s
        while hits and hits[0][0] <= cutoff:
            self._used -= hits.popleft()[1]

    def used(self, now: float) -> int:
        self._expire(now)
        return self._used

    def left(self, now: float) -> int:
        return self.capacity - self.used(now)

    def fits(self, now: float, cost: int = 1, floor: float = 0.0) -> bool:
        return self.left(now) - cost >= floor

    def spend(self, now: float, cost: int = 1) -> None:
        self._expire(now)
        if self._hits and now < self._hits[-1][0]:
            now = self._hits[-1][0]  # never out of order (a stale clock reading)
        self._hits.append((now, cost))
        self._used += cost

    def try_spend(self, now: float, cost: int = 1, floor: float = 0.0) -> bool:
        if not self.fits(now, cost, floor):
            return False
        self.spend(now, cost)
        return True

    def frees_at(self, now: float, cost: int = 1, floor: float = 0.0) -> float:
        """The earliest time at which `fits(t, cost, floor)` holds (`now` if it already does)."""
        self._expire(now)
        need = self._used + cost + floor - self.capacity
        if need <= 0:
            return now
        acc = 0
        for t, c in self._hits:
            acc += c
            if acc >= need:
                return t + self.window_s
        return math.inf  # more than the whole capacity is asked for

    def saturate(self, now: float) -> None:
        """The exchange answered 429: whatever we counted, the window is full. Fill it with phantom
        requests that expire evenly over the next window (as if it refilled at the average rate), so
        cancels may go again after a few seconds and quotes once their reserve is back."""
        self._expire(now)
        missing = self.capacity - self._used
        if missing <= 0:
            return
        step = self.window_s / self.capacity
        phantoms = [(now - self.window_s + (i + 1) * step, 1) for i in range(missing)]
        merged = list(self._hits)
        for p in phantoms:
            bisect.insort(merged, p)
        self._hits = deque(merged)
        self._used += missing

    def times(self, now: float) -> tuple[float, ...]:
        """When each counted request was spent (for tests and metrics)."""
        self._expire(now)
        return tuple(t for t, _ in self._hits)


@dataclass
class VolumeQuota:
    """Premium's volume quota of one account: creates and modifies consume one unit per transaction,
    traded notional earns it back, and one request per QUOTA_FREE_EVERY_S is free."""

    remaining: int = QUOTA_START
    last_free: float = -math.inf
    _earned: float = 0.0  # notional not yet turned into quota

    def on_traded(self, notional: float) -> None:
        self._earned += abs(notional)
        units = int(self._earned // QUOTA_USD_PER_UNIT)
        if units:
            self._earned -= units * QUOTA_USD_PER_UNIT
            self.remaining = min(QUOTA_MAX, self.remaining + units)

    def free_now(self, now: float) -> bool:
        return now - self.last_free >= QUOTA_FREE_EVERY_S

    def try_consume(self, now: float, units: int) -> tuple[bool, bool]:
        """Charge one request that carries `units` quota-consuming transactions: (allowed, free)."""
        if units <= 0:
            return True, False
        if self.free_now(now):
            self.last_free = now
            return True, True
        if self.remaining >= units:
            self.remaining -= units
            return True, False
        return False, False
