"""The exchange the emulator serves: a synchronous, single-market matching backend.

The emulator speaks Lighter's protocol and keeps Lighter's bookkeeping (accounts, nonces, order
records, trades); the backend decides the market and what happens to our orders. It is the
simulator's `SimExchange` in production (`sim_backend.py`) and `MemoryBackend` in protocol tests.
Client ids passed in commands are the emulator's internal order ids, not Lighter client indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import Event
from lighter_bot.domain.market import MarketSpec


class ExchangeBackend(Protocol):
    @property
    def market(self) -> MarketSpec: ...

    def next_time(self) -> float | None:
        """Time (backend seconds) of the next queued event, None when nothing is queued."""
        ...

    def advance(self, until: float) -> list[Event]:
        """Process everything due up to `until`; return the events, in time order."""
        ...

    def submit(self, now: float, commands: Sequence[Command]) -> None:
        """Our order-entry actions, sent at `now`; outcomes come back from `advance`."""
        ...

    def book(self) -> BookView:
        """The market's current public book (without our orders)."""
        ...
