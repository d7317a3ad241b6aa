"""Our own copy of Lighter's L2 book with the nonce-continuity check.

Lighter's rule: each update's `begin_nonce` must equal the previous message's `nonce`; otherwise
levels were missed and the only safe move is a fresh snapshot (resubscribe). Until that snapshot
arrives the book is not valid and nothing is published from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from lighter_bot.domain.book import BookView
from lighter_bot.venues.lighter.parse import BookFrame, book_view


class BookResult(Enum):
    APPLIED = "applied"  # the book changed and is valid: publish it
    GAP = "gap"  # continuity broken: resubscribe for a snapshot
    WAITING = "waiting"  # an update before any snapshot (or after a gap): ignored
    STALE = "stale"  # an update older than what we have: ignored


@dataclass
class LocalBook:
    depth: int = 25
    valid: bool = False
    nonce: int | None = None
    gaps: int = 0

    def __post_init__(self) -> None:
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def invalidate(self) -> None:
        """Forget the book (reconnect, resubscribe): wait for the next snapshot."""
        self.valid = False
        self.nonce = None

    def apply(self, f: BookFrame) -> BookResult:
        if f.snapshot:
            self.bids = {p: s for p, s in f.bids if s > 0}
            self.asks = {p: s for p, s in f.asks if s > 0}
            self.nonce = f.nonce
            self.valid = True
            return BookResult.APPLIED
        if not self.valid or self.nonce is None:
            return BookResult.WAITING
        if f.nonce <= self.nonce:
            return BookResult.STALE
        if f.begin_nonce != self.nonce:
            self.gaps += 1
            self.invalidate()
            return BookResult.GAP
        for side, levels in ((self.bids, f.bids), (self.asks, f.asks)):
            for p, s in levels:
                if s > 0:
                    side[p] = s
                else:
                    side.pop(p, None)
        self.nonce = f.nonce
        return BookResult.APPLIED

    def view(self) -> BookView:
        return book_view(self.bids, self.asks, self.depth)
