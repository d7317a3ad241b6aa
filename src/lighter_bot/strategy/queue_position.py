"""Where each resting quote of ours sits in its price level's queue, estimated from the L2 feed we see.

The venue publishes only the total size at each price, so the size ahead of our order is estimated:

* when the venue accepts the order (or a modify moves it to a new price or a larger size, which on
  Lighter loses priority), everything at its price in our book is ahead of it; a price that improves
  on the book has nothing ahead. A smaller size keeps the place (Lighter, like the simulator);
* a public trade at our price on the side that reaches us consumes the queue ahead first; a trade
  through our price means everything at our price traded;
* a decrease of the level's size that trades at that price since the previous book do not explain is
  cancels, ahead of us with probability f(front) / (f(front) + f(back)), f(x) = x**`power`: the
  power-law rule of hftbacktest's PowerProbQueueModel (after Rigtorp) that the simulator also uses
  (venues/sim/queue.py, power 2). `power` = 1 is the pro-rata rule (a cancel is anywhere in the queue
  with equal chance per lot); 2 says cancels come mostly from the back, where the most recently joined
  and least committed orders sit. On LOBSTER's order-by-order AAPL sample the power rule with n = 2
  lands within 5.2 % of the true queue (docs/simulator.md) and n = 1 is further off (tests/integration/
  test_queue_model_lobster.py prints both), so 2 is the default;
* the level can never hold less ahead of us than its whole size.

Everything is in lots and floats (an expectation). It reads only what the bot sees (its delayed,
batched book and the tape), so it is also right to the extent that view is: the simulator's own queue
(true at each instant) is the yardstick in tests/integration/test_queue_estimate.py. On the live
venue Lighter's book includes our own orders, so the estimate there can count our own size as ahead:
the error is on the safe side (an order looks further back than it is, so it is kept less often).

O(1) per trade or book change per resting order of ours (a handful): one scan of the book's side down
to our price.
"""

from __future__ import annotations

import math

from lighter_bot.domain.book import BookView
from lighter_bot.domain.events import Event, OrderAccepted, OrderModified
from lighter_bot.domain.orders import Side, WorkingOrder

ACKS = (OrderAccepted, OrderModified)  # the venue's answers that put an order of ours in a queue


class _Slot:
    __slots__ = ("ahead", "bid", "hint", "level", "price", "traded")

    def __init__(self, side: Side, price: int, ahead: float, level: float) -> None:
        self.bid = side is Side.BID
        self.price = price
        self.ahead = ahead
        self.level = level  # the level's size in the last book that showed it (lots)
        self.traded = 0.0  # trade volume at our price since that book
        self.hint = 0  # where our price sat among the book's levels last time (levels rarely move)


def level_size(book: BookView, side: Side, price: int) -> float | None:
    """The market's size at `price` on `side` (0 inside the spread or in a gap of the visible levels;
    None beyond the last visible level, where the book says nothing)."""
    return _find(book.bids if side is Side.BID else book.asks, price, side is Side.BID, 0)[0]


def _find(levels: tuple[tuple[int, int], ...], price: int, bid: bool, hint: int) -> tuple[float | None, int]:
    """(size at `price` or None beyond the visible levels, index of the first level at or past it).
    `hint`: that index in a previous book, checked first (O(1) when the levels did not shift)."""
    n = len(levels)
    if hint < n and (hint == 0 or (levels[hint - 1][0] > price if bid else levels[hint - 1][0] < price)):
        p, s = levels[hint]
        if p == price:
            return float(s), hint
        if p < price if bid else p > price:
            return 0.0, hint
    for i, (p, s) in enumerate(levels):
        if p == price:
            return float(s), i
        if p < price if bid else p > price:
            return 0.0, i
    return (0.0 if n == 0 else None), n


def cancels_ahead(front: float, back: float, cancelled: float, power: float) -> float:
    """How much of `cancelled` lots, taken off a level with `front` ahead of us and `back` behind, is
    expected to have been ahead of us (the power-law rule; `power` = 1 is pro rata)."""
    ff, fb = front**power, back**power
    p_back = fb / (ff + fb) if ff + fb > 0 else 1.0
    if not math.isfinite(p_back):
        p_back = 1.0
    # What cannot have come from behind (more cancelled than stood behind) came from ahead.
    return (1.0 - p_back) * cancelled - min(back - p_back * cancelled, 0.0)


