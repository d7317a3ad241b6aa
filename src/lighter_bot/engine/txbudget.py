"""Lighter's per-minute transaction limit as a client-side rolling budget with priorities.

Standard tier: 60 tx/min for everything (cancels, modifies, places). Cancels and risk reduction may
use the whole budget; hedges may not eat the last `reserve_for_cancels` slots; requotes additionally
leave `reserve_for_hedges` more, so a busy requote loop can never starve a cancel or a hedge.
Requotes are also paced by a token bucket (`quote_burst` tokens, refilled at the rate requotes may
use on average) so that a volatile minute cannot spend the whole allowance in its first seconds and
then leave stale quotes resting for the rest of it.
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
        self,
        per_minute: int,
        reserve_for_cancels: int = 6,
        reserve_for_hedges: int = 6,
        window_s: float = 60.0,
        quote_burst: int | None = None,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be > 0")
        self.per_minute = per_minute
        self.window_s = window_s
        hedge_res = min(reserve_for_cancels, per_minute - 1)
        quote_res = min(reserve_for_cancels + reserve_for_hedges, per_minute - 1)
        self._reserve = (0, hedge_res, quote_res)
        self._sent: deque[float] = deque()
        self._burst = float(quote_burst) if quote_burst is not None else float(per_minute)
        self._rate = (per_minute - quote_res) / window_s  # quote tokens per second
        self._tokens = self._burst
        self._tokens_ts: float | None = None

    def _expire(self, now: float) -> None:
        s, cutoff = self._sent, now - self.window_s
        while s and s[0] <= cutoff:
            s.popleft()

    def used(self, now: float) -> int:
        self._expire(now)
        return len(self._sent)

    def left(self, now: float) -> int:
        return self.per_minute - self.used(now)

    def quote_tokens(self, now: float) -> float:
        if self._tokens_ts is None:
            self._tokens_ts = now
        elif now > self._tokens_ts:
            self._tokens = min(self._burst, self._tokens + (now - self._tokens_ts) * self._rate)
            self._tokens_ts = now
        return self._tokens

    def can_spend(self, now: float, priority: TxPriority, n: int = 1) -> bool:
        if self.left(now) - n < self._reserve[priority]:
            return False
        return priority is not TxPriority.QUOTE or self.quote_tokens(now) >= n

    def try_spend(self, now: float, priority: TxPriority, n: int = 1) -> bool:
        """Spend n transactions if the budget left above this priority's reserve (and, for requotes, the
        pacing bucket) allows it."""
        if not self.can_spend(now, priority, n):
            return False
        self._sent.extend([now] * n)
        if priority is TxPriority.QUOTE:
            self._tokens -= n
        return True

    def sent_times(self, now: float) -> tuple[float, ...]:
        """Send times within the current window (for tests and metrics)."""
        self._expire(now)
        return tuple(self._sent)
