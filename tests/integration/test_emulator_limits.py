"""The emulator as Lighter meters and sequences: the request budget per account and rolling minute
(REST and txs together on Standard, HTTP and WS alike, a batch once; Premium's weights, tx bucket and
volume quota), cancels and modifies of gone orders accepted and doing nothing ("acked no-ops"),
versioned modifies, and no account data for an expired token until it is re-authenticated."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from lighter_bot.domain.orders import Side
from lighter_bot.venues.emulator import EmulatorHandle, memory_backend, running_emulator
from tests.integration.test_emulator_errors import M, Wire, run

pytestmark = pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning")

TOO_MANY = {"code": 23000, "message": "Too Many Requests!"}


class ShiftedClock:
    """Wall time plus an offset the test moves forward (to roll the emulator's minute)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


async def _ws_send(ws: aiohttp.ClientWebSocketResponse, typ: str, data: dict[str, Any]) -> dict[str, Any]:
    await ws.send_json({"type": typ, "data": data})
    while True:
        frame = await asyncio.wait_for(ws.receive_json(), 5)
        if frame.get("type") == typ:
            return dict(frame["data"])


async def _frames(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            out.append(await asyncio.wait_for(ws.receive_json(), left))
        except TimeoutError:
            break
    return out


def test_61st_request_of_a_standard_account_in_a_minute_is_429_rest_or_tx_http_or_ws() -> None:
    clock = ShiftedClock()

    async def body() -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=None)
        async with running_emulator(backend, wall=clock) as emu, aiohttp.ClientSession() as http:
            w = Wire(emu, http)
            a = emu.account_index
            acct = emu.exchange.accounts[a]
            try:
                token, _ = w.client.create_auth_token_with_expiry()
                bid = backend.best_bid - 50
                coi = iter(range(100, 10_000))
                async with http.ws_connect(emu.ws_url) as ws:
                    assert (await ws.receive_json())["type"] == "connected"
                    for i in range(15):  # REST reads that name the account
                        path, params = [("/api/v1/account", {"by": "index", "value": str(a)}),
                                        ("/api/v1/nextNonce", {"account_index": a, "api_key_index": w.key}),
                                        ("/api/v1/accountActiveOrders", {"account_index": a})][i % 3]
                        assert (await w.get(path, token, **params))[0] == 200
                    for _ in range(15):  # sendTx over HTTP
                        assert (await w.send(14, w.create(next(coi), bid)))[0] == 200
                    for _ in range(14):  # sendTx over the WebSocket
                        resp = await _ws_send(ws, "jsonapi/sendtx", {"id": "x", "tx_type": 14,
                                                                     "tx_info": json.loads(w.create(next(coi), bid))})
                        assert resp["code"] == 200, resp
                        w.nonce += 1
                    for _ in range(15):  # sendTxBatch of three: one request each
                        infos = [w.create(next(coi), bid, nonce=w.nonce + k) for k in range(3)]
                        async with http.post(f"{emu.base_url}/api/v1/sendTxBatch",
                                             data={"tx_types": json.dumps([14] * 3), "tx_infos": json.dumps(infos)}) as r:
                            assert r.status == 200, await r.text()
                        w.nonce += 3
                    # public market data names no account: not metered
                    assert (await w.get("/api/v1/orderBookDetails", market_id=M))[0] == 200
                    assert acct.budget is not None and acct.budget.requests == 59
                    # the 60th: a batch of five over the WebSocket
                    infos = [w.create(next(coi), bid, nonce=w.nonce + k) for k in range(5)]
                    resp = await _ws_send(ws, "jsonapi/sendtxbatch", {"id": "b", "tx_types": json.dumps([14] * 5),
                                                                      "tx_infos": json.dumps(infos)})
                    assert resp["code"] == 200 and len(resp["tx_hash"]) == 5
                    w.nonce += 5
                    # the 61st, whatever it is: Lighter's 429
                    assert await w.get("/api/v1/account", token, by="index", value=str(a)) == (429, TOO_MANY)
                    assert await w.get("/api/v1/accountActiveOrders", token, account_index=a) == (429, TOO_MANY)
                    assert await w.post(14, w.create(next(coi), bid)) == (429, TOO_MANY)
                    info = w.create(next(coi), bid)
                    resp = await _ws_send(ws, "jsonapi/sendtx", {"id": "y", "tx_type": 14, "tx_info": json.loads(info)})
                    assert {k: resp[k] for k in ("code", "message")} == TOO_MANY
                    async with http.post(f"{emu.base_url}/api/v1/sendTxBatch",
                                         data={"tx_types": json.dumps([14]), "tx_infos": json.dumps([info])}) as r:
                        assert (r.status, await r.json()) == (429, TOO_MANY)
                    assert emu.exchange.next_nonce(a, w.key) == w.nonce  # refused txs consumed nothing
                    assert acct.budget.rate_limited == 5 and len(emu.exchange.orders) == 15 + 14 + 45 + 5
                    # a rolling minute: the first request leaves the window 60 s after it arrived
                    clock.offset += 61.0
                    assert (await w.send(14, w.create(next(coi), bid)))[0] == 200
            finally:
                await w.client.close()

    run(body())


def test_premium_weighs_rest_and_meters_txs_and_the_volume_quota_apart() -> None:
    async def body() -> None:
        backend = memory_backend(trade_every_s=None, walk_every_s=None)
        async with running_emulator(backend, tier="premium", rest_weight_per_min=1000, tx_limit_per_min=3) as emu, \
                aiohttp.ClientSession() as http:
            w = Wire(emu, http)
            a = emu.account_index
            try:
                for _ in range(3):  # 300 each
                    assert (await w.get("/api/v1/account", None, by="index", value=str(a)))[0] == 200
                assert (await w.get("/api/v1/trades", None, account_index=a, limit=10)) == (429, TOO_MANY)  # 600
                assert (await w.get("/api/v1/nextNonce", None, account_index=a, api_key_index=w.key))[0] == 200  # 6
                budget = emu.exchange.accounts[a].budget
                assert budget is not None and budget.quota is not None
                budget.quota.remaining = 1
                bid = backend.best_bid - 50
                s1, r1 = await w.send(14, w.create(1, bid))  # the free request of these 15 s
                s2, r2 = await w.send(14, w.create(2, bid))  # consumes the last unit
                assert (s1, r1["volume_quota_remaining"], s2, r2["volume_quota_remaining"]) == (200, None, 200, 0)
                assert await w.post(14, w.create(3, bid)) == (429, TOO_MANY)  # quota spent
                _, cinfo, _, _ = w.client.sign_cancel_order(M, 1, nonce=w.nonce, api_key_index=w.key)
                assert (await w.send(15, cinfo))[0] == 200  # cancels consume no quota
                _, cinfo, _, _ = w.client.sign_cancel_order(M, 2, nonce=w.nonce, api_key_index=w.key)
                assert await w.post(15, cinfo) == (429, TOO_MANY)  # the tx bucket: 3 per minute (the 429 above was not counted)
                # REST has its own budget: still open
                assert (await w.get("/api/v1/nextNonce", None, account_index=a, api_key_index=w.key))[0] == 200
            finally:
                await w.client.close()

    run(body())


async def _subscribed(ws: aiohttp.ClientWebSocketResponse, channel: str, token: str) -> None:
    await ws.send_json({"type": "subscribe", "channel": channel, "auth": token})
    for frame in await _frames(ws, 1.0):
        if frame["type"].startswith("subscribed/"):
            return
    raise AssertionError(f"no snapshot for {channel}")


def _order_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for f in frames if f["type"] == "update/account_orders" for o in f["orders"][str(M)]]


