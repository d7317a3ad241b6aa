"""Race fills (strategy/race.py): classification, counted apart from normal fills, and the pull of a
quote the fair value crossed; plus the core's use of both."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.config import BotConfig, parse_config
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import BookUpdate, OrderAccepted, OrderFilled
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import OrderStatus, Purpose, Role, Side, TimeInForce, WorkingOrder
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.txbudget import TxPriority
from lighter_bot.strategy.planner import Plan
from lighter_bot.strategy.quoting import QuoteIntent
from lighter_bot.strategy.race import FAIR_PASSED, IN_FLIGHT, FillTally, pull_crossed, race_kind

STATUSES = list(OrderStatus)


def wo(cid: int, side: Side, price: int, status: OrderStatus = OrderStatus.OPEN, ro: bool = False,
       purpose: Purpose = Purpose.QUOTE) -> WorkingOrder:
    return WorkingOrder(cid, side, price, 70, TimeInForce.POST_ONLY, ro, purpose, status, 0.0)


# -- classification ---------------------------------------------------------------------------------
def test_race_kinds() -> None:
    fair = 170_000.5
    assert race_kind(Side.BID, 169_990, Role.MAKER, OrderStatus.OPEN, fair) is None
    assert race_kind(Side.BID, 169_990, Role.MAKER, OrderStatus.PENDING_CANCEL, fair) == IN_FLIGHT
    assert race_kind(Side.ASK, 170_010, Role.MAKER, OrderStatus.PENDING_MODIFY, fair) == IN_FLIGHT
    assert race_kind(Side.BID, 170_001, Role.MAKER, OrderStatus.OPEN, fair) == FAIR_PASSED  # bid above fair
    assert race_kind(Side.ASK, 170_000, Role.MAKER, None, fair) == FAIR_PASSED  # ask below fair, unknown order
    assert race_kind(Side.ASK, 170_000, Role.MAKER, OrderStatus.OPEN, 170_000.0) == FAIR_PASSED  # at the fair value
    assert race_kind(Side.BID, 170_001, Role.MAKER, OrderStatus.OPEN, None) is None  # no fair value yet
    # A taker fill (the hedger's cross) crosses the fair value on purpose: never a race fill.
    assert race_kind(Side.BID, 170_100, Role.TAKER, OrderStatus.PENDING_CANCEL, fair) is None


fills_st = st.lists(st.tuples(
    st.floats(0.0, 5.0),  # time step
    st.sampled_from([Side.BID, Side.ASK]),
    st.integers(169_900, 170_100),  # fill price
    st.sampled_from([Role.MAKER, Role.TAKER]),
    st.sampled_from([*STATUSES, None]),
    st.one_of(st.none(), st.floats(169_900.0, 170_100.0)),  # fair value in force
    st.integers(169_900, 170_100),  # mid afterwards
), max_size=60)


@settings(max_examples=150, deadline=None)
@given(fills_st)
def test_a_race_fill_is_never_counted_as_a_normal_fill(fills: list[tuple[float, Side, int, Role, OrderStatus | None,
                                                                           float | None, int]]) -> None:
    """Counts: normal + race = all, each fill in exactly one group; markouts: each group's equal a brute
    force over that group's fills alone."""
    tally = FillTally((1.0, 5.0))
    t = 0.0
    groups: dict[bool, list[tuple[float, int, float]]] = {False: [], True: []}
    mids: list[tuple[float, float]] = [(0.0, 170_000.0)]
    tally.on_time(0.0, 170_000.0)
    for dt, side, price, role, status, fair, mid in fills:
        t += dt
        kind = race_kind(side, price, role, status, fair)
        tally.on_fill(t, side, float(price), kind)
        groups[kind is not None].append((t, side.sign, float(price)))
        t += 0.01
        tally.on_time(t, float(mid))
        mids.append((t, float(mid)))
    end = t + 100.0
    tally.on_time(end, None)
    assert tally.normal_fills + tally.race_fills == len(fills)
    assert tally.normal_fills == len(groups[False]) and tally.race_fills == len(groups[True])
    status = tally.status(0)
    for race, stats in ((False, status.normal_markouts), (True, status.race_markouts)):
        for m in stats:
            vals = []
            for ft, sign, px in groups[race]:
                # The mid that held at ft + h: the last one noted at or before it.
                held = [mv for mt, mv in mids if mt <= ft + m.horizon_s]
                if ft + m.horizon_s < end:
                    vals.append(sign * (held[-1] - px) / px * 1e4)
            assert m.count == len(vals)
            if vals:
                assert abs(m.mean_bps - sum(vals) / len(vals)) < 1e-6


