"""backtest/trader_stats.py: the PnL split adds up and its inventory part is the mark-to-market of the
position; closing-trade statistics; drawdown; Sharpe stated with its sample and annualised only past a day."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.backtest import trader_stats as ts
from lighter_bot.domain.position import PositionState, apply_fill


@dataclass(frozen=True)
class F:
    t: float
    sign: int
    price: float
    size: float
    fee: float = 0.0


steps = st.lists(st.tuples(st.sampled_from([1, -1]), st.floats(-2.0, 2.0), st.floats(0.01, 1.0), st.floats(-0.5, 0.5),
                           st.floats(-0.01, 0.05)), min_size=1, max_size=40)


@given(steps, st.floats(-3.0, 3.0))
def test_the_split_adds_up_and_inventory_is_position_times_mid_moves(path: list[tuple[int, float, float, float, float]],
                                                                     last_move: float) -> None:
    mid, pos, state = 100.0, 0.0, PositionState()
    fills, mids, mark_to_market = [], [], 0.0
    for i, (sign, move, size, edge, fee) in enumerate(path):
        mark_to_market += pos * move  # the position held while the mid moved
        mid += move
        price = mid - sign * edge  # edge > 0: bought below / sold above the mid
        fills.append(F(float(i), sign, price, size, fee))
        mids.append(mid)
        pos += sign * size
        state = apply_fill(state, sign * size, price, fee)
    mark_to_market += pos * last_move
    mid += last_move
    total = state.total(mid)
    split = ts.pnl_split(fills, mids, total)
    assert split["spread_capture"] + split["inventory"] - split["fees"] == pytest.approx(total, abs=1e-9)
    assert split["spread_capture"] == pytest.approx(sum(e * z for _, _, z, e, _ in path), abs=1e-9)
    assert split["inventory"] == pytest.approx(mark_to_market, abs=1e-7)


def test_closing_trades_win_rate_and_profit_factor() -> None:
    fills = [F(0, 1, 100.0, 1.0), F(1, -1, 101.0, 0.5), F(2, -1, 99.0, 0.5),  # +0.5, -0.5
             F(3, -1, 100.0, 1.0), F(4, 1, 98.0, 1.0)]  # +2.0
    c = ts.closing_trades(fills)
    assert c["closing_fills"] == 3 and c["win_rate"] == pytest.approx(2 / 3)
    assert c["gross_gain"] == pytest.approx(2.5) and c["gross_loss"] == pytest.approx(0.5)
    assert c["profit_factor"] == pytest.approx(5.0)
    assert ts.closing_trades([F(0, 1, 100.0, 1.0)])["win_rate"] is None


def test_drawdown_is_below_the_running_peak() -> None:
    assert ts.drawdown([0.0, 1.0, 0.5, 2.0, 1.0]) == [0.0, 0.0, 0.5, 0.0, 1.0]


def test_sharpe_is_per_minute_with_its_count_and_annualised_only_past_a_day() -> None:
    t = [60.0 * i for i in range(61)]
    eq = [0.01 * i + (0.005 if i % 2 else 0.0) for i in range(61)]
    hour = ts.sharpe(t, eq, 3600.0)
    assert hour["minutes"] == 60 and hour["per_minute"] is not None and hour["annualised"] is None
    day = ts.sharpe(t, eq, 86_400.0)
    assert day["annualised"] == pytest.approx(hour["per_minute"] * math.sqrt(525_600.0))  # type: ignore[operator]
    m = {"sim_seconds": 3600.0, "fills": 12, "sharpe": hour}
    text = " ".join(ts.caveats(m))
    assert "not annualised" in text and "60 one-minute changes" in text and "Only 12 fills" in text
