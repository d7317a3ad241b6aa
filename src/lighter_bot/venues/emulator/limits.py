"""One account's request budget on the emulated exchange, as Lighter counts it (domain/request_budget.py):
per account and rolling minute, REST and transactions together on Standard (a sendTxBatch counts
once, over HTTP or the WebSocket alike), weighted REST plus a transaction bucket and the volume quota
on Premium. Beyond it: HTTP 429 `{"code": 23000, "message": "Too Many Requests!"}`; a refused request
is not counted.

Requests that name no account (public market data) are not metered: Lighter's per-IP limit is not
modelled.
"""

from __future__ import annotations

from lighter_bot.domain.request_budget import (
    QUOTA_TX_TYPES,
    RATE_LIMIT_CODE,
    RATE_LIMIT_MESSAGE,
    RollingWindow,
    TierLimits,
    VolumeQuota,
)
from lighter_bot.venues.emulator.txinfo import ApiError

TOO_MANY = ApiError(RATE_LIMIT_CODE, RATE_LIMIT_MESSAGE, status=429)


def quota_units(tx_types: list[int]) -> int:
    """Volume quota a request consumes: one per create / modify / transfer / grouped create."""
    return sum(1 for t in tx_types if t in QUOTA_TX_TYPES)


class AccountLimits:
    def __init__(self, limits: TierLimits) -> None:
        self.limits = limits
        self.rest = RollingWindow(limits.rest_per_minute)
        self.tx = self.rest if limits.shared else RollingWindow(limits.tx_per_minute)
        self.quota = VolumeQuota() if limits.volume_quota else None
        self.requests = 0  # requests counted (for tests and the CLI's summary)
        self.rate_limited = 0  # requests answered 429

    def charge_rest(self, now: float, endpoint: str) -> None:
        if not self.rest.try_spend(now, self.limits.rest_cost(endpoint)):
            self.rate_limited += 1
            raise TOO_MANY
        self.requests += 1

    def charge_send(self, now: float, tx_types: list[int]) -> int | None:
        """Count one sendTx / sendTxBatch; returns what the answer reports as `volume_quota_remaining`
        (Premium: the quota, None for the free request; Standard: the requests left in the minute, the
        emulator's choice: Lighter documents the field for Premium only)."""
        if not self.tx.fits(now, 1):
            self.rate_limited += 1
            raise TOO_MANY
        remaining: int | None = None
        if self.quota is not None:
            allowed, free = self.quota.try_consume(now, quota_units(tx_types))
            if not allowed:
                self.rate_limited += 1
                raise TOO_MANY
            remaining = None if free else self.quota.remaining
        self.tx.spend(now, 1)
        self.requests += 1
        return remaining if self.quota is not None else self.tx.left(now)

    def on_traded(self, notional: float) -> None:
        if self.quota is not None:
            self.quota.on_traded(notional)
