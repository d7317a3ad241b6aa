"""TapeExchange (the fast replay path) against SimExchange (the reference): same events, same fills."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lighter_bot.backtest.runner import BacktestResult, run_backtest
from lighter_bot.config import BotConfig, merge_profile
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import Event
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import PREMIUM, STANDARD, VenueRules
from lighter_bot.venues.sim.scenarios import make_scenario
from lighter_bot.venues.sim.source import ASK, BID, CLEAR, DEPTH, MARK, TRADE, Row
from lighter_bot.venues.sim.tape import PreparedMarket, chunks_of
from lighter_bot.venues.sim.tape_exchange import TapeExchange

from .test_exchange_properties import markets


def engine_run(ex: SimExchange, cfg: BotConfig, market: MarketSpec,
               duration: float | None = None) -> tuple[BacktestResult, list[Event]]:
    clock = SimClock()
    core = EngineCore(cfg, market, clock)
    seen: list[Event] = []

    class Recorder:
        def on_event(self, event: Event) -> list[Command]:
            seen.append(event)
            return core.on_event(event)

        def drain_fills(self) -> Any:
            return core.drain_fills()

    return run_backtest(ex, Recorder(), clock, duration_s=duration), seen


def same_result(a: BacktestResult, b: BacktestResult) -> None:
    da, db = a.to_dict(), b.to_dict()
    for k in ("wall_seconds", "events_per_second"):
        da.pop(k), db.pop(k)
    assert da == db


@pytest.mark.parametrize(("scenario", "rules", "seed"), [
    ("calm", STANDARD, 5), ("vol_spike", STANDARD, 5), ("toxic", PREMIUM, 5), ("thin_book", PREMIUM, 5),
])
def test_engine_on_scenarios_sees_the_same_events_and_gets_the_same_fills(scenario: str, rules: VenueRules,
                                                                          seed: int) -> None:
    rows = list(make_scenario(scenario, seed, 240.0))
    ref, ref_events = engine_run(SimExchange(SOL_PERP, iter(rows), rules, seed), BotConfig(), SOL_PERP)
    assert ref.fills > 0 and ref.bot_events > 1000
    prepared = PreparedMarket(chunks_of(rows, 2000), rules.book_interval_s, rules.book_depth)
    sources: list[Any] = [chunks_of(rows), chunks_of(rows, 997), prepared, prepared]  # whole, small chunks, reused
    for source in sources:
        fast, fast_events = engine_run(TapeExchange(SOL_PERP, source, rules, seed), BotConfig(), SOL_PERP)
        assert fast_events == ref_events
        same_result(ref, fast)


def test_duration_cut_counts_the_same_rows() -> None:
    rows = list(make_scenario("chop", 4, 120.0))
    ref, _ = engine_run(SimExchange(SOL_PERP, iter(rows), STANDARD, 4), BotConfig(), SOL_PERP, duration=47.3)
    for size in (1 << 16, 500):
        fast, _ = engine_run(TapeExchange(SOL_PERP, chunks_of(rows, size), STANDARD, 4), BotConfig(), SOL_PERP,
                             duration=47.3)
        same_result(ref, fast)


def random_flow(rng: random.Random, ex: SimExchange, now: float, cid: int) -> list[Command]:
    """A few random commands near the touch: post-only, GTC, IOC (walks the book), reduce-only,
    modifies, cancels, cancel-all, expiries."""
    bb, ba = ex.best_bid(), ex.best_ask()
    if bb is None or ba is None:
        return []
    out: list[Command] = []
    for _ in range(rng.randint(0, 3)):
        k = rng.randint(0, 9)
        side = rng.choice([Side.BID, Side.ASK])
        touch = bb if side is Side.BID else ba
        px = touch + rng.randint(-15, 15)
        size = rng.choice([61, 100, 250, 900])
        cid += 1
        if k <= 3:
            out.append(PlaceOrder(cid, side, px, size, TimeInForce.POST_ONLY, expiry_s=rng.choice([None, 1.5])))
        elif k == 4:
            out.append(PlaceOrder(cid, side, px, size, TimeInForce.GTC))
        elif k == 5:
            out.append(PlaceOrder(cid, side, px, size, TimeInForce.IOC, reduce_only=rng.random() < 0.3))
        elif k == 6:
            out.append(ModifyOrder(rng.randint(max(1, cid - 8), cid), px, size))
        elif k == 7:
            out.append(CancelOrder(rng.randint(max(1, cid - 8), cid)))
        elif k == 8 and rng.random() < 0.2:
            out.append(CancelAll())
        else:
            out.append(PlaceOrder(cid, side, px, size, TimeInForce.POST_ONLY, reduce_only=True))
    return out


def drive(ex: SimExchange, seed: int, end: float) -> list[tuple[float, Any]]:
    """Step an exchange at seeded times; record every event and the book/introspection at each step."""
    rng = random.Random(seed)
    log: list[tuple[float, Any]] = []
    t = 0.0
    cid = 0
    while t <= end:
        events = ex.advance(t)
        log.append((t, events, ex.book(5), ex.best_bid(), ex.best_ask(), ex.mark, ex.position,
                    [(o.client_id, o.price, o.size, o.queue.ahead) for o in ex.resting_orders()],
                    ex.stats.market_rows, list(ex.tape)[-3:]))
        cmds = random_flow(rng, ex, t, cid)
        cid += sum(1 for c in cmds if isinstance(c, PlaceOrder))
        ex.submit(t, cmds)
        t += rng.choice([0.05, 0.1, 0.37, 0.8])
    log.append((-1.0, ex.fills, ex.stats.tx_sent, ex.stats.tx_rejected))
    return log


RULES = STANDARD.with_(tx_per_minute=150, md_jitter_s=0.01, maker_fee_rate=0.0001, taker_fee_rate=0.0003)


def with_clears_and_marks(rows: list[Row]) -> list[Row]:
    """Insert a snapshot (CLEAR + the same levels again) and mark prices into a market."""
    out: list[Row] = []
    book: dict[tuple[int, int], int] = {}
    for i, r in enumerate(rows):
        out.append(r)
        if r[1] == DEPTH:
            book[(r[2], r[3])] = r[4]
        if i == len(rows) // 2:
            out += [(r[0], CLEAR, BID, 0, 0), (r[0], CLEAR, ASK, 0, 0)]
            out += [(r[0], DEPTH, s, p, z) for (s, p), z in sorted(book.items()) if z > 0]
        if i % 7 == 3:
            out.append((r[0], MARK, 0, r[3] or 170_000, 0))
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=markets(), seed=st.integers(0, 1000), chunk=st.sampled_from([1, 2, 7, 64, 1 << 16]))
def test_random_order_flow_same_everything(rows: list[Row], seed: int, chunk: int) -> None:
    rows = with_clears_and_marks(rows)
    end = rows[-1][0] + 3.0
    ref = drive(SimExchange(SOL_PERP, iter(rows), RULES, seed), seed, end)
    fast = drive(TapeExchange(SOL_PERP, chunks_of(rows, chunk), RULES, seed), seed, end)
    assert fast == ref


def test_tape_needs_a_publication_interval_and_matching_rules() -> None:
    with pytest.raises(ValueError, match="book_interval_s > 0"):
        TapeExchange(SOL_PERP, chunks_of([(0.0, DEPTH, BID, 100, 1)]), STANDARD.with_(book_interval_s=0.0), 1)
    prepared = PreparedMarket(chunks_of([(0.0, DEPTH, BID, 100, 1)]), 0.05, 20)
    with pytest.raises(ValueError, match="prepared for another"):
        TapeExchange(SOL_PERP, prepared, STANDARD.with_(book_interval_s=0.1), 1)


def test_recorded_btc_sample_same_events(shared_dir: Path) -> None:
    d = shared_dir / "data" / "binance_perp"
    rep = replay.load([d / "usdm_btcusdt_20240718.gz"])
    rows = list(rows_of(rep.chunks()))[:80_000]
    cfg = BotConfig.model_validate(merge_profile({}, replay.derive_profile(rep.market, first_mid(rows, rep.market, rep.source))))
    ref, ref_events = engine_run(SimExchange(rep.market, iter(rows), STANDARD, 7), cfg, rep.market)
    fast, fast_events = engine_run(TapeExchange(rep.market, chunks_of(rows), STANDARD, 7), cfg, rep.market)
    assert ref.bot_events > 1000
    assert fast_events == ref_events
    same_result(ref, fast)


@pytest.mark.parametrize("rows", [
    [], [(1.0, TRADE, BID, 170_000, 100)], [(1.0, MARK, 0, 170_000, 0)], [(1.0, CLEAR, ASK, 0, 0)],
    [(0.0, DEPTH, BID, 169_990, 500), (0.0, DEPTH, ASK, 170_010, 500), (0.0, DEPTH, ASK, 170_010, 500)],
])
def test_degenerate_markets(rows: list[Row]) -> None:
    ref, ref_events = engine_run(SimExchange(SOL_PERP, iter(rows), STANDARD, 1), BotConfig(), SOL_PERP)
    fast, fast_events = engine_run(TapeExchange(SOL_PERP, chunks_of(rows), STANDARD, 1), BotConfig(), SOL_PERP)
    assert fast_events == ref_events
    same_result(ref, fast)


def test_a_recording_whole_or_in_small_chunks_gets_identical_fills(shared_dir: Path) -> None:
    """Streaming is invisible to results: the 8-minute BTCUSDT recording as the loader streams it (chunks
    of 65,536 rows), in chunks of 1000 rows and prepared once give the same fills, events and result."""
    d = shared_dir / "data" / "binance_perp"
    rep = replay.load([d / "usdm_btcusdt_20240718.gz", d / "usdm_btcusdt_20240719.gz"])
    rows = list(rows_of(rep.chunks()))
    base = {"maker": {"spread_bps": 0.5, "volatility": {"enabled": False}, "edge_first": {"enabled": False}}}
    cfg = BotConfig.model_validate(merge_profile(base, replay.derive_profile(rep.market, first_mid(rows, rep.market, rep.source))))
    sources: list[Any] = [rep.chunks(), chunks_of(rows, 1000),
                          PreparedMarket(rep.chunks(), STANDARD.book_interval_s, STANDARD.book_depth)]
    runs = []
    for source in sources:
        ex = TapeExchange(rep.market, source, STANDARD, 7)
        res, events = engine_run(ex, cfg, rep.market)
        runs.append((res, events, ex.fills))
    ref, ref_events, ref_fills = runs[0]
    assert len(ref_fills) > 10 and ref.events == len(rows)
    for res, events, fills in runs[1:]:
        assert fills == ref_fills
        assert events == ref_events
        same_result(ref, res)
