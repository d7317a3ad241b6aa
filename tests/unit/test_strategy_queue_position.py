"""Queue position estimate (strategy/queue_position.py) and the planner's use of it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import ModifyOrder
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.strategy.planner import PlannerSettings, plan_quotes
from lighter_bot.strategy.queue_position import QueueEstimator, cancels_ahead, level_size
from lighter_bot.strategy.quoting import QuoteIntent, SizeRules
from lighter_bot.venues.sim.queue import QueueModel, QueuePos

PX = 169_950  # our bid's price


def bids_book(size_at_px: int, best: int = 169_990) -> BookView:
    mine = ((PX, size_at_px),) if size_at_px > 0 else ()
    return BookView(((best, 300), *mine, (169_900, 400)), ((170_010, 300),))


def test_level_size_reads_the_visible_book() -> None:
    b = bids_book(700)
    assert level_size(b, Side.BID, PX) == 700
    assert level_size(b, Side.BID, 169_960) == 0  # a gap between visible levels
    assert level_size(b, Side.BID, 169_995) == 0  # inside the spread: we would improve the price
    assert level_size(b, Side.BID, 169_800) is None  # beyond the visible depth
    assert level_size(b, Side.ASK, 170_010) == 300


def test_placed_at_the_back_trades_and_cancels_move_it_forward() -> None:
    q = QueueEstimator(power=2.0)
    q.on_placed(1, Side.BID, PX, bids_book(700))
    assert q.ahead(1) == 700 and q.ahead_fraction(1) == 1.0
    q.on_trade(PX, 100, Side.ASK)  # a sell at our price: the queue ahead trades first
    assert q.ahead(1) == 600
    q.on_trade(PX, 100, Side.BID)  # a buy does not reach bids
    assert q.ahead(1) == 600
    q.on_book(bids_book(600))  # the trade, seen in the book: nothing more
    assert q.ahead(1) == 600
    q.on_book(bids_book(300))  # 300 cancelled; 600 ahead, nothing behind: all ahead of us
    assert q.ahead(1) == 300
    q.on_book(bids_book(900))  # newcomers join behind us
    assert q.ahead(1) == 300 and abs(q.ahead_fraction(1) - 1 / 3) < 1e-9  # type: ignore[operator]
    q.on_book(bids_book(600))  # 300 cancelled, 300 ahead / 600 behind: mostly from behind (power 2)
    a = q.ahead(1)
    assert a is not None and 300 - 300 * 0.5 < a < 300
    q.on_trade(169_940, 10, Side.ASK)  # a trade through our price: everything at it traded first
    assert q.ahead(1) == 0


def test_modify_keeps_the_place_only_for_a_smaller_size() -> None:
    q = QueueEstimator()
    q.on_placed(1, Side.BID, PX, bids_book(700))
    q.on_trade(PX, 650, Side.ASK)
    assert q.ahead(1) == 50
    q.on_modified(1, Side.BID, PX, 70, PX, 61, bids_book(50))  # smaller size: keeps its place
    assert q.ahead(1) == 50
    q.on_modified(1, Side.BID, PX, 61, PX, 70, bids_book(50))  # larger size: back of the queue
    assert q.ahead(1) == 50 and q.ahead_fraction(1) == 1.0
    q.on_modified(1, Side.BID, PX, 70, 169_990, 70, bids_book(50))  # new price: back of that level
    assert q.ahead(1) == 300
    q.on_filled(1, 10)
    assert q.ahead(1) == 0  # partly filled: nothing ahead any more
    q.on_filled(1, 0)
    assert q.ahead(1) is None and len(q) == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2000), st.lists(st.tuples(st.integers(0, 300), st.integers(0, 2000)), max_size=40),
       st.sampled_from([1.0, 2.0, 3.0]))
def test_same_rule_as_the_simulator(start: int, steps: list[tuple[int, int]], power: float) -> None:
    """Fed the same level history (trades at our price, then the level's new size), the estimate equals
    the simulator's own queue model (venues/sim/queue.py, written independently) and stays within
    [0, level size]."""
    est = QueueEstimator(power)
    est.on_placed(1, Side.BID, PX, bids_book(start))
    model, pos = QueueModel("power", power), QueuePos(float(start))
    level = start
    for traded, new_level in steps:
        traded = min(traded, level)
        if traded:
            est.on_trade(PX, traded, Side.ASK)
            model.on_trade(pos, float(traded))
        est.on_book(bids_book(new_level))
        model.on_depth(pos, float(level), float(new_level))
        level = new_level
        a = est.ahead(1)
        assert a is not None and 0.0 <= a <= level + 1e-9
        assert abs(a - pos.ahead) < 1e-6


def test_pro_rata_is_power_one() -> None:
    # 100 cancelled from 400 ahead and 400 behind: half of it ahead under the pro-rata rule.
    assert abs(cancels_ahead(400.0, 400.0, 100.0, 1.0) - 50.0) < 1e-9
    # More cancelled than stood behind: at least the excess came from ahead.
    assert cancels_ahead(50.0, 400.0, 500.0, 2.0) >= 100.0 - 1e-9
    assert cancels_ahead(0.0, 0.0, 10.0, 2.0) == 10.0


# -- the planner -------------------------------------------------------------------------------------
SIZES = SizeRules(SOL_PERP, 0.061, 10.5)
MID2 = 340_000  # mid 170.000: 1 bps = 17 ticks
OFF = PlannerSettings(1.5, 0.15, 3600.0, 5.0)
ON = PlannerSettings(1.5, 0.15, 3600.0, 5.0, queue_aware=True, keep_bps=3.0, keep_ahead_fraction=0.3)


def wo(cid: int, price: int, size: int = 70, status: OrderStatus = OrderStatus.OPEN, sent: float = 0.0
       ) -> WorkingOrder:
    return WorkingOrder(cid, Side.BID, price, size, TimeInForce.POST_ONLY, False, Purpose.QUOTE, status, sent)


def ids() -> int:
    return 999


Place = tuple[float, float, float] | None  # (share of the level ahead, lots ahead, lots ahead at the new price)


def plan(settings_: PlannerSettings, order: WorkingOrder, q: QuoteIntent, place: Place) -> list[object]:
    p = plan_quotes(q, None, [order], 1.0, MID2, settings_, SIZES, ids, lambda _cid, _px: place)
    return p.cancels + p.quotes


def test_keeps_a_good_queue_place_for_a_small_price_change() -> None:
    o = wo(1, 169_940)
    q = QuoteIntent(Side.BID, 169_900, 70, False)  # 40 ticks = 2.4 bps away: beyond the tolerance
    front = (0.1, 50.0, 800.0)  # 10 % of the level ahead of us; 800 lots would be ahead at the new price
    assert plan(OFF, o, q, front) == [ModifyOrder(1, 169_900, 70)]  # off: today's modify
    assert plan(ON, o, q, front) == []  # a good place, and moving would go behind 800 lots: kept
    assert plan(ON, o, q, (0.5, 400.0, 800.0)) == [ModifyOrder(1, 169_900, 70)]  # half the level ahead
    assert plan(ON, o, q, (0.0, 0.0, 0.0)) == [ModifyOrder(1, 169_900, 70)]  # the new price is empty: no loss
    assert plan(ON, o, q, (0.1, 50.0, 30.0)) == [ModifyOrder(1, 169_900, 70)]  # less ahead there than here
    assert plan(ON, o, q, None) == [ModifyOrder(1, 169_900, 70)]  # unknown place
    far = QuoteIntent(Side.BID, 169_880, 70, False)  # 60 ticks = 3.5 bps: beyond keep_bps
    assert plan(ON, o, far, front) == [ModifyOrder(1, 169_880, 70)]
    assert plan(ON, wo(1, 169_940, status=OrderStatus.PENDING_MODIFY, sent=-10.0), q, front) \
        == [ModifyOrder(1, 169_900, 70)]  # stuck in flight: never kept


def test_size_only_modify_when_only_the_size_is_off() -> None:
    o = wo(1, 169_940, 70)
    q = QuoteIntent(Side.BID, 169_930, 66, False)  # price and size (6 %) within their tolerances
    assert plan(ON, o, q, None) == []
    q = QuoteIntent(Side.BID, 169_930, 100, False)  # size off by 30 %
    assert plan(OFF, o, q, None) == [ModifyOrder(1, 169_930, 100)]  # off: price moves too
    assert plan(ON, o, q, None) == [ModifyOrder(1, 169_940, 100)]  # on: only the size
    # Kept for its queue place and the size is off: only the size changes (smaller keeps the place).
    big = wo(1, 169_940, 90)
    q = QuoteIntent(Side.BID, 169_900, 62, False)
    assert plan(ON, big, q, (0.1, 50.0, 800.0)) == [ModifyOrder(1, 169_940, 62)]


def test_place_reports_what_a_new_price_would_have_ahead() -> None:
    q = QueueEstimator()
    assert q.place(1, PX) is None
    q.on_placed(1, Side.BID, PX, bids_book(700))
    q.on_book(bids_book(700))
    q.on_trade(PX, 600, Side.ASK)
    assert q.place(1, 169_990) == (100 / 700, 100.0, 300.0)  # a better price: behind its 300 lots
    assert q.place(1, 169_960) == (100 / 700, 100.0, 0.0)  # an empty price: nothing ahead
    assert q.place(1, 169_000) is None  # beyond the visible levels
