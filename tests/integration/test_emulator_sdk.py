"""The unmodified lighter-sdk (SignerClient, ApiClient REST, WsClient) against the emulator on
127.0.0.1, with the SDK's real bundled signer. No mocks: every call crosses a real socket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import lighter
import pytest
from lighter.signer_client import SignerClient

from lighter_bot.domain.market import SOL_PERP
from lighter_bot.venues.emulator import EmulatorHandle, memory_backend, running_emulator

pytestmark = pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning")

M = SOL_PERP.market_id
PO = SignerClient.ORDER_TIME_IN_FORCE_POST_ONLY
LIMIT = SignerClient.ORDER_TYPE_LIMIT


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


async def wait_for(cond: Callable[[], bool], timeout: float = 3.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def signer(emu: EmulatorHandle) -> SignerClient:
    assert emu.api_private_key is not None
    return SignerClient(emu.base_url, emu.account_index, {emu.api_key_index: emu.api_private_key})


def test_signer_client_order_lifecycle() -> None:
    async def body() -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=None)
        async with running_emulator(backend, cancel_all_min_delay_s=1.0) as emu:
            ex = emu.exchange
            c = signer(emu)
            try:
                # check_client's Go HTTP call blocks the calling thread: off the loop serving us.
                assert await asyncio.to_thread(c.check_client) is None
                bid = backend.best_bid - 5
                _, resp, err = await c.create_order(M, 11, 100, bid, False, LIMIT, PO)
                assert err is None and resp.code == 200 and len(resp.tx_hash) == 80
                await wait_for(lambda: any(o.status == "open" for o in ex.open_orders(emu.account_index)))
                (rec,) = ex.open_orders(emu.account_index)
                assert (rec.client_order_index, rec.price, rec.remaining, rec.tif) == (11, bid, 100, PO)
                assert ex.book().size_at(True, bid) >= 100  # our order shows in the public book

                _, resp, err = await c.modify_order(M, 11, 120, bid - 1)
                assert err is None and resp.code == 200
                await wait_for(lambda: rec.price == bid - 1 and rec.remaining == 120)

                _, resp, err = await c.cancel_order(M, 11)
                assert err is None and resp.code == 200
                await wait_for(lambda: rec.status == "canceled")
                assert ex.open_orders(emu.account_index) == []

                # post-only that would cross: accepted by sendTx, then canceled-post-only
                _, resp, err = await c.create_order(M, 12, 100, backend.best_ask + 3, False, LIMIT, PO)
                assert err is None and resp.code == 200
                await wait_for(
                    lambda: any(
                        o.client_order_index == 12 and o.status == "canceled-post-only" for o in ex.orders.values()
                    )
                )

                # cancel-all immediate
                for coi in (21, 22):
                    _, resp, err = await c.create_order(M, coi, 100, bid - coi, False, LIMIT, PO)
                    assert err is None
                await wait_for(lambda: len(ex.open_orders(emu.account_index)) == 2)
                _, resp, err = await c.cancel_all_orders(SignerClient.CANCEL_ALL_TIF_IMMEDIATE, 0)
                assert err is None and resp.code == 200
                await wait_for(lambda: ex.open_orders(emu.account_index) == [])

                # scheduled cancel-all (dead-man switch): queued, one at a time, abort, re-arm, fires
                _, resp, err = await c.create_order(M, 31, 100, bid, False, LIMIT, PO)
                await wait_for(lambda: len(ex.open_orders(emu.account_index)) == 1)
                fire_at = int((time.time() + 1.5) * 1000)
                _, resp, err = await c.cancel_all_orders(SignerClient.CANCEL_ALL_TIF_SCHEDULED, fire_at)
                assert err is None and resp.code == 200
                assert ex.account(emu.account_index).cancel_all_time == fire_at
                _, _, err = await c.cancel_all_orders(SignerClient.CANCEL_ALL_TIF_SCHEDULED, fire_at + 500)
                assert err is not None and "21712" in err
                _, resp, err = await c.cancel_all_orders(SignerClient.CANCEL_ALL_TIF_ABORT, 0)
                assert err is None and ex.account(emu.account_index).cancel_all_time == 0
                fire_at = int((time.time() + 1.2) * 1000)
                _, resp, err = await c.cancel_all_orders(SignerClient.CANCEL_ALL_TIF_SCHEDULED, fire_at)
                assert err is None
                assert len(ex.open_orders(emu.account_index)) == 1
                await wait_for(lambda: ex.open_orders(emu.account_index) == [], timeout=4)
                assert ex.account(emu.account_index).cancel_all_time == 0

                # nonces stayed in lockstep with the SDK's optimistic manager
                nxt = await lighter.TransactionApi(c.api_client).next_nonce(
                    account_index=emu.account_index, api_key_index=emu.api_key_index
                )
                assert nxt.nonce == c.nonce_manager.nonce[emu.api_key_index] + 1
            finally:
                await c.close()

    run(body())


def test_send_tx_batch_cancel_and_replace() -> None:
    async def body() -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=None)
        async with running_emulator(backend) as emu:
            ex = emu.exchange
            c = signer(emu)
            try:
                key = emu.api_key_index
                bid = backend.best_bid - 3
                _, n0 = await c.nonce_manager.async_next_nonce(key)
                n1 = (await c.nonce_manager.async_next_nonce(key))[1]
                t1, i1, _, e1 = c.sign_create_order(M, 41, 100, bid, 0, LIMIT, PO, nonce=n0, api_key_index=key)
                t2, i2, _, e2 = c.sign_create_order(M, 42, 100, bid + 10_000, 1, LIMIT, PO, nonce=n1, api_key_index=key)
                assert e1 is None and e2 is None
                resp = await c.send_tx_batch([t1, t2], [i1, i2])
                assert resp.code == 200 and isinstance(resp.tx_hash, list) and len(resp.tx_hash) == 2
                await wait_for(lambda: len(ex.open_orders(emu.account_index)) == 2)
                # cancel one + replace it, atomically in one batch
                n2 = (await c.nonce_manager.async_next_nonce(key))[1]
                n3 = (await c.nonce_manager.async_next_nonce(key))[1]
                t3, i3, _, _ = c.sign_cancel_order(M, 41, nonce=n2, api_key_index=key)
                t4, i4, _, _ = c.sign_create_order(M, 43, 100, bid - 1, 0, LIMIT, PO, nonce=n3, api_key_index=key)
                resp = await c.send_tx_batch([t3, t4], [i3, i4])
                assert resp.code == 200
                await wait_for(
                    lambda: sorted(o.client_order_index for o in ex.open_orders(emu.account_index)) == [42, 43]
                )
                # a batch whose nonces don't continue the key's sequence is refused as a whole
                t5, i5, _, _ = c.sign_cancel_order(M, 42, nonce=n3 + 5, api_key_index=key)
                with pytest.raises(lighter.exceptions.BadRequestException, match="invalid nonce"):
                    await c.send_tx_batch([t5], [i5])
                assert len(ex.open_orders(emu.account_index)) == 2
            finally:
                await c.close()

    run(body())


def test_api_client_rest_calls() -> None:
    async def body() -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=None)
        async with running_emulator(backend) as emu:
            from lighter_bot.domain.orders import Side

            for size in (61, 70, 80):
                backend.market_trade(emu.exchange.sim_time(), Side.BID, size)
            c = signer(emu)
            api = lighter.ApiClient(lighter.Configuration(host=emu.base_url))
            try:
                order_api = lighter.OrderApi(api)
                details = await order_api.order_book_details(market_id=M)
                d = details.order_book_details[0]
                assert (d.market_id, d.size_decimals, d.price_decimals) == (
                    M,
                    SOL_PERP.size_decimals,
                    SOL_PERP.price_decimals,
                )
                assert d.min_base_amount == "0.061" and d.min_quote_amount == "10.000000"
                books = await order_api.order_books()
                assert books.order_books[0].symbol == "SOL"
                obo = await order_api.order_book_orders(market_id=M, limit=5)
                assert len(obo.bids) == 5 and len(obo.asks) == 5
                assert int(obo.bids[0].price.replace(".", "")) == backend.best_bid
                await wait_for(lambda: len(emu.exchange.public_trades) == 3)
                recent = await order_api.recent_trades(market_id=M, limit=10)
                assert [t.size for t in recent.trades] == ["0.080", "0.070", "0.061"]  # newest first
                assert all(t.market_id == M and t.is_maker_ask for t in recent.trades)  # buyers took: asks made

                # a fill of ours: rest a bid at the touch, then a market sell hits it
                _, _, err = await c.create_order(M, 51, 200, backend.best_bid, False, LIMIT, PO)
                assert err is None
                await wait_for(lambda: any(o.status == "open" for o in emu.exchange.open_orders(emu.account_index)))
                backend.market_trade(emu.exchange.sim_time(), lighter_side_ask(), 150)
                await wait_for(lambda: emu.exchange.position(emu.account_index) == 150)

                token, err = c.create_auth_token_with_expiry()
                assert err is None
                active = await order_api.account_active_orders(
                    account_index=emu.account_index, market_id=M, authorization=token
                )
                (o,) = active.orders
                assert (o.client_order_index, o.remaining_base_amount, o.filled_base_amount) == (51, "0.050", "0.150")
                inactive = await order_api.account_inactive_orders(
                    account_index=emu.account_index, limit=10, authorization=token
                )
                assert inactive.orders == []
                trades = await order_api.trades(
                    sort_by="timestamp", limit=10, account_index=emu.account_index, authorization=token
                )
                (t,) = trades.trades
                assert t.bid_account_id == emu.account_index and t.size == "0.150" and t.bid_client_id == 51

                acc_api = lighter.AccountApi(api)
                acc = (await acc_api.account(by="index", value=str(emu.account_index))).accounts[0]
                (pos,) = acc.positions
                assert (pos.market_id, pos.sign, pos.position) == (M, 1, "0.150")
                keys = await acc_api.apikeys(account_index=emu.account_index)
                assert keys.api_keys[0].api_key_index == emu.api_key_index
                tx_api = lighter.TransactionApi(api)
                nonce = await tx_api.next_nonce(account_index=emu.account_index, api_key_index=emu.api_key_index)
                assert nonce.nonce == 1
                status = await lighter.RootApi(api).status()
                assert status.status == 1
            finally:
                await api.close()
                await c.close()

    run(body())


def lighter_side_ask() -> Any:
    from lighter_bot.domain.orders import Side

    return Side.ASK


def test_ws_client_receives_book_and_account_updates() -> None:
    async def body() -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=0.1)
        async with running_emulator(backend) as emu:
            books: list[dict[str, Any]] = []
            accounts: list[dict[str, Any]] = []
            ws = lighter.WsClient(
                ws_url=emu.ws_url,
                order_book_ids=[M],
                account_ids=[emu.account_index],
                on_order_book_update=lambda _m, b: books.append(json.loads(json.dumps(b))),
                on_account_update=lambda _a, msg: accounts.append(msg),
            )
            task = asyncio.create_task(ws.run_async())
            c = signer(emu)
            try:
                await wait_for(lambda: len(books) >= 3 and len(accounts) >= 1)

                def sdk_best_bid() -> int:
                    return max(int(lv["price"].replace(".", "")) for lv in ws.order_book_states[str(M)]["bids"])

                # the SDK's merged book equals the emulator's published book (the book walks every
                # 0.1 s: the two may be one update apart when read, never for long)
                await wait_for(lambda: sdk_best_bid() == max(p for p, _ in emu.exchange.book().bids))
                # Well below the walking touch, so no walk crosses the post-only bid before it rests.
                price = backend.best_bid - 20
                _, _, err = await c.create_order(M, 61, 100, price, False, LIMIT, PO)
                assert err is None
                await wait_for(lambda: any(o.status == "open" for o in emu.exchange.open_orders(emu.account_index)))
                # Our bid becomes the touch and a sell hits it, in one step: no walk in between.
                t = emu.exchange.sim_time()
                backend.move_to(t, price)
                backend.market_trade(t, lighter_side_ask(), 100)
                await wait_for(lambda: any(m.get("trades", {}).get(str(M)) for m in accounts))
                last = [m for m in accounts if m.get("trades", {}).get(str(M))][-1]
                assert last["type"] == "update/account_all"
                assert last["positions"][str(M)]["position"] == "0.100"
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await c.close()

    run(body())