def test_cancel_and_modify_of_gone_orders_are_accepted_and_do_nothing() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        ex, a = emu.exchange, emu.account_index
        bid = backend.best_bid  # at the touch: the market trade below fills it
        token, _ = w.client.create_auth_token_with_expiry()
        async with w.http.ws_connect(emu.ws_url) as ws:
            await ws.receive_json()
            await _subscribed(ws, f"account_orders/{M}/{a}", token)
            assert (await w.send(14, w.create(7, bid)))[0] == 200
            await asyncio.sleep(0.4)  # the order rests (200 ms speed bump)
            backend.market_trade(ex.sim_time(), Side.ASK, 100)  # a seller takes our bid
            frames = await _frames(ws, 1.5)
            assert [o["status"] for o in _order_frames(frames)][-1] == "filled"
            hashes = []
            for info, typ in (
                (w.client.sign_cancel_order(M, 7, nonce=w.nonce, api_key_index=w.key)[1], 15),  # filled
                (w.client.sign_cancel_order(M, 999, nonce=w.nonce + 1, api_key_index=w.key)[1], 15),  # never existed
                (w.client.sign_modify_order(M, 7, 100, bid - 5, nonce=w.nonce + 2, api_key_index=w.key)[1], 17),
            ):
                status, ack = await w.send(typ, info)
                assert status == 200 and ack["code"] == 200 and len(ack["tx_hash"]) == 80
                hashes.append(ack["tx_hash"])
            assert not _order_frames(await _frames(ws, 0.6)), "an acked no-op published something"
            for h in hashes:
                _, tx = await w.get("/api/v1/tx", by="hash", value=h)
                assert tx["status"] == 0 and "not active" in tx["event_info"]
            assert ex.next_nonce(a, w.key) == w.nonce  # each consumed its nonce

    run(_with(body))


