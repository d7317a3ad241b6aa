"""Lighter's per-minute transaction limit as a client-side rolling budget with priorities.

Standard tier: 60 tx/min for everything. Cancels and risk reduction may use the whole budget;
hedges may not eat the last `reserve_for_cancels` slots; requotes additionally leave
`reserve_for_hedges` more, so a busy requote loop can never starve a cancel or a hedge.
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum


class TxPriority(IntEnum):
    CANCEL = 0
    HEDGE = 1
    QUOTE = 2


class TxBudget:
    def __init__(
        self, per_minute: int, reserve_for_cancels: int = 6, reserve_for_hedges: int = 6, window_s: float = 60.0
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be > 0")
        self.per_minute = per_minute
        self.window_s = window_s
        self._reserve = {
            TxPriority.CANCEL: 0,
            TxPriority.HEDGE: min(reserve_for_cancels, per_minute - 1),
            TxPriority.QUOTE: min(reserve_for_cancels + reserve_for_hedges, per_minute - 1),
        }
        self._sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window_s:
            self._sent.popleft()

    def used(self, now: float) -> int:
        self._expire(now)
        return len(self._sent)

    def left(self, now: float) -> int:
        return self.per_minute - self.used(now)

    def try_spend(self, now: float, priority: TxPriority, n: int = 1) -> bool:
        """Spend n transactions if the budget left above this priority's reserve allows it."""
        if self.left(now) - n < self._reserve[priority]:
            return False
        self._sent.extend([now] * n)
        return True
