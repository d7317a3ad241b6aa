"""SimExchange: Lighter's order rules and delays on hand-written markets."""

from __future__ import annotations

from lighter_bot.domain.commands import CancelAll, CancelOrder, ModifyOrder
from lighter_bot.domain.events import (
    BookUpdate,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.venues.sim.rules import PREMIUM, tier_rules

from .helpers import ASK, BID, PX, QUIET, book_rows, depth, exchange, post, trade


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_post_only_rests_after_maker_delay_and_is_acknowledged_late() -> None:
    ex = exchange([*book_rows(), trade(5.0, ASK, PX - 10, 1)])
    ex.submit(1.0, [post(1, Side.BID, PX - 10)])
    assert ex.order(1) is None
    ev = ex.advance(1.19)
    assert not of(ev, OrderAccepted) and ex.order(1) is None
    ev = ex.advance(1.2 + QUIET.account_latency_s)
    (acc,) = of(ev, OrderAccepted)
    assert abs(acc.ts - 1.21) < 1e-9 and ex.order(1) is not None
    assert int(acc.venue_order_id or 0) >= 1 << 48


def test_post_only_that_would_cross_is_accepted_then_canceled_post_only() -> None:
    ex = exchange(book_rows())
    ex.submit(1.0, [post(1, Side.BID, PX + 10)])  # at the best ask: would take
    ev = ex.advance(2.0)
    assert not of(ev, OrderRejected)
    (c,) = of(ev, OrderCanceled)
    assert c.reason == "canceled-post-only" and c.ts >= 1.2
    assert ex.order(1) is None and not ex.fills


def test_below_minimum_rejected_with_21706_at_submit() -> None:
    ex = exchange(book_rows())
    ex.submit(1.0, [post(1, Side.BID, PX - 10, size=60)])  # min base 0.061 SOL = 61 lots
    ex.submit(1.0, [post(2, Side.BID, 50_000, size=100)])  # 0.1 SOL at 50 USD = 5 USD < 10 USD
    ev = ex.advance(1.1)
    codes = sorted((e.client_id, e.code) for e in of(ev, OrderRejected))
    assert codes == [(1, 21706), (2, 21706)]


def test_queue_ahead_must_trade_before_we_fill_then_partial_fill() -> None:
    rows = [*book_rows(size=1000), trade(2.0, ASK, PX - 10, 600), trade(3.0, ASK, PX - 10, 450),
            trade(4.0, ASK, PX - 10, 500)]
    ex = exchange(rows)
    ex.submit(1.0, [post(1, Side.BID, PX - 10, size=100)])
    ex.advance(2.5)
    assert not ex.fills and ex.order(1) is not None and ex.order(1).queue.ahead == 400  # type: ignore[union-attr]
    ex.advance(3.5)
    assert [f.size for f in ex.fills] == [50]  # 450 traded, 400 ahead
    ev = ex.advance(5.0)
    fills = of(ev, OrderFilled)
    assert [f.size for f in ex.fills] == [50, 50] and fills[-1].remaining == 0
    assert all(f.role is Role.MAKER and f.price == PX - 10 for f in fills)
    assert ex.position == 100


def test_ioc_walks_the_book_with_slippage_and_cancels_the_rest() -> None:
    ex = exchange(book_rows(size=40))
    ex.submit(1.0, [post(7, Side.BID, PX + 20, size=100, tif=TimeInForce.IOC)])
    ex.advance(1.29)
    assert not ex.fills  # taker delay 300 ms
    ev = ex.advance(2.0)
    assert [(f.price, f.size, f.role) for f in of(ev, OrderFilled)] == [(PX + 10, 40, Role.TAKER), (PX + 20, 40, Role.TAKER)]
    (c,) = of(ev, OrderCanceled)
    assert c.reason == "canceled-not-enough-liquidity"
    # The same liquidity cannot be taken twice before the market refreshes it.
    ex.submit(2.0, [post(8, Side.BID, PX + 20, size=100, tif=TimeInForce.IOC)])
    ex.advance(3.0)
    assert sum(f.size for f in ex.fills) == 80


def test_premium_taker_fee_and_delay() -> None:
    ex = exchange(book_rows(size=1000), rules=PREMIUM.with_(md_jitter_s=0.0))
    ex.submit(1.0, [post(1, Side.ASK, PX - 10, size=100, tif=TimeInForce.IOC)])
    ex.advance(1.19)
    assert not ex.fills
    ex.advance(1.3)
    (f,) = ex.fills
    assert f.role is Role.TAKER and abs(f.fee - 0.1 * 169.99 * 0.00028) < 1e-12


def test_modify_keeps_old_price_fillable_until_it_lands() -> None:
    rows = [*book_rows(), trade(1.5, ASK, PX - 20, 2000), trade(2.5, ASK, PX - 20, 2000)]
    ex = exchange(rows)
    ex.submit(0.0, [post(1, Side.BID, PX - 20, size=300)])
    ex.advance(1.0)
    ex.submit(1.4, [ModifyOrder(1, PX - 30, 200)])  # lands at 1.6; the 1.5 trade still hits the old order
    ev = ex.advance(2.0)
    assert [f.price for f in of(ev, OrderFilled)] == [PX - 20]
    assert ex.fills[0].size == 300 - 0  # 1000 ahead, 2000 traded: whole order filled
    assert not of(ev, OrderModified)
    assert [e.code for e in of(ev, ModifyRejected)] == [21600]  # order gone when the modify landed


def test_modify_moves_price_and_loses_priority() -> None:
    ex = exchange([*book_rows(), trade(3.0, ASK, PX - 20, 500)])
    ex.submit(0.0, [post(1, Side.BID, PX - 10, size=100)])
    ex.advance(1.0)
    ex.submit(1.0, [ModifyOrder(1, PX - 20, 100)])
    ev = ex.advance(2.0)
    (m,) = of(ev, OrderModified)
    assert (m.price, m.size) == (PX - 20, 100)
    o = ex.order(1)
    assert o is not None and o.queue.ahead == 1000
    ex.advance(4.0)
    assert not ex.fills


def test_cancel_lands_after_delay_and_unknown_cancel_is_rejected() -> None:
    ex = exchange([*book_rows(), trade(1.35, ASK, PX - 10, 5000)])
    ex.submit(0.0, [post(1, Side.BID, PX - 10, size=100)])
    ex.advance(1.0)
    ex.submit(1.2, [CancelOrder(1), CancelOrder(99)])  # lands at 1.4: the 1.35 trade fills first
    ev = ex.advance(2.0)
    assert [f.size for f in of(ev, OrderFilled)] == [100]
    assert sorted((e.client_id, e.code) for e in of(ev, ModifyRejected)) == [(1, 21600), (99, 21600)]


def test_cancel_all_cancels_every_resting_order() -> None:
    ex = exchange(book_rows())
    ex.submit(0.0, [post(1, Side.BID, PX - 10), post(2, Side.ASK, PX + 10)])
    ex.advance(1.0)
    assert len(ex.resting_orders()) == 2
    ex.submit(1.0, [CancelAll()])
    ev = ex.advance(2.0)
    assert sorted(e.client_id for e in of(ev, OrderCanceled)) == [1, 2] and not ex.resting_orders()


def test_request_limit_answers_23000_beyond_60_per_minute() -> None:
    ex = exchange(book_rows(), QUIET.with_(background_requests_per_min=0.0))
    for i in range(61):
        ex.submit(0.5 * i / 61, [post(i + 1, Side.BID, PX - 100 - i)])
    ev = ex.advance(1.0)
    rej = of(ev, OrderRejected)
    assert [(e.client_id, e.code) for e in rej] == [(61, 23000)]
    ex.submit(60.0, [post(100, Side.BID, PX - 500)])  # the window rolled: allowed again
    ev = ex.advance(61.0)
    assert not of(ev, OrderRejected)


def test_a_batch_is_one_request_and_a_refused_request_refuses_all_of_it() -> None:
    ex = exchange(book_rows(), QUIET.with_(background_requests_per_min=0.0))
    for i in range(59):  # 59 requests of one order each
        ex.submit(0.01 * i, [post(i + 1, Side.BID, PX - 100 - i)])
    ex.submit(0.7, [post(100 + i, Side.ASK, PX + 100 + i) for i in range(10)])  # the 60th: ten orders, one request
    ex.submit(0.8, [post(200, Side.ASK, PX + 500), CancelOrder(1)])  # the 61st: refused whole
    ev = ex.advance(2.0)
    assert sorted(e.client_id for e in of(ev, OrderRejected)) == [200]
    assert [(e.client_id, e.code) for e in of(ev, ModifyRejected)] == [(1, 23000)]
    assert (ex.stats.requests, ex.stats.tx_sent) == (60, 69)
    assert len([o for o in ex.resting_orders() if o.side is Side.ASK]) == 10


def test_the_live_adapters_own_requests_take_their_share_of_the_window() -> None:
    # Standard: the dead-man switch (2 per 120 s) and the position check (1 per 120 s) = 1.5 per minute.
    assert QUIET.background_requests_per_min == 1.5
    ex = exchange(book_rows())
    ex.submit(0.0, [post(100, Side.BID, PX - 500)])  # the bot's first request starts the adapter's cadence
    for i in range(59):
        ex.submit(59.0 + 0.01 * i, [post(i + 1, Side.BID, PX - 100 - i)])
    ev = ex.advance(61.0)
    # One background request was charged at t=40 (one per 40 s): with ours at 0, only 58 of these fit.
    assert [e.client_id for e in of(ev, OrderRejected)] == [59]
    assert ex.stats.background_requests == 1


def test_premium_volume_quota_refuses_creates_and_modifies_once_spent() -> None:
    ex = exchange(book_rows(), PREMIUM.with_(volume_quota=3, md_jitter_s=0.0, background_requests_per_min=0.0))
    ex.submit(0.0, [post(1, Side.BID, PX - 100)])  # the free request of this 15 s
    ex.submit(1.0, [post(2, Side.BID, PX - 101), post(3, Side.BID, PX - 102)])  # 2 of the 3
    ex.submit(2.0, [post(4, Side.BID, PX - 103), post(5, Side.BID, PX - 104)])  # needs 2, 1 left: refused
    ex.submit(3.0, [CancelOrder(1)])  # cancels consume no quota
    ex.submit(15.5, [post(6, Side.BID, PX - 105), post(7, Side.BID, PX - 106)])  # the next free request
    ev = ex.advance(16.0)
    assert sorted(e.client_id for e in of(ev, OrderRejected)) == [4, 5]
    assert {e.client_id for e in of(ev, OrderCanceled)} == {1}
    assert {o.client_id for o in ex.resting_orders()} == {2, 3, 6, 7}


def test_book_updates_carry_market_data_latency() -> None:
    ex = exchange([*book_rows(), depth(2.0, BID, PX - 5, 10)])
    ev = ex.advance(3.0)
    b = of(ev, BookUpdate)[-1]
    assert abs(b.ts - 2.01) < 1e-9 and b.book.best_bid == PX - 5


def test_crossing_market_fills_resting_order_at_its_price() -> None:
    ex = exchange([*book_rows(), depth(3.0, ASK, PX - 10, 500)])
    ex.submit(0.0, [post(1, Side.BID, PX - 10)])
    ex.advance(4.0)
    (f,) = ex.fills
    assert (f.price, f.size, f.cause) == (PX - 10, 100, "cross")


def test_reduce_only_never_grows_the_position() -> None:
    ex = exchange([*book_rows(size=1000), trade(3.0, BID, PX + 20, 5000)])
    ex.submit(0.0, [post(1, Side.ASK, PX + 10, reduce_only=True)])  # flat: nothing to reduce
    ev = ex.advance(1.0)
    assert [e.reason for e in of(ev, OrderCanceled)] == ["canceled-reduce-only"]
    ex.submit(1.0, [post(2, Side.BID, PX + 10, size=100, tif=TimeInForce.IOC)])
    ex.advance(2.0)
    assert ex.position == 100
    ex.submit(2.0, [post(3, Side.ASK, PX + 20, size=500, reduce_only=True)])
    ex.advance(5.0)
    assert ex.position == 0 and ex.fills[-1].size == 100


def test_self_trade_prevention_cancels_the_incoming_order() -> None:
    ex = exchange(book_rows())
    ex.submit(0.0, [post(1, Side.ASK, PX + 5)])
    ex.advance(1.0)
    ex.submit(1.0, [post(2, Side.BID, PX + 10, tif=TimeInForce.IOC)])
    ev = ex.advance(2.0)
    assert [e.reason for e in of(ev, OrderCanceled)] == ["canceled-self-trade"] and not ex.fills


def test_tier_presets() -> None:
    s, p = tier_rules("standard"), tier_rules("Premium")
    assert (s.maker_delay_s, s.cancel_delay_s, s.taker_delay_s, s.tx_per_minute) == (0.2, 0.2, 0.3, 60)
    assert (p.maker_delay_s, p.taker_delay_s, p.maker_fee_rate, p.taker_fee_rate) == (0.0, 0.2, 0.00004, 0.00028)
