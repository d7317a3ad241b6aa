"""Caps count the worst case of every working and in-flight order (modifies at max(old, new))."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.domain.commands import Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.engine.state import EngineState, register_sent
from lighter_bot.risk.caps import Caps, worst_case

CAPS = Caps(max_lots=300, max_value=50.0 * 1e6)  # 0.3 SOL, 50 USD at SOL_PERP scales
PX = 170_000


@st.composite
def orders(draw: st.DrawFn) -> list[WorkingOrder]:
    out = []
    for cid in range(draw(st.integers(0, 5))):
        side = draw(st.sampled_from(list(Side)))
        size = draw(st.integers(1, 120))
        pending = draw(st.none() | st.integers(1, 120))
        status = OrderStatus.PENDING_MODIFY if pending is not None else draw(
            st.sampled_from([OrderStatus.OPEN, OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL]))
        out.append(WorkingOrder(cid, side, PX, size, TimeInForce.POST_ONLY, draw(st.booleans()), Purpose.QUOTE, status,
                                0.0, pending_price=None if pending is None else PX, pending_size=pending))
    return out


def brute_force(position: int, ords: list[WorkingOrder]) -> tuple[int, int]:
    """Extremes over every fill order of every subset, with each order at its old or its new size,
    reduce-only orders never moving the position past flat."""
    hi = lo = position
    choices = [[(o, s) for s in {o.size, o.pending_size or o.size}] for o in ords]
    for combo in itertools.product(*choices):
        for perm in itertools.permutations(combo):
            p = position
            for o, s in perm:
                if o.reduce_only:
                    if o.side is Side.BID and p < 0:
                        p += min(s, -p)
                    elif o.side is Side.ASK and p > 0:
                        p -= min(s, p)
                else:
                    p += s if o.side is Side.BID else -s
                hi, lo = max(hi, p), min(lo, p)
    return hi, lo


@settings(max_examples=150, deadline=None)
@given(position=st.integers(-200, 200), ords=orders())
def test_worst_case_bounds_every_fill_sequence(position: int, ords: list[WorkingOrder]) -> None:
    long_wc, short_wc = worst_case(position, ords)
    hi, lo = brute_force(position, ords)
    assert long_wc >= hi and short_wc <= lo
    assert long_wc >= position >= short_wc


@settings(max_examples=300, deadline=None)
@given(position=st.integers(-250, 250), ords=orders(), side=st.sampled_from(list(Side)), size=st.integers(1, 150),
       ro=st.booleans())
def test_an_allowed_order_keeps_the_worst_case_within_caps(position: int, ords: list[WorkingOrder], side: Side,
                                                             size: int, ro: bool) -> None:
    before = worst_case(position, ords)
    if not CAPS.allows(position, ords, side, size, PX, reduce_only=ro):
        return
    new = WorkingOrder(99, side, PX, size, TimeInForce.POST_ONLY, ro, Purpose.QUOTE, OrderStatus.PENDING_NEW, 0.0)
    long_wc, short_wc = worst_case(position, [*ords, new])
    extreme, prior = (long_wc, before[0]) if side is Side.BID else (short_wc, before[1])
    assert CAPS.within(extreme, PX) or abs(extreme) <= abs(prior)


@settings(max_examples=300, deadline=None)
@given(position=st.integers(-250, 250), ords=orders(), data=st.data())
def test_a_command_the_caps_allow_keeps_the_worst_case_within_them(position: int, ords: list[WorkingOrder],
                                                                     data: st.DataObject) -> None:
    """The core's last check before anything goes out (quotes, hedges, pulled quotes): whatever it lets
    through, once recorded as in flight, leaves each side's worst case within the caps or no worse."""
    size = data.draw(st.integers(1, 150))
    cmd: Command
    if ords and data.draw(st.booleans()):
        o = data.draw(st.sampled_from(ords))
        cmd = ModifyOrder(o.client_id, PX, size)
    else:
        cmd = PlaceOrder(99, data.draw(st.sampled_from(list(Side))), PX, size, TimeInForce.POST_ONLY,
                         data.draw(st.booleans()), Purpose.HEDGE_PASSIVE)
    state = EngineState(SOL_PERP, position_lots=position, orders={o.client_id: o for o in ords})
    before = worst_case(position, ords)
    if not CAPS.allows_command(position, state.orders, cmd, PX):
        return
    register_sent(state, cmd, 0.0)
    after = worst_case(position, state.orders.values())
    for a, b in zip(after, before, strict=True):
        assert CAPS.within(a, PX) or abs(a) <= abs(b)


def test_modify_in_flight_counts_remaining_plus_new_size() -> None:
    # 60 lots can fill before the modify lands, and the modify then rests 20 more: 80 in the worst case.
    o = WorkingOrder(1, Side.BID, PX, 60, TimeInForce.POST_ONLY, False, Purpose.QUOTE, OrderStatus.PENDING_MODIFY, 0.0,
                     pending_price=PX, pending_size=20)
    assert worst_case(0, [o]) == (80, 0)
    # Growing a 60-lot bid to 100 with 200 long: the modify counts at 100 -> 300, at the lot cap but 51 USD.
    open_ = WorkingOrder(1, Side.BID, PX, 60, TimeInForce.POST_ONLY, False, Purpose.QUOTE, OrderStatus.OPEN, 0.0)
    assert not CAPS.allows(200, [open_], Side.BID, 100, PX, replacing=1)
    assert CAPS.allows(200, [open_], Side.BID, 40, 150_000, replacing=1)  # 260 lots x 150 = 39 USD


def test_caps_count_pending_orders() -> None:
    pend = [WorkingOrder(i, Side.BID, PX, 70, TimeInForce.POST_ONLY, False, Purpose.QUOTE, OrderStatus.PENDING_NEW, 0.0)
            for i in range(4)]
    assert CAPS.allows(0, pend[:3], Side.BID, 70, PX)  # 210 + 70 = 280 lots, 47.6 USD
    assert not CAPS.allows(0, pend, Side.BID, 70, PX)  # 280 + 70 = 350 lots: over 0.3
    assert CAPS.allows(0, pend, Side.ASK, 70, PX)  # the other side is independent
