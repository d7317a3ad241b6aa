"""Maker quotes: widths, reservation skew, snapping against the touch, sizes, trend gating, volatility pause."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.config import BotConfig, MakerConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side
from lighter_bot.strategy.maker import Maker
from lighter_bot.strategy.signals import Trend

CFG = BotConfig().maker


def book(bid: int, ask: int) -> BookView:
    return BookView(((bid, 1000),), ((ask, 1000),))


def maker(cfg: MakerConfig = CFG) -> Maker:
    return Maker(cfg, SOL_PERP)


def with_(**kw: object) -> MakerConfig:
    return MakerConfig.model_validate({**CFG.model_dump(), **kw})


books = st.integers(min_value=1_000, max_value=2_000_000).flatmap(
    lambda bid: st.integers(min_value=1, max_value=max(2, bid // 100)).map(lambda spread: book(bid, bid + spread))
)
positions = st.integers(min_value=-400, max_value=400)
vols = st.floats(min_value=0.0, max_value=29.0)
trends = st.sampled_from(list(Trend))


@settings(max_examples=300, deadline=None)
@given(b=books, pos=positions, vol=vols, trend=trends, extra=st.floats(0, 8), mult=st.floats(0.6, 1.0))
def test_quotes_are_valid_and_never_cross(b: BookView, pos: int, vol: float, trend: Trend, extra: float,
                                          mult: float) -> None:
    m = maker()
    d = m.decide(b.mid2 or 0, b, pos, vol, trend, extra, mult)
    assert b.best_bid is not None and b.best_ask is not None
    if d.bid is not None:
        assert d.bid.price < b.best_ask  # post-only: never at or through the touch
        assert d.bid.size >= SOL_PERP.min_size_lots
        assert SOL_PERP.notional(d.bid.price, d.bid.size) >= CFG.exchange_min_notional
        assert SOL_PERP.meets_minimums(d.bid.price, d.bid.size)
    if d.ask is not None:
        assert d.ask.price > b.best_bid
        assert d.ask.size >= SOL_PERP.min_size_lots
        assert SOL_PERP.notional(d.ask.price, d.ask.size) >= CFG.exchange_min_notional
    if d.bid is not None and d.ask is not None:
        assert d.bid.price < d.ask.price


@settings(max_examples=200, deadline=None)
@given(mid=st.integers(100_000, 300_000), pos=st.integers(1, 300), vol=vols)
def test_skew_opposes_inventory(mid: int, pos: int, vol: float) -> None:
    # A wide book so the touch does not bind: only the reservation price moves the quotes.
    b = book(mid - 2000, mid + 2000)
    flat = maker().decide(2 * mid, b, 0, vol, Trend.NONE)
    long_ = maker().decide(2 * mid, b, pos, vol, Trend.NONE)
    short = maker().decide(2 * mid, b, -pos, vol, Trend.NONE)
    assert long_.fair_ticks < flat.fair_ticks < short.fair_ticks
    for a, z in ((long_.bid, flat.bid), (long_.ask, flat.ask), (flat.bid, short.bid), (flat.ask, short.ask)):
        assert a is not None and z is not None
        assert a.price <= z.price


def test_widths_follow_band_trend_and_guard() -> None:
    m = maker()
    assert m.width_bps(0.0, Trend.NONE, 0.0) == 7.0
    assert m.width_bps(100.0, Trend.NONE, 0.0) == 13.0
    assert abs(m.width_bps(14.0, Trend.NONE, 0.0) - 10.0) < 1e-9  # halfway between low 6 and high 22
    assert m.width_bps(0.0, Trend.UP, 0.0) == 9.5
    assert m.width_bps(0.0, Trend.DOWN, 8.0) == 17.5
    off = maker(with_(volatility={**CFG.volatility.model_dump(), "enabled": False}))
    assert off.width_bps(50.0, Trend.NONE, 0.0) == 12.0


def test_each_side_sits_half_the_width_from_fair() -> None:
    mid = 170_000
    d = maker().decide(2 * mid, book(mid - 500, mid + 500), 0, 0.0, Trend.NONE)
    assert d.bid is not None and d.ask is not None
    # 7 bps full width at 170.000 = 119 ticks; 3.5 bps each side, bid snapped down, ask up
    assert d.bid.price == 169_940 and d.ask.price == 170_060


def test_size_multipliers_clamps_and_floors() -> None:
    m = maker()
    mid = 170_000
    b = book(mid - 500, mid + 500)
    calm = m.decide(2 * mid, b, 0, 0.0, Trend.NONE)
    wild = m.decide(2 * mid, b, 0, 25.0, Trend.NONE)
    assert calm.size_multiplier == 1.1 and abs(wild.size_multiplier - 0.7) < 1e-12
    assert calm.bid is not None and wild.bid is not None
    assert calm.bid.size == 70  # 0.064 x 1.1 = 0.0704 -> 70 lots, inside [61, 72]
    # 0.064 x 0.7 = 0.0448 -> clamped to size_min 0.061, then raised to the 10.5 USD floor at ~169.94
    assert wild.bid.size == 62
    # A cheap market: the notional floor dominates and beats size_max.
    cheap = m.decide(2 * 20_000, book(19_990, 20_010), 0, 0.0, Trend.NONE)
    assert cheap.bid is not None and cheap.bid.size * cheap.bid.price >= 10.5 * 1e6


def test_trend_gates_the_side_that_trades_into_it() -> None:
    m = maker()
    mid = 170_000
    b = book(mid - 500, mid + 500)
    up = m.decide(2 * mid, b, 0, 0.0, Trend.UP)
    assert up.bid is not None and up.ask is None
    down = m.decide(2 * mid, b, 0, 0.0, Trend.DOWN)
    assert down.ask is None or down.bid is None
    assert down.bid is None and down.ask is not None
    # The reducing side stays allowed (reduce-only): long in an up-trend may still sell.
    long_up = m.decide(2 * mid, b, 50, 0.0, Trend.UP)
    assert long_up.ask is not None and long_up.ask.reduce_only
    short_down = m.decide(2 * mid, b, -50, 0.0, Trend.DOWN)
    assert short_down.bid is not None and short_down.bid.reduce_only
    # With gating off, both sides are quoted (wider).
    nogate = maker(with_(trend={**CFG.trend.model_dump(), "gate_sides": False})).decide(2 * mid, b, 0, 0.0, Trend.UP)
    assert nogate.bid is not None and nogate.ask is not None


def test_volatility_pause_and_resume_rule() -> None:
    m = maker()
    mid = 170_000
    b = book(mid - 500, mid + 500)
    assert not m.decide(2 * mid, b, 0, 29.9, Trend.NONE).paused
    d = m.decide(2 * mid, b, 0, 30.0, Trend.NONE)
    assert d.paused and d.bid is None and d.ask is None
    # Volatility falling below pause but above resume: still paused.
    assert m.decide(2 * mid, b, 0, 20.0, Trend.NONE).paused
    # Recovered volatility but inventory >= 25 % of the soft cap (0.025): still paused, unwinding reduce-only.
    d = m.decide(2 * mid, b, 40, 10.0, Trend.NONE)
    assert d.paused and d.bid is None and d.ask is not None and d.ask.reduce_only
    # Recovered and small inventory: resume with both sides.
    d = m.decide(2 * mid, b, 24, 10.0, Trend.NONE)
    assert not d.paused and d.bid is not None and d.ask is not None


def test_dry_run_is_noted() -> None:
    d = maker(with_(dry_run=True)).decide(340_000, book(169_900, 170_100), 0, 0.0, Trend.NONE)
    assert "maker dry run" in d.notes


def test_sides_enum_used_for_quotes() -> None:
    d = maker().decide(340_000, book(169_900, 170_100), 0, 0.0, Trend.NONE)
    assert d.bid is not None and d.bid.side is Side.BID and d.ask is not None and d.ask.side is Side.ASK
