"""The simulator's request budget: Lighter's rolling minute (and Premium's volume quota) per request.

A submit() of the simulated exchange is one sendTxBatch request per up to 50 commands; it is charged
here, together with the live adapter's own requests (dead-man switch, position checks) at their
average cadence, so a backtest's rolling window holds what mainnet's would. The limits come from
domain/request_budget.py, the one definition the live adapter and the emulator use too.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from lighter_bot.domain.request_budget import RATE_LIMIT_MESSAGE, WINDOW_S, VolumeQuota
from lighter_bot.venues.sim.rules import VenueRules


class RequestCounts(Protocol):
    """Where the meter records what it charged and refused (the exchange's SimStats)."""

    requests: int
    background_requests: int
    requests_refused: int


class RequestMeter:
    def __init__(self, rules: VenueRules, counts: RequestCounts) -> None:
        self._limit = rules.tx_per_minute
        self._counts = counts
        self.window: deque[float] = deque()  # request times within the rolling minute (ours and background)
        bg = rules.background_requests_per_min
        self._bg_every: float | None = WINDOW_S / bg if bg > 0 else None
        self._bg_next: float | None = None  # set by the first request: the bot's clock starts with it
        self._quota = VolumeQuota(rules.volume_quota) if rules.volume_quota is not None else None

    def charge(self, now: float, quota_units: int) -> str | None:
        """Count one request at `now` (`quota_units` creates/modifies for the volume quota); the
        refusal's reason (answered 429 / 23000, nothing counted) if the budget has no room."""
        self._expire(now)
        if len(self.window) >= self._limit:
            self._counts.requests_refused += 1
            return RATE_LIMIT_MESSAGE
        if self._quota is not None:
            ok, _free = self._quota.try_consume(now, quota_units)
            if not ok:
                self._counts.requests_refused += 1
                return f"{RATE_LIMIT_MESSAGE} (volume quota exhausted)"
        self.window.append(now)
        self._counts.requests += 1
        return None

    def on_traded(self, notional: float) -> None:
        """Premium: traded volume earns the quota back."""
        if self._quota is not None:
            self._quota.on_traded(notional)

    def in_window(self, now: float) -> int:
        """Requests (ours and the adapter's background ones) within the rolling minute before `now`."""
        self._charge_background(now)
        return sum(1 for t in self.window if t > now - WINDOW_S)

    def frees_at(self, now: float) -> float:
        """When the rolling minute next has room (`now` if it has room already)."""
        self._expire(now)
        if len(self.window) < self._limit:
            return now
        return self.window[len(self.window) - self._limit] + WINDOW_S + 1e-6

    def _expire(self, now: float) -> None:
        self._charge_background(now)
        while self.window and self.window[0] <= now - WINDOW_S:
            self.window.popleft()

    def _charge_background(self, now: float) -> None:
        if self._bg_every is None:
            return
        if self._bg_next is None:
            self._bg_next = now + self._bg_every
        while self._bg_next <= now:
            self.window.append(self._bg_next)
            self._counts.background_requests += 1
            self._bg_next += self._bg_every