# -- pulling a quote the fair value crossed -----------------------------------------------------------
def test_planner_modify_of_a_crossed_quote_goes_to_cancel_priority() -> None:
    orders = [wo(1, Side.BID, 170_010), wo(2, Side.ASK, 170_060)]
    bid, ask = QuoteIntent(Side.BID, 169_940, 70, False), QuoteIntent(Side.ASK, 170_060, 70, False)
    plan = Plan([], [ModifyOrder(1, 169_940, 70)])
    out, n = pull_crossed(plan, bid, ask, orders, 170_000.0)
    assert n == 1 and out.cancels == [ModifyOrder(1, 169_940, 70)] and out.quotes == []


def test_a_kept_crossed_quote_is_moved_anyway() -> None:
    """The planner left it alone (tolerance or the queue keep rule): the pull moves it."""
    orders = [wo(1, Side.BID, 169_950), wo(2, Side.ASK, 170_060)]
    bid, ask = QuoteIntent(Side.BID, 169_940, 70, False), QuoteIntent(Side.ASK, 170_060, 70, False)
    out, n = pull_crossed(Plan([], []), bid, ask, orders, 169_945.0)
    assert n == 1 and out.cancels == [ModifyOrder(1, 169_940, 70)]


def test_what_the_pull_leaves_alone() -> None:
    bid = QuoteIntent(Side.BID, 169_940, 70, False)
    cases = [
        ([wo(1, Side.BID, 170_010, OrderStatus.PENDING_MODIFY)], bid),  # in flight: its answer comes first
        ([wo(1, Side.BID, 170_010, OrderStatus.PENDING_NEW)], bid),
        ([wo(1, Side.BID, 170_010, purpose=Purpose.HEDGE_PASSIVE)], bid),  # hedges are the hedger's
        ([wo(1, Side.BID, 170_010)], None),  # side not wanted: the planner cancels it (cancel priority)
        ([wo(1, Side.BID, 170_010)], QuoteIntent(Side.BID, 170_005, 70, False)),  # wanted across: decided so
        ([wo(1, Side.BID, 170_010, ro=True)], bid),  # reduce-only change: the planner cancels + places
        ([wo(1, Side.BID, 169_990)], bid),  # not crossed
    ]
    for orders, q in cases:
        plan = Plan([CancelOrder(1)] if q is None or orders[0].reduce_only != q.reduce_only else [], [])
        out, n = pull_crossed(plan, q, None, orders, 170_000.0)
        assert (out, n) == (plan, 0), (orders, q)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([Side.BID, Side.ASK]), st.integers(169_950, 170_050),
                          st.sampled_from(STATUSES), st.booleans()), max_size=4),
       st.one_of(st.none(), st.integers(169_900, 170_000)), st.one_of(st.none(), st.integers(170_000, 170_100)),
       st.floats(169_960.0, 170_040.0), st.booleans(), st.booleans())
def test_pull_properties(specs: list[tuple[Side, int, OrderStatus, bool]], bid_px: int | None, ask_px: int | None,
                         fair: float, planner_modifies: bool, move: bool) -> None:
    """Every open quote crossed by the fair value whose side wants a quote on the safe side ends up with a
    command at cancel priority (a move, or a cancel when `move` is off); no order gets two commands;
    nothing else changes."""
    orders = [wo(i + 1, side, px, status, ro) for i, (side, px, status, ro) in enumerate(specs)]
    bid = None if bid_px is None else QuoteIntent(Side.BID, bid_px, 70, False)
    ask = None if ask_px is None else QuoteIntent(Side.ASK, ask_px, 70, False)
    cancels: list[Command] = []
    quotes: list[Command] = []
    for o in orders:
        q = bid if o.side is Side.BID else ask
        if q is None or q.reduce_only != o.reduce_only:
            cancels.append(CancelOrder(o.client_id))
        elif planner_modifies and o.status is OrderStatus.OPEN and o.price != q.price:
            quotes.append(ModifyOrder(o.client_id, q.price, q.size))
    plan = Plan(cancels, quotes)
    out, n = pull_crossed(plan, bid, ask, orders, fair, lambda: move)
    ids = [c.client_id for c in out.cancels + out.quotes if isinstance(c, CancelOrder | ModifyOrder)]
    assert len(ids) == len(set(ids))
    cancel_ids = {c.client_id for c in out.cancels if isinstance(c, CancelOrder | ModifyOrder)}
    for o in orders:
        q = bid if o.side is Side.BID else ask
        crossed = o.price >= fair if o.side is Side.BID else o.price <= fair
        safe = q is not None and (q.price < fair if q.side is Side.BID else q.price > fair)
        if o.status is OrderStatus.OPEN and crossed and safe:
            assert o.client_id in cancel_ids
    assert n == len(out.cancels) - len(plan.cancels)
    assert all(c in out.cancels for c in plan.cancels)
    pulled = out.cancels[:n]
    assert all(isinstance(c, ModifyOrder if move else CancelOrder) for c in pulled)