def test_a_versioned_modify_applies_only_above_the_orders_version() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        ex, a = emu.exchange, emu.account_index
        bid = backend.best_bid - 20
        assert (await w.send(14, w.create(7, bid)))[0] == 200
        for version, price in ((2, bid - 1), (1, bid - 2), (2, bid - 3), (3, bid - 4)):
            _, info, _, err = w.client.sign_modify_order(M, 7, 100, price, order_version=version, nonce=w.nonce,
                                                         api_key_index=w.key)
            assert err is None and json.loads(info)["L2TxAttributes"]["8"] == version
            assert (await w.send(17, info))[0] == 200
            await asyncio.sleep(0.4)
        (rec,) = ex.open_orders(a)
        assert (rec.price, rec.order_version) == (bid - 4, 3)  # versions 1 and the second 2 were stale

    run(_with(body))


def test_an_expired_token_gets_no_account_data_until_re_authenticated() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        a = emu.account_index
        bid = backend.best_bid - 5
        # expires in 4 s (3-4 s from now: whole seconds); CI under load once took > 1 s to the first frame
        short, _ = w.client.create_auth_token_with_expiry(4)
        channel = f"account_orders/{M}/{a}"
        async with w.http.ws_connect(emu.ws_url) as ws:
            await ws.receive_json()
            await _subscribed(ws, channel, short)
            assert (await w.send(14, w.create(1, bid)))[0] == 200
            assert _order_frames(await _frames(ws, 0.8)), "no account data with a valid token"
            await asyncio.sleep(max(0.0, int(short.split(":")[0]) - time.time()) + 0.1)
            assert (await w.send(14, w.create(2, bid - 1)))[0] == 200
            assert not _order_frames(await _frames(ws, 0.8)), "account data for an expired token"
            (conn,) = emu.server.conns
            assert conn.expired_drops > 0
            # re-authenticate on the same connection: unsubscribe, subscribe with a fresh token
            fresh, _ = w.client.create_auth_token_with_expiry()
            await ws.send_json({"type": "unsubscribe", "channel": channel})
            await _subscribed(ws, channel, fresh)
            assert (await w.send(14, w.create(3, bid - 2)))[0] == 200
            assert [o["client_order_index"] for o in _order_frames(await _frames(ws, 0.8))] == [3]

    run(_with(body))


async def _with(test: Any) -> None:
    backend = memory_backend(trade_every_s=None, walk_every_s=None)
    async with running_emulator(backend) as emu, aiohttp.ClientSession() as http:
        w = Wire(emu, http)
        try:
            await test(emu, w, backend)
        finally:
            await w.client.close()