class QueueEstimator:
    """Size ahead of each tracked order of ours (client id -> lots); see the module doc."""

    __slots__ = ("_book", "_slots", "enabled", "power")

    def __init__(self, power: float = 2.0, enabled: bool = True) -> None:
        if power <= 0:
            raise ValueError("power must be > 0")
        self.power = power
        self.enabled = enabled  # off: tracks nothing (every update is then a loop over no orders)
        self._slots: dict[int, _Slot] = {}
        self._book: BookView | None = None  # the last book, for what a new price would have ahead

    # -- our orders ---------------------------------------------------------------------------------
    def on_placed(self, client_id: int, side: Side, price: int, book: BookView) -> None:
        """The venue accepted our order at `price` (or moved it there, losing its place)."""
        if not self.enabled:
            return
        lvl = level_size(book, side, price)
        size = lvl if lvl is not None else 0.0
        # Nothing visible at or beyond that depth: assume a full level of the deepest visible size.
        if lvl is None:
            levels = book.bids if side is Side.BID else book.asks
            size = float(levels[-1][1]) if levels else 0.0
        self._slots[client_id] = _Slot(side, price, size, size)

    def on_modified(self, client_id: int, side: Side, old_price: int, old_size: int, price: int, size: int,
                    book: BookView) -> None:
        """A modify landed: a new price or a larger size goes to the back, a smaller size keeps its place."""
        if price != old_price or size > old_size or client_id not in self._slots:
            self.on_placed(client_id, side, price, book)

    def on_ack(self, event: Event, before: WorkingOrder, book: BookView) -> None:
        """The venue's answer to a place (`before`: our order as sent) or a modify (`before`: as it rested)."""
        if isinstance(event, OrderAccepted):
            self.on_placed(event.client_id, before.side, before.price, book)
        elif isinstance(event, OrderModified):
            self.on_modified(event.client_id, before.side, before.price, before.size, event.price, event.size, book)

    def on_filled(self, client_id: int, remaining: int) -> None:
        """A fill of ours: whatever was ahead has traded (a partial fill leaves us at the front)."""
        slot = self._slots.get(client_id)
        if slot is not None:
            if remaining <= 0:
                del self._slots[client_id]
            else:
                slot.ahead = 0.0

    def on_gone(self, client_id: int) -> None:
        self._slots.pop(client_id, None)

    # -- the market ---------------------------------------------------------------------------------
    def on_trade(self, price: int, size: int, taker: Side) -> None:
        """A public trade: a sell (taker ASK) reaches bids at or above its price, a buy asks at or below."""
        if not self._slots:
            return
        hit_bids = taker is Side.ASK
        for slot in self._slots.values():
            if slot.bid is not hit_bids:
                continue
            if slot.price == price:
                slot.traded += size
                slot.ahead = slot.ahead - size if slot.ahead > size else 0.0
            elif (price < slot.price) if hit_bids else (price > slot.price):
                slot.ahead = 0.0  # traded through: everything at our price went first

    def on_book(self, book: BookView) -> None:
        """A new book: size decreases at our prices beyond the trades seen there are cancels."""
        self._book = book
        power = self.power
        for slot in self._slots.values():
            new, slot.hint = _find(book.bids if slot.bid else book.asks, slot.price, slot.bid, slot.hint)
            if new is None or (new == slot.level and not slot.traded):
                continue  # beyond the visible levels, or nothing changed at our price
            prev = slot.level
            chg = prev - new - slot.traded
            slot.traded = 0.0
            slot.level = new
            front = slot.ahead
            if chg > 0:
                front -= cancels_ahead(front, max(prev - front, 0.0), chg, power)
            slot.ahead = 0.0 if front < 0.0 else (new if front > new else front)

    # -- outputs ------------------------------------------------------------------------------------
    def ahead(self, client_id: int) -> float | None:
        """Lots ahead of the order (None: not tracked, e.g. not accepted yet)."""
        slot = self._slots.get(client_id)
        return None if slot is None else slot.ahead

    def ahead_fraction(self, client_id: int) -> float | None:
        """Share of its level ahead of the order: 0 = at the front, 1 = at the back (None: not tracked)."""
        slot = self._slots.get(client_id)
        if slot is None:
            return None
        return slot.ahead / slot.level if slot.level > 0 else 0.0

    def place(self, client_id: int, new_price: int) -> tuple[float, float, float] | None:
        """(share of its level ahead of the order now, lots ahead of it now, lots it would have ahead at
        `new_price`), None when the order is not tracked or the book does not show `new_price`. A place
        is only worth keeping when moving would put the order behind more than it has ahead now."""
        slot = self._slots.get(client_id)
        if slot is None or self._book is None:
            return None
        at_new = _find(self._book.bids if slot.bid else self._book.asks, new_price, slot.bid, 0)[0]
        if at_new is None:
            return None
        return (slot.ahead / slot.level if slot.level > 0 else 0.0), slot.ahead, at_new

    def __len__(self) -> int:
        return len(self._slots)
