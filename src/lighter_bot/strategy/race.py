"""Race fills, told apart from normal fills, and pulling a quote the fair value has passed.

A maker fill is a **race fill** when it lands
* while a cancel or a modify of its order is in flight (`in_flight`): we had already decided the
  order should not rest there, and the market got to it first; or
* after the fair value in force has passed the order's price (`fair_passed`): a bid filled at or
  above the fair value, an ask at or below it: the price ran through the quote before we moved it.

Everything else is a normal fill (taker fills, e.g. the hedger's crosses, are never race fills: they
cross the fair value on purpose). `FillTally` keeps the two groups apart: counts and markouts each
of its own, so a race fill is never counted as a normal fill (a hypothesis property checks it).

`pull_crossed`: a working quote the fair value has crossed (our bid at or above it, our ask at or
below it) is moved to the desired price at once, at cancel priority, whatever the requote tolerance,
the queue keep rule (strategy/planner.py) and the requote pacing say: the fair value is already a
prediction over the entry delay, and every 200 ms the quote rests there it can be picked off. The
planner's modify of that order (if any) gives way to the pull. The move spends no transaction of the
reserve kept for cancels (`guard.tx_reserve_for_cancels`): when only that reserve is left, the quote
is cancelled instead (risk reduction is what the reserve is for; a modify would keep the order live).
A side that is not wanted any more (or needs a cancel + place for its reduce-only flag) is already
cancelled by the planner, at cancel priority. Orders in flight are left alone: a second command would race the first one's answer
(a cancel sent behind a modify turns its ack into a reject).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder
from lighter_bot.domain.orders import OrderStatus, Purpose, Role, Side, WorkingOrder
from lighter_bot.strategy.planner import Plan
from lighter_bot.strategy.quoting import QuoteIntent
from lighter_bot.strategy.signals import Markouts, MarkoutStats

IN_FLIGHT = "in_flight"
FAIR_PASSED = "fair_passed"
_QUOTE, _OPEN, _BID = Purpose.QUOTE, OrderStatus.OPEN, Side.BID  # enum members, looked up once


def crosses(side: Side, price: float, fair: float) -> bool:
    """The fair value has reached or passed a price of ours on `side`."""
    return price >= fair if side is Side.BID else price <= fair


def race_kind(side: Side, price: int, role: Role, status: OrderStatus | None, fair: float | None) -> str | None:
    """Why a fill is a race fill (`IN_FLIGHT` or `FAIR_PASSED`), None for a normal fill.

    `status`: our order's status when the fill landed (None: unknown order); `fair`: the fair value in
    force then (ticks; None before a two-sided book)."""
    if role is not Role.MAKER:
        return None
    if status is OrderStatus.PENDING_CANCEL or status is OrderStatus.PENDING_MODIFY:
        return IN_FLIGHT
    if fair is not None and crosses(side, price, fair):
        return FAIR_PASSED
    return None


@dataclass(frozen=True, slots=True)
class RaceStatus:
    """Fills since start in two disjoint groups, with their markouts (bps, + = the mid moved our way)."""

    normal_fills: int
    race_fills_in_flight: int
    race_fills_fair_passed: int
    race_pulls: int  # working quotes moved at cancel priority because the fair value crossed them
    normal_markouts: tuple[MarkoutStats, ...]
    race_markouts: tuple[MarkoutStats, ...]

    @property
    def race_fills(self) -> int:
        return self.race_fills_in_flight + self.race_fills_fair_passed

    def row(self) -> dict[str, float]:
        """Flat numbers for a matrix row: counts and, per horizon, each group's mean markout (bps)."""
        out: dict[str, float] = {"normal_fills": self.normal_fills, "race_fills": self.race_fills,
                                 "race_fills_in_flight": self.race_fills_in_flight,
                                 "race_fills_fair_passed": self.race_fills_fair_passed, "race_pulls": self.race_pulls}
        for name, stats in (("normal", self.normal_markouts), ("race", self.race_markouts)):
            for m in stats:
                out[f"{name}_markout_{m.horizon_s:g}s_bps"] = m.mean_bps
                out[f"{name}_markout_{m.horizon_s:g}s_count"] = m.count
        return out


class FillTally:
    """Fills in two disjoint groups, normal and race: a count per race kind and markouts per group."""

    __slots__ = ("counts", "normal", "race")

    def __init__(self, horizons_s: tuple[float, ...]) -> None:
        self.normal = Markouts(horizons_s)
        self.race = Markouts(horizons_s)
        self.counts: dict[str | None, int] = {None: 0, IN_FLIGHT: 0, FAIR_PASSED: 0}

    def on_fill(self, ts: float, side: Side, price: float, kind: str | None) -> None:
        self.counts[kind] += 1
        (self.normal if kind is None else self.race).on_fill(ts, side, price)

    def on_time(self, ts: float, mid: float | None) -> None:
        self.normal.on_time(ts, mid)
        self.race.on_time(ts, mid)

    @property
    def normal_fills(self) -> int:
        return self.counts[None]

    @property
    def race_fills(self) -> int:
        return self.counts[IN_FLIGHT] + self.counts[FAIR_PASSED]

    def status(self, pulls: int) -> RaceStatus:
        c = self.counts
        return RaceStatus(c[None], c[IN_FLIGHT], c[FAIR_PASSED], pulls, self.normal.stats(), self.race.stats())


def pull_crossed(plan: Plan, bid: QuoteIntent | None, ask: QuoteIntent | None, orders: Iterable[WorkingOrder],
                 fair: float, move: Callable[[], bool] = lambda: True) -> tuple[Plan, int]:
    """`plan` with every working quote the fair value crossed moved to the desired price (while `move()`
    says the budget allows it) or else cancelled, first among the cancels, and how many were pulled
    (see the module doc)."""
    crossed = None
    for o in orders:  # the common case (nothing crossed) cheaply: no enum lookups, no allocation
        if o.purpose is _QUOTE and o.status is _OPEN and (o.price >= fair if o.side is _BID else o.price <= fair):
            crossed = [o] if crossed is None else [*crossed, o]
    if crossed is None:
        return plan, 0
    pulled: list[Command] = []
    cancelled = {c.client_id for c in plan.cancels if isinstance(c, CancelOrder)}
    for o in crossed:
        q = bid if o.side is Side.BID else ask
        # Not wanted, an extra order or a reduce-only change: the planner cancels it already. Wanted
        # across the fair value: the decision itself put it there.
        if q is None or o.client_id in cancelled or q.reduce_only != o.reduce_only or crosses(q.side, q.price, fair):
            continue
        pulled.append(ModifyOrder(o.client_id, q.price, q.size) if move() else CancelOrder(o.client_id))
    if not pulled:
        return plan, 0
    ids = {c.client_id for c in pulled if isinstance(c, ModifyOrder | CancelOrder)}
    quotes = [c for c in plan.quotes if not (isinstance(c, ModifyOrder) and c.client_id in ids)]
    return Plan(pulled + plan.cancels, quotes), len(pulled)
