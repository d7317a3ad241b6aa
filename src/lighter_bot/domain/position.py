"""Average-cost position accounting: realized PnL (fees included) and unrealized PnL at a mark.

Realized PnL is earned only when a fill reduces the position; cash flow is not PnL.
All amounts are floats in quote currency (USD); sizes are base units (not lots) so that this
works the same for the engine (converted from lots), the ledger and the reports.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PositionState:
    qty: float = 0.0  # signed base units
    avg_price: float = 0.0  # average entry of the open qty (0 when flat)
    realized: float = 0.0  # closed-trade PnL, net of fees
    fees: float = 0.0  # total fees paid (negative = rebates earned)
    volume_base: float = 0.0
    volume_quote: float = 0.0

    def unrealized(self, mark: float) -> float:
        return self.qty * (mark - self.avg_price) if self.qty else 0.0

    def total(self, mark: float) -> float:
        return self.realized + self.unrealized(mark)


_EPS = 1e-12


def apply_fill(s: PositionState, signed_qty: float, price: float, fee: float) -> PositionState:
    """Apply one fill (signed_qty > 0 buys). Fees reduce realized PnL immediately."""
    q, avg, realized = s.qty, s.avg_price, s.realized - fee
    if q == 0 or (q > 0) == (signed_qty > 0):
        new_q = q + signed_qty
        avg = (q * avg + signed_qty * price) / new_q if abs(new_q) > _EPS else 0.0
    else:
        closing = min(abs(signed_qty), abs(q))
        direction = 1.0 if q > 0 else -1.0
        realized += closing * (price - avg) * direction
        new_q = q + signed_qty
        if abs(new_q) <= _EPS:
            new_q, avg = 0.0, 0.0
        elif (new_q > 0) != (q > 0):
            avg = price  # flipped: the remainder opened at this fill's price
    return PositionState(
        qty=new_q,
        avg_price=avg,
        realized=realized,
        fees=s.fees + fee,
        volume_base=s.volume_base + abs(signed_qty),
        volume_quote=s.volume_quote + abs(signed_qty) * price,
    )
