"""Queue-position models for our resting orders on an L2 (price-aggregated) book.

We only see the total size at a price, so where our order sits must be estimated:

* at placement, everything already at the price is ahead of us (`ahead = level size`);
* a trade at our price consumes the queue ahead first; what is left fills us;
* a size decrease not explained by trades is a cancel, ahead of us with probability
  f(front) / (f(front) + f(back)) where f(x) = x**n (hftbacktest's PowerProbQueueModel, after
  Rigtorp): cancels near the back are more likely behind us. `risk_averse` never advances on cancels
  except when the level shrinks below our position.

Trades reported before the depth change that shows them are subtracted from that change so the
same volume is not counted twice (as hftbacktest does).
"""

from __future__ import annotations

import math


class QueuePos:
    """Mutable queue state of one resting order (lots, floats because the model is an expectation)."""

    __slots__ = ("ahead", "traded")

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead
        self.traded = 0.0  # trade volume at our price since the last depth change there


class QueueModel:
    def __init__(self, kind: str = "power", power: float = 2.0) -> None:
        self.kind = kind
        self.power = power

    def on_trade(self, q: QueuePos, size: float) -> float:
        """A trade of `size` at our price; returns how much of it reaches us (>= 0)."""
        q.traded += size
        if q.ahead >= size:
            q.ahead -= size
            return 0.0
        over = size - q.ahead
        q.ahead = 0.0
        return over

    def on_depth(self, q: QueuePos, prev: float, new: float) -> None:
        """The market's size at our price went from `prev` to `new` (our own size is never in it)."""
        chg = prev - new - q.traded
        q.traded = 0.0
        if chg <= 0:
            q.ahead = min(q.ahead, new)
            return
        front = q.ahead
        if self.kind == "risk_averse":
            q.ahead = max(0.0, min(front, new))
            return
        back = max(prev - front, 0.0)
        ff = front**self.power
        fb = back**self.power
        prob_back = fb / (ff + fb) if ff + fb > 0 else 1.0
        if not math.isfinite(prob_back):
            prob_back = 1.0
        est = front - (1.0 - prob_back) * chg + min(back - prob_back * chg, 0.0)
        q.ahead = max(0.0, min(est, new))
