"""Order tracker: pending orders and their grace window, reconciliation, fill dedupe, position grace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.domain.commands import PlaceOrder
from lighter_bot.domain.events import (
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
    PositionSnapshot,
)
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.venues.lighter.orders import CLIENT_SPAN, UNKNOWN_CLIENT, OrderBook, client_index_base
from lighter_bot.venues.lighter.parse import CLIENT_INDEX_LIMIT
from lighter_bot.venues.lighter.parse_account import OrderInfo
from lighter_bot.venues.lighter.parse_trades import OurFill

BASE = client_index_base(1_760_000_000.0)


def tracker() -> OrderBook:
    return OrderBook(BASE, account_index=7, grace_s=5.0, position_grace_s=3.0)


def place(cid: int, side: Side = Side.BID, size: int = 64, price: int = 1000) -> PlaceOrder:
    return PlaceOrder(cid, side, price, size, TimeInForce.POST_ONLY)


def info(t: OrderBook, cid: int, status: str = "open", price: int = 1000, remaining: int = 64) -> OrderInfo:
    return OrderInfo(2**48 + cid, t.coi(cid), 2, False, price, 64, remaining, 64 - remaining, status, False, "post-only")


def fill(t: OrderBook, cid: int | None, tid: str, size: int, side: Side = Side.BID) -> OurFill:
    return OurFill(tid, t.coi(cid) if cid is not None else 5, None, side, 1000, size, 0.0, Role.MAKER)


def test_client_index_base_unique_across_restarts_and_in_range() -> None:
    a, b = client_index_base(1_760_000_000.0), client_index_base(1_760_000_000.001)
    assert b - a >= 100  # a run 1 ms later starts 100 indexes higher
    assert a + CLIENT_SPAN < CLIENT_INDEX_LIMIT
    t = tracker()
    assert t.client_of(t.coi(42)) == 42
    assert t.client_of(BASE - 1) is None  # an earlier run's index is never adopted


def test_pending_order_seen_on_stream_is_accepted_once() -> None:
    t = tracker()
    t.on_place_sent(place(1), 0.0)
    ev, orphan = t.on_order(info(t, 1), 0.2)
    assert ev == [OrderAccepted(0.2, 1, str(2**48 + 1))] and not orphan
    ev, _ = t.on_order(info(t, 1), 0.3)
    assert ev == []
    assert t.overdue(100.0) == []


def test_unseen_order_is_overdue_after_grace_and_rejected_if_unknown() -> None:
    t = tracker()
    t.on_place_sent(place(3), 10.0)
    assert t.overdue(14.9) == []
    (o,) = t.overdue(15.0)
    ev, _ = t.on_reconciled(o.client_id, None, 15.0)
    assert isinstance(ev[0], OrderRejected) and 3 not in t.orders and 3 in t.abandoned
    # If it shows up later after all, nobody tracks it: it is an orphan to cancel.
    _, orphan = t.on_order(info(t, 3), 16.0)
    assert orphan


def test_reconciled_live_order_is_adopted() -> None:
    t = tracker()
    t.on_place_sent(place(4), 0.0)
    ev, orphan = t.on_reconciled(4, info(t, 4), 6.0)
    assert [type(e) for e in ev] == [OrderAccepted] and not orphan and t.orders[4].seen


def test_cancel_status_removes_order() -> None:
    t = tracker()
    t.on_place_sent(place(5), 0.0)
    ev, _ = t.on_order(info(t, 5, status="canceled-post-only"), 0.5)
    assert ev == [OrderCanceled(0.5, 5, "canceled-post-only")] and 5 not in t.orders


def test_modify_confirmed_by_price_and_rejected_after_grace() -> None:
    t = tracker()
    t.on_place_sent(place(6), 0.0)
    t.on_order(info(t, 6), 0.1)
    t.on_modify_sent(6, 1005, 64, 1.0)
    ev, _ = t.on_order(info(t, 6, price=1005, remaining=60), 1.2)
    assert ev == [OrderModified(1.2, 6, 1005, 60)]
    t.on_modify_sent(6, 1010, 64, 2.0)
    ev, _ = t.on_reconciled(6, info(t, 6, price=1005), 7.5)
    assert [type(e) for e in ev] == [ModifyRejected] and t.orders[6].modify is None


def test_fills_dedupe_and_remaining() -> None:
    t = tracker()
    t.on_place_sent(place(8, size=100), 0.0)
    ev = t.on_fill(fill(t, 8, "t1", 30), 1.0)
    assert isinstance(ev[0], OrderAccepted)  # a fill before the order update still acks first
    f = ev[1]
    assert isinstance(f, OrderFilled) and f.remaining == 70 and f.trade_id == "t1"
    assert t.on_fill(fill(t, 8, "t1", 30), 1.1) == []  # reconnect replay
    assert t.duplicate_fills == 1
    (f2,) = t.on_fill(fill(t, 8, "t2", 70), 1.2)
    assert isinstance(f2, OrderFilled) and f2.remaining == 0 and 8 not in t.orders
    assert t.position == 100


def test_history_trades_are_never_counted() -> None:
    t = tracker()
    t.mark_history(["old"])
    assert t.on_fill(fill(t, None, "old", 10), 1.0) == []
    (f,) = t.on_fill(fill(t, None, "new", 10, Side.ASK), 1.0)
    assert isinstance(f, OrderFilled) and f.client_id == UNKNOWN_CLIENT and t.position == -10


def test_filled_status_without_fills_is_closed_after_grace() -> None:
    t = tracker()
    t.on_place_sent(place(9), 0.0)
    t.on_order(info(t, 9), 0.1)
    ev, _ = t.on_order(info(t, 9, status="filled", remaining=0), 1.0)
    assert ev == [] and 9 in t.orders
    ev, _ = t.on_reconciled(9, info(t, 9, status="filled", remaining=0), 6.5)
    assert [type(e) for e in ev] == [OrderCanceled] and 9 not in t.orders


def test_position_mismatch_needs_a_fresh_observation_after_grace() -> None:
    t = tracker()
    assert t.on_exchange_position(0, None, 0.0) == [PositionSnapshot(0.0, 0, None)]
    # The positions frame ran ahead of the trade frame: do not adopt (the fill would count twice).
    assert t.on_exchange_position(64, 100.0, 1.0) == []
    t.on_fill(fill(t, None, "x", 64), 1.1)
    assert t.on_exchange_position(64, 100.0, 1.2) == [PositionSnapshot(1.2, 64, 100.0)]
    # A real disagreement that persists past the grace window is adopted.
    assert t.on_exchange_position(10, 100.0, 2.0) == []
    assert t.on_exchange_position(10, 100.0, 4.0) == []
    assert t.on_exchange_position(10, 100.0, 5.0) == [PositionSnapshot(5.0, 10, 100.0)]
    assert t.position == 10


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 20), st.booleans()), max_size=60))
def test_position_is_sum_of_unique_fills(seq: list[tuple[int, int, bool]]) -> None:
    """Replayed trade ids never change the position; each unique trade counts exactly once."""
    t = tracker()
    first: dict[int, tuple[int, bool]] = {}
    for tid, size, is_bid in seq:
        first.setdefault(tid, (size, is_bid))
        t.on_fill(fill(t, None, str(tid), first[tid][0], Side.BID if first[tid][1] else Side.ASK), 0.0)
    assert t.position == sum(s if b else -s for s, b in first.values())


def test_after_a_reconnect_in_flight_cancels_and_modifies_are_reconciled_at_once() -> None:
    """Their confirmations may have been lost with the connection; waiting the grace window kept them
    in the engine's caps worst case and held new quotes back ~5 s (test_live_faults_e2e)."""
    ob = OrderBook(base=10**12, account_index=7, grace_s=5.0)
    for cid in (1, 2, 3):
        ob.on_place_sent(PlaceOrder(cid, Side.BID, 100, 10, TimeInForce.POST_ONLY), 0.0)
    ob.orders[1].seen = ob.orders[2].seen = True
    ob.on_cancel_sent(1, 10.0)
    ob.on_modify_sent(2, 101, 10, 10.0)
    ob.on_place_sent(PlaceOrder(4, Side.ASK, 120, 10, TimeInForce.POST_ONLY), 10.0)
    assert [t.client_id for t in ob.overdue(11.0)] == [3]  # only the unseen placement past its grace
    assert sorted(t.client_id for t in ob.overdue(11.0, lost_before=10.5)) == [1, 2, 3]
    assert [t.client_id for t in ob.overdue(11.0, lost_before=9.0)] == [3]  # sent after the reconnect
