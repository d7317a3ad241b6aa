"""The Venue protocol: the one narrow interface the live runner talks to.

A venue streams domain events (market data, acks, fills, status) and executes domain commands.
Implementations: venues.sim.live.SimVenue (simulator paced in real time), venues.lighter (the real
exchange over lighter-sdk). Backtests drive the synchronous simulator directly (backtest.runner).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import Event
from lighter_bot.domain.fills import FillHistory
from lighter_bot.domain.market import MarketSpec

# A venue's shutdown() returns within this many seconds, checked or not. With the runner's 2 s drain
# and the ledger flush the bot exits in ~23 s worst case, inside Railway's 30 s between SIGTERM and
# SIGKILL (railway.json `drainingSeconds`; docs/operations.md, "Deploy").
SHUTDOWN_BUDGET_S = 20.0
UNCHECKED = -1  # shutdown()'s answer when the venue could not tell whether orders still rest


class Venue(Protocol):
    @property
    def market(self) -> MarketSpec: ...

    async def start(self) -> list[Event]:
        """Connect, load metadata, reconcile; return the initial events (position, book)."""
        ...

    def events(self) -> AsyncIterator[Event]:
        """Events in the order the bot learns of them; ends when the venue is closed."""
        ...

    async def submit(self, commands: Sequence[Command]) -> None:
        """Send commands; outcomes come back as events (acks, rejects, cancels, fills)."""
        ...

    async def shutdown(self) -> int:
        """Cancel all our orders in this market, wait for the venue to confirm, and disconnect.

        Returns how many of our orders still rest on the venue afterwards (0 when all is clean,
        UNCHECKED when the venue did not answer within SHUTDOWN_BUDGET_S)."""
        ...


@runtime_checkable
class FillHistorySource(Protocol):
    """A venue that can read our fills back from the exchange (the live venue; the simulator cannot:
    nothing fills while it is not running)."""

    async def fills_since(self, since_ts: float) -> FillHistory:
        """Our fills in this market from `since_ts` (s) to now, and the exchange's position after them."""
        ...
