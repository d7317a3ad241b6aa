"""The fit's score (backtest/calibration.py) carries the bar the fit is held to: a steep `bar` term for
each held cell past a margin inside it (markouts within 1 bp where the recording's standard error is at
most MAX_SE_BPS, fill rates within a factor 2 where it has MIN_FILLS fills), none inside the margin."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.backtest.calibration import MAX_SE_BPS, MIN_FILLS, Measured, score, terms
from lighter_bot.backtest.reality import Curve, MarketStats, Reality

HOUR = 3600.0
STATS = MarketStats(seconds=HOUR, spread_median_bps=1.0, spread_p90_bps=1.0, vol_bps_per_sqrt_s=1.0,
                    trades_per_min=100.0, trade_median_usd=100.0, trade_p90_usd=100.0, trade_median_base=1.0)


def market(fills: int, mo5: float, se5: float = 0.2) -> Measured:
    curve = Curve(distance_bps=1.0, fills=fills, fills_per_hour=float(fills), edge_bps=1.0,
                  markout_bps={5.0: mo5, 30.0: -1.0}, markout_se_bps={5.0: se5, 30.0: 0.3})
    return Measured(Reality("m", STATS, (curve,)), {"vol30_bps_per_sqrt_s": 1.0})


def bars(target: Measured, fitted: Measured) -> dict[str, float]:
    return {t.name: t.z for t in terms(target, fitted) if t.name.startswith("bar:")}


def test_cells_inside_the_margin_add_no_bar_term() -> None:
    assert bars(market(200, -1.7), market(230, -1.3)) == {}  # 0.4 bp, x1.15


def test_a_markout_past_the_margin_adds_a_steep_term() -> None:
    b = bars(market(200, -1.7), market(200, -0.7))  # 1.0 bp off: the bar itself
    assert set(b) == {"bar: 1bp markout 5s"}
    assert abs(b["bar: 1bp markout 5s"] - 5.0) < 1e-9  # 0.5 bp past the margin, a z per 0.1 bp


def test_a_fill_rate_past_the_margin_adds_a_steep_term() -> None:
    b = bars(market(200, -1.7), market(400, -1.7))  # x2
    assert set(b) == {"bar: 1bp fills/h"} and b["bar: 1bp fills/h"] > 4.0


def test_cells_the_bar_does_not_hold_add_no_bar_term() -> None:
    assert bars(market(200, -1.7, se5=MAX_SE_BPS + 0.1), market(200, +2.0)) == {}  # recording too noisy
    assert bars(market(MIN_FILLS - 1, -1.7), market(200, +2.0)) == {}  # too few recording fills


@given(off=st.floats(0.0, 5.0), further=st.floats(0.01, 5.0))
def test_the_score_grows_as_a_held_cell_moves_away(off: float, further: float) -> None:
    target = market(200, -1.7)
    near, far = market(200, -1.7 + off), market(200, -1.7 + off + further)
    assert score(terms(target, far)) > score(terms(target, near))
    if abs(off + further - 0.5) > 1e-6:  # (not on the margin itself, where rounding decides)
        assert bool(bars(target, far)) == (off + further > 0.5)
