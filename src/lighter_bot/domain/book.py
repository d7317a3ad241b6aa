"""Level-2 order book view: top levels per side as (price ticks, size lots), best first."""

from __future__ import annotations

from dataclasses import dataclass

Level = tuple[int, int]


@dataclass(frozen=True, slots=True)
class BookView:
    bids: tuple[Level, ...]  # descending price
    asks: tuple[Level, ...]  # ascending price

    @property
    def best_bid(self) -> int | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> int | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid2(self) -> int | None:
        """Twice the mid in ticks (exact integer); None unless both sides exist."""
        if not self.bids or not self.asks:
            return None
        return self.bids[0][0] + self.asks[0][0]

    @property
    def crossed(self) -> bool:
        return bool(self.bids and self.asks and self.bids[0][0] >= self.asks[0][0])

    def size_at(self, side_is_bid: bool, price: int) -> int:
        for px, sz in self.bids if side_is_bid else self.asks:
            if px == price:
                return sz
        return 0


EMPTY_BOOK = BookView((), ())
