"""The emulator's account REST paths (accounts, orders, limits, API keys, nonces, txs, tokens) and
sendTx / sendTxBatch (answered late under the `slow_ack` fault; the tx applies on arrival)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from lighter_bot.venues.emulator import payloads as P
from lighter_bot.venues.emulator.http_util import Handler, auth, check_market, qint
from lighter_bot.venues.emulator.txinfo import ApiError

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange


class AccountRoutes:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex

    def routes(self) -> dict[str, Handler]:
        return {
            "account": self.account,
            "accountsByL1Address": self.accounts_by_l1,
            "accountActiveOrders": self.active_orders,
            "accountInactiveOrders": self.inactive_orders,
            "accountOrders": self.account_orders,
            "accountLimits": self.account_limits,
            "apikeys": self.apikeys,
            "nextNonce": self.next_nonce,
            "tx": self.tx,
            "tokens": self.tokens,
        }

    def account_by(self, request: web.Request) -> int:
        ex = self.ex
        by = request.query.get("by", "index")
        value = request.query.get("value", "")
        if by == "index":
            if not value.isdigit():
                raise ApiError(20001, "invalid param: value")
            return ex.account(int(value)).index
        if by == "l1_address":
            for acc in ex.accounts.values():
                if acc.l1_address.lower() == value.lower():
                    return acc.index
            raise ApiError(21100, "account not found")
        raise ApiError(20001, "invalid param: by must be index or l1_address")

    async def account(self, request: web.Request) -> dict[str, Any]:
        idx = self.account_by(request)
        return {"code": 200, "total": 1, "accounts": [self.ex.account_json(idx)]}

    async def accounts_by_l1(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        addr = request.query.get("l1_address", "")
        subs = []
        for acc in ex.accounts.values():
            if acc.l1_address.lower() == addr.lower():
                full = ex.account_json(acc.index)
                subs.append(
                    {
                        k: full[k]
                        for k in (
                            "code",
                            "account_type",
                            "index",
                            "l1_address",
                            "cancel_all_time",
                            "total_order_count",
                            "total_isolated_order_count",
                            "pending_order_count",
                            "available_balance",
                            "status",
                            "collateral",
                        )
                    }
                )
        if not subs:
            raise ApiError(21100, "account not found")
        return {"code": 200, "l1_address": addr, "sub_accounts": subs}

    async def active_orders(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        account = qint(request, "account_index")
        auth(self.ex, request, account)
        market = check_market(self.ex, request, False)
        ex.account(account)
        orders = ex.account_orders(account, True, market)
        orders.sort(key=lambda r: r.order_index)
        return {"code": 200, "next_cursor": None, "orders": [P.order_json(ex.market, r) for r in orders]}

    async def inactive_orders(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        account = qint(request, "account_index")
        auth(self.ex, request, account)
        limit = qint(request, "limit")
        if not 1 <= limit <= 100:
            raise ApiError(20001, "invalid param: limit must be 1..100")
        market = check_market(self.ex, request, False)
        ex.account(account)
        orders = sorted(ex.account_orders(account, False, market), key=lambda r: (-r.updated_ms, -r.order_index))
        if "ask_filter" in request.query:
            want_ask = qint(request, "ask_filter") == 1
            orders = [r for r in orders if r.is_ask == want_ask]
        start = 0
        if request.query.get("cursor"):
            try:
                start = int(request.query["cursor"])
            except ValueError:
                raise ApiError(20001, "invalid param: cursor") from None
        page = orders[start : start + limit]
        next_cursor = str(start + limit) if len(orders) > start + limit else None
        return {"code": 200, "next_cursor": next_cursor, "orders": [P.order_json(ex.market, r) for r in page]}

    async def account_orders(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        account = qint(request, "account_index")
        auth(self.ex, request, account)
        raw = request.query.get("client_order_indexes", "")
        try:
            wanted = {int(x) for x in raw.split(",") if x.strip()}
        except ValueError:
            raise ApiError(20001, "invalid param: client_order_indexes") from None
        if not wanted or len(wanted) > 20:
            raise ApiError(20001, "invalid param: 1..20 client_order_indexes")
        ex.account(account)
        orders = [
            r
            for r in ex.orders.values()
            if r.account_index == account and r.visible and r.status != "rejected" and r.client_order_index in wanted
        ]
        return {"code": 200, "next_cursor": None, "orders": [P.order_json(ex.market, r) for r in orders]}

    async def account_limits(self, request: web.Request) -> dict[str, Any]:
        account = qint(request, "account_index")
        auth(self.ex, request, account)
        self.ex.account(account)
        return {
            "code": 200,
            "max_llp_percentage": 25,
            "user_tier": self.ex.config.tier,
            "can_create_public_pool": False,
            "current_maker_fee_tick": 0 if self.ex.config.tier == "standard" else 40,
            "current_taker_fee_tick": 0 if self.ex.config.tier == "standard" else 280,
        }

    async def apikeys(self, request: web.Request) -> dict[str, Any]:
        account = qint(request, "account_index")
        key = qint(request, "api_key_index", 255)
        return {"code": 200, "api_keys": self.ex.api_keys(account, key)}

    async def next_nonce(self, request: web.Request) -> dict[str, Any]:
        account = qint(request, "account_index")
        key = qint(request, "api_key_index")
        return {"code": 200, "nonce": self.ex.next_nonce(account, key)}

    async def tx(self, request: web.Request) -> dict[str, Any]:
        ex = self.ex
        if request.query.get("by", "hash") != "hash":
            raise ApiError(20001, "invalid param: by must be hash")
        tx = ex.txs.get(request.query.get("value", ""))
        if tx is None:
            raise ApiError(21500, "transaction not found")
        return {
            "code": 200,
            "hash": tx.hash,
            "type": tx.tx_type,
            "info": tx.info,
            "event_info": tx.event_info,
            "status": tx.status,
            "transaction_index": 0,
            "l1_address": ex.accounts[tx.account_index].l1_address,
            "account_index": tx.account_index,
            "nonce": tx.nonce,
            "expire_at": tx.expire_at,
            "block_height": tx.block_height,
            "queued_at": tx.queued_ms,
            "executed_at": tx.executed_ms,
            "sequence_index": 0,
            "parent_hash": "",
            "api_key_index": tx.api_key_index,
            "transaction_time": tx.queued_ms * 1000,
            "committed_at": tx.executed_ms,
            "verified_at": tx.executed_ms,
        }

    async def tokens(self, request: web.Request) -> dict[str, Any]:
        account = qint(request, "account_index")
        auth(self.ex, request, account)
        return {"code": 200, "api_tokens": []}

    async def send_tx(self, request: web.Request) -> dict[str, Any]:
        form = await request.post()
        ex = self.ex
        try:
            tx_type = int(str(form.get("tx_type", "")))
        except ValueError:
            raise ApiError(20001, "invalid param: tx_type") from None
        info = form.get("tx_info")
        if not isinstance(info, str):
            raise ApiError(20001, "invalid param: tx_info")
        resp = ex.send_tx(tx_type, info)
        delay = ex.faults.ack_delay(ex.elapsed())
        if delay:
            await asyncio.sleep(delay)
        return resp

    async def send_tx_batch(self, request: web.Request) -> dict[str, Any]:
        form = await request.post()
        ex = self.ex
        try:
            types = json.loads(str(form.get("tx_types", "")))
            infos = json.loads(str(form.get("tx_infos", "")))
        except json.JSONDecodeError:
            raise ApiError(20001, "invalid param: tx_types and tx_infos must be JSON lists") from None
        if not isinstance(types, list) or not isinstance(infos, list) or not all(isinstance(i, str) for i in infos):
            raise ApiError(20001, "invalid param: tx_types and tx_infos must be JSON lists")
        try:
            tx_types = [int(t) for t in types]
        except (TypeError, ValueError):
            raise ApiError(20001, "invalid param: tx_types") from None
        resp = ex.send_tx_batch(tx_types, infos)
        delay = ex.faults.ack_delay(ex.elapsed())
        if delay:
            await asyncio.sleep(delay)
        return resp