# -- in the core ------------------------------------------------------------------------------------
def book(mid: int, half: int = 5, size: int = 500) -> BookView:
    return BookView(((mid - half, size),), ((mid + half, size),))


def core_with_quotes(**maker: object) -> tuple[EngineCore, PlaceOrder, PlaceOrder]:
    cfg = parse_config({"maker": maker}) if maker else BotConfig()
    core = EngineCore(cfg, SOL_PERP, SimClock(0.0))
    places = [c for c in core.on_event(BookUpdate(1.0, book(170_000))) if isinstance(c, PlaceOrder)]
    bid = next(c for c in places if c.side is Side.BID)
    ask = next(c for c in places if c.side is Side.ASK)
    return core, bid, ask


def fill(ts: float, o: PlaceOrder, size: int, tid: str, price: int | None = None) -> OrderFilled:
    return OrderFilled(ts, o.client_id, tid, o.side, o.price if price is None else price, size, 0.0, Role.MAKER,
                       o.size - size)


def test_core_flags_a_fill_behind_its_in_flight_modify() -> None:
    core, bid, ask = core_with_quotes()
    core.on_event(OrderAccepted(1.1, bid.client_id, "1"))
    core.on_event(OrderAccepted(1.1, ask.client_id, "2"))
    cmds = core.on_event(BookUpdate(2.0, book(170_300)))  # market up: the bid lags, the planner moves it
    assert any(isinstance(c, ModifyOrder) and c.client_id == bid.client_id for c in cmds)
    core.on_event(fill(2.1, bid, 10, "t1"))
    recs = core.drain_fills()
    assert [r.race for r in recs] == [IN_FLIGHT]
    race = core.status().race
    assert race is not None and (race.race_fills_in_flight, race.normal_fills) == (1, 0)


def test_core_flags_a_fill_past_the_fair_value_and_counts_normal_fills_apart() -> None:
    core, bid, ask = core_with_quotes()
    core.on_event(fill(1.05, ask, 10, "t0"))  # before its ack, at its price: a normal fill
    # The bid is not acknowledged yet (nothing may touch it), and the market falls through it.
    core.on_event(BookUpdate(1.1, book(bid.price - 20)))
    core.on_event(fill(1.15, bid, 10, "t1"))
    recs = core.drain_fills()
    assert [r.race for r in recs] == [None, FAIR_PASSED]
    race = core.status().race
    assert race is not None and (race.normal_fills, race.race_fills, race.race_fills_fair_passed) == (1, 1, 1)


def test_core_pulls_a_crossed_quote_at_cancel_priority_even_without_requote_tokens() -> None:
    """With the requote bucket empty the planner's modify cannot go; the pull goes at cancel priority."""
    for pull in (True, False):
        core, bid, ask = core_with_quotes(requote_burst_tx=2, race={"pull_crossed": pull})
        core.on_event(OrderAccepted(1.1, bid.client_id, "1"))
        core.on_event(OrderAccepted(1.1, ask.client_id, "2"))
        budget = core.budget  # only modifies draw on the requote bucket (placements do not): empty it
        while budget.quote_tokens(1.15) >= 1:
            budget.begin(1.15)
            assert budget.try_spend(1.15, TxPriority.QUOTE)
        # The market moves down through the bid in one step; the bucket holds no requote token.
        cmds = core.on_event(BookUpdate(1.2, book(bid.price - 30)))
        moved = [c for c in cmds if isinstance(c, ModifyOrder) and c.client_id == bid.client_id]
        race = core.status().race
        assert race is not None
        if pull:
            assert moved and moved[0].price < (bid.price - 30) and race.race_pulls == 1
        else:
            assert not moved and race.race_pulls == 0


def test_core_cancels_instead_of_moving_when_only_the_cancel_reserve_is_left() -> None:
    core, bid, ask = core_with_quotes()
    core.on_event(OrderAccepted(1.1, bid.client_id, "1"))
    core.on_event(OrderAccepted(1.1, ask.client_id, "2"))
    budget = core.budget
    while budget.can_spend(1.15, TxPriority.HEDGE):  # spend everything but the cancels' reserve
        assert budget.try_spend(1.15, TxPriority.HEDGE)
    cmds = core.on_event(BookUpdate(1.2, book(bid.price - 30)))
    assert CancelOrder(bid.client_id) in cmds
    race = core.status().race
    assert race is not None and race.race_pulls == 1
