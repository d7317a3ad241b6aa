"""Lighter's request budget as the decision core spends it: requests per rolling minute, with priorities.

The core's commands of one decision go out together (the runner submits them in one call; the venue
sends them as one sendTxBatch), so a decision costs ONE request however many commands it carries
(up to MAX_BATCH), which is what Lighter charges (domain/request_budget.py). The budget is the
tier's transaction bucket minus what the live adapter spends on its own (dead-man switch, position
checks): `TierLimits.core_requests_per_minute()`.

Priorities: a decision that cancels may use the whole budget; one that hedges may not eat the last
`reserve_for_cancels` requests; one that places a missing quote leaves `reserve_for_hedges` more, so
a busy quote loop can never starve a cancel or a hedge; one that only modifies quotes leaves
PLACEMENT_RESERVE more still, so a side that just filled can be quoted again at once (on a volatile
market requotes otherwise spend everything and leave that side empty: vol_spike, Standard, two-sided
uptime 60 % -> 63 %, fills +28 %; with trend gating and the volatility pause off, 69 % -> 74 %).
Commands that join a decision already paid for ride free. Modifies are also paced by a token bucket
(`quote_burst` requests, refilled at the rate they may use on average) so that a volatile minute
cannot spend the whole allowance in its first seconds and then leave stale quotes resting for the
rest of it.
"""

from __future__ import annotations

from enum import IntEnum

from lighter_bot.domain.request_budget import CLIENT_WINDOW_S, MAX_BATCH, RollingWindow


class TxPriority(IntEnum):
    CANCEL = 0
    HEDGE = 1
    PLACE = 2  # placing a missing quote (a side that filled, or a new one)
    QUOTE = 3  # modifying (requoting) a working quote


# Requests per minute that requotes leave for re-placing a side that filled.
PLACEMENT_RESERVE = 6


class RequestBudget:
    def __init__(
        self,
        per_minute: int,
        reserve_for_cancels: int = 6,
        reserve_for_hedges: int = 6,
        window_s: float = CLIENT_WINDOW_S,
        quote_burst: int | None = None,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be > 0")
        self.per_minute = per_minute
        self.window_s = window_s
        hedge_res = min(reserve_for_cancels, per_minute - 1)
        quote_res = min(reserve_for_cancels + reserve_for_hedges, per_minute - 1)
        requote_res = min(quote_res + PLACEMENT_RESERVE, per_minute - 1)
        self._reserve = (0, hedge_res, quote_res, requote_res)
        self._window = RollingWindow(per_minute, window_s)
        self._burst = float(quote_burst) if quote_burst is not None else float(per_minute)
        self._rate = (per_minute - requote_res) / window_s  # requote tokens per second
        self._tokens = self._burst
        self._tokens_ts: float | None = None
        self._batch_at: float | None = None  # the decision whose request is already paid for
        self._batch_n = 0

    def begin(self, now: float) -> None:
        """A new decision: its first command pays for a request, the others ride along."""
        self._batch_at = None
        self._batch_n = 0

    def used(self, now: float) -> int:
        return self._window.used(now)

    def left(self, now: float) -> int:
        return self._window.left(now)

    def quote_tokens(self, now: float) -> float:
        if self._tokens_ts is None:
            self._tokens_ts = now
        elif now > self._tokens_ts:
            self._tokens = min(self._burst, self._tokens + (now - self._tokens_ts) * self._rate)
            self._tokens_ts = now
        return self._tokens

    def _riding(self) -> bool:
        return self._batch_at is not None and self._batch_n < MAX_BATCH

    def can_spend(self, now: float, priority: TxPriority) -> bool:
        if self._riding():
            return True
        if not self._window.fits(now, 1, self._reserve[priority]):
            return False
        return priority < TxPriority.QUOTE or self.quote_tokens(now) >= 1

    def try_spend(self, now: float, priority: TxPriority) -> bool:
        """Admit one command: free if this decision's request is already paid for, else one request if
        the budget left above this priority's reserve (and, for requotes, the pacing bucket) allows it."""
        if self._riding():
            self._batch_n += 1
            return True
        if not self.can_spend(now, priority):
            return False
        self._window.spend(now)
        self._batch_at, self._batch_n = now, 1
        if priority >= TxPriority.QUOTE:
            self._tokens -= 1
        return True

    def sent_times(self, now: float) -> tuple[float, ...]:
        """Request times within the current window (for tests and metrics)."""
        return self._window.times(now)
