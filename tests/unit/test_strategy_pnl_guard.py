"""PnL guard: realized PnL per 5-minute slice, N bad slices to engage, hysteresis to clear."""

from __future__ import annotations

from lighter_bot.config import PnlGuardConfig
from lighter_bot.domain.position import PositionState, apply_fill
from lighter_bot.strategy.pnl_guard import PnlGuard

CFG = PnlGuardConfig(realized_floor_quote=-0.5)  # a floor below zero, to test the floor and the hysteresis band


def run(guard: PnlGuard, slices: list[float], start: float = 0.0) -> None:
    """Feed cumulative realized PnL so that slice i earns slices[i]."""
    realized = 0.0
    guard.roll(start, realized)
    for i, pnl in enumerate(slices):
        realized += pnl
        guard.roll(start + (i + 1) * CFG.window_seconds, realized)


def test_engages_after_consecutive_bad_slices_and_caps_the_widening() -> None:
    g = PnlGuard(CFG)
    run(g, [-0.6])
    assert g.level == 0  # one bad slice is not enough (trigger_consecutive = 2)
    g2 = PnlGuard(CFG)
    run(g2, [-0.6, -0.6])
    assert g2.level == 1 and g2.extra_bps == 4.0 and abs(g2.size_multiplier - 0.85) < 1e-12
    g3 = PnlGuard(CFG)
    run(g3, [-0.6] * 20)
    assert g3.extra_bps == 8.0  # never more than max_extra_bps
    assert g3.size_multiplier == 0.6  # floored at min_size_multiplier


def test_a_neutral_slice_breaks_the_streak() -> None:
    g = PnlGuard(CFG)
    run(g, [-0.6, -0.1, -0.6])
    assert g.level == 0


def test_clears_with_hysteresis() -> None:
    g = PnlGuard(CFG)
    run(g, [-0.6, -0.6, 0.1])
    assert g.level == 1
    g = PnlGuard(CFG)
    run(g, [-0.6, -0.6, -0.1, -0.1, -0.1])  # above the floor but below clear_above_quote: stays engaged
    assert g.level == 1
    g = PnlGuard(CFG)
    run(g, [-0.6, -0.6, 0.0, 0.2])
    assert g.level == 0


def test_reads_realized_pnl_not_cash_flow() -> None:
    """Buying inventory costs cash but realizes nothing: the guard must not see a loss."""
    pos = PositionState()
    g = PnlGuard(CFG)
    g.roll(0.0, pos.realized)
    for i in range(10):
        pos = apply_fill(pos, 0.07, 170.0 + i, 0.0)  # net buying, 10 x 0.07 SOL
        g.roll(300.0 * (i + 1), pos.realized)
    assert pos.realized == 0.0 and g.level == 0
    # Selling below the average cost does realize a loss.
    pos = apply_fill(pos, -0.7, 160.0, 0.01)
    g.roll(3300.0, pos.realized)
    assert g.last_slice_pnl is not None and g.last_slice_pnl < -0.5 and g.bad_streak == 1


def test_slices_without_events_count_as_flat() -> None:
    g = PnlGuard(CFG)
    g.roll(0.0, 0.0)
    g.roll(10.0, 0.0)  # a fill at t=10 realizes -1.0 (the core rolls before folding the event in)
    g.roll(3000.0, -1.0)  # next event: the first slice closes at -1.0, the nine empty ones at 0
    assert g.level == 0 and g.last_slice_pnl == 0.0 and g.bad_streak == 0 and g.good_streak == 9


def test_default_floor_acts_on_slices_that_go_negative_not_on_quiet_ones() -> None:
    """The default floor is 0: two losing slices in a row engage (however small the loss, as a slice of
    ~11 USD clips loses cents), while slices that realized nothing are not bleeding."""
    default = PnlGuardConfig()
    assert default.realized_floor_quote == 0.0
    g = PnlGuard(default)
    run(g, [0.0, 0.0, 0.0, 0.0])
    assert g.level == 0 and g.bad_streak == 0
    g = PnlGuard(default)
    run(g, [-0.004, -0.002])
    assert g.level == 1
    run(g, [0.001, 0.0], start=2 * default.window_seconds)  # two non-negative slices step back
    assert g.level == 0
    g = PnlGuard(PnlGuardConfig(realized_floor_quote=-0.5))
    run(g, [-0.004, -0.002])
    assert g.level == 0  # the old -0.5 floor never sees such slices


def test_a_tiny_step_does_not_ask_for_billions_of_levels() -> None:
    """widen_bps 1e-9 (or a size factor a hair under 1) asked for 8e9 precomputed levels: out of memory."""
    from lighter_bot.strategy.pnl_guard import MAX_LEVELS

    for over in ({"widen_bps": 1e-9}, {"size_multiplier": 0.999999999, "min_size_multiplier": 0.6}):
        g = PnlGuard(PnlGuardConfig(**over))
        assert g.max_level == MAX_LEVELS
