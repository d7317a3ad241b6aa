"""LighterVenue against the emulator where mainnet differs from a naive client's expectations: acked
no-ops (a cancel or modify of an order that just filled is accepted and does nothing), an auth token
that expires while the connection stays up, and one single-market cancel-all at start and shutdown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from lighter_bot.domain.commands import CancelOrder, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import ModifyRejected, OrderAccepted, OrderCanceled, OrderFilled, OrderRejected
from lighter_bot.domain.orders import Side, TimeInForce
from tests.integration.test_live_venue import Collector, emulator, kill_hard, run, venue_for

harness = pytest.importorskip("lighter_bot.venues.emulator.harness")

__all__ = ["emulator"]  # the fixture, re-exported for pytest


def _market_cancel_alls(emu: Any) -> int:
    """Immediate cancel-alls scoped to our market the emulator received (type 16, TIF 0, attribute 5)."""
    m = emu.exchange.market.market_id
    n = 0
    for tx in emu.exchange.txs.values():
        info = json.loads(tx.info)
        if tx.tx_type == 16 and info["TimeInForce"] == 0 and (info.get("L2TxAttributes") or {}).get("5") == m:
            n += 1
    return n


def test_cancel_and_modify_of_an_order_that_just_filled_leave_no_stuck_state(emulator: Callable[..., Any]) -> None:
    async def go() -> None:
        # Lighter's speed bump: txs execute 300 ms after they are sequenced.
        backend = harness.memory_backend(trade_every_s=None, walk_every_s=None, entry_delay_s=0.3)
        async with emulator(backend=backend) as emu:
            v = venue_for(emu)
            await v.load_market()
            await v.start()
            c = Collector(v)
            ex = emu.exchange
            await v.submit([PlaceOrder(1, Side.BID, backend.best_bid, 70, TimeInForce.POST_ONLY),
                            PlaceOrder(2, Side.ASK, backend.best_ask, 70, TimeInForce.POST_ONLY)])
            await c.wait_for(lambda: len(c.of(OrderAccepted)) == 2)
            # The bot cancels one and modifies the other; both fill before those txs execute.
            await v.submit([CancelOrder(1), ModifyOrder(2, backend.best_ask + 3, 70)])
            await c.wait_for(lambda: sum(1 for t in ex.txs.values() if t.tx_type in (15, 17)) == 2)
            backend.market_trade(ex.sim_time(), Side.ASK, 70)
            backend.market_trade(ex.sim_time(), Side.BID, 70)
            await c.wait_for(lambda: len(c.of(OrderFilled)) == 2)
            # Lighter accepted both (200); they execute after the fills and do nothing (the sequencer
            # fails them, nothing is published about them).
            no_ops = [t for t in ex.txs.values() if t.tx_type in (15, 17)]
            await c.wait_for(lambda: all(t.status == 0 for t in no_ops))
            # No reject, no storm, nothing left pending in the adapter.
            await c.wait_for(lambda: not v.tracker.orders, timeout=v.s.order_grace_s + 3.0)
            await asyncio.sleep(v.s.order_grace_s + 1.5)  # a stuck cancel/modify would be reconciled by now
            assert not c.of(ModifyRejected) and not c.of(OrderRejected)
            assert [f.remaining for f in c.of(OrderFilled)] == [0, 0] and not v.tracker.orders
            assert v.stats["tx_rejected"] == 0 and v.health()[:2] == (True, True)
            assert v.tracker.position == ex.position(emu.account_index) == 0
            assert await v.shutdown() == 0
            await c.task

    run(go())


def test_an_auth_token_expiring_mid_run_is_renewed_without_losing_a_fill(emulator: Callable[..., Any]) -> None:
    async def go() -> None:
        backend = harness.memory_backend(trade_every_s=None, walk_every_s=None)
        async with emulator(backend=backend) as emu:
            # 5 s tokens renewed 2.5 s before expiry: several renewals while the connection stays up.
            v = venue_for(emu, token_lifetime_s=5.0, token_renew_before_s=2.5)
            await v.load_market()
            await v.start()
            c = Collector(v)
            ex = emu.exchange
            assert v.ctx.tokens is not None and v.ctx.tokens.expiry is not None
            first_expiry = v.ctx.tokens.expiry
            connects = v.ctx.ws.connects if v.ctx.ws is not None else 0
            cid = 10
            loop = asyncio.get_running_loop()
            end = loop.time() + 12.0
            while loop.time() < end:
                await v.submit([PlaceOrder(cid, Side.BID, backend.best_bid, 70, TimeInForce.POST_ONLY)])
                await c.wait_for(lambda cid=cid: any(e.client_id == cid for e in c.of(OrderAccepted)))
                backend.market_trade(ex.sim_time(), Side.ASK, 70)
                await c.wait_for(lambda cid=cid: any(f.client_id == cid for f in c.of(OrderFilled)), timeout=5.0)
                cid += 1
                backend.market_trade(ex.sim_time(), Side.BID, 0)  # keep the book alive
                await asyncio.sleep(0.4)
            ours = ex.fills[emu.account_index]
            late = [t for t in ours if t.ts_ms / 1000.0 > first_expiry]
            assert len(late) >= 3, "no fill happened after the first token expired"
            assert {f.trade_id for f in c.of(OrderFilled)} == {str(t.trade_id) for t in ours}
            assert v.ctx.tokens.renewals >= 3 and v.ctx.ws is not None and v.ctx.ws.connects == connects  # same connection
            assert all(conn.expired_drops == 0 for conn in emu.server.conns)  # renewed before expiry
            assert v.tracker.position == ex.position(emu.account_index)
            assert await v.shutdown() == 0
            await c.task

    run(go())


def test_start_and_shutdown_each_use_one_single_market_cancel_all(emulator: Callable[..., Any]) -> None:
    async def go() -> None:
        async with emulator(backend=harness.memory_backend(trade_every_s=None, walk_every_s=None)) as emu:
            ex, a = emu.exchange, emu.account_index
            v1 = venue_for(emu)
            await v1.load_market()
            book = (await v1.start())[1].book
            c1 = Collector(v1)
            await v1.submit([PlaceOrder(i, Side.BID, book.best_bid - 10 - i, 70, TimeInForce.POST_ONLY)
                             for i in range(1, 4)])
            await c1.wait_for(lambda: len(c1.of(OrderAccepted)) == 3)
            await kill_hard(v1)  # three orphans left resting
            c1.task.cancel()
            before = _market_cancel_alls(emu)
            v2 = venue_for(emu)
            await v2.load_market()
            await v2.start()
            assert _market_cancel_alls(emu) == before + 1 and ex.open_orders(a) == []  # one tx cleared them
            c2 = Collector(v2)
            await v2.submit([PlaceOrder(1, Side.BID, book.best_bid - 20, 70, TimeInForce.POST_ONLY),
                             PlaceOrder(2, Side.ASK, book.best_ask + 20, 70, TimeInForce.POST_ONLY)])
            await c2.wait_for(lambda: len(c2.of(OrderAccepted)) == 2)
            cancels = sum(1 for t in ex.txs.values() if t.tx_type == 15)
            await v2.submit([CancelOrder(1), CancelOrder(2)])  # what the runner sends as it stops
            assert await v2.shutdown() == 0
            await c2.task
            assert _market_cancel_alls(emu) == before + 2  # exactly one more, for both orders
            assert sum(1 for t in ex.txs.values() if t.tx_type == 15) == cancels  # no per-order cancel
            assert ex.open_orders(a) == [] and {e.client_id for e in c2.of(OrderCanceled)} >= {1, 2}

    run(go())
