"""Fair value and placement by expected edge (strategy/fair_value.py, strategy/edge_model.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.config import BotConfig, MakerConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.events import BookUpdate, MarketTrade, Tick
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Side
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.strategy.edge_model import GRID_BPS, EdgeModel
from lighter_bot.strategy.fair_value import FEATURES, FairValue
from lighter_bot.strategy.maker import Maker
from lighter_bot.strategy.signals import Trend

books = st.builds(
    lambda bid, spread, bs, as_, b2, a2: BookView(((bid, bs), (bid - 7, b2)), ((bid + spread, as_), (bid + spread + 7, a2))),
    st.integers(100_000, 250_000), st.integers(1, 300), st.integers(1, 10**6), st.integers(1, 10**6),
    st.integers(1, 10**6), st.integers(1, 10**6),
)


@given(books, st.lists(st.tuples(st.integers(100_000, 250_000), st.integers(1, 10**4), st.booleans()), max_size=8))
def test_zero_coefficients_give_exactly_the_mid(book: BookView, trades: list[tuple[int, int, bool]]) -> None:
    fv = FairValue({name: 0.0 for name in FEATURES})
    fv.on_book(1.0, book)
    for k, (px, sz, buy) in enumerate(trades):
        fv.on_trade(1.0 + k, px, sz, buy)
    mid = (book.bids[0][0] + book.asks[0][0]) / 2
    assert fv.fair(mid) == mid and not fv.active


@given(books)
def test_imbalance_coefficient_one_is_the_micro_price(book: BookView) -> None:
    fv = FairValue({"imbalance": 1.0}, max_shift_bps=1e9)
    fv.on_book(1.0, book)
    (bp, bs), (ap, as_) = book.bids[0], book.asks[0]
    micro = (bp * as_ + ap * bs) / (bs + as_)
    assert fv.fair((bp + ap) / 2) == pytest.approx(micro, rel=1e-12)


def test_unknown_feature_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fair-value feature"):
        FairValue({"momentum": 1.0})


def _feed(model: EdgeModel, follow_through_bps: float, n: int = 200) -> None:
    """Alternate sells hitting bids 3 bps below a fair value of 100, each followed `follow_through_bps`
    further down by the horizon (then the price recovers), and buys lifting asks the same way."""
    t = 0.0
    for k in range(n):
        sign = 1 if k % 2 == 0 else -1  # +1: a sell against our bids
        model.on_fair(t, 100.0, 100.0)
        model.on_trade(t + 0.5, 100.0 * (1 - sign * 3e-4), buyer_initiated=sign < 0)
        moved = 100.0 * (1 - sign * follow_through_bps / 1e4)
        model.on_fair(t + 1.0, moved, moved)
        model.on_fair(t + 2.5, moved, moved)  # the horizon (2 s) has passed: marked out here
        model.on_fair(t + 3.0, 100.0, 100.0)
        t += 3.0


@given(st.floats(0.0, 5.0), st.floats(0.1, 5.0))
@settings(max_examples=40, deadline=None)
def test_expected_edge_falls_as_adverse_selection_rises(adverse: float, more: float) -> None:
    a, b = EdgeModel(horizon_s=2.0, min_events=1, z=0.0), EdgeModel(horizon_s=2.0, min_events=1, z=0.0)
    _feed(a, adverse)
    _feed(b, adverse + more)
    for side in (Side.BID, Side.ASK):
        ea = {e.distance_bps: e.edge_bps for e in a.edges(side, 600.0)}
        eb = {e.distance_bps: e.edge_bps for e in b.edges(side, 600.0)}
        assert ea and ea.keys() == eb.keys()
        assert all(eb[d] < ea[d] for d in ea)
        assert all(eb[d] == pytest.approx(ea[d] - more, abs=1e-9) for d in ea)


def test_best_needs_evidence_and_positive_edge_and_stays_in_bounds() -> None:
    m = EdgeModel(horizon_s=2.0, min_events=5, z=1.0)
    assert m.best(Side.BID, 0.0, 1.0, 10.0) is None  # no evidence: no quote
    _feed(m, 1.0)  # fills 3 bps out, 1 bp follow-through: +2 at 0.5-3 bps... minus the distance gap
    best = m.best(Side.BID, 600.0, 1.0, 10.0)
    assert best is not None and 1.0 <= best.distance_bps <= 3.0
    assert best.edge_bps == pytest.approx(best.distance_bps - 1.0)
    assert m.best(Side.BID, 600.0, 4.0, 10.0) is None  # nothing ever reached 4 bps
    assert m.best(Side.BID, 600.0, 1.0, 10.0, penalty_bps=2.5) is None  # inventory cost eats the edge
    bad = EdgeModel(horizon_s=2.0, min_events=5, z=1.0)
    _feed(bad, 4.0)  # every fill followed by 4 bps against: nothing pays
    assert bad.best(Side.BID, 600.0, 0.5, 100.0) is None and bad.best(Side.ASK, 600.0, 0.5, 100.0) is None


def test_a_sweep_is_one_episode_reaching_its_deepest_print() -> None:
    m = EdgeModel(horizon_s=1.0, min_events=1, z=0.0)
    m.on_fair(0.0, 100.0, 100.0)
    for k, px in enumerate((99.99, 99.98, 99.95)):  # three prints of one sell sweep: 1, 2, 5 bps
        m.on_trade(0.3 + 0.01 * k, px, buyer_initiated=False)
    m.on_fair(2.0, 100.0, 100.0)
    edges = m.edges(Side.BID, 2.0)
    assert m.events == 1
    assert [e.distance_bps for e in edges] == [d for d in GRID_BPS if d <= 5.0 + 1e-9]


@given(books, st.integers(-300, 300), st.one_of(st.none(), st.floats(0.5, 100.0)), st.one_of(st.none(), st.floats(0.5, 100.0)))
def test_quotes_never_cross_the_touch(book: BookView, pos: int, db: float | None, da: float | None) -> None:
    maker = Maker(MakerConfig(), SOL_PERP)
    mid2 = book.bids[0][0] + book.asks[0][0]
    fair = mid2 / 2 * (1 + 4e-4)  # a fair value above the mid
    d = maker.decide(mid2, book, pos, 5.0, Trend.NONE, fair_ticks=fair, distances=(db, da))
    if d.bid is not None:
        assert d.bid.price < book.asks[0][0]
    if d.ask is not None:
        assert d.ask.price > book.bids[0][0]
    assert (d.bid is None) or db is not None or d.bid.reduce_only
    assert (d.ask is None) or da is not None or d.ask.reduce_only


def _run(cfg: BotConfig, events: list[object]) -> list[list[object]]:
    core = EngineCore(cfg, SOL_PERP, SimClock(0.0))
    return [list(core.on_event(e)) for e in events]  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.integers(-40, 40), st.integers(1, 30), st.integers(0, 2)), min_size=3, max_size=40))
@settings(max_examples=40, deadline=None)
def test_zero_coefficients_change_no_command(moves: list[tuple[int, int, int]]) -> None:
    mid = 170_000
    events: list[object] = []
    t = 1.0
    for dm, half, kind in moves:
        t += 0.3
        mid += dm
        if kind == 0:
            events.append(BookUpdate(t, BookView(((mid - half, 900), (mid - half - 9, 300)), ((mid + half, 200),))))
        elif kind == 1:
            events.append(MarketTrade(t, mid + half, 80, Side.BID))
        else:
            events.append(Tick(t))
    base = BotConfig()
    zero = BotConfig.model_validate({"maker": {"fair_value": {"coefficients": {n: 0.0 for n in FEATURES}}}})
    assert _run(base, events) == _run(zero, events)


def test_edge_model_distance_reaches_the_quotes() -> None:
    """With evidence that 3 bps pays, the core quotes at the model's distance from the fair value."""
    cfg = BotConfig.model_validate({"maker": {"edge": {"enabled": True, "horizon_seconds": 2.0, "min_events": 5,
                                                       "z": 0.0, "max_distance_bps": 3.0},
                                              "volatility": {"enabled": False}, "trend": {"enabled": False},
                                              "edge_first": {"enabled": False},
                                              "spread_bps": 2.0, "inventory_skew_bps": 0.0},
                                    "hedger": {"enabled": False}})
    core = EngineCore(cfg, SOL_PERP, SimClock(0.0))
    _feed(core.edge, 1.0)
    book = BookView(((169_990, 900),), ((170_010, 900),))
    cmds = core.on_event(BookUpdate(700.0, book))
    prices = {c.side: c.price for c in cmds if hasattr(c, "side")}  # type: ignore[union-attr]
    best = core.edge.best(Side.BID, 700.0, 1.0, 3.0)
    assert best is not None
    assert prices[Side.BID] == math.floor(170_000 * (1 - best.distance_bps / 1e4))


