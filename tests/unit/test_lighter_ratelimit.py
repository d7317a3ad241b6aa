"""Client-side transaction budget with priorities, REST weights, backoff."""

from __future__ import annotations

import random

from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.lighter.ratelimit import Backoff, CooldownGate, RestBudget, TxBudget, TxPriority


def test_quotes_cannot_starve_cancels() -> None:
    clock = SimClock(0.0)
    b = TxBudget.for_tier("standard", clock)
    quotes = 0
    while b.try_take(TxPriority.QUOTE):
        quotes += 1
    assert quotes == 60 - 12
    hedges = 0
    while b.try_take(TxPriority.HEDGE):
        hedges += 1
    assert hedges == 12 - 4
    cancels = 0
    while b.try_take(TxPriority.CANCEL):
        cancels += 1
    assert cancels == 4
    clock.advance_to(1.0)  # refills 1 tx per second on standard
    assert b.try_take(TxPriority.CANCEL) and not b.try_take(TxPriority.CANCEL)


def test_budget_never_exceeds_rate_over_time() -> None:
    clock = SimClock(0.0)
    b = TxBudget(60, clock)
    sent = 0
    for i in range(6000):  # 10 minutes in 0.1 s steps, always asking
        clock.advance_to(i * 0.1)
        while b.try_take(TxPriority.CANCEL):
            sent += 1
    assert sent <= 60 + 60 * 10  # initial burst + the refill rate


def test_rest_weights_only_on_premium() -> None:
    clock = SimClock(0.0)
    std, prem = RestBudget("standard", clock), RestBudget("premium", clock)
    assert std.cost("trades") == 1 and prem.cost("trades") == 600 and prem.cost("account") == 300
    for _ in range(60):
        assert std.take("account")
    assert not std.take("account") and std.wait_time("account") > 0


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(base_s=0.25, cap_s=3.0, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(10)]
    assert all(0.25 <= d <= 3.0 for d in delays)
    assert len(set(delays)) == len(delays)  # jittered
    b.reset()
    assert b.next_delay() == 0.25


def test_cooldown_doubles_and_resets() -> None:
    clock = SimClock(0.0)
    g = CooldownGate(clock, base_s=1.0, cap_s=30.0)
    assert [g.hit() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    assert g.remaining() == 30.0
    g.ok()
    assert g.hit() == 1.0
