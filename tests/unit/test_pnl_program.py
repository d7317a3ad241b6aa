"""The Positive-PnL program's pure modules: fill quality, edge first, hit quality, hedge alpha, guard watch."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from lighter_bot.config import EdgeFirstConfig, HedgeAlphaConfig, HitQualityConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side
from lighter_bot.strategy.edge_first import EdgeFirst
from lighter_bot.strategy.fill_quality import RecentFillQuality
from lighter_bot.strategy.hedge_alpha import HedgeAlpha, spread_bps
from lighter_bot.strategy.hit_quality import HitQuality
from lighter_bot.strategy.pnl_program import GuardWatch
from lighter_bot.strategy.quoting import QuoteIntent, SizeRules

SIZES = SizeRules(SOL_PERP, 0.061, 10.5)
BOOK = BookView(((169_990, 5000),), ((170_010, 5000),))  # 169.990 / 170.010, mid 170.000


@given(st.lists(st.tuples(st.sampled_from([Side.BID, Side.ASK]), st.floats(100, 200), st.floats(100, 200)),
                min_size=1, max_size=30))
def test_markout_is_side_times_mid_move_over_price(fills: list[tuple[Side, float, float]]) -> None:
    q = RecentFillQuality((5.0,), window=100)
    expected: dict[Side, list[float]] = {Side.BID: [], Side.ASK: []}
    t = 0.0
    for side, price, later_mid in fills:
        q.on_mid(t, price)
        q.on_fill(t, side, price, 0.5)
        q.on_mid(t + 5.0, later_mid)  # the mid that holds at t + 5
        q.on_mid(t + 5.5, later_mid)  # settles with the mid held at t + 5
        expected[side].append(side.sign * (later_mid - price) / price * 1e4)
        t += 10.0
    for side in (Side.BID, Side.ASK):
        mean, n = q.markout(side, 5.0)
        assert n == len(expected[side])
        if n:
            assert math.isclose(mean, sum(expected[side]) / n, rel_tol=1e-9, abs_tol=1e-9)


def test_window_keeps_only_recent_fills_and_forget_clears() -> None:
    q = RecentFillQuality((1.0,), window=3)
    for i in range(6):
        q.on_mid(i * 10.0, 100.0)
        q.on_fill(i * 10.0, Side.BID, 100.0, 0.1 if i < 3 else 5.0)
        q.on_mid(i * 10.0 + 0.5, 101.0 if i < 3 else 99.0)  # holds at t + 1
        q.on_mid(i * 10.0 + 2, 100.0)  # settles the 1 s markout with it
    mean, n = q.markout(Side.BID, 1.0)
    assert n == 3 and mean < 0  # only the last three (bad) fills
    share, k = q.immediate_share(Side.BID, 1.0)
    assert k == 3 and share == 0.0
    q.forget(Side.BID)
    assert q.markout(Side.BID, 1.0) == (0.0, 0)


def _quality_with(side: Side, markouts_bps: list[float], age: float = 5.0) -> RecentFillQuality:
    q = RecentFillQuality((5.0,), window=50)
    t = 0.0
    for m in markouts_bps:
        q.on_mid(t, 100.0)
        q.on_fill(t, side, 100.0, age)
        q.on_mid(t + 5.0, 100.0 * (1 + side.sign * m / 1e4))
        q.on_mid(t + 6.0, 100.0)
        t += 10.0
    return q


@given(st.floats(1.0, 30.0), st.floats(1.0, 30.0))
def test_edge_first_floor_until_markouts_are_good(band: float, floor: float) -> None:
    ef = EdgeFirst(EdgeFirstConfig(floor_spread_bps=floor, min_fills=3, tighten_above_bps=0.5))
    ef.update(0.0, 0.0, _quality_with(Side.BID, [-1.0, -1.0, -1.0]))
    assert not ef.tighten_allowed
    assert math.isclose(band + ef.extra_bps(band), max(band, floor))
    ef.update(0.0, 0.0, _quality_with(Side.BID, [2.0, 2.0, 2.0]))
    assert ef.tighten_allowed and ef.extra_bps(band) == 0.0


def test_edge_first_pins_size_until_realized_holds_nonnegative() -> None:
    ef = EdgeFirst(EdgeFirstConfig(proof_seconds=1800.0))
    q = RecentFillQuality((5.0,), 10)
    ef.update(0.0, 0.0, q)
    assert ef.size_multiplier(0.064, 0.061) == 0.061 / 0.064
    ef.update(1000.0, -0.01, q)  # dips below zero: the proof restarts
    ef.update(1001.0, 0.0, q)
    ef.update(2700.0, 0.1, q)
    assert not ef.proven
    ef.update(2801.0, 0.1, q)
    assert ef.proven and ef.size_multiplier(0.064, 0.061) == 1.0
    assert EdgeFirst(EdgeFirstConfig(enabled=False)).size_multiplier(0.064, 0.061) == 1.0


def test_hit_quality_quotes_only_the_safe_side_unless_the_toxic_one_reduces() -> None:
    hq = HitQuality(HitQualityConfig(min_fills=3, toxic_markout_bps=-2.0))
    hq.update(0.0, _quality_with(Side.ASK, [-5.0, -5.0, -5.0]))
    assert hq.defended(Side.ASK, 1.0) and not hq.defended(Side.BID, 1.0)
    desired: dict[Side, QuoteIntent | None] = {Side.BID: QuoteIntent(Side.BID, 169_900, 64),
                                               Side.ASK: QuoteIntent(Side.ASK, 170_100, 64)}
    out = hq.apply(1.0, desired, BOOK, 340_000, 0, SIZES)
    assert out[Side.ASK] is None and out[Side.BID] == desired[Side.BID]
    out = hq.apply(1.0, desired, BOOK, 340_000, 100, SIZES)  # long: the ask reduces, so it stays, wider
    ask = out[Side.ASK]
    assert ask is not None and ask.price > 170_100
    assert not hq.defended(Side.ASK, 1.0 + hq.cfg.hold_seconds)  # the defence expires


def test_hit_quality_detects_immediate_hits_and_never_improves_the_touch() -> None:
    hq = HitQuality(HitQualityConfig(min_fills=3, immediate_share=0.6, drop_toxic_side=False, widen_bps=0.0))
    hq.update(0.0, _quality_with(Side.BID, [0.0, 0.0, 0.0], age=0.3))
    assert not hq.defended(Side.BID, 0.5)  # quick hits that do not lose are no pick-off
    hq.update(0.0, _quality_with(Side.BID, [-1.0, -1.0, -1.0], age=0.3))
    assert hq.defended(Side.BID, 0.5) and hq.reasons == {"immediate": 1}
    inside = {Side.BID: QuoteIntent(Side.BID, 170_000, 64), Side.ASK: None}  # better than best bid 169_990
    out = hq.apply(0.5, inside, BOOK, 340_000, 0, SIZES)
    bid = out[Side.BID]
    assert bid is not None and bid.price == 169_990 and SIZES.valid(bid.price, bid.size)


@given(st.floats(0.5, 20.0), st.integers(8, 30), st.floats(1.0, 4.0))
def test_hit_quality_judges_markouts_against_the_markets_noise(sigma: float, n: int, z: float) -> None:
    """A mean markout counts as a pick-off only beyond z standard errors of the mid's noise (and the fixed
    threshold): the same losses are a pick-off in a quiet market and chance in a volatile one."""
    cfg = HitQualityConfig(min_fills=8, window_fills=n, toxic_markout_bps=-1.0, toxic_sigma_multiple=z)
    se = sigma / math.sqrt(n)
    beyond = min(-1.0, -z * se) - 0.5
    within = -z * se + 0.5
    hq = HitQuality(cfg)
    hq.update(0.0, _quality_with(Side.ASK, [beyond] * n), sigma_h_bps=sigma)
    assert hq.defended(Side.ASK, 1.0)
    hq = HitQuality(cfg)
    hq.update(0.0, _quality_with(Side.ASK, [within] * n), sigma_h_bps=sigma)
    assert not hq.defended(Side.ASK, 1.0)
    hq = HitQuality(cfg)  # fills older than the window do not count
    q = _quality_with(Side.ASK, [beyond] * n + [1.0] * n)
    hq.update(0.0, q, sigma_h_bps=sigma)
    assert not hq.defended(Side.ASK, 1.0)


def test_hedge_alpha_spread_and_kickback_vetoes() -> None:
    ha = HedgeAlpha(HedgeAlphaConfig(max_spread_widening_bps=2.0, kickback_move_bps=10.0), max_position_lots=300)
    plan = object()
    assert ha.veto_cross(0.0, plan, Side.ASK, 100, 340_000, BOOK) is None
    wide = BookView(((169_900, 5000),), ((170_100, 5000),))
    assert spread_bps(wide) is not None
    assert ha.veto_cross(1.0, plan, Side.ASK, 100, 340_000, wide) is not None
    assert ha.abandoned_spread == 1
    # long 100 lots after a 20 bps drop within the lookback: wait for the kickback
    ha.on_mid(2.0, 170_000.0)  # mids in ticks, as the core feeds them
    ha.on_mid(5.0, 169_660.0)
    plan2 = object()
    assert ha.veto_cross(5.0, plan2, Side.ASK, 100, 339_320, BookView(((169_650, 1),), ((169_670, 1),))) is not None
    assert ha.holding(6.0, 100) and not ha.holding(6.0, 250)  # too big a position: hedge anyway
    assert not ha.holding(5.0 + ha.cfg.kickback_wait_seconds, 100)


@given(st.integers(-300, 300), st.sampled_from([-1, 0, 1]))
def test_exit_tier_moves_only_the_reducing_side_against_the_trend_and_never_crosses(pos: int, trend: int) -> None:
    ha = HedgeAlpha(HedgeAlphaConfig(), max_position_lots=300)
    ha.on_mid(0.0, 170_085.0 if pos > 0 else 169_915.0)  # a 5 bps drift against the position
    ha.on_mid(10.0, 170_000.0)
    desired: dict[Side, QuoteIntent | None] = {Side.BID: QuoteIntent(Side.BID, 169_900, 64),
                                               Side.ASK: QuoteIntent(Side.ASK, 170_100, 64)}
    out = ha.exit_tier(desired, BOOK, pos, trend)
    against = pos != 0 and trend != 0 and (pos > 0) == (trend < 0)
    for side in (Side.BID, Side.ASK):
        q = out[side]
        assert q is not None
        assert q.price > 169_990 if side is Side.ASK else q.price < 170_010
        moved = q.price != desired[side].price  # type: ignore[union-attr]
        assert moved == (against and side is (Side.ASK if pos > 0 else Side.BID))


def test_guard_watch_counts_engagements_and_logs_each_change() -> None:
    w = GuardWatch()
    for ts, lvl in [(1, 0), (2, 1), (3, 2), (4, 1), (5, 0), (6, 1)]:
        w.observe(float(ts), lvl, -0.6, 4.0 * lvl, 0.85**lvl)
    assert w.engagements == 2 and w.steps_up == 3 and w.steps_down == 2
    assert [(c.level_from, c.level_to) for c in w.drain()] == [(0, 1), (1, 2), (2, 1), (1, 0), (0, 1)]
    assert w.drain() == []


def test_exit_tier_stands_aside_after_a_sweep_and_during_a_rebound() -> None:
    desired: dict[Side, QuoteIntent | None] = {Side.BID: None, Side.ASK: QuoteIntent(Side.ASK, 170_100, 64)}
    sweep = HedgeAlpha(HedgeAlphaConfig(), max_position_lots=300)
    sweep.on_mid(0.0, 170_400.0)  # 23 bps above: a crash, not a drift
    sweep.on_mid(10.0, 170_000.0)
    assert sweep.exit_tier(desired, BOOK, 100, -1) == desired
    rebound = HedgeAlpha(HedgeAlphaConfig(), max_position_lots=300)
    rebound.on_mid(0.0, 169_900.0)  # the mid is rising again while the trend filter still says down
    rebound.on_mid(10.0, 170_000.0)
    assert rebound.exit_tier(desired, BOOK, 100, -1) == desired


@given(st.integers(-300, 300), st.sampled_from([-1, 0, 1]))
def test_patient_passive_hedge_only_without_a_trend_against_and_below_the_big_position(pos: int, trend: int) -> None:
    ha = HedgeAlpha(HedgeAlphaConfig(patient_passive_seconds=3.0), max_position_lots=300)
    wait = ha.passive_wait(0.4, pos, trend)
    against = (pos > 0 and trend < 0) or (pos < 0 and trend > 0)
    assert wait == (0.4 if against or ha.big(pos) else 3.0)
    off = HedgeAlpha(HedgeAlphaConfig(enabled=False), max_position_lots=300)
    assert off.passive_wait(0.4, pos, trend) == 0.4
    assert HedgeAlpha(HedgeAlphaConfig(patient_passive_seconds=0.0), 300).passive_wait(0.4, pos, trend) == 0.4


def _start_wait(ha: HedgeAlpha) -> float:
    """Long 100 lots, the mid swept 20 bps down within the lookback: the kickback wait starts at t=5."""
    ha.on_mid(2.0, 170_000.0)
    ha.on_mid(5.0, 169_660.0)
    assert ha.veto_cross(5.0, object(), Side.ASK, 100, 339_320, BookView(((169_650, 1),), ((169_670, 1),))) is not None
    return ha.hold_until


def test_a_running_sweep_and_a_running_kickback_extend_the_wait_up_to_its_cap() -> None:
    c = HedgeAlphaConfig(kickback_wait_seconds=8.0, kickback_max_wait_seconds=30.0, exit_min_move_bps=2.0)
    ha = HedgeAlpha(c, max_position_lots=300)
    assert _start_wait(ha) == 13.0
    ha.on_mid(10.0, 169_400.0)  # a new low: the sweep goes on, the clock restarts from it
    assert ha.hold_until == 18.0
    ha.on_mid(16.0, 169_420.0)  # +1.2 bps off the low: noise, not a kickback
    assert ha.hold_until == 18.0
    ha.on_mid(17.0, 169_500.0)  # +5.9 bps: the kickback is running
    assert ha.hold_until == 25.0
    for t in range(18, 60):  # a kickback that runs on and on: the wait still ends at start + 30 s
        ha.on_mid(float(t), 169_500.0 + 100.0 * (t - 17))
    assert ha.hold_until == 35.0
    assert not ha.holding(35.0, 100)


def test_no_extension_once_the_wait_is_over() -> None:
    ha = HedgeAlpha(HedgeAlphaConfig(kickback_wait_seconds=8.0), max_position_lots=300)
    _start_wait(ha)
    ha.on_mid(14.0, 169_000.0)  # after the wait: a later move starts nothing by itself
    assert ha.hold_until == 13.0 and not ha.holding(14.0, 100)


def test_kickback_tier_rests_the_reducing_quote_back_from_a_crash_but_not_from_an_ordinary_swing() -> None:
    desired: dict[Side, QuoteIntent | None] = {Side.BID: None, Side.ASK: QuoteIntent(Side.ASK, 167_050, 64)}
    crash = HedgeAlpha(HedgeAlphaConfig(kickback_retrace_ratio=0.5), max_position_lots=300, prior_noise_bps=3.5)
    for t in range(0, 60):
        crash.on_mid(float(t), 170_000.0 + (5.0 if t % 2 else -5.0))  # calm: +-0.3 bps
    for t in range(60, 76):
        crash.on_mid(float(t), 170_000.0 - 200.0 * (t - 59))  # -10 bps/s: a 190 bps crash so far
    low = 170_000.0 - 200.0 * 16
    book = BookView(((int(low) - 10, 1),), ((int(low) + 10, 1),))
    assert crash.veto_cross(75.0, object(), Side.ASK, 100, int(2 * low), book) is not None
    out = crash.kickback_tier(76.0, desired, 100)
    ask = out[Side.ASK]
    assert ask is not None and ask.price == math.ceil(low + 0.5 * (170_005.0 - low))  # half the sweep back
    assert crash.kickback_tier(76.0, desired, -100) == desired  # not the position that waits
    assert crash.kickback_tier(76.0, desired, 250) == desired  # too big a position: no wait, no tier
    # The same 20 bps swing in a market that has been swinging like that all along: no tier.
    swing = HedgeAlpha(HedgeAlphaConfig(kickback_retrace_ratio=0.5), max_position_lots=300, prior_noise_bps=3.5)
    for t in range(0, 600):
        swing.on_mid(float(t), 170_000.0 + (170.0 if t % 2 else -170.0))  # 20 bps swings every second
    swing.on_mid(600.0, 170_170.0)
    swing.on_mid(601.0, 169_830.0)
    assert swing.veto_cross(601.0, object(), Side.ASK, 100, 339_660, book) is not None  # a kickback wait...
    assert swing.kickback_tier(602.0, desired, 100) == desired  # ...but no tier: it is not a crash


@given(st.lists(st.tuples(st.sampled_from(["fill_bid", "fill_ask", "mid", "forget_bid", "forget_ask"]),
                          st.floats(0.0, 3.0), st.floats(160, 180)), max_size=80))
def test_evidence_bounds_every_statistic_hit_quality_reads(ops: list[tuple[str, float, float]]) -> None:
    q = RecentFillQuality((1.0, 5.0), window=12)
    t = 0.0
    for op, dt, px in ops:
        t += dt
        if op.startswith("fill"):
            q.on_fill(t, Side.BID if op == "fill_bid" else Side.ASK, px, dt)
        elif op == "mid":
            q.on_mid(t, px)
        else:
            q.forget(Side.BID if op == "forget_bid" else Side.ASK)
        for side in (Side.BID, Side.ASK):
            bound = q.evidence(side)
            assert q.markout(side, 5.0)[1] <= bound and q.markout(side, 1.0)[1] <= bound
            assert q.immediate_share(side, 1.0)[1] <= bound
