"""Trading state ACTIVE -> REDUCING -> HALTED with reasons; what counts as exposure-increasing."""

from __future__ import annotations

from lighter_bot.config import GuardConfig
from lighter_bot.domain.commands import CancelOrder, ModifyOrder, PlaceOrder
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.risk import guard
from lighter_bot.risk.caps import Caps
from lighter_bot.risk.guard import GuardInputs, TradingState, evaluate, increases_exposure

CFG = GuardConfig()
CAPS = Caps(300, 50.0 * 1e6)
OK = GuardInputs(now=10.0, venue_connected=True, account_ok=True, book_ts=9.9, has_two_sided_book=True,
                 crossed=False, rejects_in_window=0, position_lots=0, mid_ticks=170_000)


def test_active_when_all_is_well() -> None:
    assert evaluate(CFG, CAPS, OK) == (TradingState.ACTIVE, ())


def test_halt_reasons() -> None:
    cases = [
        (OK._replace(venue_connected=False), guard.VENUE_DISCONNECTED),
        (OK._replace(account_ok=False), guard.STALE_ACCOUNT),
        (OK._replace(book_ts=None), guard.NO_BOOK),
        (OK._replace(has_two_sided_book=False), guard.NO_BOOK),
        (OK._replace(book_ts=10.0 - CFG.max_book_age_seconds - 0.01), guard.STALE_BOOK),
        (OK._replace(crossed=True), guard.CROSSED_BOOK),
        (OK._replace(rejects_in_window=CFG.reject_storm_count), guard.REJECT_STORM),
    ]
    for inputs, reason in cases:
        state, reasons = evaluate(CFG, CAPS, inputs)
        assert state is TradingState.HALTED and reason in reasons
    # a book exactly at the age limit is still fresh; one reject short of a storm is fine
    assert evaluate(CFG, CAPS, OK._replace(book_ts=10.0 - CFG.max_book_age_seconds))[0] is TradingState.ACTIVE
    assert evaluate(CFG, CAPS, OK._replace(rejects_in_window=CFG.reject_storm_count - 1))[0] is TradingState.ACTIVE


def test_reducing_on_cap_breach_and_halt_wins() -> None:
    assert evaluate(CFG, CAPS, OK._replace(position_lots=301)) == (TradingState.REDUCING, (guard.CAP_BREACH,))
    assert evaluate(CFG, CAPS, OK._replace(position_lots=-295))[0] is TradingState.REDUCING  # 50.15 USD
    assert evaluate(CFG, CAPS, OK._replace(position_lots=-290))[0] is TradingState.ACTIVE
    assert evaluate(CFG, CAPS, OK._replace(position_lots=400, venue_connected=False))[0] is TradingState.HALTED


def _o(cid: int, side: Side, size: int, ro: bool = False) -> WorkingOrder:
    return WorkingOrder(cid, side, 170_000, size, TimeInForce.POST_ONLY, ro, Purpose.QUOTE, OrderStatus.OPEN, 0.0)


def test_increases_exposure() -> None:
    orders = {1: _o(1, Side.ASK, 100), 2: _o(2, Side.BID, 70)}
    assert not increases_exposure(CancelOrder(2), 350, orders)
    assert increases_exposure(PlaceOrder(9, Side.BID, 169_000, 70, TimeInForce.POST_ONLY), 350, orders)
    assert not increases_exposure(PlaceOrder(9, Side.BID, 169_000, 70, TimeInForce.POST_ONLY, reduce_only=True),
                                  350, orders)
    assert not increases_exposure(PlaceOrder(9, Side.ASK, 171_000, 100, TimeInForce.POST_ONLY), 350, orders)
    # Asks of 100 + 650 could take a 350 long to -400: more exposure than now.
    assert increases_exposure(PlaceOrder(9, Side.ASK, 171_000, 650, TimeInForce.POST_ONLY), 350, orders)
    assert increases_exposure(ModifyOrder(2, 169_000, 70), 350, orders)  # a bid while long
    assert not increases_exposure(ModifyOrder(1, 171_000, 50), 350, orders)
