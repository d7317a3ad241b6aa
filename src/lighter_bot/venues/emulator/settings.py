"""Emulator settings: network, test account, tier limits, timings and Lighter-rule knobs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lighter_bot.domain.request_budget import TIERS, TierLimits, tier_limits


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8787  # 0 = pick a free port
    account_index: int = 100
    api_key_index: int = 4
    api_public_key: str | None = None  # None: the emulator generates a throwaway key pair
    seed: int = 1
    speed: float = 1.0  # simulated seconds per wall second
    tier: str = "standard"
    faults: str = ""
    initial_collateral: Decimal = Decimal("10000")
    initial_nonce: int = 0
    # Lighter batches book updates every 50 ms; the pacing loop publishes at this wall interval.
    tick_s: float = 0.05
    # Application-level pings ({"type":"ping"}); a missing pong closes with 1008 "no pong". 0 disables.
    ws_ping_interval_s: float = 30.0
    ws_pong_timeout_s: float = 10.0
    # Lighter closes a connection that sent nothing for 2 minutes.
    ws_idle_timeout_s: float = 120.0
    # Scheduled cancel-all window [3p: 5 min .. 15 days]; lower the minimum in tests.
    cancel_all_min_delay_s: float = 300.0
    cancel_all_max_delay_s: float = 15 * 86400.0
    max_auth_expiry_s: float = 8 * 3600.0
    # Request budget per account and rolling minute (domain/request_budget.py): the tier's unless set.
    # tx_limit_per_min: sendTx/sendTxBatch requests (on Standard the bucket REST shares: both).
    tx_limit_per_min: int | None = None
    rest_weight_per_min: int | None = None  # Premium's REST weight budget (Standard: see tx_limit_per_min)
    order_expiry_min_s: float = 300.0  # GTT / post-only expiry bounds (lighter-go MinOrderExpiryPeriod)
    order_expiry_max_s: float = 30 * 86400.0
    show_own_orders: bool = True  # our resting orders appear in the public book, as on Lighter
    market_stats_interval_s: float = 1.0
    max_batch: int = 50

    def limits(self) -> TierLimits:
        """The tier's request budget with this config's overrides."""
        lim = tier_limits(self.tier if self.tier in TIERS else "standard", self.tx_limit_per_min)
        if self.rest_weight_per_min is not None and not lim.shared:
            lim = TierLimits(lim.name, lim.tx_per_minute, self.rest_weight_per_min, lim.shared, lim.weighted,
                             lim.volume_quota)
        return lim
