"""A fill as the ledger and reports see it: the venue's fill plus the context at that moment."""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.domain.events import OrderFilled


@dataclass(frozen=True, slots=True)
class FillRecord:
    """A new (deduplicated) fill with the mid and our position right after it."""

    fill: OrderFilled
    mid: float | None
    position_after: int  # lots
