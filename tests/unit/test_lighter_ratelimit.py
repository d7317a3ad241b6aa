"""The adapter's one request gate (Lighter's budget with priorities), backoff and cooldown."""

from __future__ import annotations

import random

from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.lighter.ratelimit import Backoff, CooldownGate, RequestGate, TxPriority


def test_standard_rest_and_sends_share_one_bucket_and_quotes_cannot_starve_cancels() -> None:
    clock = SimClock(0.0)
    g = RequestGate.for_tier("standard", clock)
    for _ in range(20):
        assert g.rest_wait("account") == 0.0
        g.take_rest("account")  # REST calls count in the same 60 as sends
    quotes = 0
    while g.try_send(TxPriority.QUOTE):
        quotes += 1
    assert quotes == 60 - 20 - 4
    assert not g.spare("account", TxPriority.OPTIONAL) and g.spare("account", TxPriority.READ)
    hedges = 0
    while g.try_send(TxPriority.HEDGE):
        hedges += 1
    assert hedges == 2
    cancels = 0
    while g.try_send(TxPriority.CANCEL):
        cancels += 1
    assert cancels == 2 and g.used_last_minute() == 60
    assert g.rest_wait("account", TxPriority.CANCEL) > 59.0  # an exact rolling window: nothing refills early
    clock.advance_to(61.0)  # the exchange's minute plus the client's margin
    assert g.try_send(TxPriority.QUOTE)


def test_never_more_than_the_limit_in_any_minute() -> None:
    clock = SimClock(0.0)
    g = RequestGate.for_tier("standard", clock)
    sent: list[float] = []
    for i in range(6000):  # 10 minutes in 0.1 s steps, always asking
        clock.advance_to(i * 0.1)
        while g.try_send(TxPriority.CANCEL):
            sent.append(clock.now())
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u < t + 60.0) <= 60


def test_premium_weighs_rest_apart_from_sends_and_watches_the_volume_quota() -> None:
    clock = SimClock(0.0)
    g = RequestGate.for_tier("premium", clock)
    assert (g.limits.rest_cost("trades"), g.limits.rest_cost("account")) == (600, 300)
    for _ in range(40):
        g.take_rest("trades")  # 24,000 weight
    assert g.rest_wait("account") > 0 and g.try_send(TxPriority.QUOTE, quota_units=2)  # sends: their own bucket
    g.on_answer(quota_remaining=1)
    clock.advance_to(1.0)
    assert not g.try_send(TxPriority.QUOTE, quota_units=2)  # the quota says no, the free request is used
    assert g.try_send(TxPriority.CANCEL)  # cancels consume no quota
    clock.advance_to(15.0)
    assert g.try_send(TxPriority.QUOTE, quota_units=2)  # the next free request


def test_a_429_fills_the_window_and_starts_a_cooldown() -> None:
    clock = SimClock(0.0)
    g = RequestGate.for_tier("standard", clock)
    assert g.try_send(TxPriority.QUOTE)
    assert g.on_rate_limited(rest=False) == 1.0
    assert g.used_last_minute() == 60 and g.cooling() == 1.0
    assert g.rest_wait("account") >= 1.0


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
