"""Lighter's request budget (domain/request_budget.py) and the core's use of it (engine/txbudget.py):
an exact rolling window, a batch as one request, priorities, the adapter's share, the volume quota."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.config import BotConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import ModifyOrder, PlaceOrder
from lighter_bot.domain.events import BookUpdate, OrderAccepted
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.request_budget import (
    PREMIUM,
    QUOTA_FREE_EVERY_S,
    STANDARD,
    RollingWindow,
    VolumeQuota,
    tier_limits,
)
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.txbudget import RequestBudget, TxPriority


def test_tiers_as_lighter_documents_them() -> None:
    assert (STANDARD.tx_per_minute, STANDARD.rest_per_minute, STANDARD.shared) == (60, 60, True)
    assert [STANDARD.rest_cost(e) for e in ("account", "trades", "sendTxBatch")] == [1, 1, 1]
    assert (PREMIUM.tx_per_minute, PREMIUM.rest_per_minute, PREMIUM.shared) == (4000, 24000, False)
    assert [PREMIUM.rest_cost(e) for e in ("account", "trades", "nextNonce", "apikeys")] == [300, 600, 6, 150]
    # An override of a shared bucket is an override of the REST budget too.
    assert tier_limits("standard", 600).rest_per_minute == 600
    assert tier_limits("premium", 8000).rest_per_minute == 24000


def test_the_core_leaves_the_live_adapters_share() -> None:
    # Dead-man switch: abort + re-arm every 120 s; position check every 120 s (REST, same bucket).
    assert STANDARD.adapter_overhead_per_minute() == 1.5
    assert STANDARD.core_requests_per_minute() == 58
    assert PREMIUM.adapter_overhead_per_minute() == 1.0  # REST has its own bucket there
    assert PREMIUM.core_requests_per_minute() == 3999


def test_rolling_window_is_exact_not_a_token_bucket() -> None:
    w = RollingWindow(60, 60.0)
    for i in range(60):
        assert w.try_spend(i * 0.1)
    assert not w.try_spend(30.0)  # a token bucket would have refilled 24 by now
    assert w.frees_at(30.0) == 60.0  # the first request leaves the window
    assert not w.try_spend(59.99) and w.try_spend(60.0)
    assert not w.try_spend(60.05) and w.try_spend(60.1)
    assert w.used(65.95) == 2  # the first 60 have left; the two of t=60 remain


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 5.0), st.integers(1, 3), st.integers(0, 10)), min_size=1, max_size=200))
def test_rolling_window_never_holds_more_than_its_capacity(steps: list[tuple[float, int, int]]) -> None:
    w = RollingWindow(20, 60.0)
    t = 0.0
    spent: list[tuple[float, int]] = []
    for dt, cost, floor in steps:
        t += dt
        if w.try_spend(t, cost, floor):
            spent.append((t, cost))
        in_window = sum(c for u, c in spent if u > t - 60.0)
        assert in_window == w.used(t) <= 20
        nxt = w.frees_at(t, cost, floor)
        assert nxt == t or not w.fits(t, cost, floor)
        if math.isfinite(nxt):
            assert w.copy().fits(nxt + 1e-9, cost, floor)  # a copy: looking ahead expires entries


def test_saturate_after_a_429_refills_evenly() -> None:
    w = RollingWindow(60, 60.0)
    w.spend(0.0, 10)
    w.saturate(1.0)
    assert w.left(1.0) == 0
    assert w.left(2.5) == 1  # phantoms expire one per second (60 per 60 s)
    assert w.left(13.5) == 12


def test_a_decision_is_one_request_and_priorities_keep_reserves() -> None:
    b = RequestBudget(26, reserve_for_cancels=4, reserve_for_hedges=4, quote_burst=100)
    t = 0.0
    for _ in range(12):  # requotes may use 26 - 4 - 4 - 6 (PLACEMENT_RESERVE)
        b.begin(t)
        assert b.try_spend(t, TxPriority.QUOTE)
        assert all(b.try_spend(t, TxPriority.QUOTE) for _ in range(5))  # ride along: free
        t += 0.01
    assert b.used(t) == 12
    b.begin(t)
    assert not b.try_spend(t, TxPriority.QUOTE)
    for _ in range(6):  # a side that filled can still be placed again
        b.begin(t)
        assert b.try_spend(t, TxPriority.PLACE)
    b.begin(t)
    assert not b.try_spend(t, TxPriority.PLACE)
    assert b.try_spend(t, TxPriority.HEDGE) and b.try_spend(t, TxPriority.QUOTE)  # the quote rides the hedge's
    for _ in range(3):
        b.begin(t)
        assert b.try_spend(t, TxPriority.HEDGE)
    b.begin(t)
    assert not b.try_spend(t, TxPriority.HEDGE)
    for _ in range(4):
        b.begin(t)
        assert b.try_spend(t, TxPriority.CANCEL)
    b.begin(t)
    assert not b.try_spend(t, TxPriority.CANCEL)
    assert b.used(t) == 26


def test_volume_quota_free_request_every_15s_and_earned_back_by_volume() -> None:
    q = VolumeQuota(remaining=2)
    assert q.try_consume(0.0, 5) == (True, True)  # the free request, whatever it carries
    assert q.try_consume(1.0, 0) == (True, False)  # cancels only: nothing consumed
    assert q.try_consume(2.0, 2) == (True, False) and q.remaining == 0
    assert q.try_consume(3.0, 1) == (False, False)
    q.on_traded(25.0)  # +1 per 10 USDC traded
    assert q.remaining == 2 and q.try_consume(4.0, 2) == (True, False)
    assert q.try_consume(QUOTA_FREE_EVERY_S, 1) == (True, True)


def _book(mid: int) -> BookView:
    return BookView(((mid - 5, 500),), ((mid + 5, 500),))


def test_both_sides_requoted_in_one_decision_cost_one_request() -> None:
    core = EngineCore(BotConfig(), SOL_PERP, SimClock(0.0))
    cmds = core.on_event(BookUpdate(1.0, _book(170_000)))
    assert len([c for c in cmds if isinstance(c, PlaceOrder)]) == 2 and core.budget.used(1.0) == 1
    for c in cmds:
        core.on_event(OrderAccepted(1.2, c.client_id))
    moved = core.on_event(BookUpdate(2.0, _book(170_040)))
    assert len(moved) == 2 and all(isinstance(c, ModifyOrder) for c in moved)
    assert core.budget.used(2.0) == 2


def test_a_copy_looks_ahead_without_touching_the_window() -> None:
    w = RollingWindow(10, 60.0)
    w.spend(0.0, 4)
    w.spend(30.0, 3)
    ahead = w.copy()
    assert ahead.used(61.0) == 3  # the copy expired the first hit
    ahead.spend(61.0, 5)
    assert w.used(59.0) == 7 and ahead.used(61.0) == 8  # the original kept both hits, saw none of the copy's