def test_our_own_worse_fills_lower_that_sides_edges_never_raise_them() -> None:
    good = EdgeModel(horizon_s=2.0, min_events=1, z=0.0)
    _feed(good, 1.0)
    before = {e.distance_bps: e.edge_bps for e in good.edges(Side.BID, 600.0)}
    t = 700.0
    for _ in range(20):  # our bids fill 3 bps under the fair value and lose 4 bps more than the model said
        good.on_fair(t, 100.0, 100.0)
        good.on_own_fill(t + 0.5, Side.BID, 99.97)
        good.on_fair(t + 2.6, 99.95, 99.95)
        good.on_fair(t + 2.9, 100.0, 100.0)
        t += 3.0
    gap = good.live_gap(Side.BID)
    assert gap.fills > 10 and gap.gap_bps < -2.0
    after = {e.distance_bps: e.edge_bps for e in good.edges(Side.BID, t)}
    assert all(after[d] < before[d] for d in before)
    assert good.live_gap(Side.ASK).fills == 0
    lucky = EdgeModel(horizon_s=2.0, min_events=1, z=0.0)
    _feed(lucky, 1.0)
    for k in range(20):  # our fills do better than the model: the market's evidence still rules
        lucky.on_fair(700.0 + 3 * k, 100.0, 100.0)
        lucky.on_own_fill(700.5 + 3 * k, Side.BID, 99.97)
        lucky.on_fair(702.6 + 3 * k, 100.05, 100.05)
    assert {e.distance_bps: e.edge_bps for e in lucky.edges(Side.BID, 760.0)} == pytest.approx(before)
