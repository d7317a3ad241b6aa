"""Order planner: leave alone within tolerance, modify rather than cancel+place, urgency order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.domain.commands import CancelOrder, ModifyOrder, PlaceOrder
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.strategy.planner import PlannerSettings, plan_quotes
from lighter_bot.strategy.quoting import QuoteIntent, SizeRules

SET = PlannerSettings(tolerance_bps=1.5, size_tolerance=0.15, expiry_s=3600.0, stuck_after_s=5.0)
SIZES = SizeRules(SOL_PERP, 0.061, 10.5)
MID2 = 340_000  # mid 170.000: 1.5 bps = 25.5 ticks


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return 1000 + self.n


def wo(cid: int, side: Side, price: int, size: int = 70, status: OrderStatus = OrderStatus.OPEN, sent: float = 0.0,
       **kw: object) -> WorkingOrder:
    return WorkingOrder(cid, side, price, size, TimeInForce.POST_ONLY, False, Purpose.QUOTE, status, sent, **kw)  # type: ignore[arg-type]


def q(side: Side, price: int, size: int = 70, ro: bool = False) -> QuoteIntent:
    return QuoteIntent(side, price, size, ro)


def test_places_missing_sides_post_only() -> None:
    plan = plan_quotes(q(Side.BID, 169_940), q(Side.ASK, 170_060), [], 1.0, MID2, SET, SIZES,
                       Ids())
    assert plan.cancels == []
    assert [type(c) for c in plan.quotes] == [PlaceOrder, PlaceOrder]
    for c in plan.quotes:
        assert isinstance(c, PlaceOrder) and c.tif is TimeInForce.POST_ONLY and c.purpose is Purpose.QUOTE


def test_within_tolerance_no_transaction() -> None:
    orders = [wo(1, Side.BID, 169_940), wo(2, Side.ASK, 170_060)]
    desired = (q(Side.BID, 169_960, 66), q(Side.ASK, 170_040, 75))  # 20 ticks, size within 15 %
    plan = plan_quotes(*desired, orders, 1.0, MID2, SET, SIZES, Ids())
    assert plan.cancels == [] and plan.quotes == []


def test_beyond_tolerance_modify_not_cancel() -> None:
    orders = [wo(1, Side.BID, 169_940), wo(2, Side.ASK, 170_060)]
    desired = (q(Side.BID, 169_900), q(Side.ASK, 170_020))  # market moved down 40 ticks
    plan = plan_quotes(*desired, orders, 1.0, MID2, SET, SIZES, Ids())
    assert plan.cancels == []
    # The bid is now too aggressive (risk: adverse selection) and goes first.
    assert plan.quotes == [ModifyOrder(1, 169_900, 70), ModifyOrder(2, 170_020, 70)]


def test_undesired_side_cancelled_and_in_flight_orders_left_alone() -> None:
    orders = [wo(1, Side.BID, 169_940), wo(2, Side.ASK, 170_060, status=OrderStatus.PENDING_MODIFY, sent=0.8,
                                            pending_price=170_100, pending_size=70)]
    plan = plan_quotes(None, q(Side.ASK, 170_200), orders, 1.0, MID2, SET, SIZES, Ids())
    assert plan.cancels == [CancelOrder(1)]
    assert plan.quotes == []  # the ask's modify is in flight: wait for it
    # ...unless it has been in flight longer than stuck_after_s (a lost answer)
    plan = plan_quotes(None, q(Side.ASK, 170_200), orders, 7.0, MID2, SET, SIZES, Ids())
    assert plan.quotes == [ModifyOrder(2, 170_200, 70)]


def test_extra_orders_cancelled_and_reduce_only_change_replaces() -> None:
    orders = [wo(1, Side.ASK, 170_060), wo(2, Side.ASK, 170_070)]
    plan = plan_quotes(None, q(Side.ASK, 170_060), orders, 1.0, MID2, SET, SIZES, Ids())
    assert len(plan.cancels) == 1 and plan.quotes == []
    plan = plan_quotes(None, q(Side.ASK, 170_060, ro=True), [orders[0]], 1.0, MID2, SET, SIZES,
                       Ids())
    assert plan.cancels == [CancelOrder(1)]
    [p] = plan.quotes
    assert isinstance(p, PlaceOrder) and p.reduce_only


def test_partially_filled_quote_below_minimum_is_topped_up() -> None:
    orders = [wo(1, Side.BID, 169_940, size=20)]
    plan = plan_quotes(q(Side.BID, 169_940, 70), None, orders, 1.0, MID2, SET, SIZES, Ids())
    assert plan.quotes == [ModifyOrder(1, 169_940, 70)]


@settings(max_examples=200, deadline=None)
@given(bid_off=st.integers(-100, 100), ask_off=st.integers(-100, 100))
def test_a_side_that_wants_a_quote_is_never_cancelled(bid_off: int, ask_off: int) -> None:
    orders = [wo(1, Side.BID, 169_940), wo(2, Side.ASK, 170_060)]
    desired = (q(Side.BID, 169_940 + bid_off), q(Side.ASK, 170_060 + ask_off))
    plan = plan_quotes(*desired, orders, 1.0, MID2, SET, SIZES, Ids())
    assert plan.cancels == []
    assert all(isinstance(c, ModifyOrder) for c in plan.quotes)
    moved = {c.client_id for c in plan.quotes}
    assert (1 in moved) == (abs(bid_off) > 25.5) and (2 in moved) == (abs(ask_off) > 25.5)
