"""Queue-position model: hftbacktest's power-law probability rule and the risk-averse rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.venues.sim.queue import QueueModel, QueuePos


def test_trades_consume_the_queue_ahead_first() -> None:
    m, q = QueueModel(), QueuePos(100.0)
    assert m.on_trade(q, 60.0) == 0.0 and q.ahead == 40.0
    assert m.on_trade(q, 50.0) == 10.0 and q.ahead == 0.0


def test_trade_volume_is_not_counted_twice_by_the_next_depth_change() -> None:
    m, q = QueueModel(), QueuePos(100.0)
    m.on_trade(q, 30.0)  # level 300 -> 270 by the trade; the depth message then shows 270
    m.on_depth(q, 300.0, 270.0)
    assert q.ahead == 70.0


def test_power_law_puts_cancels_mostly_behind_a_front_order() -> None:
    m = QueueModel("power", 2.0)
    front, back = QueuePos(10.0), QueuePos(90.0)
    m.on_depth(front, 100.0, 80.0)
    m.on_depth(back, 100.0, 80.0)
    assert 9.0 < front.ahead < 10.0  # near the front: most cancels are behind
    assert back.ahead < 75.0  # near the back: most cancels are ahead


def test_risk_averse_ignores_cancels_until_the_level_is_smaller() -> None:
    m, q = QueueModel("risk_averse"), QueuePos(50.0)
    m.on_depth(q, 100.0, 60.0)
    assert q.ahead == 50.0
    m.on_depth(q, 60.0, 20.0)
    assert q.ahead == 20.0


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 500), st.floats(0, 500)), max_size=50),
       st.floats(0, 500), st.sampled_from(["power", "risk_averse"]), st.floats(0.5, 4.0))
def test_queue_never_negative_nor_above_the_level(ops: list[tuple[bool, float, float]], start: float, kind: str,
                                                   power: float) -> None:
    m, q = QueueModel(kind, power), QueuePos(start)
    level = start
    for is_trade, a, b in ops:
        if is_trade:
            assert m.on_trade(q, a) >= 0.0
        else:
            m.on_depth(q, level, b)
            level = b
            assert q.ahead <= b + 1e-9
        assert q.ahead >= 0.0
