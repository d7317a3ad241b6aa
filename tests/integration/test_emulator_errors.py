"""Lighter validation and error codes on the wire: txs signed by the SDK's real signer, posted to the
emulator over HTTP, answers checked byte for byte (status and {"code","message"})."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable
from typing import Any

import aiohttp
import pytest
from lighter.signer_client import SignerClient

from lighter_bot.domain.market import SOL_PERP
from lighter_bot.venues.emulator import EmulatorHandle, memory_backend, running_emulator
from lighter_bot.venues.emulator.harness import generate_api_key

pytestmark = pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning")

M = SOL_PERP.market_id
PO = SignerClient.ORDER_TIME_IN_FORCE_POST_ONLY


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


class Wire:
    """Signs with the SDK and posts raw forms, so tests see exactly what the server answers."""

    def __init__(
        self, emu: EmulatorHandle, session: aiohttp.ClientSession, key: int | None = None, priv: str | None = None
    ) -> None:
        self.emu = emu
        self.key = emu.api_key_index if key is None else key
        pk = priv or emu.api_private_key
        assert pk is not None
        self.client = SignerClient(emu.base_url, emu.account_index, {self.key: pk})
        self.http = session
        self.nonce = emu.exchange.next_nonce(emu.account_index, emu.api_key_index) if key is None else 0

    def create(
        self,
        coi: int,
        price: int,
        size: int = 100,
        nonce: int | None = None,
        tif: int = PO,
        expiry: int = -1,
        is_ask: bool = False,
    ) -> str:
        _, info, _, err = self.client.sign_create_order(
            M,
            coi,
            size,
            price,
            int(is_ask),
            0,
            tif,
            0,
            0,
            expiry,
            nonce=self.nonce if nonce is None else nonce,
            api_key_index=self.key,
        )
        assert err is None, err
        return str(info)

    async def post(self, tx_type: int, info: str) -> tuple[int, dict[str, Any]]:
        async with self.http.post(
            f"{self.emu.base_url}/api/v1/sendTx", data={"tx_type": str(tx_type), "tx_info": info}
        ) as r:
            assert r.content_type == "application/json"
            return r.status, await r.json()

    async def send(self, tx_type: int, info: str) -> tuple[int, dict[str, Any]]:
        status, body = await self.post(tx_type, info)
        if status == 200:
            self.nonce += 1
        return status, body

    async def get(self, path: str, token: str | None = None, **params: Any) -> tuple[int, dict[str, Any]]:
        headers = {"authorization": token} if token else {}
        async with self.http.get(f"{self.emu.base_url}{path}", params=params, headers=headers) as r:
            return r.status, await r.json()


async def _with_wire(test: Any, **overrides: Any) -> None:
    backend = memory_backend(trade_every_s=None, walk_every_s=None)
    async with running_emulator(backend, **overrides) as emu, aiohttp.ClientSession() as http:
        w = Wire(emu, http)
        try:
            await test(emu, w, backend)
        finally:
            await w.client.close()


def edit(info: str, **changes: Any) -> str:
    d = json.loads(info)
    d.update(changes)
    return json.dumps(d, separators=(",", ":"))


def test_nonce_expiry_minimums_and_client_index_rules() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        bid = backend.best_bid - 5
        # invalid nonce: 400 21104, and a rejected tx does not consume the nonce
        assert await w.post(14, w.create(1, bid, nonce=w.nonce + 3)) == (
            400,
            {"code": 21104, "message": "invalid nonce"},
        )
        assert emu.exchange.next_nonce(emu.account_index, emu.api_key_index) == w.nonce
        # expired tx (ExpiredAt in the past)
        stale = edit(w.create(1, bid), ExpiredAt=int(time.time() * 1000) - 1)
        status, err = await w.post(14, stale)
        assert (status, err["code"]) == (400, 21711)
        # order expiry in the past
        status, err = await w.post(14, w.create(1, bid, expiry=int(time.time() * 1000) - 10_000))
        assert (status, err["code"]) == (400, 21711)
        # minimums: 0.010 SOL < 0.061 min base; 0.061 at 1.000 < 10 USDC min quote
        status, err = await w.post(14, w.create(1, bid, size=10))
        assert (status, err) == (400, {"code": 21706, "message": "invalid order base or quote amount"})
        status, err = await w.post(14, w.create(1, 1000, size=61))
        assert (status, err["code"]) == (400, 21706)
        # client order index must be unique among open orders
        status, ok = await w.send(14, w.create(7, bid))
        assert status == 200 and ok["code"] == 200
        status, err = await w.post(14, w.create(7, bid - 1))
        assert (status, err) == (400, {"code": 21728, "message": "client order index already exists"})
        # ...but may be reused once the first one is gone
        _, cinfo, _, _ = w.client.sign_cancel_order(M, 7, nonce=w.nonce, api_key_index=w.key)
        assert (await w.send(15, cinfo))[0] == 200
        for _ in range(50):
            if not emu.exchange.open_orders(emu.account_index):
                break
            await asyncio.sleep(0.02)
        assert (await w.send(14, w.create(7, bid - 1)))[0] == 200
        # order expiry: Lighter's bounds are 5 minutes .. 30 days ahead (IOC: 0)
        now_ms = int(time.time() * 1000)
        for expiry in (now_ms + 290_000, now_ms + 31 * 86_400_000):
            status, err = await w.post(14, w.create(8, bid, expiry=expiry))
            assert (status, err["code"]) == (400, 21711), expiry
        # (cancels and modifies of unknown or finished orders are accepted: test_emulator_limits.py)
        _, minfo, _, _ = w.client.sign_modify_order(M, 7, 10, bid, nonce=w.nonce, api_key_index=w.key)
        assert (await w.post(17, minfo))[1]["code"] == 21706
        # wrong market
        _, cinfo, _, _ = w.client.sign_cancel_order(M + 1, 7, nonce=w.nonce, api_key_index=w.key)
        assert (await w.post(15, cinfo))[1]["code"] == 21605
        assert emu.exchange.next_nonce(emu.account_index, emu.api_key_index) == w.nonce

    run(_with_wire(body))


def test_signature_and_api_key_registration() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        bid = backend.best_bid - 5
        bad_sig = edit(w.create(1, bid), Sig=base64.b64encode(b"x" * 79).decode())
        assert (await w.post(14, bad_sig)) == (400, {"code": 21120, "message": "invalid signature"})
        assert (await w.post(14, edit(w.create(1, bid), Sig="not base64!")))[1]["code"] == 21120
        # a key index the account never registered
        priv, _pub = generate_api_key()
        other = Wire(emu, w.http, key=emu.api_key_index + 7, priv=priv)
        try:
            status, err = await other.post(14, other.create(1, bid))
            assert (status, err["code"]) == (400, 21136)
            # once registered (as `--api-public-key` does), the same key works from nonce 0
            emu.exchange.register_key(emu.account_index, other.key, _pub)
            assert (await other.send(14, other.create(2, bid)))[0] == 200
            assert await asyncio.to_thread(other.client.check_client) is None
        finally:
            await other.client.close()
        # unknown account
        acct = edit(w.create(3, bid), AccountIndex=emu.account_index + 1)
        assert (await w.post(14, acct))[1]["code"] == 21100

    run(_with_wire(body))


def test_tx_budget_answers_429_code_23000() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        bid = backend.best_bid - 50
        infos = [w.create(100 + i, bid - i, nonce=w.nonce + i) for i in range(61)]
        for info in infos[:60]:
            status, _ = await w.send(14, info)
            assert status == 200
        status, err = await w.post(14, infos[60])
        assert (status, err) == (429, {"code": 23000, "message": "Too Many Requests!"})
        assert emu.exchange.next_nonce(emu.account_index, emu.api_key_index) == w.nonce  # not consumed

    run(_with_wire(body))  # Standard tier: 60 tx per rolling minute


def test_batch_rules() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        bid = backend.best_bid - 5
        url = f"{emu.base_url}/api/v1/sendTxBatch"
        infos = [w.create(200 + i, bid, nonce=w.nonce + i) for i in range(51)]
        async with w.http.post(url, data={"tx_types": json.dumps([14] * 51), "tx_infos": json.dumps(infos)}) as r:
            assert (r.status, (await r.json())["code"]) == (400, 21514)
        two = [infos[0], infos[0]]  # same nonce twice: not increasing
        async with w.http.post(url, data={"tx_types": json.dumps([14, 14]), "tx_infos": json.dumps(two)}) as r:
            assert (r.status, (await r.json())["code"]) == (400, 21105)
        mixed = [infos[0], edit(infos[1], ApiKeyIndex=emu.api_key_index + 1)]
        async with w.http.post(url, data={"tx_types": json.dumps([14, 14]), "tx_infos": json.dumps(mixed)}) as r:
            assert (r.status, (await r.json())["code"]) == (400, 21121)
        # nothing of the refused batches was applied
        assert emu.exchange.orders == {}
        async with w.http.post(url, data={"tx_types": json.dumps([14, 14]), "tx_infos": json.dumps(infos[:2])}) as r:
            body = await r.json()
            assert r.status == 200 and len(body["tx_hash"]) == 2

    run(_with_wire(body))


def test_scheduled_cancel_all_window() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        now_ms = int(time.time() * 1000)
        for when in (now_ms + 60_000, now_ms + 16 * 86_400_000):  # under 5 min, over 15 days
            _, info, _, err = w.client.sign_cancel_all_orders(1, when, nonce=w.nonce, api_key_index=w.key)
            assert err is None
            assert (await w.post(16, info))[1]["code"] == 21714
        _, info, _, _ = w.client.sign_cancel_all_orders(1, now_ms + 600_000, nonce=w.nonce, api_key_index=w.key)
        assert (await w.send(16, info))[0] == 200
        _status, acc = await w.get("/api/v1/account", by="index", value=str(emu.account_index))
        assert acc["accounts"][0]["cancel_all_time"] == now_ms + 600_000

    run(_with_wire(body))


def test_auth_tokens_rest_and_ws() -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        path = "/api/v1/accountActiveOrders"
        a = emu.account_index
        token, _ = w.client.create_auth_token_with_expiry()
        assert (await w.get(path, token, account_index=a))[0] == 200
        assert (await w.get(path, None, account_index=a))[1]["code"] == 20013
        expired, _ = w.client.create_auth_token_with_expiry(600, timestamp=int(time.time()) - 700)
        status, err = await w.get(path, expired, account_index=a)
        assert (status, err["code"]) == (400, 20013) and "expired" in err["message"]
        too_long, _ = w.client.create_auth_token_with_expiry(9 * 3600)
        assert (await w.get(path, too_long, account_index=a))[1]["code"] == 20013
        assert (await w.get(path, token, account_index=a + 1))[1]["code"] == 20013  # someone else's orders
        assert (await w.get(path, "garbage", account_index=a))[1]["code"] == 20013
        # the token never appears in any answer
        for _, resp in [await w.get(path, expired, account_index=a)]:
            assert token not in json.dumps(resp) and expired not in json.dumps(resp)

        async with w.http.ws_connect(emu.ws_url) as ws:
            assert (await ws.receive_json())["type"] == "connected"
            await ws.send_json({"type": "subscribe", "channel": f"account_orders/{M}/{a}"})
            err_frame = await ws.receive_json()
            assert err_frame["type"] == "error" and err_frame["channel"] == f"account_orders:{M}:{a}"
            await ws.send_json({"type": "subscribe", "channel": f"account_orders/{M}/{a}", "auth": expired})
            assert (await ws.receive_json())["type"] == "error"
            await ws.send_json({"type": "subscribe", "channel": f"account_orders/{M}/{a}", "auth": token})
            ok = await ws.receive_json()
            assert ok["type"] == "subscribed/account_orders" and ok["channel"] == f"account_orders:{M}:{a}"
            await ws.send_json({"type": "subscribe", "channel": f"account_orders/{M}/{a}", "auth": token})
            dup = await ws.receive_json()
            assert (dup["type"], dup["code"]) == ("error", 30003)
            await ws.send_json({"type": "subscribe", "channel": "order_book/99"})
            assert (await ws.receive_json())["code"] == 30012

    run(_with_wire(body))


@pytest.mark.parametrize(
    "tif,expected", [(PO, "canceled-post-only"), (SignerClient.ORDER_TIME_IN_FORCE_IMMEDIATE_OR_CANCEL, "filled")]
)
def test_crossing_orders_are_accepted_then_resolved(tif: int, expected: str) -> None:
    async def body(emu: EmulatorHandle, w: Wire, backend: Any) -> None:
        price = backend.best_ask + 2
        info = w.create(5, price, size=100, tif=tif, expiry=0 if tif == 0 else -1)
        status, ack = await w.send(14, info)
        assert status == 200 and ack["code"] == 200  # sendTx only acknowledges sequencing
        for _ in range(100):
            recs = list(emu.exchange.orders.values())
            if recs and recs[0].status != "pending" and not recs[0].active:
                break
            await asyncio.sleep(0.02)
        (rec,) = emu.exchange.orders.values()
        assert rec.status == expected
        assert emu.exchange.position(emu.account_index) == (100 if expected == "filled" else 0)

    run(_with_wire(body))
